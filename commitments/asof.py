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
from django.db.models import Case, IntegerField, JSONField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
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
    # PostgreSQL takes up to 65,535 parameters a statement; SQLite's older builds 999.
    size = 20_000 if connection.vendor == "postgresql" else ID_BATCH
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


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


def is_behind(status: str) -> bool:
    return status in BEHIND


# --- The pages as of a past day: the summary, the status table and its exports ------------------------


def parse_day(text: str | None) -> date | None:
    """?as_of=YYYY-MM-DD: a day not after today, else None (the page shows today's figures)."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day is not None and day <= timezone.localdate() else None


def period_ends(today: date) -> list[date]:
    """The days offered by default: the end of last month and of last quarter (the same day in a quarter's first
    month), latest first."""
    month_end = today.replace(day=1) - timedelta(days=1)
    quarter_end = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1) - timedelta(days=1)
    return sorted({month_end, quarter_end}, reverse=True)


def with_status_then(rows: QuerySet, day: date) -> QuerySet:
    """Pledges (of the status table's query) with `status_then` and `reason_then`, their status and its reason at the
    end of `day` from the status history, and `severity` ranked on that status; pledges created later left out."""
    cutoff = end_of(day)
    latest = StatusChange.objects.filter(pledge=OuterRef("pk"), changed_at__lt=cutoff).order_by("-changed_at", "-id")
    rows = rows.filter(created_at__lt=cutoff).annotate(
        status_then=Coalesce(Subquery(latest.values("to_status")[:1]), Value(TargetStatus.NO_DATA.value)),
        reason_then=Subquery(latest.values("reason")[:1], output_field=JSONField()),
    )
    return rows.annotate(severity=Case(
        *(When(status_then=code, then=Value(rank)) for rank, code in enumerate(engine.SEVERITY)),
        default=Value(len(engine.SEVERITY)), output_field=IntegerField(),
    ))


def summary_as_of(user, day: date, *, top_only: bool):
    """The summary's counts (a counts.Summary) of the pledges `user` sees, as they stood at the end of `day`."""
    from . import access, counts
    from .models import Category

    pledges = pledges_as_of(day, among=access.pledges_for(user))
    if top_only:
        pledges = [p for p in pledges if p.parent_id is None]
    summary = counts.Summary(by_status=counts_by_status(pledges))
    organizations = counts.organizations_in_tree(user)
    led = defaultdict(Counter)
    for p in pledges:
        led[p.organization_id][p.status] += 1
    subtree = counts.counts_by_subtree(led, organizations)
    summary.by_organization = [(org, subtree[org.pk]) for org in organizations if subtree.get(org.pk)]
    by_category = defaultdict(Counter)
    for p in pledges:
        by_category[p.category_id or 0][p.status] += 1
    summary.by_category = [(c, by_category[c.pk]) for c in Category.objects.all() if by_category.get(c.pk)]
    summary.uncategorized = sum(by_category.get(0, Counter()).values())
    return summary


def as_of_links(query, today: date, chosen: date | None) -> list[tuple[str, str]]:
    """(label, "?…") for the offered days and, when a past day is shown, for today: the page's other parameters kept."""
    from django.utils.translation import gettext

    links = []
    for day in [*period_ends(today), *([None] if chosen else [])]:
        params = query.copy()
        params.pop("page", None)
        params.pop("as_of", None)
        if day is not None:
            params["as_of"] = day.isoformat()
        links.append((day.isoformat() if day else gettext("today"), f"?{params.urlencode()}"))
    return links
