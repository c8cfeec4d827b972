"""Reporting completeness (填报完成率) and chasing late reports (催办).

The reporting period is a calendar month by default (`2025-10`), or a quarter (`2025-Q4`). A pledge owes a report in
the period when the report after its last counted one falls due in it, by the status engine's heartbeat
(`status.report_due_after`: one cadence after the period of the last approved report, at the deadline at the latest;
the first counted from the pledge's start). The last counted report is the latest approved one for a period ending
before the period starts, so a report made during the period does not move what the period owed.

Of the reports due in the period:
- submitted: an update for a later period than that last counted one exists, approved or awaiting approval (a
  returned update, or one a correction replaced, is not a submission);
- approved: one of them is approved;
- late: none submitted, and the grace days after the due date (TRACKER_REPORT_GRACE_DAYS) have passed;
- the rate is submitted / due.
A report that fell due before the period and is still late is counted apart ("late from earlier periods"), so that
the month's rate is the month's, and the late list still shows everything there is to chase.

Only pledges still chased count (models.CHASED: neither set aside nor closed), and not those judged from their parts
(a sum or an each with parts: nobody reports on them, `rollup.derives_from_parts`), nor an achieved one (the engine
asks it for no more reports). Each organization's row counts the pledges led in its subtree.

The page costs a fixed number of queries, whatever the number of organizations: the pledges, one aggregate of their
updates' dates, added up per organization in one pass in Python (`tally_by_organization`), and two for the late list.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

import django_tables2 as tables
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin
from django_tables2.export.views import ExportMixin

from . import access, display, emails, jobs, rollup, tasks
from .exports import SpreadsheetSafeTableExport
from . import status as engine
from .models import CHASED, AlertKind, ChaseLog, Organization, Pledge, ProgressUpdate, rules_from_settings
from .status import TargetStatus

LATE_LIST_LIMIT = 200  # the most late reports the page lists (the rest are counted)
ID_LIST_LIMIT = 20_000  # up to this many pledges, their updates are read by a list of ids (SQLite takes 32,766)


# --- The period ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A reporting period: a calendar month or a quarter, first and last day included."""

    label: str  # "2025-10" or "2025-Q4": what ?period= takes
    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        start = date(year, month, 1)
        return cls(f"{year:04d}-{month:02d}", start, start + relativedelta(months=1, days=-1))

    @classmethod
    def quarter(cls, year: int, number: int) -> "Period":
        start = date(year, 3 * number - 2, 1)
        return cls(f"{year:04d}-Q{number}", start, start + relativedelta(months=3, days=-1))

    @property
    def is_quarter(self) -> bool:
        return "Q" in self.label

    def shifted(self, steps: int) -> "Period":
        """The period `steps` periods later (earlier when negative), of the same length."""
        if self.is_quarter:
            moved = self.start + relativedelta(months=3 * steps)
            return Period.quarter(moved.year, (moved.month - 1) // 3 + 1)
        moved = self.start + relativedelta(months=steps)
        return Period.month(moved.year, moved.month)


_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])")


def current_period(today: date) -> Period:
    return Period.month(today.year, today.month)


def parse_period(text: str | None, today: date) -> Period:
    """?period=: `2025-10` (a month) or `2025-Q4` (a quarter); empty means the current month. Raises ValueError with
    a message naming the field for anything else."""
    text = (text or "").strip()
    if not text:
        return current_period(today)
    if found := _MONTH.fullmatch(text):
        year, month = int(found[1]), int(found[2])
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return Period.month(year, month)
    elif found := _QUARTER.fullmatch(text):
        year = int(found[1])
        if 2000 <= year <= 2100:
            return Period.quarter(year, int(found[2]))
    raise ValueError(
        _("Reporting period: “%(text)s” is not a month or a quarter; write it as 2025-10 or 2025-Q4.") % {"text": text[:20]}
    )


# --- One report per pledge ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """The report a pledge owes for a period (or owed before it and is still late)."""

    pledge_id: int
    org_path: str  # the lead organization's tree path
    due: date
    in_period: bool  # due within the period (else due before it, still late)
    submitted: bool
    approved: bool
    late: bool


def chased_pledges(queryset: QuerySet | None = None) -> QuerySet:
    """The pledges whose reports are counted and chased: neither set aside nor closed, and reporting for themselves
    (not a sum or an each judged from its parts)."""
    queryset = Pledge.objects.all() if queryset is None else queryset
    return queryset.filter(CHASED).exclude(rollup.derives_from_parts())


def reports(pledges: QuerySet, period: Period, today: date) -> list[Report]:
    """The report each of `pledges` owes in `period`, and the ones owed before it and still late, in two queries: the
    pledges, and their updates' dates aggregated per pledge (one pass over the updates, not three lookups per pledge:
    a third of the time at 100,000 pledges)."""
    rules = rules_from_settings()
    rows = list(pledges.values_list(
        "pk", "lead_organization__tree_path", "kind", "comparator", "deadline", "start_date", "baseline_date", "cadence",
        "target_status",
    ).order_by())
    # A few thousand pledges (an organization's): their updates read by id, along the (pledge, as_of) index; the whole
    # tracker's: one scan of the updates, filtered by the pledges' query (an id list that long costs more than it saves).
    ids = [row[0] for row in rows]
    of_pledges = Q(pledge_id__in=ids) if len(ids) <= ID_LIST_LIMIT else Q(pledge__in=pledges.values("pk"))
    approved, submitting = Q(review_state=ProgressUpdate.Review.APPROVED), Q(
        review_state__in=[ProgressUpdate.Review.APPROVED, ProgressUpdate.Review.PENDING]
    )
    dates = {
        pledge_id: rest
        for pledge_id, *rest in ProgressUpdate.objects.filter(of_pledges, superseded_by__isnull=True)
        .values("pledge_id").order_by()
        .annotate(
            last_counted=Max("as_of", filter=approved & Q(as_of__lt=period.start)),
            last_submitted=Max("as_of", filter=submitting),
            last_approved=Max("as_of", filter=approved),
        ).values_list("pledge_id", "last_counted", "last_submitted", "last_approved")
    } if ids else {}
    due_after = lru_cache(maxsize=None)(_due_after)  # most pledges share their terms' dates and last report
    found = []
    for pk, org_path, kind, comparator, deadline, start_date, baseline_date, cadence, status in rows:
        if status == TargetStatus.ACHIEVED:
            continue  # the engine asks an achieved pledge for no more reports
        last_counted, last_submitted, last_approved = dates.get(pk, (None, None, None))
        due = due_after(kind, comparator, deadline, start_date, baseline_date, cadence, last_counted)
        if due is None or due > period.end:
            continue
        submitted = last_submitted is not None and (last_counted is None or last_submitted > last_counted)
        approved_after = last_approved is not None and (last_counted is None or last_approved > last_counted)
        late = not submitted and engine.report_is_late(due, today, rules)
        in_period = due >= period.start
        if not in_period and not late:
            continue  # owed before the period and not late yet, or already made: that period's business
        found.append(Report(pk, org_path, due, in_period, submitted, approved_after, late))
    return found


def _due_after(kind, comparator, deadline, start_date, baseline_date, cadence, last_report) -> date | None:
    """status.report_due_after, from what the heartbeat reads of a pledge's terms."""
    terms = engine.Terms(kind=kind, comparator=comparator, deadline=deadline, start_date=start_date,
                         baseline_date=baseline_date, cadence=cadence)
    return engine.report_due_after(terms, last_report)


# --- Per organization ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    due: int = 0
    submitted: int = 0
    approved: int = 0
    late: int = 0
    late_before: int = 0  # due before the period, still late

    def add(self, report: Report) -> None:
        if not report.in_period:
            self.late_before += 1
            return
        self.due += 1
        self.submitted += report.submitted
        self.approved += report.approved
        self.late += report.late

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.submitted) / Decimal(self.due) if self.due else None


def tally_by_organization(found: list[Report]) -> dict[int, Tally]:
    """{organization id: the tally of the reports of pledges led in its subtree}, in one pass (each report adds to
    its lead organization and every organization above it, read from the tree path)."""
    tallies: dict[int, Tally] = defaultdict(Tally)
    for report in found:
        for part in report.org_path.strip("/").split("/"):
            if part:
                tallies[int(part)].add(report)
    return tallies


@dataclass
class Row:
    organization: Organization
    depth: int  # 0 for a shown organization at the top, 1 for its children
    has_children: bool  # a child with units of its own: the row links to its drill-down
    tally: Tally


@dataclass
class Completeness:
    period: Period
    roots: list[Organization]
    rows: list[Row]
    late: list[Pledge] = field(default_factory=list)  # each with .due, .days_late, .last_chase, .may_chase
    late_count: int = 0
    may_chase: bool = False  # whether the user may chase any of the late ones listed


def roots_for(user, org_id: str | None) -> list[Organization]:
    """The organizations whose subtrees the page shows: `org_id` (through access: 404 by the caller when None), else
    the user's top organizations (none of theirs above them)."""
    visible = access.organizations_for(user)
    if org_id:
        if not str(org_id).isdigit():
            return []
        return list(visible.filter(pk=int(org_id)))
    return list(visible.exclude(parent__in=visible).order_by("tree_path"))


def completeness_for(user, period: Period, roots: list[Organization], today: date) -> Completeness:
    """The rows for `roots` and their children, and the late reports under them, in a fixed number of queries."""
    children = list(
        Organization.objects.filter(parent__in=roots)
        .annotate(has_children=Exists(Organization.objects.filter(parent=OuterRef("pk"))))
        .order_by("tree_path")
    )
    in_roots = Q(pk__in=[])
    for root in roots:
        in_roots |= Q(lead_organization__tree_path__startswith=root.tree_path)
    pledges = chased_pledges(access.pledges_for(user)).filter(in_roots)
    found = reports(pledges, period, today)
    tallies = tally_by_organization(found)
    rows = []
    for root in roots:
        # A root's children are listed under it, so only a child with children of its own opens further.
        rows.append(Row(root, 0, False, tallies.get(root.pk, Tally())))
        rows += [Row(child, 1, child.has_children, tallies.get(child.pk, Tally())) for child in children
                 if child.parent_id == root.pk]
    result = Completeness(period, roots, rows)
    late = sorted((r for r in found if r.late), key=lambda r: (r.due, r.pledge_id))
    result.late_count = len(late)
    _attach_late(result, user, late[:LATE_LIST_LIMIT], today)
    return result


def _attach_late(result: Completeness, user, late: list[Report], today: date) -> None:
    """The late reports as pledges, with their due date, the last chase and whether `user` may chase them (2 queries)."""
    if not late:
        return
    ids = [report.pledge_id for report in late]
    last_chase = ChaseLog.objects.filter(pledge=OuterRef("pk")).order_by("-chased_at", "-id")
    pledges = Pledge.objects.select_related("lead_organization").annotate(
        last_chase_at=Subquery(last_chase.values("chased_at")[:1]),
        last_chase_day=Subquery(last_chase.values("day")[:1]),
        last_chase_by=Subquery(last_chase.values("chased_by__username")[:1]),
    ).in_bulk(ids)
    chaseable = set(access.pledges_to_chase(user, Pledge.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    for report in late:
        pledge = pledges[report.pledge_id]
        pledge.due = report.due
        pledge.days_late = (today - report.due).days
        pledge.chased_today = pledge.last_chase_day == today
        pledge.may_chase = pledge.pk in chaseable
        result.late.append(pledge)
    result.may_chase = bool(chaseable)


# --- Chasing (催办) -----------------------------------------------------------------------------------------


@dataclass
class ChaseOutcome:
    chased: list[int] = field(default_factory=list)  # pledge ids chased by this press
    already: list[int] = field(default_factory=list)  # chased earlier today (by anyone)
    refused: list[int] = field(default_factory=list)  # not late, not theirs to chase, or unknown


def may_chase_anything(user) -> bool:
    """Whether `user` reviews, manages or administers some subtree (the chase button is theirs)."""
    return access.is_administrator(user) or bool(access.paths(user, {access.Role.REVIEWER, access.Role.MANAGER}))


def do_chase(user, pledge_ids, today: date | None = None) -> ChaseOutcome:
    """Chase (催办) the late reports of the pledges in `pledge_ids` that `user` may chase (access.pledges_to_chase):
    one reminder to each owner (the CHASE alert's recipients) through the outbox, at most once per pledge per day.

    The day's ChaseLog row is inserted with ON CONFLICT DO NOTHING RETURNING, so of two presses at once only one gets
    a pledge back and sends; the reminder's outbox key (recipient, pledge, chase, `chase:<day>`) would refuse a second
    copy anyway.
    """
    today = today or timezone.localdate()
    wanted = sorted({int(pk) for pk in pledge_ids})
    allowed = chased_pledges(access.pledges_to_chase(user, Pledge.objects.filter(pk__in=wanted)))
    late = {r.pledge_id: r for r in reports(allowed, current_period(today), today) if r.late}
    outcome = ChaseOutcome(refused=[pk for pk in wanted if pk not in late])
    if not late:
        return outcome
    pledges = Pledge.objects.select_related("lead_organization").prefetch_related("co_owners").in_bulk(list(late))
    directory = jobs.Directory()
    recipients = {pk: directory.for_pledge(pledges[pk], AlertKind.CHASE) for pk in late}
    chaser = user.get_full_name() or user.get_username()
    with transaction.atomic():
        new = _insert_chase_logs(
            {pk: ", ".join(r.email for r in recipients[pk]) for pk in late}, chased_by=user, day=today
        )
        notifications = []
        for pk in sorted(new):
            pledge, report = pledges[pk], late[pk]
            context = {"pledge": pledge, "due": report.due, "days_late": (today - report.due).days, "chaser": chaser,
                       "url": emails.pledge_url(pledge)}
            notifications += [jobs._notification(recipient, AlertKind.CHASE, f"chase:{today.isoformat()}", context, pledge)
                              for recipient in recipients[pk]]
        jobs._store(notifications)  # the outbox: its unique key makes each reminder go out once
        if notifications:
            transaction.on_commit(lambda: tasks.enqueue_safely(tasks.dispatch_notifications))
    outcome.chased = sorted(new)
    outcome.already = sorted(set(late) - new)
    return outcome


def _insert_chase_logs(recipients: dict[int, str], *, chased_by, day: date) -> set[int]:
    """Insert today's ChaseLog row for each pledge in `recipients` ({pledge id: addresses}) unless one exists, and
    return the pledge ids this statement inserted (PostgreSQL and SQLite both say so with RETURNING)."""
    if not recipients:
        return set()
    table = connection.ops.quote_name(ChaseLog._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    day_value = connection.ops.adapt_datefield_value(day)
    values, params = [], []
    for pk, addresses in sorted(recipients.items()):
        values.append("(%s, %s, %s, %s, %s)")
        params += [pk, day_value, chased_by.pk, now, addresses]
    sql = (
        f"INSERT INTO {table} (pledge_id, day, chased_by_id, chased_at, recipients) VALUES {', '.join(values)} "
        "ON CONFLICT (pledge_id, day) DO NOTHING RETURNING pledge_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


# --- The page -----------------------------------------------------------------------------------------------


class CompletenessTable(tables.Table):
    """One row per organization (its whole subtree); every column sorts; CSV and XLSX through the formula-safe
    export."""

    organization = tables.Column(verbose_name=gettext_lazy("organization"), accessor="organization", order_by="name")
    due = tables.Column(verbose_name=gettext_lazy("reports due"), accessor="tally__due")
    submitted = tables.Column(verbose_name=gettext_lazy("submitted"), accessor="tally__submitted")
    approved = tables.Column(verbose_name=gettext_lazy("approved"), accessor="tally__approved")
    late = tables.Column(verbose_name=gettext_lazy("late"), accessor="tally__late")
    rate = tables.Column(verbose_name=gettext_lazy("completion rate"), accessor="tally__rate", order_by="rate_key", empty_values=())
    late_before = tables.Column(verbose_name=gettext_lazy("still late from earlier periods"), accessor="tally__late_before")

    class Meta:
        orderable = True
        attrs = {"class": "completeness"}
        row_attrs = {"class": lambda record: f"depth-{record['depth']}"}

    def __init__(self, *args, drill_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.drill_url = drill_url

    def render_organization(self, record):
        organization = record["organization"]
        name = format_html('<span class="org-name" title="{}">{}</span>', organization.name,
                           organization.short_name or organization.name)
        if record["has_children"] and self.drill_url:
            name = format_html('{} <a class="drill" href="{}">{}</a>', name, self.drill_url(organization),
                               gettext_lazy("open its units"))
        return name

    def value_organization(self, record):
        return record["organization"].name

    def render_rate(self, value):
        return "—" if value is None else display.percent(value)

    def value_rate(self, value):
        return "" if value is None else display.percent(value)


for _name, _column in CompletenessTable.base_columns.items():
    _column.attrs = {**_column.attrs, "td": {"class": _name}, "th": {"class": _name}}


def table_rows(result: Completeness) -> list[dict]:
    return [
        {"organization": row.organization, "name": row.organization.short_name or row.organization.name,
         "depth": row.depth, "has_children": row.has_children, "tally": row.tally,
         "rate_key": row.tally.rate if row.tally.rate is not None else Decimal(-1)}
        for row in result.rows
    ]


class CompletenessView(LoginRequiredMixin, ExportMixin, SingleTableMixin, TemplateView):
    template_name = "commitments/completeness.html"
    table_class = CompletenessTable
    table_pagination = False
    export_class = SpreadsheetSafeTableExport  # CSV and XLSX only; formulas written as text
    export_formats = SpreadsheetSafeTableExport.OFFERED

    def get(self, request, *args, **kwargs):
        today = timezone.localdate()
        self.period_error = None
        try:
            self.period = parse_period(request.GET.get("period"), today)
        except ValueError as error:
            self.period_error, self.period = str(error), current_period(today)
        org_id = request.GET.get("org")
        roots = roots_for(request.user, org_id)
        if org_id and not roots:
            raise Http404(_("No such organization among those you see."))
        self.result = completeness_for(request.user, self.period, roots, today)
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        return table_rows(self.result)

    def get_table_kwargs(self):
        return {"drill_url": lambda org: self._url(org=org.pk)}

    def get_export_filename(self, export_format):
        return f"completeness-{self.period.label}.{export_format}"

    def _url(self, **params) -> str:
        query = {"period": self.period.label}
        if self.request.GET.get("org"):
            query["org"] = self.request.GET["org"]
        query.update(params)
        return f"{reverse('tracker-completeness')}?{urlencode({k: v for k, v in query.items() if v})}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period, today = self.period, timezone.localdate()
        this_month, this_quarter = current_period(today), Period.quarter(today.year, (today.month - 1) // 3 + 1)
        parents = [root.parent for root in self.result.roots if root.parent_id]
        up = next((p for p in parents if access.organizations_for(self.request.user).filter(pk=p.pk).exists()), None)
        context.update(
            result=self.result,
            period=period,
            period_error=self.period_error,
            grace_days=settings.TRACKER_REPORT_GRACE_DAYS,
            periods=[
                (_("previous period"), self._url(period=period.shifted(-1).label)),
                (_("this month"), self._url(period=this_month.label)),
                (_("this quarter"), self._url(period=this_quarter.label)),
                (_("next period"), self._url(period=period.shifted(1).label)),
            ],
            up_url=self._url(org=up.pk) if up else (self._url(org="") if self.request.GET.get("org") else None),
            org_id=self.request.GET.get("org", ""),
            chaser=may_chase_anything(self.request.user),
        )
        return context


@require_POST
@login_required
def chase_view(request):
    """The 催办 button: chase the ticked late reports, then back to the page with what happened."""
    if not may_chase_anything(request.user):
        raise PermissionDenied(_("Only reviewers, managers and administrators chase late reports."))
    ids = [value for value in request.POST.getlist("pledge") if value.isdigit()]
    back = {"period": request.POST.get("period", ""), "org": request.POST.get("org", "")}
    back_url = f"{reverse('tracker-completeness')}?{urlencode({k: v for k, v in back.items() if v and v.replace('-', '').isalnum()})}#late"
    if not ids:
        messages.error(request, _("Late reports: tick at least one report to chase."))
        return redirect(back_url)
    outcome = do_chase(request.user, ids)
    messages.success(
        request,
        _("%(chased)d reports chased, %(already)d already chased today.")
        % {"chased": len(outcome.chased), "already": len(outcome.already)},
    )
    if outcome.refused:
        messages.warning(
            request,
            _("%(count)d not chased: not late, or not yours to chase.") % {"count": len(outcome.refused)},
        )
    return redirect(back_url)
