"""Every write that changes a pledge's status goes through here: the admin, imports, commands and jobs share these.

Each action is one transaction; callers that already hold one (the admin's change view, an import) compose into it.
Progress has one way in, `do_record_updates` (or `do_record_progress` for a single update): every entry point (the
admin's inline and quick entry, the update import, commands) hands it new, unsaved updates; it decides who reported them
and whether they wait for approval, validates and saves them, and re-assesses each pledge they touch once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, counts, jobs, rollup, tasks
from . import status as engine
from .models import ASSESSED_FIELDS, Pledge, PledgeDraft, ProgressUpdate, StatusChange, rules_from_settings


def assess_pledge(pledge: Pledge, *, today: date | None = None, updates=None) -> engine.Assessment:
    """Run the status engine on a pledge and its updates (pass `updates` to reuse rows already loaded).

    A pledge judged from its parts (a `sum` or an `each` that has parts) is judged from them instead, and its
    `parts_series` is set to the sum of its parts (None for any other pledge).
    """
    today = today or timezone.localdate()
    if pledge.composition != engine.Composition.OWN:
        parts = rollup.load_parts([pledge], today).get(pledge.pk)
        if parts:
            assessment, pledge.parts_series = rollup.assess_from_parts(pledge, parts, today, rules_from_settings())
            return assessment
    pledge.parts_series = None
    if updates is None:
        updates = pledge.updates.all()
    readings = ProgressUpdate.readings_that_count(updates)
    return engine.assess(pledge.terms(), readings, today, rules_from_settings())


@transaction.atomic
def do_recompute_status(pledge: Pledge, *, today: date | None = None, trigger: str = "") -> StatusChange | None:
    """Re-assess one pledge and store the result (a StatusChange when its status changes), then the pledges it is a
    part of, up to the top: see `_recompute`."""
    return _recompute({pledge.pk: trigger}, today or timezone.localdate(), copy_to={pledge.pk: pledge}).get(pledge.pk)


@transaction.atomic
def do_recompute_statuses(pledges: Iterable[Pledge], *, trigger: str = "") -> dict[int, StatusChange]:
    """Re-assess several pledges (the parts saved in one form, the rows of one import) and the pledges above them,
    each once: a parent of five new parts is re-assessed once, not five times."""
    return _recompute({pledge.pk: trigger for pledge in pledges}, timezone.localdate())


def _recompute(triggers: dict[int, str], today: date, copy_to: dict[int, Pledge] | None = None) -> dict[int, StatusChange]:
    """Re-assess the pledges in `triggers` ({id: why}) and every pledge they are parts of, each once, the deepest
    first, so a parent reads its parts' new values (the roll-up).

    Each row is locked before it is read, so two concurrent updates cannot both read the old status and both record the
    same change; the order (deepest first, then by id) is the same in every transaction, so they wait, never deadlock.
    Returns the status changes recorded, by pledge id.
    """
    paths = dict(Pledge.objects.filter(pk__in=list(triggers)).values_list("pk", "tree_path"))
    depth = {}
    for pledge_id, path in paths.items():
        ids = [int(part) for part in path.strip("/").split("/") if part] or [pledge_id]
        for level, node_id in enumerate(ids):
            depth[node_id] = level
    changes, moves = {}, counts.Tally()  # moves between the kept status counts' keys, applied once in key order
    for pledge_id in sorted(depth, key=lambda node_id: (-depth[node_id], node_id)):
        trigger = triggers.get(pledge_id, "parts")
        locked = Pledge.objects.select_for_update().filter(pk=pledge_id).first()
        if locked is None:
            continue  # deleted meanwhile
        before = counts.key_of(locked)
        change = locked.apply_assessment(assess_pledge(locked, today=today), today=today, trigger=trigger)
        # A plain UPDATE: status columns are engine output, kept out of the pledge's audit history
        # (their changes are the StatusChange rows).
        Pledge.objects.filter(pk=locked.pk).update(**locked.assessed_values())
        moves.move(before, counts.key_of(locked))
        if change is not None:
            change.save()
            changes[pledge_id] = change
            if change.from_status:  # a first assessment is nobody's news
                transaction.on_commit(lambda: tasks.enqueue_safely(tasks.queue_status_alerts))
        if copy_to and pledge_id in copy_to:
            for field in ASSESSED_FIELDS:
                setattr(copy_to[pledge_id], field, getattr(locked, field))
    moves.apply()
    return changes


@transaction.atomic
def do_record_updates(updates: Iterable[ProgressUpdate], *, acting_user) -> list[ProgressUpdate]:
    """Append new progress updates (each validated) and re-assess every pledge they touch, once, in one transaction,
    with the pledges those are parts of.

    The one way progress is recorded. Several updates of one pledge (an import, a formset) give one re-assessment, so
    the status history and the alerts see where the pledge ends up, not each step on the way; updates of several parts
    of one pledge re-assess that pledge once.
    """
    saved = []
    for update in updates:
        if update.pk is not None:
            raise ValueError("do_record_updates appends new updates; an update is never changed")
        _prepare_new_update(update, acting_user)
        update.full_clean()
        update.save()
        saved.append(update)
    triggers, pledges = {}, {}
    for update in saved:
        triggers[update.pledge_id] = f"update:{update.pk}"  # the last update of each pledge names the trigger
        pledges[update.pledge_id] = update.pledge
    if triggers:
        _recompute(triggers, timezone.localdate(), copy_to=pledges)
    return saved


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
    """Append one progress update and recompute the pledge's status (see do_record_updates)."""
    update = ProgressUpdate(
        pledge=pledge, value=value, done=done, as_of=as_of, note=note, evidence_url=evidence_url, supersedes=supersedes
    )
    if evidence_file is not None:
        update.evidence_file = evidence_file
    return do_record_updates([update], acting_user=acting_user)[0]


def _prepare_new_update(update: ProgressUpdate, acting_user) -> None:
    """Who reported it, and whether it must wait for a reviewer (approval switched on for its organization)."""
    update.reporter = acting_user if acting_user is not None and acting_user.is_authenticated else None
    update._history_user = update.reporter  # who, for the audit trail, outside a web request too
    update.review_state = (
        ProgressUpdate.Review.PENDING if access.needs_approval(update.pledge) else ProgressUpdate.Review.APPROVED
    )


class NotAllowed(Exception):
    pass


@transaction.atomic
def do_review_update(update: ProgressUpdate, *, acting_user, approve: bool, comment: str = "") -> ProgressUpdate:
    """Approve an update (it then counts) or return it to its reporter with a comment.

    A returned correction lets go of the update it meant to correct, so that one counts again and can be corrected anew.
    """
    if not access.can_review(acting_user, update):
        raise NotAllowed(_("Only a reviewer of this pledge who did not report the update may review it."))
    if update.review_state != ProgressUpdate.Review.PENDING:
        return update  # already decided: nothing to do, nothing to announce
    update.review_state = ProgressUpdate.Review.APPROVED if approve else ProgressUpdate.Review.RETURNED
    update.reviewed_by = acting_user
    update.reviewed_at = timezone.now()
    update.review_comment = comment
    update._history_user = acting_user
    fields = list(ProgressUpdate.REVIEW_FIELDS)
    if not approve and update.supersedes_id is not None:
        update.supersedes = None
        fields.append("supersedes")
    update.save(update_fields=fields)
    if approve:
        do_recompute_status(update.pledge, trigger=f"approved:{update.pk}")
    elif update.reporter and update.reporter.email:
        jobs.queue_update_returned(update)
        transaction.on_commit(lambda: tasks.enqueue_safely(tasks.dispatch_notifications))
    return update


# --- Drafts from documents ------------------------------------------------------------------------------
# The extractor runs as a Celery job (documents.extract_drafts), not in the request: a large document takes a while.


def do_queue_extraction(document) -> None:
    """Mark a document's extraction queued and hand it to the worker once this transaction commits.

    With the broker down the document stays queued; "extract again" in the admin or
    `manage.py extract_pledges --queued` runs it later.
    """
    document.extraction_state = document.Extraction.QUEUED
    document.extraction_message = ""
    document.extraction_finished_at = None
    document.save(update_fields=["extraction_state", "extraction_message", "extraction_finished_at"])
    document_id = document.pk
    transaction.on_commit(lambda: tasks.enqueue_safely(tasks.extract_drafts, document_id))


COUNT_UNITS = {"个", "家", "项", "名", "件", "人", "户", "座", "所", "条", "次"}


@transaction.atomic
def do_accept_draft(draft, *, acting_user) -> Pledge:
    """Turn a reviewed draft into a tracked pledge linked to its document and sentence (once)."""
    if draft.pledge_id:
        return draft.pledge
    if draft.organization_id is None:
        raise ValidationError({"organization": _("choose the lead organization before accepting")})
    if draft.deadline is None:
        raise ValidationError({"deadline": _("enter the deadline before accepting")})
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
