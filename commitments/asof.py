"""Pledges as they stood at the end of a past day: read from the history, never from today's columns.

- the status: the latest `StatusChange` recorded before the day ended (none yet: no data);
- the owner, category, parent and standing (suspended, not applicable, closed): the latest audit-history row of the
  pledge recorded by then (a pledge written in bulk, without history rows, reads its row as it is now);
- a pledge created after the day did not exist then; a set-aside pledge (suspended, not applicable) is not counted,
  as on the summary (commitments.counts).

The late reports and open overdue instructions that the scoring deducts are read as of the day too. Each reading is
a few queries whatever the number of pledges; the work per pledge is done here in Python.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from . import status as engine
from .measures import BEHIND, updates_with_measures
from .models import Instruction, Organization, Pledge, ProgressUpdate, StatusChange, rules_from_settings
from .status import TargetStatus

# Pledges read per query when a list of ids has to be passed (SQLite's limit on parameters).
ID_BATCH = 900


def end_of(day: date) -> datetime:
    """The first instant after `day` in the site's time zone: what was recorded before it counts for the day."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@dataclass
class PledgeThen:
    id: int
    metric: str
    organization_id: int
    category_id: int | None
    parent_id: int | None
    closed: bool
    status: str
    reason: dict = field(default_factory=dict)
    late: bool = False
    overdue_instructions: int = 0


def pledges_as_of(day: date, *, scope: Organization | None = None, among: QuerySet | None = None) -> list[PledgeThen]:
    """The pledges counted on `day` (not set aside then), led then inside `scope`'s subtree (as the tree is now) and,
    when given, among the pledges of `among` (e.g. those a user sees)."""
    cutoff = end_of(day)
    candidates = Pledge.objects.filter(created_at__lt=cutoff)
    if among is not None:
        candidates = candidates.filter(pk__in=among.values("pk"))
    paths = None
    if scope is not None:
        history = Pledge.history.model.objects.filter(
            history_date__lt=cutoff, lead_organization__tree_path__startswith=scope.tree_path
        )
        candidates = candidates.filter(
            Q(lead_organization__tree_path__startswith=scope.tree_path) | Q(pk__in=history.values("id"))
        )
        paths = dict(Organization.objects.filter(tree_path__startswith=scope.tree_path).values_list("pk", "tree_path"))
    columns = ("lead_organization_id", "category_id", "parent_id", "suspended", "not_applicable", "closed")
    rows = {pk: (metric, *rest) for pk, metric, *rest in candidates.values_list("pk", "metric", *columns).order_by()}
    ids = list(rows)

    # The latest history row of each pledge up to the day, over what is now.
    for chunk in _chunks(ids):
        history = Pledge.history.model.objects.filter(id__in=chunk, history_date__lt=cutoff)
        for pk, *then in _latest_per(history, "id", ("-history_date", "-history_id"), columns):
            rows[pk] = (rows[pk][0], *then)

    statuses = {}
    for chunk in _chunks(ids):
        changes = StatusChange.objects.filter(pledge_id__in=chunk, changed_at__lt=cutoff)
        for pk, to_status, reason in _latest_per(changes, "pledge_id", ("-changed_at", "-id"), ("to_status", "reason")):
            statuses[pk] = (to_status, reason)

    found = []
    for pk, (metric, organization_id, category_id, parent_id, suspended, not_applicable, closed) in rows.items():
        if suspended or not_applicable:
            continue
        if paths is not None and organization_id not in paths:
            continue
        status, reason = statuses.get(pk, (TargetStatus.NO_DATA.value, {}))
        found.append(PledgeThen(pk, metric, organization_id, category_id, parent_id, closed, status, reason or {}))
    found.sort(key=lambda p: p.id)
    return found


def _chunks(ids: list[int]):
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


def _latest_per(rows: QuerySet, key: str, order: tuple[str, ...], columns: tuple[str, ...]):
    """(key, *columns) of the first row of each key in `order`: DISTINCT ON in PostgreSQL, the first seen elsewhere."""
    rows = rows.order_by(key, *order).values_list(key, *columns)
    if connection.vendor == "postgresql":
        return list(rows.distinct(key))
    seen, first = set(), []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            first.append(row)
    return first


def add_deductions(pledges: list[PledgeThen], day: date) -> None:
    """Mark each open pledge whose progress report was late on `day`, and count its instructions (批示) open past their
    due date then. A closed pledge (办结) is chased no more, and an achieved one owes no report."""
    cutoff = end_of(day)
    rules = rules_from_settings()
    by_id = {p.id: p for p in pledges if not p.closed}
    ids = list(by_id)
    for chunk in _chunks(ids):
        terms = Pledge.objects.filter(pk__in=chunk).values_list(
            "pk", "kind", "comparator", "deadline", "start_date", "baseline_date", "cadence"
        )
        last_reports = dict(
            ProgressUpdate.objects.filter(
                pledge_id__in=chunk, created_at__lt=cutoff, review_state=ProgressUpdate.Review.APPROVED
            ).values_list("pledge_id").annotate(last=Max("as_of")).order_by()
        )
        for pk, kind, comparator, deadline, start_date, baseline_date, cadence in terms:
            pledge = by_id[pk]
            if pledge.status == TargetStatus.ACHIEVED:
                continue
            due = engine.report_due_after(
                engine.Terms(kind=kind, comparator=comparator, deadline=deadline, start_date=start_date,
                             baseline_date=baseline_date, cadence=cadence),
                last_reports.get(pk),
            )
            pledge.late = due is not None and engine.report_is_late(due, day, rules)
        open_then = (
            Instruction.objects.filter(pledge_id__in=chunk, written_at__lt=cutoff, due__lt=day)
            .exclude(answered_at__lt=cutoff).exclude(closed_at__lt=cutoff)
        )
        for pk, n in Counter(open_then.values_list("pledge_id", flat=True)).items():
            by_id[pk].overdue_instructions = n


def latest_measures(pledge_ids: list[int], day: date) -> dict[int, tuple[str, str]]:
    """{pledge id: (cause, measures)} from the latest counted update recorded by the end of `day` that gives them."""
    found = {}
    for chunk in _chunks(pledge_ids):
        rows = updates_with_measures().filter(pledge_id__in=chunk, created_at__lt=end_of(day))
        for pk, cause, measures in rows.values_list("pledge_id", "cause", "measures"):
            found.setdefault(pk, (cause, measures))  # latest first
    return found


def counts_by_status(pledges: list[PledgeThen]) -> Counter:
    return Counter(p.status for p in pledges)


def counts_by_subtree(pledges: list[PledgeThen], organizations) -> dict[int, Counter]:
    """{organization id: counts of the pledges led in its subtree}, for organizations given with their tree_path."""
    paths = {org.pk: org.tree_path for org in organizations}
    led = defaultdict(Counter)
    for p in pledges:
        led[p.organization_id][p.status] += 1
    subtree = defaultdict(Counter)
    for organization_id, counted in led.items():
        for ancestor in paths.get(organization_id, "").strip("/").split("/"):
            if ancestor:
                subtree[int(ancestor)].update(counted)
    return subtree


def is_behind(status: str) -> bool:
    return status in BEHIND
