"""The public transparency portal (issue 21): pages anyone may read without logging in, the whole public set as CSV
and JSON, an Atom feed of status changes and an SVG status card to embed.

Which pledges are public is access.public_pledges' to say. What of a public pledge may be shown is said here, once:
`pledge_record` (what the pages, the downloads and the API show of a pledge), `shown_values` (its approved values) and
`change_record` (a status change). Never shown: notes, evidence, who reported or reviewed, updates pending or returned,
causes and measures, instructions, chases, revisions' requests, scores, the document's file and full text.

The pages are rendered without the request (no user, no CSRF token, no session), so they are the same for everyone and
carry `Cache-Control: public`; the language comes from `?lang=` (else the language cookie, with Vary: Cookie).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache, wraps
from pathlib import Path

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.http import parse_http_date_safe, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import access, charts, display
from . import status as engine
from .exports import spreadsheet_safe, with_byte_order_mark
from .models import Category, Pledge, ProgressUpdate, PublicExplanation, StatusChange
from .status import Composition, TargetStatus

PAGE_SIZE = 50
# Seconds a shared cache may keep a public page: the statuses change at most a few times a day.
PUBLIC_MAX_AGE = 300
LANGUAGE_PARAMETER = "lang"


# --- Caching and language ---------------------------------------------------------------------------------------


def chosen_language(request) -> str | None:
    wanted = request.GET.get(LANGUAGE_PARAMETER, "")
    if wanted in dict(settings.LANGUAGES):
        return wanted
    return None


def mark_public(response, max_age: int = PUBLIC_MAX_AGE):
    """Cache-Control: public (tracker.middleware leaves it so, instead of marking the response private)."""
    response.public_cache = True
    response.public_max_age = max_age
    patch_cache_control(response, public=True, max_age=max_age)
    return response


def cache_seconds() -> int:
    """How long this server keeps a rendered public page or API answer (setting TRACKER_PUBLIC_CACHE_SECONDS; 0: not
    at all). The same for every reader, so many anonymous readers cost one rendering a minute; what they read is at
    most this old, as a shared cache's copy may be (Cache-Control max-age)."""
    return getattr(settings, "TRACKER_PUBLIC_CACHE_SECONDS", 60)


def cache_key(request) -> str:
    """One key per address and language (the language comes from ?lang= or the cookie, which the address may not show)."""
    return "public:" + hashlib.sha256(f"{translation.get_language()}|{request.get_full_path()}".encode()).hexdigest()


def answer_from_cache(request, produce):
    """`produce()`'s answer, kept in the cache for cache_seconds() when it is a successful, non-streaming answer to a
    GET; later GETs of the same address in the same language get the kept one (304 to a client whose ETag or date is
    current)."""
    seconds = cache_seconds()
    if request.method != "GET" or not seconds:
        return produce()
    key = cache_key(request)
    stored = cache.get(key)
    if stored is not None:
        conditional = get_conditional_response(
            request, etag=stored.headers.get("ETag"), last_modified=_stamp(stored.headers.get("Last-Modified")),
            response=stored,
        )
        return mark_public(conditional, getattr(stored, "public_max_age", PUBLIC_MAX_AGE))
    response = produce()
    if response.status_code == 200 and not response.streaming:
        cache.set(key, response, seconds)
    return response


def _stamp(http_date_text):
    return parse_http_date_safe(http_date_text) if http_date_text else None


def public_view(view):
    """A page anyone may read: in the language of `?lang=` when given, publicly cacheable, served from this server's
    cache for a minute."""

    def render(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = translation.get_language()
        if response.status_code == 200:
            mark_public(response)
        return response

    @require_safe  # read-only: GET and HEAD
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        language = chosen_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return answer_from_cache(request, lambda: render(request, *args, **kwargs))

    return wrapped


def public_url(name: str, *args, **params) -> str:
    url = reverse(name, args=args)
    params = {key: value for key, value in params.items() if value not in (None, "")}
    return f"{url}?{urlencode(params)}" if params else url


# --- What of a pledge is public -----------------------------------------------------------------------------------


def public_rows(queryset=None):
    """The public pledges with the related rows every public listing shows, in one query."""
    return access.public_pledges(queryset).select_related("lead_organization", "category", "source_document")


def shown_values(updates) -> list[ProgressUpdate]:
    """The values that count: approved and not replaced by an approved correction, latest period first. `updates`
    is every update of one pledge (pending and returned ones are dropped here)."""
    approved = [u for u in updates if u.review_state == ProgressUpdate.Review.APPROVED]
    corrected = {u.supersedes_id for u in approved if u.supersedes_id}
    return sorted(
        (u for u in approved if u.pk not in corrected), key=lambda u: (u.as_of, u.created_at, u.pk), reverse=True
    )


def approved_updates(pledge_ids):
    """The approved updates of some pledges, only the columns that may be shown (and what tells a correction)."""
    return ProgressUpdate.objects.filter(pledge_id__in=pledge_ids, review_state=ProgressUpdate.Review.APPROVED).only(
        "id", "pledge_id", "value", "done", "as_of", "created_at", "supersedes_id", "review_state"
    )


def number_text(value) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def value_record(update: ProgressUpdate) -> dict:
    return {
        "as_of": update.as_of,
        "value": number_text(update.value),
        "done": update.done,
        "recorded_at": update.created_at,
    }


PLACEHOLDER_ID = 987654321


@lru_cache(maxsize=1)
def _pledge_page_pattern() -> str:
    return reverse("public-pledge", args=[PLACEHOLDER_ID])


def pledge_page_path(pk: int) -> str:
    """reverse("public-pledge") without resolving the URL patterns for every row (half the time of a record)."""
    return _pledge_page_pattern().replace(str(PLACEHOLDER_ID), str(pk))


def pledge_record(pledge: Pledge, request=None) -> dict:
    """Everything public about a pledge, as plain data (the API, the downloads). Texts in the active language."""
    document = pledge.source_document if pledge.source_document_id else None
    page = pledge_page_path(pledge.pk)
    return {
        "id": pledge.pk,
        "metric": pledge.metric,
        "organization": {"id": pledge.lead_organization_id, "name": pledge.lead_organization.name},
        "category": pledge.category.name if pledge.category_id else None,
        "kind": pledge.kind,
        "comparator": pledge.comparator,
        "target": number_text(pledge.target),
        "low": number_text(pledge.low),
        "high": number_text(pledge.high),
        "target_text": pledge.target_text,
        "unit": pledge.unit,
        "baseline": number_text(pledge.baseline),
        "baseline_date": pledge.baseline_date,
        "start_date": pledge.start_date,
        "deadline": pledge.deadline,
        "cadence": pledge.cadence,
        "status": pledge.target_status,
        "status_label": str(pledge.get_target_status_display()),
        "status_reason": pledge.status_reason_text,
        "status_changed_at": pledge.status_changed_at,
        "reporting_status": pledge.reporting_status,
        "latest_value": number_text(pledge.latest_value),
        "latest_as_of": pledge.latest_as_of,
        "expected_now": number_text(pledge.expected_now),
        "progress_ratio": number_text(pledge.progress_ratio),
        "closed": pledge.closed,
        "source_sentence": pledge.source_sentence,
        "source_document": (
            {"title": document.title, "issuing_body": document.issuing_body, "issued_on": document.issued_on,
             "url": document.url or None}
            if document else None
        ),
        "page": request.build_absolute_uri(page) if request is not None else page,
    }


def public_explanation(values: list[ProgressUpdate]) -> dict | None:
    """The cause of the delay and the corrective measures of the latest counted value an administrator opened to the
    public (a PublicExplanation); None when there is none. The only way a cause or a measure is ever shown."""
    opened = PublicExplanation.objects.filter(update__in=[v.pk for v in values]).select_related("update")
    latest = max(opened, key=lambda o: (o.update.as_of, o.update.created_at, o.update.pk), default=None)
    if latest is None:
        return None
    update = latest.update
    return {
        "as_of": update.as_of, "cause": update.cause, "measures": update.measures,
        "back_on_track_by": update.back_on_track_by,
    }


def change_record(change: StatusChange, pledge: Pledge) -> dict:
    return {
        "id": change.pk,
        "pledge": pledge.pk,
        "from_status": change.from_status or None,
        "to_status": change.to_status,
        "to_label": str(TargetStatus(change.to_status).label),
        "changed_at": change.changed_at,
        "assessed_on": change.assessed_on,
        "reason": pledge.explain(change.reason).text(),
    }


def chart_for(pledge: Pledge, values: list[ProgressUpdate], today: date):
    """The chart of what the status engine reads: the approved values, or for a pledge judged from its parts the sum of
    its parts' values (its parts_series)."""
    if pledge.composition != Composition.OWN and pledge.parts_series:
        readings = [
            engine.Reading(as_of=date.fromisoformat(day), value=Decimal(value), id=position)
            for position, (day, value) in enumerate(pledge.parts_series, start=1)
        ]
    else:
        readings = [update.reading() for update in values]
    return charts.progress_chart(pledge.terms(), readings, today, pledge.unit)


# --- Pages -----------------------------------------------------------------------------------------------------------


def page(template: str, context: dict, status: int = 200) -> HttpResponse:
    context.setdefault("lang", translation.get_language())
    # Links between public pages keep a language other than the default in their address (and so in caches' keys).
    context.setdefault("lang_query", "" if translation.get_language() == settings.LANGUAGE_CODE else urlencode({"lang": translation.get_language()}))
    context.setdefault("other_language", "en" if translation.get_language() != "en" else settings.LANGUAGE_CODE)
    return HttpResponse(render_to_string(template, context), status=status)


class ListFilter:
    """The public list's filters, each checked against what is public; a bad value is named, never guessed."""

    def __init__(self, params):
        self.errors = []
        self.status = params.get("status", "")
        if self.status and self.status not in TargetStatus.values:
            self.errors.append(_("Status: “%(value)s” is not a status.") % {"value": self.status})
            self.status = ""
        self.organization = None
        organization = params.get("organization", "")
        if organization:
            found = access.public_organizations().filter(pk=organization).first() if organization.isdigit() else None
            if found is None:
                self.errors.append(_("Organization: no public organization has the number “%(value)s”.") % {"value": organization})
            self.organization = found
        self.category = None
        category = params.get("category", "")
        if category:
            self.category = Category.objects.filter(pk=category).first() if category.isdigit() else None
            if self.category is None:
                self.errors.append(_("Category: no category has the number “%(value)s”.") % {"value": category})
        self.q = params.get("q", "").strip()[:100]

    def apply(self, queryset):
        if self.status:
            queryset = queryset.filter(target_status=self.status)
        if self.organization is not None:
            queryset = queryset.filter(lead_organization__tree_path__startswith=self.organization.tree_path)
        if self.category is not None:
            queryset = queryset.filter(category=self.category)
        if self.q:
            queryset = queryset.filter(metric__icontains=self.q)
        return queryset

    def params(self) -> dict:
        return {
            "status": self.status,
            "organization": self.organization.pk if self.organization else "",
            "category": self.category.pk if self.category else "",
            "q": self.q,
        }


def counted(queryset) -> int:
    """How many rows `queryset` has, kept for cache_seconds() by its SQL: every page of a list shares one count (the
    count of all public pledges is most of a rendered page's time)."""
    seconds = cache_seconds()
    if not seconds:
        return queryset.count()
    sql, params = queryset.query.sql_with_params()
    key = "public-count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = queryset.count()
        cache.set(key, found, seconds)
    return found


def paginate(queryset, number, size=PAGE_SIZE):
    paginator = Paginator(queryset, size)
    paginator.count = counted(queryset)  # instead of the paginator's own count (a cached property)
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def list_rows(pledges) -> list[dict]:
    return [
        {
            "pledge": pledge,
            "badge": display.status_badge(pledge.target_status, pledge.get_target_status_display()),
            "reason": pledge.status_reason_text,
            "latest": display.amount(pledge.latest_value, pledge.unit),
            "ratio": display.percent(pledge.progress_ratio),
        }
        for pledge in pledges
    ]


LIST_COLUMNS = (
    "id", "metric", "kind", "comparator", "target", "low", "high", "tolerance", "unit", "cumulative", "baseline",
    "baseline_date", "start_date", "deadline", "cadence", "method", "target_status", "latest_value", "latest_as_of",
    "progress_ratio", "status_reason", "not_applicable", "not_applicable_reason", "suspended", "suspended_reason",
    "lead_organization__id", "lead_organization__name", "lead_organization__short_name",
)


@public_view
def pledge_list(request):
    filters = ListFilter(request.GET)
    rows = filters.apply(access.public_pledges(Pledge.objects.select_related("lead_organization").only(*LIST_COLUMNS)))
    shown = paginate(rows.order_by("deadline", "id"), request.GET.get("page"))
    params = filters.params() | {"lang": chosen_language(request) or ""}
    return page("public/pledge_list.html", {
        "page": shown,
        "rows": list_rows(shown.object_list),
        "filters": filters,
        "statuses": TargetStatus.choices,
        "organizations": organizations_to_pick(filters.organization),
        "categories": Category.objects.all(),
        "query": urlencode({key: value for key, value in params.items() if value}),
        "switch_url": public_url("public-pledges", **(params | {"lang": other_language()})),
    })


# The list's organization filter offers the upper levels of what is open (a city and its districts, not every
# department under them), at most PICKED_MOST names: a select of thousands cost more than the rest of the page. Any
# organization's own page lists its pledges.
PICKED_MOST = 200


def organizations_to_pick(chosen) -> list[tuple[int, str]]:
    rows = list(access.public_organizations().order_by("tree_path").values_list("id", "name", "tree_path"))
    top = min((path.count("/") for _id, _name, path in rows), default=0)
    for levels in (1, 0):
        picked = [(pk, name) for pk, name, path in rows if path.count("/") <= top + levels]
        if len(picked) <= PICKED_MOST:
            break
    picked = picked[:PICKED_MOST]
    if chosen is not None and chosen.pk not in {pk for pk, _name in picked}:
        picked.append((chosen.pk, chosen.name))
    return picked


def other_language() -> str:
    return "en" if translation.get_language() != "en" else settings.LANGUAGE_CODE


def get_public_pledge(pk: int) -> Pledge:
    """A public pledge, or 404: a private one is, to the public, not there."""
    return get_object_or_404(public_rows(Pledge.objects.all()), pk=pk)


@public_view
def pledge_detail(request, pk: int):
    pledge = get_public_pledge(pk)
    values = shown_values(approved_updates([pledge.pk]))
    today = timezone.localdate()
    changes = sorted(pledge.status_changes.all(), key=lambda c: (c.changed_at, c.pk), reverse=True)
    parts = list(access.public_pledges(pledge.parts.select_related("lead_organization")))
    language = chosen_language(request) or ""
    return page("public/pledge_detail.html", {
        "pledge": pledge,
        "badge": display.status_badge(pledge.target_status, pledge.get_target_status_display()),
        "latest": display.amount(pledge.latest_value, pledge.unit),
        "expected": display.amount(pledge.expected_now, pledge.unit),
        "baseline": display.amount(pledge.baseline, pledge.unit),
        "ratio": display.percent(pledge.progress_ratio),
        "values": [{"as_of": v.as_of, "value": display.update_value_text(v, pledge)} for v in values],
        "changes": [change_record(c, pledge) for c in changes],
        "chart": chart_for(pledge, values, today),
        "explanation": public_explanation(values),
        "parts": list_rows(parts),
        "public_parent": access.public_pledges().filter(pk=pledge.parent_id).first() if pledge.parent_id else None,
        "card_url": request.build_absolute_uri(public_url("public-card", pledge.pk, lang=language)),
        "page_url": request.build_absolute_uri(reverse("public-pledge", args=[pledge.pk])),
        "language_param": language,
        "switch_url": public_url("public-pledge", pledge.pk, lang=other_language()),
    })


@public_view
def organization_detail(request, pk: int):
    organization = get_object_or_404(access.public_organizations(), pk=pk)
    pledges = access.public_pledges(
        Pledge.objects.filter(lead_organization__tree_path__startswith=organization.tree_path)
    )
    counts = dict(pledges.order_by().values_list("target_status").annotate(n=Count("id")))
    shown = paginate(
        pledges.select_related("lead_organization").only(*LIST_COLUMNS).order_by("deadline", "id"), request.GET.get("page")
    )
    public_ids = set(access.public_organizations().values_list("id", flat=True))
    return page("public/organization_detail.html", {
        "organization": organization,
        "parent": organization.parent if organization.parent_id in public_ids else None,
        "children": [child for child in organization.children.all() if child.pk in public_ids],
        "counts": [(code, label, counts.get(code, 0)) for code, label in TargetStatus.choices],
        "page": shown,
        "rows": list_rows(shown.object_list),
        "query": urlencode({"lang": chosen_language(request)}) if chosen_language(request) else "",
        "switch_url": public_url("public-organization", organization.pk, lang=other_language()),
    })


# --- Embed: an SVG status card ---------------------------------------------------------------------------------------

CARD_COLOURS = {
    TargetStatus.ACHIEVED: ("#0b6b2e", "#e3f5e8"),
    TargetStatus.ON_TRACK: ("#1a5b8f", "#e4f0fa"),
    TargetStatus.AT_RISK: ("#7a4d00", "#fff1d6"),
    TargetStatus.OFF_TRACK: ("#9c2a00", "#ffe4d9"),
    TargetStatus.OVERDUE: ("#a3161a", "#fbe3e3"),
    TargetStatus.NO_DATA: ("#555555", "#f0f0f0"),
}
CARD_METRIC_LENGTH = 22


def shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


@public_view
def status_card(request, pk: int):
    """A 360×96 SVG card: the metric, the owner, the status with its symbol, the latest value against the target."""
    pledge = get_public_pledge(pk)
    colour, background = CARD_COLOURS.get(pledge.target_status, CARD_COLOURS[TargetStatus.NO_DATA])
    status = f"{display.STATUS_SYMBOLS.get(pledge.target_status, '?')} {pledge.get_target_status_display()}"
    figures = _("%(latest)s of %(target)s · %(ratio)s") % {
        "latest": display.amount(pledge.latest_value, pledge.unit),
        "target": pledge.target_text,
        "ratio": display.percent(pledge.progress_ratio),
    }
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="96" viewBox="0 0 360 96" role="img" '
        'aria-label="{label}"><title>{label}</title>'
        '<rect x="0.5" y="0.5" width="359" height="95" rx="6" fill="#fff" stroke="#c9d1d9"/>'
        '<rect x="0.5" y="0.5" width="8" height="95" rx="3" fill="{colour}"/>'
        '<g font-family="system-ui, \'PingFang SC\', \'Microsoft YaHei\', sans-serif">'
        '<text x="20" y="26" font-size="15" font-weight="600" fill="#1f2328">{metric}</text>'
        '<text x="20" y="46" font-size="12" fill="#57606a">{owner}</text>'
        '<rect x="18" y="56" width="{badge_width}" height="24" rx="4" fill="{background}" stroke="{colour}"/>'
        '<text x="26" y="73" font-size="13" font-weight="600" fill="{colour}">{status}</text>'
        '<text x="{figures_x}" y="73" font-size="12" fill="#1f2328">{figures}</text>'
        '</g></svg>',
        label=f"{pledge.metric}: {status}",
        colour=colour,
        background=background,
        metric=shorten(pledge.metric, CARD_METRIC_LENGTH),
        owner=shorten(pledge.lead_organization.name, 30),
        status=status,
        badge_width=16 + 14 * len(status),
        figures_x=44 + 14 * len(status),
        figures=shorten(figures, 34),
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # other sites embed it with <img>
    return response


# --- Downloads: the whole public set -----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id", "metric", "organization_id", "organization", "category", "kind", "comparator", "target", "low", "high", "unit",
    "baseline", "baseline_date", "start_date", "deadline", "cadence", "status", "status_label", "status_reason",
    "status_changed_at", "latest_value", "latest_as_of", "expected_now", "progress_ratio", "closed", "source_sentence",
    "source_document", "source_document_url", "page",
]


def csv_cells(record: dict) -> list:
    flat = dict(record)
    flat["organization_id"] = record["organization"]["id"]
    flat["organization"] = record["organization"]["name"]
    document = record["source_document"] or {}
    flat["source_document"] = document.get("title", "")
    flat["source_document_url"] = document.get("url") or ""
    cells = []
    for column in CSV_COLUMNS:
        value = flat.get(column)
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        cells.append(spreadsheet_safe("" if value is None else value))
    return cells


def _all_public_records(request):
    for pledge in public_rows().order_by("id").iterator(chunk_size=2000):
        yield pledge_record(pledge, request)


def write_csv(out, request) -> None:
    writer = csv.writer(out)
    out.write(with_byte_order_mark(""))
    writer.writerow(CSV_COLUMNS)
    for record in _all_public_records(request):
        writer.writerow(csv_cells(record))


def write_json(out, request) -> None:
    out.write('{"generated_at": %s, "pledges": [' % json.dumps(timezone.now().isoformat()))
    for position, record in enumerate(_all_public_records(request)):
        out.write(("," if position else "") + json.dumps(record, cls=DjangoJSONEncoder, ensure_ascii=False))
    out.write("]}")


DOWNLOADS = {
    "csv": (write_csv, "text/csv; charset=utf-8"),
    "json": (write_json, "application/json; charset=utf-8"),
}


def download(request, kind: str):
    """The whole public set as one file, written at most once per cache_seconds() and language into var/public/ and
    served from there: anyone may ask for it, and writing 100,000 pledges takes tens of seconds."""
    write, content_type = DOWNLOADS[kind]
    folder = Path(settings.VAR_DIR) / "public"
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"pledges-{translation.get_language()}.{kind}"
    seconds = cache_seconds()
    if seconds and kept.exists() and time.time() - kept.stat().st_mtime < seconds:
        handle = open(kept, "rb")
    else:
        descriptor, written = tempfile.mkstemp(dir=folder, prefix="writing-", suffix=f".{kind}")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
                write(out, request)
            handle = open(written, "rb")  # this request's own file, even if another replaces the kept one meanwhile
            os.replace(written, kept)
        except BaseException:
            Path(written).unlink(missing_ok=True)
            raise
    return FileResponse(handle, content_type=content_type, as_attachment=True, filename=f"public-pledges.{kind}")


@public_view
def download_csv(request):
    return download(request, "csv")


@public_view
def download_json(request):
    return download(request, "json")


# --- The Atom feed of status changes ---------------------------------------------------------------------------------

FEED_ITEMS = 50


class StatusChangeFeed(Feed):
    feed_type = Atom1Feed

    def title(self):
        return _("Pledge status changes")

    def subtitle(self):
        return _("Every change of status of the public pledges, latest first.")

    def link(self):
        return reverse("public-pledges")

    def items(self):
        changes = StatusChange.objects.filter(pledge__in=access.public_pledges()).select_related(
            "pledge__lead_organization"
        ).order_by("-changed_at", "-id")
        return list(changes[:FEED_ITEMS])

    def item_title(self, change):
        return _("%(metric)s (%(organization)s): %(status)s") % {
            "metric": change.pledge.metric,
            "organization": change.pledge.lead_organization.name,
            "status": TargetStatus(change.to_status).label,
        }

    def item_description(self, change):
        return change.pledge.explain(change.reason).text()

    def item_link(self, change):
        return reverse("public-pledge", args=[change.pledge_id]) + f"#change-{change.pk}"

    def item_guid(self, change):
        return f"status-change-{change.pk}"

    def item_pubdate(self, change):
        return change.changed_at

    def item_updateddate(self, change):
        return change.changed_at


status_change_feed = public_view(StatusChangeFeed())


def not_found_unless_public(pledge_id: int) -> Pledge:
    pledge = public_rows().filter(pk=pledge_id).first()
    if pledge is None:
        raise Http404
    return pledge
