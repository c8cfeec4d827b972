"""The open-data API under /api/v1/ (issue 21), with django-ninja: read-only JSON of the public pledges, their approved
values and status changes (paginated, filtered, with ETag and Last-Modified), and one write: a progress update pushed
by another system with an API token (commitments.tokens). The OpenAPI schema is /api/v1/openapi.json.

What of a pledge is public is commitments.public's to say (pledge_record, shown_values, change_record); which pledges,
commitments.access's (public_pledges, pledges_to_push).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from functools import wraps

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Max
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from ninja import Field, Header, NinjaAPI, Query, Schema
from ninja.security import HttpBearer

from . import access, public, tokens
from .models import Category, ProgressUpdate, StatusChange
from .status import TargetStatus

API_MAX_AGE = 60
MAX_PAGE_SIZE = 500


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a token issued to an organization by an administrator, not revoked nor
    expired."""

    def authenticate(self, request, token):
        return tokens.token_from_header(f"Bearer {token}")


api = NinjaAPI(
    title="Pledge tracker open data",
    version="1.0.0",
    description=(
        "The public pledges, their approved values and their status changes, read-only; and progress pushed by other "
        "systems with an API token issued by an administrator."
    ),
    docs_url=None,  # the interactive page loads scripts from elsewhere, which the site's CSP forbids
    urls_namespace="public-api",
)


# --- Schemas -----------------------------------------------------------------------------------------------------------


class OrganizationOut(Schema):
    id: int
    name: str


class DocumentOut(Schema):
    title: str
    issuing_body: str
    issued_on: date | None
    url: str | None


class ExplanationOut(Schema):
    as_of: date
    cause: str
    measures: str
    back_on_track_by: date | None


class PledgeOut(Schema):
    id: int
    metric: str
    organization: OrganizationOut
    category: str | None
    kind: str
    comparator: str
    target: str | None = Field(description="A decimal, as text")
    low: str | None
    high: str | None
    target_text: str
    unit: str
    baseline: str | None
    baseline_date: date | None
    start_date: date
    deadline: date
    cadence: str
    status: str = Field(description="achieved, on_track, at_risk, off_track, overdue or no_data")
    status_label: str
    status_reason: str
    status_changed_at: datetime | None
    reporting_status: str
    latest_value: str | None
    latest_as_of: date | None
    expected_now: str | None
    progress_ratio: str | None
    closed: bool
    source_sentence: str
    source_document: DocumentOut | None
    page: str
    explanation: ExplanationOut | None = Field(
        None, description="One pledge only: the cause and measures an administrator opened to the public, if any"
    )


class PledgePage(Schema):
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None
    results: list[PledgeOut]


class ValueOut(Schema):
    as_of: date
    value: str | None
    done: bool | None
    recorded_at: datetime


class ChangeOut(Schema):
    id: int
    pledge: int
    from_status: str | None
    to_status: str
    to_label: str
    changed_at: datetime
    assessed_on: date
    reason: str


class ChangePage(Schema):
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None
    results: list[ChangeOut]


class PledgeFilters(Schema):
    status: str | None = Field(None, description="Only pledges with this status")
    organization: int | None = Field(None, description="Only pledges led by this public organization or one under it")
    category: int | None = None
    q: str | None = Field(None, description="Words in the metric")
    changed_since: datetime | None = Field(None, description="Only pledges whose status changed since then")
    page: int = Field(1, ge=1)
    page_size: int = Field(public.PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    lang: str | None = Field(None, description="zh-hans (default) or en: the language of labels and reasons")


class PageParams(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(public.PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    lang: str | None = None


class PushIn(Schema):
    as_of: date = Field(description="The end of the period the value is for")
    value: Decimal | None = Field(None, description="In the pledge's unit; for a growth target the rate (7.2 for 7.2%)")
    done: bool | None = Field(None, description="For a milestone")
    note: str = ""
    evidence_url: str = ""
    cause: str = Field("", description="Needed when the update leaves the pledge behind (问题原因)")
    measures: str = Field("", description="Needed when the update leaves the pledge behind (整改措施)")
    back_on_track_by: date | None = None


class PushOut(Schema):
    id: int
    pledge: int
    review_state: str = Field(description="approved, or pending when the organization's updates need approval")
    replayed: bool = Field(description="True when the idempotency key was seen before: nothing new was stored")


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


# --- Responses: JSON with ETag and Last-Modified -------------------------------------------------------------------------


def json_response(request, data, last_modified: datetime | None = None, status: int = 200) -> HttpResponse:
    """The JSON of `data`, with an ETag of its bytes and Last-Modified; 304 when the client's copy is current. Public
    and cacheable (the read endpoints show public data only)."""
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
    last_modified_stamp = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified_stamp)
    if response is None:
        response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    response.headers["ETag"] = etag
    if last_modified_stamp is not None:
        response.headers["Last-Modified"] = http_date(last_modified_stamp)
    response.headers["Content-Language"] = translation.get_language()
    return public.mark_public(response, API_MAX_AGE)


def error(status: int, detail: str, errors: dict | None = None) -> HttpResponse:
    body = json.dumps({"detail": detail, "errors": errors}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def use_language(lang: str | None) -> None:
    if lang and lang in dict(public.settings.LANGUAGES):
        translation.activate(lang)


def page_links(request, page: int, page_size: int, count: int) -> tuple[str | None, str | None]:
    def link(number):
        params = request.GET.copy()
        params["page"] = number
        params["page_size"] = page_size
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    last = max((count + page_size - 1) // page_size, 1)
    return (link(page + 1) if page < last else None), (link(page - 1) if page > 1 else None)


def latest_moment(*moments) -> datetime | None:
    found = [moment for moment in moments if moment is not None]
    return max(found) if found else None


def last_update_of(pledge_ids) -> datetime | None:
    return ProgressUpdate.objects.filter(pledge_id__in=pledge_ids).aggregate(latest=Max("created_at"))["latest"]


def cached(view):
    """The read endpoints answer from this server's cache for a minute (public.answer_from_cache). Defined here, not in
    public.py: django-ninja reads the view's annotations in the wrapper's module."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return public.answer_from_cache(request, lambda: view(request, *args, **kwargs))

    return wrapped


# --- Read endpoints ------------------------------------------------------------------------------------------------------


@api.get("/pledges", response={200: PledgePage, 422: ErrorOut}, summary="The public pledges, filtered, a page at a time")
@cached
def list_pledges(request, filters: Query[PledgeFilters]):
    use_language(filters.lang)
    rows = public.public_rows()
    errors = {}
    if filters.status:
        if filters.status not in TargetStatus.values:
            errors["status"] = [_("“%(value)s” is not a status.") % {"value": filters.status}]
        rows = rows.filter(target_status=filters.status)
    if filters.organization is not None:
        organization = access.public_organizations().filter(pk=filters.organization).first()
        if organization is None:
            errors["organization"] = [_("No public organization has the number %(value)s.") % {"value": filters.organization}]
        else:
            rows = rows.filter(lead_organization__tree_path__startswith=organization.tree_path)
    if filters.category is not None:
        if not Category.objects.filter(pk=filters.category).exists():
            errors["category"] = [_("No category has the number %(value)s.") % {"value": filters.category}]
        rows = rows.filter(category_id=filters.category)
    if filters.q:
        rows = rows.filter(metric__icontains=filters.q.strip()[:100])
    if filters.changed_since:
        rows = rows.filter(status_changed_at__gte=filters.changed_since)
    if errors:
        return error(422, _("Some filters are not valid."), errors)
    count = public.counted(rows)
    start = (filters.page - 1) * filters.page_size
    pledges = list(rows.order_by("id")[start:start + filters.page_size])
    next_url, previous_url = page_links(request, filters.page, filters.page_size, count)
    data = {
        "count": count, "page": filters.page, "page_size": filters.page_size, "next": next_url, "previous": previous_url,
        "results": [public.pledge_record(pledge, request) for pledge in pledges],
    }
    modified = latest_moment(*(p.status_changed_at for p in pledges), last_update_of([p.pk for p in pledges]) if pledges else None)
    return json_response(request, data, modified)


def _public_pledge_or_404(pledge_id: int):
    pledge = public.public_rows().filter(pk=pledge_id).first()
    if pledge is None:
        return None, error(404, _("No public pledge has this number."))
    return pledge, None


@api.get("/pledges/{pledge_id}", response={200: PledgeOut, 404: ErrorOut}, summary="One public pledge")
@cached
def get_pledge(request, pledge_id: int, lang: str | None = None):
    use_language(lang)
    pledge, missing = _public_pledge_or_404(pledge_id)
    if missing:
        return missing
    record = public.pledge_record(pledge, request)
    record["explanation"] = public.public_explanation(public.shown_values(public.approved_updates([pledge.pk])))
    return json_response(request, record, latest_moment(pledge.status_changed_at, last_update_of([pledge.pk])))


@api.get("/pledges/{pledge_id}/values", response={200: list[ValueOut], 404: ErrorOut}, summary="A public pledge's approved values")
@cached
def pledge_values(request, pledge_id: int):
    pledge, missing = _public_pledge_or_404(pledge_id)
    if missing:
        return missing
    values = public.shown_values(public.approved_updates([pledge.pk]))
    modified = latest_moment(*(v.created_at for v in values))
    return json_response(request, [public.value_record(v) for v in values], modified)


@api.get(
    "/pledges/{pledge_id}/status-changes", response={200: list[ChangeOut], 404: ErrorOut},
    summary="A public pledge's status history, latest first",
)
@cached
def pledge_changes(request, pledge_id: int, lang: str | None = None):
    use_language(lang)
    pledge, missing = _public_pledge_or_404(pledge_id)
    if missing:
        return missing
    changes = list(pledge.status_changes.order_by("-changed_at", "-id"))
    modified = latest_moment(*(c.changed_at for c in changes))
    return json_response(request, [public.change_record(c, pledge) for c in changes], modified)


@api.get("/status-changes", response={200: ChangePage}, summary="The status changes of every public pledge, latest first")
@cached
def status_changes(request, params: Query[PageParams], since: datetime | None = None):
    use_language(params.lang)
    changes = StatusChange.objects.filter(pledge__in=access.public_pledges()).select_related("pledge")
    if since:
        changes = changes.filter(changed_at__gte=since)
    count = public.counted(changes)
    start = (params.page - 1) * params.page_size
    rows = list(changes.order_by("-changed_at", "-id")[start:start + params.page_size])
    next_url, previous_url = page_links(request, params.page, params.page_size, count)
    data = {
        "count": count, "page": params.page, "page_size": params.page_size, "next": next_url, "previous": previous_url,
        "results": [public.change_record(change, change.pledge) for change in rows],
    }
    return json_response(request, data, latest_moment(*(c.changed_at for c in rows)))


@api.get("/organizations", response={200: list[OrganizationOut]}, summary="The organizations with public pledges")
@cached
def organizations(request):
    rows = access.public_organizations().order_by("tree_path").values("id", "name")
    return json_response(request, list(rows))


# --- The one write: progress pushed by another system ---------------------------------------------------------------


@api.post(
    "/pledges/{pledge_id}/updates",
    auth=TokenAuth(),
    response={200: PushOut, 201: PushOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Push a progress update (API token)",
    description=(
        "Recorded as if entered in the admin: the same checks, the cause and measures asked of an update that leaves "
        "the pledge behind, and the approval its organization requires. Send an Idempotency-Key: a retry with the same "
        "key and body stores nothing new and answers 200 with the update first stored."
    ),
)
def push_update(request, pledge_id: int, body: PushIn, idempotency_key: str = Header(..., alias="Idempotency-Key")):
    token = request.auth
    key = idempotency_key.strip()
    if not key or len(key) > tokens.KEY_LENGTH:
        return error(422, _("Idempotency-Key: give a key of 1 to %(n)d characters.") % {"n": tokens.KEY_LENGTH},
                     {"Idempotency-Key": [_("Required, at most %(n)d characters.") % {"n": tokens.KEY_LENGTH}]})
    allowed, retry_after = tokens.within_rate_limit(token)
    if not allowed:
        response = error(429, _("Too many pushes with this token: at most %(n)d a minute.") % {"n": tokens.pushes_per_minute()})
        response.headers["Retry-After"] = str(retry_after)
        return response
    pledge = tokens.pushable(token, pledge_id)
    if pledge is None:
        return error(404, _("This token's organization reports on no pledge with this number."))
    fields = body.dict()
    try:
        result = tokens.push_progress(token, pledge, fields, key=key)
    except ValidationError as problem:
        errors = problem.message_dict if hasattr(problem, "error_dict") else {"__all__": problem.messages}
        return error(422, _("The update was not recorded."), {name: [str(m) for m in messages] for name, messages in errors.items()})
    if result.conflict:
        return error(409, _("Idempotency-Key: this key was already used for another update."))
    update = result.update
    data = {"id": update.pk, "pledge": update.pledge_id, "review_state": update.review_state, "replayed": not result.created}
    body_bytes = json.dumps(data)
    return HttpResponse(body_bytes, status=201 if result.created else 200, content_type="application/json")
