"""Every write that changes a pledge's status goes through here: the admin, commands and jobs share these.

Each action is one transaction; callers that already hold one (the admin's change view) compose into it.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from . import status as engine
from .models import Pledge, ProgressUpdate, StatusChange, rules_from_settings

# The Pledge columns that mirror an Assessment.
ASSESSED_FIELDS = [
    "target_status",
    "reporting_status",
    "expected_now",
    "progress_ratio",
    "latest_value",
    "latest_as_of",
    "next_report_due",
    "status_reason",
    "status_changed_at",
    "status_assessed_on",
    "line_start",
    "line_start_value",
    "line_end_value",
]


def assess_pledge(pledge: Pledge, *, today: date | None = None, updates=None) -> engine.Assessment:
    """Run the status engine on a pledge and its updates (pass `updates` to reuse rows already loaded)."""
    if updates is None:
        updates = pledge.updates.all()
    # Only approved updates count; pending and returned ones wait for a reviewer.
    readings = [update.reading() for update in updates if update.review_state == ProgressUpdate.Review.APPROVED]
    return engine.assess(pledge.terms(), readings, today or timezone.localdate(), rules_from_settings())


def apply_assessment(pledge: Pledge, assessment: engine.Assessment, *, today: date, trigger: str) -> StatusChange | None:
    """Copy an assessment onto the pledge (unsaved) and return the StatusChange to record, if the status moved."""
    change = None
    if pledge.target_status != assessment.target_status or pledge.status_assessed_on is None:
        change = StatusChange(
            pledge=pledge,
            from_status=pledge.target_status if pledge.status_assessed_on else "",
            to_status=assessment.target_status,
            assessed_on=today,
            reason=assessment.reason.as_json(),
            trigger=trigger[:100],
        )
        pledge.status_changed_at = timezone.now()
    pledge.target_status = assessment.target_status
    pledge.reporting_status = assessment.reporting_status
    pledge.expected_now = assessment.expected_now
    pledge.progress_ratio = assessment.progress_ratio
    pledge.latest_value = assessment.latest_value
    pledge.latest_as_of = assessment.latest_as_of
    pledge.next_report_due = assessment.next_report_due
    pledge.status_reason = assessment.reason.as_json()
    pledge.status_assessed_on = today
    # The line ends at the deadline, which the pledge itself holds.
    pledge.line_start, pledge.line_start_value, _, pledge.line_end_value = assessment.line or (None, None, None, None)
    return change


@transaction.atomic
def do_recompute_status(pledge: Pledge, *, today: date | None = None, trigger: str = "") -> StatusChange | None:
    """Re-assess one pledge and store the result; write a StatusChange when its status changes.

    The pledge row is locked first so that two concurrent updates cannot both read the old status
    and both record the same change.
    """
    today = today or timezone.localdate()
    locked = Pledge.objects.select_for_update().get(pk=pledge.pk)
    change = apply_assessment(locked, assess_pledge(locked, today=today), today=today, trigger=trigger)
    # A plain UPDATE: status columns are engine output, kept out of the pledge's audit history
    # (their changes are the StatusChange rows).
    Pledge.objects.filter(pk=locked.pk).update(**{field: getattr(locked, field) for field in ASSESSED_FIELDS})
    if change is not None:
        change.save()
        if change.from_status:  # a first assessment is nobody's news
            transaction.on_commit(_queue_status_alerts)
    for field in ASSESSED_FIELDS:
        setattr(pledge, field, getattr(locked, field))
    return change


def _queue_status_alerts():
    from .tasks import enqueue_safely, queue_status_alerts

    enqueue_safely(queue_status_alerts)


@transaction.atomic
def do_record_progress(
    pledge: Pledge,
    *,
    acting_user,
    as_of: date,
    value=None,
    done: bool | None = None,
    note: str = "",
    evidence_url: str = "",
    evidence_file=None,
    supersedes: ProgressUpdate | None = None,
) -> ProgressUpdate:
    """Append a progress update (validated) and recompute the pledge's status in the same transaction."""
    update = ProgressUpdate(
        pledge=pledge,
        value=value,
        done=done,
        as_of=as_of,
        note=note,
        evidence_url=evidence_url,
        supersedes=supersedes,
    )
    prepare_new_update(update, acting_user)
    if evidence_file is not None:
        update.evidence_file = evidence_file
    update.full_clean()
    update.save()
    do_recompute_status(pledge, trigger=f"update:{update.pk}")
    return update


def prepare_new_update(update: ProgressUpdate, acting_user) -> None:
    """Who reported it, and whether it must wait for a reviewer (approval switched on for its organization)."""
    from .access import needs_approval

    update.reporter = acting_user if acting_user is not None and acting_user.is_authenticated else None
    update._history_user = update.reporter  # who, for the audit trail, outside a web request too
    update.review_state = (
        ProgressUpdate.Review.PENDING if needs_approval(update.pledge) else ProgressUpdate.Review.APPROVED
    )


class NotAllowed(Exception):
    pass


@transaction.atomic
def do_review_update(update: ProgressUpdate, *, acting_user, approve: bool, comment: str = "") -> ProgressUpdate:
    """Approve an update (it then counts) or return it to its reporter with a comment."""
    from .access import can_review

    if not can_review(acting_user, update):
        raise NotAllowed("only a reviewer of this pledge who did not report the update may review it")
    if update.review_state != ProgressUpdate.Review.PENDING:
        return update  # already decided: nothing to do, nothing to announce
    update.review_state = ProgressUpdate.Review.APPROVED if approve else ProgressUpdate.Review.RETURNED
    update.reviewed_by = acting_user
    update.reviewed_at = timezone.now()
    update.review_comment = comment
    update._history_user = acting_user
    update.save(update_fields=ProgressUpdate.REVIEW_FIELDS)
    if approve:
        do_recompute_status(update.pledge, trigger=f"approved:{update.pk}")
    elif update.reporter and update.reporter.email:
        from .jobs import queue_update_returned

        queue_update_returned(update)
        transaction.on_commit(_dispatch_notifications)
    return update


def _dispatch_notifications():
    from .tasks import dispatch_notifications, enqueue_safely

    enqueue_safely(dispatch_notifications)


# --- Drafts from documents ------------------------------------------------------------------------------


def match_organization(owner: str | None):
    """The organization a document names as owner: exact name, then short name, then a unique partial match."""
    from .models import Organization

    if not owner:
        return None
    for lookup in ({"name": owner}, {"short_name": owner}):
        found = Organization.objects.filter(**lookup).first()
        if found:
            return found
    candidates = list(Organization.objects.filter(name__contains=owner)[:2])
    return candidates[0] if len(candidates) == 1 else None


@transaction.atomic
def do_extract_drafts(document, *, year: int | None = None) -> int:
    """Run the extractor on a document and store what it finds as drafts; returns how many are new."""
    from .extraction import extract
    from .models import PledgeDraft

    year = year or (document.issued_on.year if document.issued_on else timezone.localdate().year)
    before = document.drafts.count()
    drafts = [
        PledgeDraft(
            document=document, sentence=found.sentence, position=found.start, metric=found.metric[:200],
            kind=found.kind, comparator=found.comparator, value=found.value, low=found.low, high=found.high,
            unit=found.unit[:20], deadline=found.deadline, owner_text=(found.owner or "")[:100],
            organization=match_organization(found.owner),
        )
        for found in extract(document.full_text, year)
    ]
    PledgeDraft.objects.bulk_create(drafts, ignore_conflicts=True)
    return document.drafts.count() - before


COUNT_UNITS = {"个", "家", "项", "名", "件", "人", "户", "座", "所", "条", "次"}


@transaction.atomic
def do_accept_draft(draft, *, acting_user) -> Pledge:
    """Turn a reviewed draft into a tracked pledge linked to its document and sentence (once)."""
    from django.core.exceptions import ValidationError

    from .models import PledgeDraft

    if draft.pledge_id:
        return draft.pledge
    if draft.organization_id is None:
        raise ValidationError({"organization": "choose the lead organization before accepting"})
    if draft.deadline is None:
        raise ValidationError({"deadline": "enter the deadline before accepting"})
    document = draft.document
    start = document.issued_on or draft.deadline.replace(month=1, day=1)
    pledge = Pledge(
        metric=draft.metric, kind=draft.kind, comparator=draft.comparator,
        target=draft.value if draft.comparator != "range" else None, low=draft.low, high=draft.high,
        unit=draft.unit,
        # Counts of new things ("新增…50家") accumulate over the period; levels, shares and rates do not.
        cumulative=draft.kind == "level" and draft.unit in COUNT_UNITS,
        start_date=min(start, draft.deadline), deadline=draft.deadline,
        lead_organization=draft.organization, source_document=document, source_sentence=draft.sentence,
    )
    pledge.full_clean()
    pledge._history_user = acting_user
    pledge.save()
    do_recompute_status(pledge, trigger="accepted draft")
    draft.pledge = pledge
    draft.state = PledgeDraft.State.ACCEPTED
    draft.save(update_fields=["pledge", "state"])
    return pledge
