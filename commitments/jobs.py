"""The scheduled work: detect (sweep statuses), decide who to tell (queue notifications), deliver (send mail).

Celery tasks (tasks.py) and management commands are thin entry points onto these functions, so an
operator can run any step by hand. Every step is idempotent and safe to run twice or in parallel:

- a status change is recorded only by the statement that made it (guarded on the old status);
- alerts hang off status-change rows and are queued once (the row is claimed with an optimistic update);
- every notification has a unique key (recipient, channel, pledge, kind, period): inserting it again is a no-op;
- a notification is claimed before it is sent and marked sent after, so it goes out once.
"""

from __future__ import annotations

import json
import logging
import smtplib
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import get_connection
from redis.exceptions import RedisError
from django.db import connection, transaction
from django.db.models import Case, F, JSONField, Q, Value, When
from django.urls import reverse
from django.utils import timezone, translation

from . import counts, emails, measures, robots, rollup
from .models import (
    ASSESSED_FIELDS,
    CHASED,
    AlertKind,
    AlertProfile,
    Channel,
    Checkpoint,
    Instruction,
    Notification,
    Organization,
    Pledge,
    ProgressUpdate,
    StatusChange,
    rules_from_settings,
)
from .status import SEVERITY, Composition, Kind, Method, Reading, ReportingStatus, TargetStatus, assess

log = logging.getLogger(__name__)

CLOSED = [TargetStatus.ACHIEVED, TargetStatus.OVERDUE]
BAD_NEWS = {TargetStatus.AT_RISK, TargetStatus.OFF_TRACK, TargetStatus.OVERDUE}
GOOD_NEWS = {TargetStatus.ON_TRACK, TargetStatus.ACHIEVED}
# A sweep that moves this many rows leaves PostgreSQL's row estimates from before it (autovacuum catches up later):
# the first summary page after a 666,667-row sweep was planned as a nested loop and took over a minute.
REANALYZE_AFTER_ROWS = 10_000


# --- 1. Detect ------------------------------------------------------------------------------------


def flag_overdue(today: date) -> int:
    """Mark every open pledge whose deadline has passed as overdue: one UPDATE and one INSERT … SELECT.

    This is the status engine's own rule (after the deadline a pledge not achieved is overdue), applied
    in SQL because it needs no per-row arithmetic. The UPDATE tags the rows it changes with a fresh
    batch id and keeps their old status, so the status-change rows are written for exactly those rows,
    even when two sweeps run at once (the second one's UPDATE finds them already overdue).

    Measured (bench/README.md): the columns written beside the status cost nothing measurable, and one
    `WITH … UPDATE … RETURNING` statement feeding the INSERT was slower than these two; the status-change row
    and its foreign-key check are most of what the sweep costs beyond a bare UPDATE.
    """
    batch = uuid.uuid4()
    now = timezone.now()

    def reason(code):
        return Value({"code": code, "params": {}}, output_field=JSONField())

    with transaction.atomic():
        changed = (
            # Set aside: not judged. Closed (办结 / 销号): achieved, and never touched again until reopened.
            Pledge.objects.filter(CHASED, deadline__lt=today)
            .exclude(target_status__in=CLOSED)
            .update(
                previous_status=F("target_status"),
                target_status=TargetStatus.OVERDUE,
                status_batch=batch,
                status_changed_at=now,
                status_assessed_on=today,
                expected_now=None,
                progress_ratio=None,
                status_reason=Case(
                    When(kind=Kind.MILESTONE, then=reason("overdue_milestone")),
                    When(latest_value__isnull=True, then=reason("overdue_no_data")),
                    default=reason("overdue_not_met"),
                ),
            )
        )
        if changed:
            _record_batch_changes(batch, now, today)
            counts.record_batch(batch)
    if changed >= REANALYZE_AFTER_ROWS:
        refresh_planner_statistics()
    return changed


def refresh_planner_statistics() -> None:
    """Re-read the statistics the sweep made stale: the pledges' status columns that queries filter on (the other
    columns did not move, and analyzing all of them took 4 times as long), and the status changes, all new."""
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {q(Pledge._meta.db_table)} ({q('target_status')}, {q('status_assessed_on')}), "
                f"{q(StatusChange._meta.db_table)}"
            )


def _record_batch_changes(batch: uuid.UUID, now: datetime, today: date) -> None:
    change, pledge = StatusChange._meta, Pledge._meta
    q = connection.ops.quote_name
    batch_value = pledge.get_field("status_batch").get_db_prep_value(batch, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(change.db_table)} "
            f"({q('pledge_id')}, {q('from_status')}, {q('to_status')}, {q('changed_at')}, {q('assessed_on')}, "
            f"{q('reason')}, {q('trigger')}) "
            f"SELECT {q('id')}, {q('previous_status')}, {q('target_status')}, %s, %s, {q('status_reason')}, %s "
            f"FROM {q(pledge.db_table)} WHERE {q('status_batch')} = %s",
            [
                change.get_field("changed_at").get_db_prep_value(now, connection),
                change.get_field("assessed_on").get_db_prep_value(today, connection),
                "sweep",
                batch_value,
            ],
        )


def recompute_open(today: date, *, full: bool = False, chunk_size: int = 2000) -> dict:
    """Bring open pledges up to `today`.

    A status moves only when a report arrives (assessed at once), when a deadline passes (flag_overdue) or when
    a report falls due; between those, only "expected by now" and the reporting status move with the calendar.
    So pledges never assessed go through the engine, and the others are moved along in one set-based
    statement (refresh_with_the_calendar). Pledges judged by a method other than linear go through the engine every
    night: what they expect by now is not a straight line (a schedule steps up when a checkpoint date passes).
    `full=True` runs the engine on every open pledge not assessed today, e.g. after the thresholds were changed.
    """
    stale = Pledge.objects.exclude(target_status__in=CLOSED).filter(
        Q(status_assessed_on__lt=today) | Q(status_assessed_on__isnull=True)
    )
    if not full:
        stale = stale.filter(Q(status_assessed_on__isnull=True) | judged_off_the_line())
    result = assess_in_python(stale.exclude(rollup.derives_from_parts()), today, chunk_size)
    if not full:
        result["assessed"] += refresh_with_the_calendar(today)
    rolled = roll_up(today, full=full, chunk_size=chunk_size)
    result["assessed"] += rolled["assessed"]
    result["changed"] += rolled["changed"]
    return result


def roll_up(today: date, *, full: bool = False, chunk_size: int = 2000) -> dict:
    """Judge the pledges made up of their parts from their parts, level by level, the deepest first, so each level
    reads the one below as it stands now; a chunk of parents per three queries and one write.

    A `sum` moves only when a part reports (the write path rolls that up at once) or with the calendar (moved in SQL
    like any pledge), so nightly only the new ones are judged, and the open ones judged by a method other than linear
    (see recompute_open); an `each` follows its parts' statuses, which the overdue sweep may just have moved, so every
    open one is. `full=True` judges them all.
    """
    parents = Pledge.objects.filter(rollup.derives_from_parts())
    if not full:
        parents = parents.filter(
            Q(status_assessed_on__isnull=True)
            | ((Q(composition=Composition.EACH) | judged_off_the_line()) & ~Q(target_status__in=CLOSED))
        )
    by_depth = defaultdict(list)
    for pledge_id, path in parents.values_list("id", "tree_path").order_by("id"):
        by_depth[path.count("/") - 2].append(pledge_id)
    rules = rules_from_settings()
    assessed, changed = 0, 0
    for depth in sorted(by_depth, reverse=True):
        ids = by_depth[depth]
        for start in range(0, len(ids), chunk_size):
            with transaction.atomic():
                chunk = list(
                    Pledge.objects.filter(pk__in=ids[start : start + chunk_size])
                    .order_by("id").select_for_update(of=("self",))
                )
                parts = rollup.load_parts(chunk, today)
                from_its_parts = partial(_assess_from_parts, parts, schedules_of(chunk), today, rules)
                changed += store_assessments(chunk, from_its_parts, today, trigger="parts")
            assessed += len(chunk)
    return {"assessed": assessed, "changed": changed}


def _assess_from_parts(parts: dict, schedules: dict, today: date, rules, pledge: Pledge):
    schedule = schedules.get(pledge.pk, ())
    assessment, pledge.parts_series = rollup.assess_from_parts(pledge, parts[pledge.pk], today, rules, schedule=schedule)
    return assessment


def judged_off_the_line() -> Q:
    """Pledges whose method in force is not linear (Pledge.method_in_force, in SQL): a method named on the pledge, or
    none named and a kind whose default in settings.TRACKER_DEFAULT_METHODS is not linear."""
    other_methods = [method for method in Method.values if method != Method.LINEAR]
    kinds = [kind for kind, method in settings.TRACKER_DEFAULT_METHODS.items() if method != Method.LINEAR]
    return Q(method__in=other_methods) | Q(method="", kind__in=kinds)


def schedules_of(pledges: list[Pledge], *, by_id_range: bool = False) -> dict[int, list]:
    """{pledge id: [(date, planned value)]} for those of `pledges` planned by schedule, in one query (none when no
    pledge is). `by_id_range`: read the checkpoints by the id range of `pledges` (a chunk in id order, like its
    updates) rather than by a list of ids."""
    planned = {pledge.pk for pledge in pledges if pledge.method_in_force == Method.SCHEDULE}
    if not planned:
        return {}
    if by_id_range:
        rows = Checkpoint.objects.filter(pledge_id__gte=min(planned), pledge_id__lte=max(planned))
    else:
        rows = Checkpoint.objects.filter(pledge_id__in=planned)
    schedules = defaultdict(list)
    for pledge_id, as_of, planned_value in rows.values_list("pledge_id", "as_of", "planned_value"):
        if pledge_id in planned:
            schedules[pledge_id].append((as_of, planned_value))
    return schedules


def refresh_with_the_calendar(today: date) -> int:
    """Move "expected by now" along each open pledge's stored line, and set the reporting status from the stored
    next due date, for every open pledge assessed before today: the engine's own rules, in one SQL statement.

    expected_now = start + (end - start) × the share of [line_start, deadline] elapsed today (0…1); the
    reporting status is late after the grace period past the due date, due soon shortly before it.
    """
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        elapsed = "(%s::date - line_start)::numeric / (deadline - line_start)"
    else:
        elapsed = "(julianday(%s) - julianday(line_start)) / (julianday(deadline) - julianday(line_start))"
    share = f"CASE WHEN deadline <= line_start THEN 1 ELSE {_least_greatest(elapsed)} END"
    grace, soon = settings.TRACKER_REPORT_GRACE_DAYS, settings.TRACKER_REPORT_DUE_SOON_DAYS
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(Pledge._meta.db_table)} SET "
            f"expected_now = CASE WHEN line_start IS NULL THEN expected_now "
            f"ELSE ROUND(line_start_value + (line_end_value - line_start_value) * ({share}), 4) END, "
            f"reporting_status = CASE WHEN next_report_due IS NULL THEN %s WHEN next_report_due < %s THEN %s "
            f"WHEN next_report_due <= %s THEN %s ELSE %s END, "
            f"status_assessed_on = %s "
            f"WHERE status_assessed_on < %s AND target_status NOT IN (%s, %s)",
            [
                today,
                ReportingStatus.OK, today - timedelta(days=grace), ReportingStatus.LATE,
                today + timedelta(days=soon), ReportingStatus.DUE_SOON, ReportingStatus.OK,
                today, today, *CLOSED,
            ],
        )
        return cursor.rowcount


def _least_greatest(expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"LEAST(1, GREATEST(0, {expression}))"
    return f"min(1, max(0, {expression}))"  # SQLite's scalar min/max


def assess_in_python(pledges, today: date, chunk_size: int = 2000) -> dict:
    """Run the status engine on each pledge of `pledges`, a chunk per transaction: the chunk's rows are locked
    (rows another worker holds are skipped: it is assessing them), their approved updates read as plain tuples,
    and the results written in one statement per chunk with the chunk's status changes."""
    rules = rules_from_settings()
    last_id, assessed, changed = 0, 0, 0
    while True:
        with transaction.atomic():
            chunk = list(
                pledges.filter(id__gt=last_id).order_by("id").select_for_update(skip_locked=True, of=("self",))[:chunk_size]
            )
            if not chunk:
                break
            last_id = chunk[-1].id
            readings = defaultdict(list)
            # An id range, not a list of thousands of ids: the chunk is in id order, and readings of pledges
            # outside the chunk are simply not looked at.
            rows = ProgressUpdate.objects.filter(
                pledge_id__gte=chunk[0].pk, pledge_id__lte=last_id, review_state=ProgressUpdate.Review.APPROVED
            ).values_list("pledge_id", "as_of", "value", "done", "id", "supersedes_id")
            # Ids grow with time, so they order updates of one period as their recording time would.
            for pledge_id, as_of, value, done, update_id, supersedes_id in rows:
                readings[pledge_id].append(Reading(as_of, value, done, None, update_id, supersedes_id))
            schedules = schedules_of(chunk, by_id_range=True)

            def assess_one(pledge):
                terms = pledge.terms(schedule=schedules.get(pledge.pk, ()))
                return assess(terms, readings[pledge.pk], today, rules)

            changed += store_assessments(chunk, assess_one, today, trigger="recompute")
            assessed += len(chunk)
    return {"assessed": assessed, "changed": changed}


def store_assessments(pledges: list[Pledge], assess_one: Callable, today: date, *, trigger: str) -> int:
    """Assess each pledge with `assess_one(pledge)`, store the results in one write and the status changes in one
    insert; returns how many statuses changed."""
    changes = []
    for pledge in pledges:
        change = pledge.apply_assessment(assess_one(pledge), today=today, trigger=trigger)
        if change is not None:
            changes.append(change)
    write_assessments(pledges)
    StatusChange.objects.bulk_create(changes)
    return len(changes)


# PostgreSQL's name for each kind of status column, for jsonb_to_recordset's column list.
POSTGRES_TYPES = {
    "CharField": "text", "DecimalField": "numeric", "DateField": "date", "DateTimeField": "timestamptz", "JSONField": "jsonb",
}


def _postgres_type(name: str) -> str:
    return POSTGRES_TYPES[Pledge._meta.get_field(name).get_internal_type()]


def _json_value(value):
    return str(value) if isinstance(value, (Decimal, date, datetime)) else value


def write_assessments(pledges: list[Pledge]) -> None:
    """Store the engine's results for many pledges. On PostgreSQL one UPDATE … FROM jsonb_to_recordset(one
    JSON parameter); elsewhere Django's bulk_update."""
    if not pledges:
        return
    counts.record_rewrite(pledges)  # first: it reads the statuses they are moving from
    if connection.vendor != "postgresql":
        Pledge.objects.bulk_update(pledges, ASSESSED_FIELDS, batch_size=500)
        return
    q = connection.ops.quote_name
    records = json.dumps(
        [{"id": pledge.pk, **{name: _json_value(value) for name, value in pledge.assessed_values().items()}} for pledge in pledges]
    )
    columns = ", ".join(["id bigint"] + [f"{name} {_postgres_type(name)}" for name in ASSESSED_FIELDS])
    assignments = ", ".join(f"{q(name)} = v.{name}" for name in ASSESSED_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(Pledge._meta.db_table)} AS p SET {assignments} "
            f"FROM jsonb_to_recordset(%s::jsonb) AS v({columns}) WHERE p.id = v.id",
            [records],
        )


# --- 2. Decide who to tell ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who hears of an alert, and how: by email (the default), in the app (a user), or in a group (a robot)."""

    email: str  # the address; a user's for an in-app notification, Channel.address for a robot
    language: str
    user_id: int | None = None
    channel: str = Notification.Via.EMAIL
    robot_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        """One recipient once, however many ways they were found (an address as contact and as member)."""
        return self.channel, self.email.lower()


class Directory:
    """Who hears about which organization's pledges. Loads the alert profiles once per job."""

    def __init__(self, organizations: list[int] | None = None):
        """`organizations`: only these (one action's recipients), rather than every organization (a job's)."""
        orgs = Organization.objects.select_related("head")
        profiles = AlertProfile.objects.filter(user__is_active=True, organization__isnull=False).select_related("user")
        robots = Channel.objects.filter(active=True).only("id", "organization_id", "alert_kinds", "language")
        if organizations is not None:
            orgs, profiles = orgs.filter(pk__in=organizations), profiles.filter(organization_id__in=organizations)
            robots = robots.filter(organization_id__in=organizations)
        self.orgs = {org.pk: org for org in orgs}
        self.profiles = defaultdict(list)
        for profile in profiles:
            if profile.user.email:
                self.profiles[profile.organization_id].append(profile)
        self.robots = defaultdict(list)
        for robot in robots:
            self.robots[robot.organization_id].append(robot)

    def robots_of(self, org_id: int, kind: str) -> list[Recipient]:
        """The organization's group robots that post alerts of this kind."""
        return [
            Recipient(robot.address, robot.language, channel=Notification.Via.ROBOT, robot_id=robot.pk)
            for robot in self.robots.get(org_id, []) if kind in (robot.alert_kinds or [])
        ]

    def for_pledge(self, pledge: Pledge, kind: str) -> list[Recipient]:
        """The lead organization's and co-owners' contact addresses, and members who want this kind."""
        org_ids = [pledge.lead_organization_id, *(org.pk for org in pledge.co_owners.all())]
        return self._contacts_and_members(org_ids, kind)

    def for_organization(self, org_id: int, kind: str) -> list[Recipient]:
        """One organization's contact addresses, and its members who want this kind (an instruction's addressee)."""
        return self._contacts_and_members([org_id], kind)

    def escalation(self, pledge: Pledge, level: int, organization_id: int | None = None) -> list[Recipient]:
        """Level 1: the parent organization's head and contacts; level 2: the top organization's. Above the pledge's
        lead organization, or above `organization_id` (an instruction's addressee)."""
        above = self.orgs[organization_id or pledge.lead_organization_id].ancestor_ids()
        if not above:
            return []
        target = self.orgs[above[-1]] if level == 1 else self.orgs[above[0]]
        if level == 2 and len(above) < 2:
            return []  # the parent is already the top organization
        recipients = {}
        if target.head and target.head.email and target.head.is_active:
            profile = AlertProfile.objects.filter(user=target.head).first()
            language = profile.language if profile else settings.LANGUAGE_CODE
            recipients[("email", target.head.email.lower())] = Recipient(target.head.email, language, target.head.pk)
            if profile and AlertKind.ESCALATION in (profile.in_app_kinds or []):
                in_app = Recipient(target.head.email, language, target.head.pk, channel=Notification.Via.IN_APP)
                recipients[in_app.key] = in_app
        for address in target.contact_email_list():
            recipients.setdefault(("email", address.lower()), Recipient(address, settings.LANGUAGE_CODE))
        for robot in self.robots_of(target.pk, AlertKind.ESCALATION):
            recipients[robot.key] = robot
        return list(recipients.values())

    def _contacts_and_members(self, org_ids, kind) -> list[Recipient]:
        """Contacts by email; members by email and in the app, as each chose for this kind; the groups' robots."""
        recipients: dict[tuple[str, str], Recipient] = {}
        for org_id in org_ids:
            org = self.orgs.get(org_id)
            if org is None:
                continue
            for address in org.contact_email_list():
                recipients.setdefault(("email", address.lower()), Recipient(address, settings.LANGUAGE_CODE))
            for profile in self.profiles.get(org_id, []):
                email = profile.user.email
                if kind in (profile.alert_kinds or []):
                    recipients[("email", email.lower())] = Recipient(email, profile.language, profile.user_id)
                if kind in (profile.in_app_kinds or []):
                    in_app = Recipient(email, profile.language, profile.user_id, channel=Notification.Via.IN_APP)
                    recipients[in_app.key] = in_app
            for robot in self.robots_of(org_id, kind):
                recipients[robot.key] = robot
        return list(recipients.values())


def _notification(
    recipient: Recipient, kind: str, period: str, context: dict, pledge: Pledge | None, template: str = ""
) -> Notification:
    """One alert of `kind`, written with the templates of that kind (or of `template`, a kind's variant).

    By email: the subject, text and HTML. In the app: the subject and text, delivered as it is stored (the user reads
    it on the to-do page). To a robot: the subject and the markdown item that robots.combine posts."""
    subject, text, html = emails.render(template or kind, context, recipient.language)
    notification = Notification(
        recipient=recipient.email,
        user_id=recipient.user_id,
        channel=recipient.channel,
        robot_id=recipient.robot_id,
        pledge=pledge,
        kind=kind,
        period=period,
        language=recipient.language,
        subject=subject,
        body_text=text,
        body_html=html,
    )
    if recipient.channel == Notification.Via.IN_APP:
        notification.body_html = ""
        notification.state, notification.sent_at = Notification.State.SENT, timezone.now()
    elif recipient.channel == Notification.Via.ROBOT:
        notification.body_html = ""
        notification.body_text = _robot_item(subject, context, pledge, recipient.language)
    return notification


def _robot_item(subject: str, context: dict, pledge: Pledge | None, language: str) -> str:
    """The markdown a group reads for one alert: the pledge (linked), its owner, status and the reason for it (the
    change's own reason when the alert is about a change)."""
    with translation.override(language):
        if pledge is None:
            return robots.item(subject, "", "", "", "", "")
        change = context.get("change")
        reason = change.reason_text if change is not None else pledge.status_reason_text
        owner = pledge.lead_organization.name if pledge.lead_organization_id else ""
        return robots.item(subject, pledge.metric, context.get("url") or emails.pledge_url(pledge), owner,
                           pledge.get_target_status_display(), reason)


def _store(notifications: list[Notification]) -> int:
    """Insert; rows whose key already exists are skipped (that alert was queued before).

    Returns how many were offered, not how many were new: with ignore_conflicts the database does not say.
    """
    Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=500)
    return len(notifications)


def _pledges(ids) -> dict[int, Pledge]:
    """The pledges by id, with their owners and, when behind, their latest cause and measures (for the alerts)."""
    pledges = Pledge.objects.select_related("lead_organization").prefetch_related("co_owners")
    return measures.with_latest_measures(pledges).in_bulk(list(ids))


def queue_status_alerts(limit: int = 5000) -> int:
    """Turn unprocessed status changes into notifications, a batch per transaction (claim, stamp, insert):

    1. each change that is news (became at risk / off track / overdue; recovered) goes to its pledge's owners;
    2. the owners of a pledge broken down into parts get one message per batch listing the parts that changed for the
       worse (`_parts_worse`), never one email per part; when the parent's own status changed in the batch too, that
       message says so, instead of a second email. Only a part's direct parent hears of it: the parent's own change
       is in turn a part's change for the pledge above it.
    """
    queued = 0
    directory = Directory()
    while True:
        with transaction.atomic():
            batch = list(
                StatusChange.objects.filter(alerts_queued_at__isnull=True)
                .order_by("id")
                .select_for_update(skip_locked=True)[:limit]
            )
            if not batch:
                return queued
            StatusChange.objects.filter(pk__in=[c.pk for c in batch]).update(alerts_queued_at=timezone.now())
            pledges = _pledges({c.pledge_id for c in batch})
            notifications, told = _parts_worse(batch, pledges, directory)
            for change in batch:
                pledge = pledges.get(change.pledge_id)
                # None: the pledge was deleted meanwhile; set aside (suspended, not applicable): nobody is chased
                if pledge is None or pledge.set_aside or not _worth_telling(change):
                    continue
                change.pledge = pledge  # its reason is read in the pledge's terms, without a query per change
                context = {"pledge": pledge, "change": change, "url": emails.pledge_url(pledge)}
                for recipient in directory.for_pledge(pledge, AlertKind.STATUS_CHANGE):
                    if (recipient.key, pledge.pk) not in told:
                        notifications.append(
                            _notification(recipient, AlertKind.STATUS_CHANGE, f"change:{change.pk}", context, pledge)
                        )
            queued += _store(notifications)


def _worth_telling(change: StatusChange) -> bool:
    if not change.from_status:  # the first assessment of a new pledge
        return False
    return change.to_status in BAD_NEWS or (change.from_status in BAD_NEWS and change.to_status in GOOD_NEWS)


def _got_worse(from_status: str, to_status: str) -> bool:
    """Into bad news from a better status: from on track, achieved or no data, or further down (at risk → off track).
    A first assessment (no from status) is nobody's news, and off track → at risk is better, if still bad."""
    if not from_status or to_status not in BAD_NEWS:
        return False
    return from_status not in SEVERITY or SEVERITY.index(to_status) < SEVERITY.index(from_status)


@dataclass(frozen=True)
class SlippedPart:
    """A part as its parent's owner reads it: where it stood before the batch, where it ended, and why."""

    part: Pledge
    first: StatusChange  # its earliest change in the batch: the status it came from
    last: StatusChange  # its latest: the status it is in now, and the reason
    url: str


def _parts_worse(
    batch: list[StatusChange], pledges: dict[int, Pledge], directory: Directory
) -> tuple[list[Notification], set[tuple[str, int]]]:
    """One PARTS_WORSE notification per recipient and parent pledge: the parts of that parent that ended this batch
    worse than they started it (a part that slipped and recovered within the batch is not listed; a new part counts
    from its first assessment), under the parent's own status, and its own changes in the batch if it has any.

    Its period is the lowest and highest id of the batch's changes of those parts, so queuing the same changes again
    is a no-op. Also returns who was told of which parent (Recipient.key, parent id): they get the parent's
    own change in this message, not in a second one.
    """
    by_part = defaultdict(list)
    for change in batch:  # in id order: the order the changes were recorded
        part = pledges.get(change.pledge_id)
        if part is not None and part.parent_id is not None and change.from_status:  # a first assessment is no news
            by_part[part.pk].append(change)
    slipped_by_parent, change_ids = defaultdict(list), defaultdict(list)
    for part_id, changes in by_part.items():
        part = pledges[part_id]
        change_ids[part.parent_id] += [c.pk for c in changes]
        first, last = changes[0], changes[-1]
        if _got_worse(first.from_status, last.to_status):
            first.pledge = last.pledge = part
            slipped_by_parent[part.parent_id].append(SlippedPart(part, first, last, emails.pledge_url(part)))
    parents = _pledges(slipped_by_parent)
    notifications, told = [], set()
    for parent_id, slipped in slipped_by_parent.items():
        parent = parents.get(parent_id)
        if parent is None or parent.set_aside:  # deleted meanwhile, or suspended or not applicable itself
            continue
        slipped.sort(key=lambda s: (SEVERITY.index(s.last.to_status), s.part.lead_organization.name, s.part.pk))
        own_changes = [c for c in batch if c.pledge_id == parent_id and _worth_telling(c)]
        for change in own_changes:
            change.pledge = parent
        context = {"pledge": parent, "changes": own_changes, "parts": slipped, "url": emails.pledge_url(parent)}
        period = f"parts:{min(change_ids[parent_id])}-{max(change_ids[parent_id])}"
        for recipient in directory.for_pledge(parent, AlertKind.PARTS_WORSE):
            notifications.append(_notification(recipient, AlertKind.PARTS_WORSE, period, context, parent))
            told.add((recipient.key, parent_id))
    return notifications, told


def queue_update_returned(update: ProgressUpdate) -> int:
    """Tell the reporter that a reviewer returned their update, and why."""
    profile = AlertProfile.objects.filter(user=update.reporter).first()
    recipient = Recipient(update.reporter.email, profile.language if profile else settings.LANGUAGE_CODE, update.reporter_id)
    context = {"pledge": update.pledge, "update": update, "url": emails.pledge_url(update.pledge)}
    return _store([_notification(recipient, AlertKind.UPDATE_RETURNED, f"returned:{update.pk}", context, update.pledge)])


def queue_reminders(today: date) -> int:
    """Deadline warnings, reports due soon, late reports (every K days, at most M times), and escalations; none for
    a pledge achieved, set aside or closed (办结 / 销号)."""
    directory = Directory()
    notifications = []
    open_pledges = (
        Pledge.objects.exclude(target_status=TargetStatus.ACHIEVED).filter(CHASED)
        .select_related("lead_organization").prefetch_related("co_owners")
    )

    windows = settings.TRACKER_DEADLINE_WARNING_DAYS
    if windows:
        for pledge in open_pledges.filter(deadline__gte=today, deadline__lte=today + timedelta(days=max(windows))):
            days_left = (pledge.deadline - today).days
            window = min(w for w in windows if w >= days_left)  # only the nearest warning, never an older one
            context = {"pledge": pledge, "days_left": days_left, "url": emails.pledge_url(pledge)}
            for recipient in directory.for_pledge(pledge, AlertKind.DEADLINE_WARNING):
                notifications.append(_notification(recipient, AlertKind.DEADLINE_WARNING, f"{window}d", context, pledge))

    for pledge in open_pledges.filter(reporting_status=ReportingStatus.DUE_SOON):
        context = {"pledge": pledge, "due": pledge.next_report_due, "url": emails.pledge_url(pledge)}
        for recipient in directory.for_pledge(pledge, AlertKind.REPORT_DUE):
            notifications.append(_notification(recipient, AlertKind.REPORT_DUE, f"due:{pledge.next_report_due}", context, pledge))

    every, most = settings.TRACKER_LATE_REMINDER_EVERY_DAYS, settings.TRACKER_LATE_REMINDER_MAX
    grace = settings.TRACKER_REPORT_GRACE_DAYS
    for pledge in open_pledges.filter(reporting_status=ReportingStatus.LATE, next_report_due__isnull=False):
        days_late = (today - pledge.next_report_due).days - grace
        number = min(1 + max(days_late, 0) // max(every, 1), most)
        context = {"pledge": pledge, "due": pledge.next_report_due, "days_late": (today - pledge.next_report_due).days,
                   "number": number, "most": most, "url": emails.pledge_url(pledge)}
        for recipient in directory.for_pledge(pledge, AlertKind.REPORT_LATE):
            notifications.append(_notification(recipient, AlertKind.REPORT_LATE, f"late:{pledge.next_report_due}#{number}", context, pledge))

    after = settings.TRACKER_ESCALATE_AFTER_DAYS
    escalate_from = today - timedelta(days=after)
    overdue = open_pledges.filter(target_status=TargetStatus.OVERDUE, deadline__lt=escalate_from)
    late = open_pledges.filter(
        reporting_status=ReportingStatus.LATE, next_report_due__lt=escalate_from - timedelta(days=grace)
    ).exclude(target_status=TargetStatus.OVERDUE)  # an overdue pledge is escalated as overdue, once
    for reason, queryset in (("overdue", overdue), ("late", late)):
        for pledge in queryset:
            since = pledge.deadline if reason == "overdue" else pledge.next_report_due + timedelta(days=grace)
            days = (today - since).days
            for level in (1, 2) if days > 2 * after else (1,):  # each level once; level 1 first
                context = {"pledge": pledge, "reason": reason, "since": since, "days": days, "level": level,
                           "url": emails.pledge_url(pledge)}
                for recipient in directory.escalation(pledge, level):
                    notifications.append(
                        _notification(recipient, AlertKind.ESCALATION, f"{reason}:{since}:L{level}", context, pledge)
                    )
    notifications += _measures_reminders(open_pledges, directory, today)
    notifications += _instruction_reminders(directory, today)
    return _store(notifications)


def _measures_reminders(open_pledges, directory: Directory, today: date) -> list[Notification]:
    """A pledge still behind after the date its owner gave to be back on track (the latest cause and measures): the
    owner is reminded once the date has passed, and the parent organization once the escalation delay has passed
    too. Each once per update that gave the date (its key), however often the job runs."""
    after = settings.TRACKER_ESCALATE_AFTER_DAYS
    notifications = []
    for pledge in measures.with_latest_measures(open_pledges).filter(measures_back_on_track_by__lt=today):
        days = (today - pledge.measures_back_on_track_by).days
        context = {"pledge": pledge, "back_on_track_by": pledge.measures_back_on_track_by, "days": days,
                   "status": pledge.get_target_status_display(), "url": emails.pledge_url(pledge)}
        period = f"measures:{pledge.measures_id}"
        for recipient in directory.for_pledge(pledge, AlertKind.REPORT_LATE):
            notifications.append(
                _notification(recipient, AlertKind.REPORT_LATE, period, context, pledge, template="measures_due")
            )
        if days > after:
            for recipient in directory.escalation(pledge, 1):
                notifications.append(_notification(
                    recipient, AlertKind.ESCALATION, f"{period}:L1", context, pledge, template="measures_escalation"
                ))
    return notifications


# --- Instructions (批示) --------------------------------------------------------------------------------
# Keyed by the instruction: `instruction:<id>` when written, `:due` when due soon, `:late` once past due, `:L1` to the
# organization above the addressee after the escalation delay; each once, however often the jobs run.


def _instruction_context(instruction, **more) -> dict:
    pledge = instruction.pledge
    answer_url = settings.SITE_URL.rstrip("/") + reverse("admin:commitments_instruction_change", args=[instruction.pk])
    return {"pledge": pledge, "instruction": instruction, "url": emails.pledge_url(pledge), "answer_url": answer_url,
            **more}


def _version(instruction) -> int:
    """The id of the instruction's latest audit-history row: what keys a message about one answer or one return, so
    that an answer returned and given again is news again."""
    return instruction.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0


def queue_instruction(instruction, *, returned_with: str = "") -> int:
    """The addressee organization's contacts and members who want instructions hear of a new instruction at once, or
    of an answer sent back to them (`returned_with`: the writer's comment; one message per return)."""
    directory = Directory(organizations=[instruction.addressee_id])
    period, template = f"instruction:{instruction.pk}", "instruction"
    if returned_with:
        period, template = f"{period}:returned:{_version(instruction)}", "instruction_returned"
    context = _instruction_context(instruction, comment=returned_with)
    return _store([
        _notification(recipient, AlertKind.INSTRUCTION, period, context, instruction.pledge, template=template)
        for recipient in directory.for_organization(instruction.addressee_id, AlertKind.INSTRUCTION)
    ])


def queue_instruction_answered(instruction) -> int:
    """The writer hears of the answer (once per answer: see _version)."""
    writer = instruction.written_by
    if writer is None or not writer.is_active or not writer.email:
        return 0
    profile = AlertProfile.objects.filter(user=writer).first()
    recipients = [Recipient(writer.email, profile.language if profile else settings.LANGUAGE_CODE, writer.pk)]
    if profile and AlertKind.INSTRUCTION in (profile.in_app_kinds or []):
        recipients.append(Recipient(writer.email, profile.language, writer.pk, channel=Notification.Via.IN_APP))
    period = f"instruction:{instruction.pk}:answered:{_version(instruction)}"
    context = _instruction_context(instruction)
    return _store([
        _notification(recipient, AlertKind.INSTRUCTION, period, context, instruction.pledge, template="instruction_answered")
        for recipient in recipients
    ])


def _instruction_reminders(directory: Directory, today: date) -> list[Notification]:
    """Open instructions on pledges still chased: due within TRACKER_REPORT_DUE_SOON_DAYS, a reminder; past due, a
    late reminder; past due by more than TRACKER_ESCALATE_AFTER_DAYS, the organization above the addressee too."""
    soon = today + timedelta(days=settings.TRACKER_REPORT_DUE_SOON_DAYS)
    after = settings.TRACKER_ESCALATE_AFTER_DAYS
    instructions = (
        Instruction.objects.filter(state=Instruction.State.OPEN, due__lte=soon, pledge__in=Pledge.objects.filter(CHASED))
        .select_related("pledge__lead_organization", "addressee", "written_by")
        .order_by("due", "id")
    )
    notifications = []
    for instruction in instructions:
        days_late = (today - instruction.due).days
        context = _instruction_context(instruction, days_late=days_late, days_left=-days_late)
        key = f"instruction:{instruction.pk}"
        period, template = (f"{key}:late", "instruction_late") if days_late > 0 else (f"{key}:due", "instruction_due")
        for recipient in directory.for_organization(instruction.addressee_id, AlertKind.INSTRUCTION):
            notifications.append(
                _notification(recipient, AlertKind.INSTRUCTION, period, context, instruction.pledge, template=template)
            )
        if days_late > after:
            for recipient in directory.escalation(instruction.pledge, 1, organization_id=instruction.addressee_id):
                notifications.append(_notification(
                    recipient, AlertKind.ESCALATION, f"{key}:L1", context, instruction.pledge,
                    template="instruction_escalation",
                ))
    return notifications


def queue_digests(frequency: str, today: date) -> int:
    """One exception-only digest per subscriber: what changed in the window, and (weekly) what needs attention.

    A subscriber's digest covers the pledges led or co-owned by their organization and everything under it.
    Nothing is queued for a subscriber with nothing to report.
    """
    days = 1 if frequency == AlertProfile.Frequency.DAILY else 7
    tz = timezone.get_current_timezone()
    window_end = datetime.combine(today, time.min, tzinfo=tz)
    window_start = window_end - timedelta(days=days)
    period = f"{frequency}:{today.isoformat()}" if days == 1 else f"{frequency}:{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    profiles = AlertProfile.objects.filter(
        digest_frequency=frequency, user__is_active=True, organization__isnull=False
    ).exclude(user__email="").select_related("user", "organization")
    notifications = []
    for profile in profiles:
        scope = Pledge.objects.filter(
            Q(lead_organization__tree_path__startswith=profile.organization.tree_path)
            | Q(co_owners__tree_path__startswith=profile.organization.tree_path)
        ).distinct()
        changes = list(
            measures.with_latest_measures(StatusChange.objects, through="pledge")
            .filter(pledge__in=scope, changed_at__gte=window_start, changed_at__lt=window_end)
            .exclude(from_status="")
            .select_related("pledge__lead_organization")
            .order_by("pledge__deadline", "changed_at")
        )
        attention = []
        if days > 1:
            attention = list(
                measures.with_latest_measures(scope).filter(
                    Q(target_status__in=[TargetStatus.OVERDUE, TargetStatus.OFF_TRACK, TargetStatus.AT_RISK])
                    | Q(reporting_status=ReportingStatus.LATE)
                )
                .select_related("lead_organization")
                .order_by("deadline")
            )
        if not changes and not attention:
            continue
        recipient = Recipient(profile.user.email, profile.language, profile.user_id)
        context = {"profile": profile, "organization": profile.organization, "changes": changes,
                   "attention": attention, "frequency": frequency, "start": window_start.date(),
                   "end": today - timedelta(days=1), "url_for": emails.pledge_url}
        notifications.append(_notification(recipient, AlertKind.DIGEST, period, context, None))
    return _store(notifications)


# --- 3. Deliver -----------------------------------------------------------------------------------

TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)
# Emails sent over one SMTP connection: one sender task's batch, or one step of an operator's send.
SEND_BATCH = 50
# Alerts to one group robot handed to one sender together: it posts them combined, in as few messages as fit.
ROBOT_BATCH = 200


def send_due_notifications(send_batch: Callable[[list[int]], dict | None]) -> dict:
    """The send loop: every due pending notification, handed to `send_batch` in batches: each group robot's alerts
    together (ROBOT_BATCH at most), so that they are posted combined; the emails SEND_BATCH at a time.

    The dispatcher task queues each batch for a worker (its `send_batch` returns nothing); an operator's command sends
    each in this process with `deliver_notifications` and gets the outcomes back. A mail server that is down stops the
    loop: the rest stays pending for the next dispatch. Returns the outcomes counted, "due", and why it stopped.
    """
    due = due_notifications()
    by_robot = defaultdict(list)
    for pk, robot_id in due:
        if robot_id is not None:
            by_robot[robot_id].append(pk)
    email_ids = [pk for pk, robot_id in due if robot_id is None]
    # Each group's alerts together, so that they go out combined; then the emails, SEND_BATCH per connection.
    batches = [ids[start : start + ROBOT_BATCH] for ids in by_robot.values() for start in range(0, len(ids), ROBOT_BATCH)]
    batches += [email_ids[start : start + SEND_BATCH] for start in range(0, len(email_ids), SEND_BATCH)]
    outcomes = Counter(due=len(due))
    for position, batch in enumerate(batches):
        try:
            outcomes.update(send_batch(batch) or {})
        except TRANSIENT_ERRORS as error:
            # this batch may have sent some before the error
            outcomes["left pending"] = sum(len(rest) for rest in batches[position:])
            return {**outcomes, "stopped": _describe(error)}
    return dict(outcomes)


def due_notification_ids(now: datetime | None = None, limit: int = 20000) -> list[int]:
    """Pending notifications to hand to the senders now; pushes their next attempt a claim period ahead."""
    return [pk for pk, _robot in due_notifications(now, limit)]


def due_notifications(now: datetime | None = None, limit: int = 20000) -> list[tuple[int, int | None]]:
    """(id, robot id or None) of the pending notifications to hand to the senders now, in the order they fell due;
    pushes their next attempt a claim period ahead."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Notification.objects.filter(state=Notification.State.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("next_attempt_at", "id")
            .values_list("id", "robot_id")[:limit]
        )
        Notification.objects.filter(pk__in=[pk for pk, _robot in due]).update(
            next_attempt_at=now + timedelta(seconds=settings.TRACKER_SEND_CLAIM_SECONDS)
        )
    return due


SENDER_COLUMNS = ["id", "recipient", "subject", "body_text", "body_html", "attempts", "channel", "robot_id"]


def deliver_notification(notification_id: int, *, connection=None) -> str:
    """Send one notification if it is still pending and nobody else holds it.

    Transient SMTP and network errors are recorded and re-raised (the task retries with back-off);
    a permanent refusal marks the notification failed. Returns what happened.
    """
    claimed = _claim([notification_id])
    if not claimed:
        return "skipped"
    if claimed[0].channel != Notification.Via.EMAIL:
        outcomes = _deliver_elsewhere(claimed)
        return next(iter(outcomes), "skipped")
    return _send(claimed[0], connection or get_connection(fail_silently=False))


def deliver_notifications(notification_ids: list[int]) -> dict:
    """Send several notifications over one SMTP connection, claimed together in one statement.

    Each is marked sent on its own as soon as the server accepts it, so a crash repeats at most the message in
    flight, and a retry of the batch sends only what is still pending. A transient error postpones the message
    being sent, lets go of the rest, and re-raises: the task retries the batch later.
    """
    outcomes = {"sent": 0, "skipped": 0, "failed": 0}
    claimed = _claim(notification_ids)
    outcomes["skipped"] = len(notification_ids) - len(claimed)
    elsewhere = [notification for notification in claimed if notification.channel != Notification.Via.EMAIL]
    if elsewhere:
        for outcome, count in _deliver_elsewhere(elsewhere).items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
        claimed = [notification for notification in claimed if notification.channel == Notification.Via.EMAIL]
    if not claimed:
        return outcomes
    smtp = get_connection(fail_silently=False)
    try:
        smtp.open()
    except TRANSIENT_ERRORS as error:
        for notification in claimed:  # the mail server is down: each one records the attempt
            _postpone(notification, error)
        raise
    try:
        for position, notification in enumerate(claimed):
            try:
                outcomes[_send(notification, smtp)] += 1
            except Exception:
                _finish_all([n.pk for n in claimed[position + 1 :]])  # not tried: free for the retry at once
                raise
    finally:
        try:
            smtp.close()
        except TRANSIENT_ERRORS:
            pass
    return outcomes


def _claim(notification_ids: list[int]) -> list[Notification]:
    """Take pending notifications for sending, except those another sender holds; counts the attempt.

    One UPDATE tags the rows it takes with a fresh token, and one SELECT reads exactly those back.
    """
    now = timezone.now()
    token = uuid.uuid4()
    Notification.objects.filter(pk__in=notification_ids, state=Notification.State.PENDING).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    ).update(
        claimed_until=now + timedelta(seconds=settings.TRACKER_SEND_CLAIM_SECONDS),
        attempts=F("attempts") + 1,
        claim_token=token,
    )
    return list(Notification.objects.filter(pk__in=notification_ids, claim_token=token).only(*SENDER_COLUMNS).order_by("pk"))


def _send(notification: Notification, connection) -> str:
    try:
        message = emails.build_message(notification, connection=connection)
        if notification.attachment:  # a bulletin's file (issue 20), sent as it was stored
            with notification.attachment.open("rb") as file:
                message.attach(notification.attachment.name.rsplit("/", 1)[-1], file.read())
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        if all(code >= 500 for code, _ in error.recipients.values()):
            _finish(notification.pk, state=Notification.State.FAILED, last_error=_describe(error))
            return "failed"
        _postpone(notification, error)
        raise
    except TRANSIENT_ERRORS as error:
        _postpone(notification, error)
        raise
    _finish(notification.pk, state=Notification.State.SENT, sent_at=timezone.now(), last_error="")
    return "sent"


def _deliver_elsewhere(claimed: list[Notification]) -> Counter:
    """Claimed notifications that are not emails: to robots, grouped by robot; in-app ones are delivered as they are
    stored (one found pending was put back by an administrator's "send again")."""
    outcomes = Counter()
    in_app = [n.pk for n in claimed if n.channel == Notification.Via.IN_APP]
    if in_app:
        _finish_all_as(in_app, state=Notification.State.SENT, sent_at=timezone.now(), last_error="")
        outcomes["sent"] += len(in_app)
    by_robot = defaultdict(list)
    for notification in claimed:
        if notification.channel == Notification.Via.ROBOT:
            by_robot[notification.robot_id].append(notification)
    channels = Channel.objects.in_bulk([pk for pk in by_robot if pk is not None])
    for robot_id, notifications in by_robot.items():
        channel = channels.get(robot_id)
        if channel is None or not channel.active:
            ids = [n.pk for n in notifications]
            _finish_all_as(ids, state=Notification.State.FAILED, last_error="the group robot is switched off or gone")
            outcomes["failed"] += len(ids)
            continue
        outcomes.update(_post_to_robot(channel, notifications))
    return outcomes


def _post_to_robot(channel: Channel, notifications: list[Notification]) -> Counter:
    """Post one group's alerts, combined, in as few messages as the robot takes, each only when the group's webhook
    has room under its rate limit (counted in Redis by every worker).

    A message the robot took marks its alerts sent at once, so a crash repeats at most the message in flight. No
    room, or the robot says "too fast": the rest wait for the minute to pass (not an attempt), and are posted again.
    A timeout, a network error or a server error: the rest are retried with back-off, and given up as failed after
    TRACKER_SEND_RETRY_MAX attempts. A refusal (bad key, robot removed, wrong signature or keyword): the message's
    alerts fail, with the robot's errcode and errmsg, and the robot shows the error in the admin and on the health
    page until a message gets through again."""
    outcomes = Counter()
    limiter = webhook_limiter()
    window = settings.TRACKER_ROBOT_WINDOW_SECONDS
    alerts = [(n.pk, n.subject, n.body_text) for n in notifications]
    messages = robots.combine(channel.kind, alerts, channel.keyword)
    attempts = {n.pk: n.attempts for n in notifications}
    for position, message in enumerate(messages):
        rest = [pk for later in messages[position:] for pk in later.notification_ids]
        try:
            wait = limiter.wait_before_posting(channel.webhook_url)
        except RedisError as error:  # no count to go by: wait rather than risk the robot's limit
            _wait_for_the_rate_limit(rest, window, f"rate limiter unavailable: {type(error).__name__}")
            outcomes["throttled"] += len(rest)
            break
        if wait:
            _wait_for_the_rate_limit(rest, wait, "waiting for the robot's rate limit")
            outcomes["throttled"] += len(rest)
            break
        payload = robots.body(channel.kind, message.title, message.text, channel.keyword)
        outcome = robots.post(channel.kind, channel.webhook_url, channel.secret, payload, settings.TRACKER_ROBOT_TIMEOUT)
        ids = list(message.notification_ids)
        if outcome.kind == robots.Outcome.SENT:
            _finish_all_as(ids, state=Notification.State.SENT, sent_at=timezone.now(), last_error="")
            outcomes["sent"] += len(ids)
            if channel.last_error:
                Channel.objects.filter(pk=channel.pk).update(last_error="", last_error_at=None)
                channel.last_error = ""
        elif outcome.kind == robots.Outcome.RATE_LIMITED:
            try:
                limiter.hold_off(channel.webhook_url, window)
            except RedisError:
                pass  # these alerts wait the minute anyway
            _wait_for_the_rate_limit(rest, window, outcome.detail)
            outcomes["throttled"] += len(rest)
            break
        elif outcome.kind == robots.Outcome.TRANSIENT:
            for pk in rest:
                outcomes[_retry_or_give_up(pk, attempts[pk], outcome.detail)] += 1
            log.warning("group robot %s (%s) did not answer: %s", channel.pk, robots.masked(channel.webhook_url), outcome.detail)
            break
        else:
            error = f"{channel.get_kind_display()} “{channel.name}”: {outcome.detail}"
            _finish_all_as(ids, state=Notification.State.FAILED, last_error=error)
            Channel.objects.filter(pk=channel.pk).update(last_error=outcome.detail, last_error_at=timezone.now())
            outcomes["failed"] += len(ids)
            log.warning("group robot %s (%s) refused a message: %s", channel.pk, robots.masked(channel.webhook_url), outcome.detail)
    return outcomes


_limiters: dict[str, robots.WebhookLimiter] = {}


def webhook_limiter() -> robots.WebhookLimiter:
    """The rate limiter on the Redis the workers share (Celery's broker)."""
    from celery import current_app
    import redis

    url = current_app.conf.broker_url.replace("redis+socket://", "unix://")
    key = f"{url}|{settings.TRACKER_ROBOT_RATE_LIMIT}|{settings.TRACKER_ROBOT_WINDOW_SECONDS}"
    if key not in _limiters:
        client = redis.Redis.from_url(url, socket_timeout=10)
        _limiters[key] = robots.WebhookLimiter(
            client, settings.TRACKER_ROBOT_RATE_LIMIT, settings.TRACKER_ROBOT_WINDOW_SECONDS
        )
    return _limiters[key]


def _wait_for_the_rate_limit(ids: list[int], seconds: float, why: str) -> None:
    """Back to pending after `seconds`; the claim's attempt is given back (waiting is not failing)."""
    Notification.objects.filter(pk__in=ids).update(
        claimed_until=None, attempts=F("attempts") - 1, last_error=why,
        next_attempt_at=timezone.now() + timedelta(seconds=seconds),
    )


def _retry_or_give_up(notification_id: int, attempts: int, detail: str) -> str:
    if attempts >= settings.TRACKER_SEND_RETRY_MAX:
        _finish(notification_id, state=Notification.State.FAILED, last_error=f"gave up after {attempts} attempts: {detail}")
        return "failed"
    backoff = min(settings.TRACKER_SEND_RETRY_BACKOFF * 2 ** max(attempts - 1, 0), 3600)
    _finish(notification_id, last_error=detail, next_attempt_at=timezone.now() + timedelta(seconds=backoff))
    return "retrying"


def _finish_all_as(notification_ids: list[int], **fields) -> None:
    Notification.objects.filter(pk__in=notification_ids).update(claimed_until=None, **fields)


def _finish_all(notification_ids: list[int]) -> None:
    Notification.objects.filter(pk__in=notification_ids).update(claimed_until=None)


def _postpone(notification: Notification, error: Exception) -> None:
    backoff = min(settings.TRACKER_SEND_RETRY_BACKOFF * 2 ** max(notification.attempts - 1, 0), 3600)
    _finish(
        notification.pk,
        last_error=_describe(error),
        next_attempt_at=timezone.now() + timedelta(seconds=backoff),
    )
    log.warning("notification %s not sent (attempt %s): %s", notification.pk, notification.attempts, error)


def _finish(notification_id: int, **fields) -> None:
    Notification.objects.filter(pk=notification_id).update(claimed_until=None, **fields)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


# --- The nightly run ------------------------------------------------------------------------------


def sweep_statuses(today: date | None = None, *, full: bool = False) -> dict:
    """The nightly sweep: flag overdue pledges, recompute the rest, and queue the alerts for what changed.

    Run by beat as the task `tasks.sweep_statuses`, and by hand as `manage.py sweep_statuses` (alias `flag_overdue`).
    """
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        overdue = flag_overdue(today)
        recomputed = recompute_open(today, full=full)
        alerts = queue_status_alerts()
    counts.rebuild()  # whatever drifted (a write outside the app, a crash between two statements) is right again
    return {"overdue": overdue, **recomputed, "alerts": alerts}
