"""Every write that changes a pledge's status goes through here: the admin, imports, commands and jobs share these.

Each action is one transaction; callers that already hold one (the admin's change view, an import) compose into it.
Progress has one way in, `do_record_updates` (or `do_record_progress` for a single update): every entry point (the
admin's inline and quick entry, the update import, commands) hands it new, unsaved updates; it decides who reported them
and whether they wait for approval, validates and saves them, and re-assesses each pledge they touch once. What a
pledge promises changes once a revision request is approved (`do_request_revision`, `do_review_revision`).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import access, checkpoints, counts, jobs, measures, rollup, tasks
from . import status as engine
from .forms import errors_from_parts
from .models import (
    ASSESSED_FIELDS,
    Checkpoint,
    Instruction,
    Pledge,
    PledgeDraft,
    ProgressUpdate,
    Revision,
    StatusChange,
    rules_from_settings,
)


def assess_pledge(pledge: Pledge, *, today: date | None = None, updates=None) -> engine.Assessment:
    """Run the status engine on a pledge and its updates (pass `updates` to reuse rows already loaded).

    A pledge judged from its parts (a `sum` or an `each` that has parts) is judged from them instead, and its
    `parts_series` is set to the sum of its parts (None for any other pledge).
    """
    today = today or timezone.localdate()
    parts = _parts_it_is_judged_from(pledge, today)
    if parts:
        assessment, pledge.parts_series = rollup.assess_from_parts(pledge, parts, today, rules_from_settings())
        return assessment
    pledge.parts_series = None
    if updates is None:
        updates = pledge.updates.all()
    readings = ProgressUpdate.readings_that_count(updates)
    return engine.assess(pledge.terms(), readings, today, rules_from_settings())


def _parts_it_is_judged_from(pledge: Pledge, today: date) -> list:
    """The parts of a `sum` or an `each` that has parts (its status comes from them); empty for any other pledge."""
    if pledge.composition == engine.Composition.OWN:
        return []
    return rollup.load_parts([pledge], today).get(pledge.pk, [])


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
    updates = list(updates)
    if any(update.pk is not None for update in updates):
        raise ValueError("do_record_updates appends new updates; an update is never changed")
    for errors in cause_and_measures_errors(updates):
        if errors:
            raise ValidationError(errors)
    saved = []
    for update in updates:
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


def status_after(update: ProgressUpdate, earlier: Iterable[ProgressUpdate] = ()) -> str:
    """The status the update's pledge would have once it is recorded, with `earlier` (new updates of the same batch
    recorded before it) — judged as if they were approved, so an update that waits for a reviewer is judged now."""
    pledge = update.pledge
    if _parts_it_is_judged_from(pledge, timezone.localdate()):
        return pledge.target_status  # judged from its parts: its own updates do not move it
    now = timezone.now()
    new = [*(u for u in earlier if u.pledge_id == update.pledge_id), update]
    readings = ProgressUpdate.readings_that_count(pledge.updates.all())
    for position, unsaved in enumerate(new, start=1):
        # Unsaved: no id nor time yet; they come after every stored update, in the batch's order.
        readings.append(unsaved.reading()._replace(id=-position, recorded_at=now))
    return engine.assess(pledge.terms(), readings, timezone.localdate(), rules_from_settings()).target_status


def missing_cause_and_measures(update: ProgressUpdate, earlier: Iterable[ProgressUpdate] = ()) -> dict[str, list[str]]:
    """An update that leaves its pledge at risk, off track or overdue gives the cause of the delay (问题原因), the
    corrective measures (整改措施) and the date it expects the pledge back on track (after its period end). The
    errors by field; empty when nothing is missing or the update leaves the pledge on track."""
    if update.pledge_id is None or update.as_of is None or (update.value is None and update.done is None):
        return {}  # the update's own checks say what is wrong with it first
    status = status_after(update, earlier)
    if status not in measures.BEHIND:
        return {}
    leaves = {"status": engine.TargetStatus(status).label}
    errors = {}
    if not (update.cause or "").strip():
        errors["cause"] = [_("Give the cause of the delay: this update leaves the pledge %(status)s.") % leaves]
    if not (update.measures or "").strip():
        errors["measures"] = [_("Give the corrective measures: this update leaves the pledge %(status)s.") % leaves]
    if update.back_on_track_by is None:
        errors["back_on_track_by"] = [
            _("Give the date by which the pledge will be back on track: this update leaves the pledge %(status)s.")
            % leaves
        ]
    elif update.back_on_track_by <= update.as_of:
        errors["back_on_track_by"] = [_("The date back on track must come after the period end.")]
    return errors


def cause_and_measures_errors(updates: list[ProgressUpdate]) -> list[dict[str, list[str]]]:
    """`missing_cause_and_measures` for each of a batch of new updates, each judged after the ones before it."""
    return [missing_cause_and_measures(update, updates[:position]) for position, update in enumerate(updates)]


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
    cause: str = "",
    measures: str = "",
    back_on_track_by: date | None = None,
) -> ProgressUpdate:
    """Append one progress update and recompute the pledge's status (see do_record_updates; an update that leaves the
    pledge behind needs `cause`, `measures` and `back_on_track_by`)."""
    update = ProgressUpdate(
        pledge=pledge, value=value, done=done, as_of=as_of, note=note, evidence_url=evidence_url, supersedes=supersedes,
        cause=cause, measures=measures, back_on_track_by=back_on_track_by,
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


# --- Revisions: changing what a pledge promises, or setting it aside, with approval ----------------------------


@transaction.atomic
def do_request_revision(revision: Revision, *, acting_user) -> Revision:
    """Store a new, unsaved revision request (a change of terms, a suspension, a resumption, not applicable, closing
    with final evidence) made by `acting_user`; nothing changes until a reviewer approves it (do_review_revision).

    Reopening a closed pledge is an administrator's alone and needs no second person: the request is approved as it
    is made (the row keeps who reopened it and why) and the pledge is re-assessed.

    Raises NotAllowed for a user who may not report on the pledge (or, to reopen, who is not an administrator), and
    ValidationError, by the revision's fields, for a request that could not apply (check_revision), a request to
    close without evidence, or while another request for the pledge awaits approval.
    """
    if revision.pk is not None:
        raise ValueError("do_request_revision stores a new request")
    pledge = Pledge.objects.select_for_update().get(pk=revision.pledge_id)
    reopening = revision.kind == Revision.Change.REOPEN
    if reopening and not access.can_reopen(acting_user, pledge):
        raise NotAllowed(_("Only an administrator may reopen a closed pledge."))
    if not reopening and not access.can_request_revision(acting_user, pledge):
        raise NotAllowed(_("Only those who report on this pledge may ask to revise it."))
    if revision.kind != Revision.Change.TERMS:  # values typed beside a suspension are not part of it
        revision.proposed_target = revision.proposed_low = revision.proposed_high = revision.proposed_deadline = None
        revision.proposed_schedule = None
    if revision.kind != Revision.Change.CLOSE:  # evidence belongs to a request to close
        revision.evidence_url, revision.evidence_file = "", ""
    check_revision(revision, pledge)
    revision.pledge = pledge
    revision.requested_by = acting_user
    revision.state = Revision.State.PENDING
    revision.keep_previous(pledge, current_schedule(pledge))
    if reopening:
        revision.state = Revision.State.APPROVED
        revision.reviewed_by, revision.reviewed_at = acting_user, timezone.now()
    revision.full_clean()  # also: no other request pending (the model's constraint, in words)
    revision._history_user = acting_user
    revision.save()
    if reopening:
        _revise(pledge, revision, acting_user)
        do_recompute_status(pledge, trigger=f"revision:{revision.pk}")
    return revision


@transaction.atomic
def do_review_revision(revision: Revision, *, acting_user, approve: bool, comment: str = "") -> Revision:
    """Approve a revision request, or reject it with a comment; a request already decided is left as it is.

    Approving, in this transaction:
    1. checks the request again on the pledge as it now stands (check_revision; ValidationError by field);
    2. notes the terms in force before, and keeps what was first promised on the pledge (original_*) at its first
       revised terms;
    3. changes the pledge (its audit history records who approved and why) and, for a new schedule, its checkpoints;
    4. re-assesses the pledge on its new terms, and the pledges it is a part of (do_recompute_status).
    """
    if not access.can_review_revision(acting_user, revision):
        raise NotAllowed(_("Only a reviewer of this pledge who did not make the request may decide on it."))
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.state != Revision.State.PENDING:
        return revision
    if not approve and not comment.strip():
        raise ValidationError({"review_comment": _("Say why the request is rejected.")})
    pledge = Pledge.objects.select_for_update().get(pk=revision.pledge_id)
    revision.reviewed_by = acting_user
    revision.reviewed_at = timezone.now()  # before _revise: closing records who confirmed it and when
    if approve:
        check_revision(revision, pledge)
        revision.keep_previous(pledge, current_schedule(pledge))
        _revise(pledge, revision, acting_user)
    revision.state = Revision.State.APPROVED if approve else Revision.State.REJECTED
    revision.review_comment = comment
    revision._history_user = acting_user
    revision.save()
    if approve:
        do_recompute_status(pledge, trigger=f"revision:{revision.pk}")
    return revision


def _revise(pledge: Pledge, revision: Revision, acting_user) -> None:
    """Steps 2 and 3 of do_review_revision: the pledge (locked) takes the approved terms or standing."""
    changed = revision.apply_to(pledge)
    if revision.kind == Revision.Change.TERMS and not pledge.revised:
        pledge.original_target, pledge.original_low = revision.previous_target, revision.previous_low
        pledge.original_high, pledge.original_deadline = revision.previous_high, revision.previous_deadline
        changed += ["original_target", "original_low", "original_high", "original_deadline"]
    pledge._history_user = acting_user
    pledge._change_reason = f"{revision.get_kind_display()}: {revision.reason}"[:100]  # the history's column holds 100
    pledge.save(update_fields=changed)
    schedule = revision.proposed_checkpoints()
    if schedule is not None:
        # Row by row rather than in bulk, so that the checkpoints' audit history records each with who approved it.
        for checkpoint in pledge.checkpoints.all():
            checkpoint._history_user = acting_user
            checkpoint.delete()
        for as_of, planned_value in schedule:
            checkpoint = Checkpoint(pledge=pledge, as_of=as_of, planned_value=planned_value)
            checkpoint._history_user = acting_user
            checkpoint.save()


def current_schedule(pledge: Pledge) -> list:
    """The pledge's checkpoints as stored, (date, planned value) in date order."""
    return list(pledge.checkpoints.order_by("as_of").values_list("as_of", "planned_value"))


def check_revision(revision: Revision, pledge: Pledge) -> None:
    """Whether `revision` can apply to `pledge` as it now stands; if not, ValidationError by the revision's fields.

    A change of terms must change something, name only terms the pledge has, and leave a valid pledge: the model's
    own rules run on the proposed terms (among them a part's deadline within its parent's) and so do the rules of its
    parts (a parent's deadline not before theirs), each message on the field that proposes the term. A pledge is
    suspended or marked not applicable once, and resumed only when set aside. Only an achieved pledge is closed; a
    closed pledge takes no request but reopening, and only a closed one is reopened.
    """
    Change = Revision.Change
    errors = defaultdict(list)
    if not revision.reason.strip():
        errors["reason"].append(_("Say why."))
    if revision.kind == Change.REOPEN:
        if not pledge.closed:
            errors[NON_FIELD_ERRORS].append(_("This pledge is not closed."))
    elif pledge.closed:
        errors[NON_FIELD_ERRORS].append(_("This pledge is closed (办结 / 销号): an administrator may reopen it."))
    elif revision.kind == Change.TERMS:
        for name, messages in _terms_errors(revision, pledge).items():
            errors[name] += messages
    elif revision.kind == Change.RESUME and not pledge.set_aside:
        errors[NON_FIELD_ERRORS].append(_("This pledge is neither suspended nor marked not applicable."))
    elif revision.kind != Change.RESUME and pledge.set_aside:
        errors[NON_FIELD_ERRORS].append(_("This pledge is already set aside: %(why)s") % {"why": pledge.set_aside_text})
    elif revision.kind == Change.CLOSE and pledge.target_status != engine.TargetStatus.ACHIEVED:
        errors[NON_FIELD_ERRORS].append(_("Only an achieved pledge may be closed."))
    if errors:
        raise ValidationError(dict(errors))


def _terms_errors(revision: Revision, pledge: Pledge) -> dict[str, list[str]]:
    errors = defaultdict(list)
    proposed = copy.copy(pledge)  # the pledge on the proposed terms, never saved
    changed = revision.apply_to(proposed)
    for name in set(changed) - _terms_of(pledge):
        errors[Revision.TERMS[name]].append(
            _("The target of this pledge (%(target)s) has no such value.") % {"target": pledge.target_text}
        )
    changes = any(getattr(proposed, name) != getattr(pledge, name) for name in changed)
    schedule = revision.proposed_checkpoints()
    if schedule is not None:
        changes = changes or schedule != current_schedule(pledge)
        errors["proposed_schedule"] += _schedule_errors(schedule, proposed)
    if not changes:
        errors[NON_FIELD_ERRORS].append(_("Propose a new target, range, deadline or schedule: nothing would change."))
    by_field = {}
    try:
        proposed.clean()
    except ValidationError as error:
        by_field = error.message_dict
    for name, message in errors_from_parts(proposed).items():
        by_field.setdefault(name, []).append(message)
    for name, messages in by_field.items():
        if name in Revision.TERMS:
            errors[Revision.TERMS[name]] += messages
        else:  # a rule about another field, that the new terms break: named in words
            label = capfirst(Pledge._meta.get_field(name).verbose_name) if name != NON_FIELD_ERRORS else None
            errors[NON_FIELD_ERRORS] += [f"{label}: {message}" if label else message for message in messages]
    return {name: messages for name, messages in errors.items() if messages}


def _terms_of(pledge: Pledge) -> set[str]:
    """The terms a change may propose for this pledge: its deadline, and the target or a range's ends."""
    if pledge.kind == engine.Kind.MILESTONE:
        return {"deadline"}
    if pledge.comparator == engine.Comparator.RANGE:
        return {"low", "high", "deadline"}
    return {"target", "deadline"}


def _schedule_errors(schedule: list, pledge: Pledge) -> list[str]:
    """A new schedule is for a pledge planned by one, has a checkpoint, and lies within the pledge's period."""
    if pledge.method_in_force != engine.Method.SCHEDULE:
        return [_("This pledge is not planned by a schedule (its method: %(method)s).") % {
            "method": engine.Method(pledge.method_in_force).label}]
    if not schedule:
        return [_("A schedule needs at least one checkpoint.")]
    days = [day for day, _value in schedule]
    problems = [checkpoints.date_problem(day, pledge.start_date, pledge.deadline) for day in days]
    problems += [checkpoints.repeated_date_problem(day) for day in sorted(set(days)) if days.count(day) > 1]
    return [problem for problem in problems if problem]


# --- Instructions (批示): written by a pledge's manager or administrator, answered by the addressee's reporters -----


@transaction.atomic
def do_write_instruction(pledge: Pledge, *, acting_user, text: str, due: date, addressee=None) -> Instruction:
    """Write an instruction on `pledge`, addressed to `addressee` (the lead organization when None), to be answered by
    `due`; its addressee hears of it at once (the outbox).

    Raises NotAllowed for a user who may not instruct on the pledge (access.can_instruct), ValidationError by field
    for what check_instruction refuses.
    """
    if not access.can_instruct(acting_user, pledge):
        raise NotAllowed(_("Only a manager or administrator of this pledge may write an instruction on it."))
    pledge = Pledge.objects.select_related("lead_organization").get(pk=pledge.pk)
    addressee = addressee or pledge.lead_organization
    check_instruction(pledge, text=text, due=due, addressee=addressee)
    instruction = Instruction(pledge=pledge, addressee=addressee, text=text.strip(), due=due, written_by=acting_user)
    instruction._history_user = acting_user
    instruction.save()
    jobs.queue_instruction(instruction)
    transaction.on_commit(lambda: tasks.enqueue_safely(tasks.dispatch_notifications))
    return instruction


def check_instruction(pledge: Pledge, *, text: str, due: date | None, addressee) -> None:
    """Whether an instruction can be written; if not, ValidationError by field: something to say, a due date from
    today on, an addressee among the pledge's owners (its lead organization or a co-owner), a pledge not closed."""
    errors = defaultdict(list)
    if not (text or "").strip():
        errors["text"].append(_("Write the instruction."))
    if due is None:
        errors["due"].append(_("Give the date the answer is due by."))
    elif due < timezone.localdate():
        errors["due"].append(_("The answer cannot be due before today."))
    if addressee is not None and addressee.pk != pledge.lead_organization_id and not pledge.co_owners.filter(
        pk=addressee.pk
    ).exists():
        errors["addressee"].append(_("Address the instruction to the pledge's lead organization or a co-owner."))
    if pledge.closed:
        errors[NON_FIELD_ERRORS].append(_("This pledge is closed (办结 / 销号): it takes no instruction."))
    if errors:
        raise ValidationError(dict(errors))


def check_answer(instruction: Instruction, *, answer: str) -> None:
    """An answer says what was done, to an instruction still open; ValidationError by field otherwise."""
    errors = defaultdict(list)
    if not (answer or "").strip():
        errors["answer"].append(_("Say what was done (落实情况)."))
    if instruction.state != Instruction.State.OPEN:
        errors[NON_FIELD_ERRORS].append(_("This instruction is not open: it was answered already."))
    if errors:
        raise ValidationError(dict(errors))


@transaction.atomic
def do_answer_instruction(instruction: Instruction, *, acting_user, answer: str, evidence_url: str = "") -> Instruction:
    """Answer an open instruction (落实情况): it becomes answered, and its writer hears of it."""
    if not access.can_answer_instruction(acting_user, instruction):
        raise NotAllowed(_("Only a reporter of the organization it is addressed to may answer this instruction."))
    instruction = Instruction.objects.select_for_update(of=("self",)).select_related("pledge", "written_by").get(pk=instruction.pk)
    check_answer(instruction, answer=answer)
    instruction.answer = answer.strip()
    instruction.answer_evidence_url = evidence_url.strip()
    instruction.answered_by, instruction.answered_at = acting_user, timezone.now()
    instruction.state = Instruction.State.ANSWERED
    instruction._history_user = acting_user
    instruction.save()
    jobs.queue_instruction_answered(instruction)
    transaction.on_commit(lambda: tasks.enqueue_safely(tasks.dispatch_notifications))
    return instruction


def _check_answered(instruction: Instruction) -> None:
    if instruction.state != Instruction.State.ANSWERED:
        raise ValidationError({NON_FIELD_ERRORS: [_("Only an answered instruction may be closed or returned.")]})


@transaction.atomic
def do_close_instruction(instruction: Instruction, *, acting_user) -> Instruction:
    """The writer (or an administrator) accepts the answer: the instruction is closed."""
    if not access.can_close_instruction(acting_user, instruction):
        raise NotAllowed(_("Only the writer of this instruction or an administrator may close it."))
    instruction = Instruction.objects.select_for_update().get(pk=instruction.pk)
    _check_answered(instruction)
    instruction.state = Instruction.State.CLOSED
    instruction.closed_by, instruction.closed_at = acting_user, timezone.now()
    instruction._history_user = acting_user
    instruction.save()
    return instruction


@transaction.atomic
def do_return_instruction(instruction: Instruction, *, acting_user, comment: str) -> Instruction:
    """The writer (or an administrator) sends the answer back with a comment: the instruction is open again (its
    reminders resume), the comment is added below the answer, which the addressee revises, and the addressee hears."""
    if not access.can_close_instruction(acting_user, instruction):
        raise NotAllowed(_("Only the writer of this instruction or an administrator may return its answer."))
    instruction = Instruction.objects.select_for_update(of=("self",)).select_related("pledge").get(pk=instruction.pk)
    if not (comment or "").strip():
        raise ValidationError({"comment": [_("Say why the answer is returned.")]})
    _check_answered(instruction)
    with translation.override(settings.LANGUAGE_CODE):  # stored text: in the site's language, whoever writes it
        note = _("Returned by %(who)s on %(day)s: %(comment)s") % {
            "who": acting_user, "day": timezone.localdate().isoformat(), "comment": comment.strip()}
    instruction.answer = f"{instruction.answer}\n\n{note}"
    instruction.state = Instruction.State.OPEN
    instruction.answered_by, instruction.answered_at = None, None
    instruction._history_user = acting_user
    instruction._change_reason = note[:100]  # the history's column holds 100
    instruction.save()
    jobs.queue_instruction(instruction, returned_with=comment.strip())
    transaction.on_commit(lambda: tasks.enqueue_safely(tasks.dispatch_notifications))
    return instruction


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
