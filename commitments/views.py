"""Pages for managers: the status table, the summary, one pledge, one organization, one source document."""

import mimetypes
import posixpath
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When, prefetch_related_objects
from django.http import FileResponse, Http404, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export.views import ExportMixin

from . import access, asof, breakdown, charts, counts, display, health, measures
from .display import update_counts, update_standing, update_value_text
from .exports import SpreadsheetSafeTableExport
from .filters import ACTIVE_AND_CLOSED, ALL_LEVELS, TOP_LEVEL, PledgeFilter
from .models import Instruction, Organization, Pledge, ProgressUpdate, Revision, StatusChange
from .status import SEVERITY, Composition, Kind, Method, ReportingStatus, TargetStatus
from .tables import PledgeTable, PledgeTableAsOf

# Worst first, for sorting by status; no data after the ranked ones.
SEVERITY_RANK = Case(
    *(When(target_status=code, then=Value(rank)) for rank, code in enumerate(SEVERITY)),
    default=Value(len(SEVERITY)),
    output_field=IntegerField(),
)
STATUS_ORDER = [*SEVERITY, TargetStatus.NO_DATA]
RANK = {code: rank for rank, code in enumerate(STATUS_ORDER)}  # worse statuses first: a change to a lower rank is worse
RECENT_CHANGE_DAYS = 7  # the summary lists status changes of this many days
# The most rows one page shows (the "all on one page, for printing" link asks for up to this many).
MAX_ROWS_PER_PAGE = 500


def pledge_rows(user):
    """The pledges `user` may see, with what the tables need from related rows, in one query."""
    rows = access.pledges_for(
        user, Pledge.objects.select_related("lead_organization", "parent__lead_organization")  # a part names its whole
    ).annotate(severity=SEVERITY_RANK)
    return measures.with_latest_measures(rows)  # the latest cause and measures, under the reason of a pledge behind


class BoundedPaginator(Paginator):
    """?per_page= comes from the URL: below 1 means the page's default, above MAX_ROWS_PER_PAGE means that many."""

    def __init__(self, object_list, per_page, *args, default_per_page, **kwargs):
        per_page = default_per_page if per_page < 1 else min(per_page, MAX_ROWS_PER_PAGE)
        super().__init__(object_list, per_page, *args, **kwargs)


def bounded_pages(per_page: int) -> dict:
    """A table view's pagination: `per_page` rows unless the URL asks for another number within bounds."""
    return {"per_page": per_page, "paginator_class": BoundedPaginator, "default_per_page": per_page}


# The status table counts its rows up to this many and then says "more than" (at 1,000,000 pledges a full COUNT of a
# broad filter took most of the page's time, on every page view, for a figure nobody reads to the last digit; the
# summary has the exact counts by status). Counting 10,001 ids of one status cost PostgreSQL 5-8 ms of CPU on every
# such page under load; 2,001 a fifth of that, and 80 pages of 25 are more than anyone leafs through.
COUNT_CAP = 2_000


class CappedCountPaginator(BoundedPaginator):
    """Counts at most COUNT_CAP + 1 rows (COUNT over a LIMIT-ed subquery of the ids); past the cap, `capped` is true
    and the pages go as far as the cap reaches (the filters narrow it down, the export has every row)."""

    cap = COUNT_CAP

    @cached_property
    def counted(self) -> int:
        """The rows, counted up to one past the cap."""
        # django-tables2 hands over its rows; the queryset is their data's data (a list when sorted in Python).
        queryset = getattr(getattr(self.object_list, "data", None), "data", self.object_list)
        if not isinstance(queryset, QuerySet):
            return len(self.object_list)
        return queryset.order_by().values("pk")[: self.cap + 1].count()

    @property
    def count(self) -> int:
        return min(self.counted, self.cap)

    @property
    def capped(self) -> bool:
        return self.counted > self.cap

    def page(self, number):
        """As Paginator.page, but past the cap the last page is not cut at the cap: it has its full rows."""
        if not self.capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom: bottom + self.per_page], number, self)


def capped_pages(per_page: int) -> dict:
    return bounded_pages(per_page) | {"paginator_class": CappedCountPaginator}


class FilteredPledgeListView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    table_class = PledgeTable
    filterset_class = PledgeFilter
    template_name = "commitments/pledge_list.html"
    table_pagination = capped_pages(25)
    export_class = SpreadsheetSafeTableExport  # CSV and XLSX only; formulas written as text
    export_formats = SpreadsheetSafeTableExport.OFFERED
    export_name = "pledges"

    def get_queryset(self):
        rows = pledge_rows(self.request.user)
        if self.as_of:  # ?as_of=: the status at the end of a past day, from the status history (commitments.asof)
            rows = asof.with_status_then(rows, self.as_of)
        return rows

    @cached_property
    def as_of(self):
        return asof.parse_day(self.request.GET.get("as_of"))

    def get_table_class(self):
        return PledgeTableAsOf if self.as_of else super().get_table_class()

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        if self.as_of:
            filterset.filters["status"].field_name = "status_then"
        return filterset

    def get_table_data(self):
        rows = super().get_table_data()
        chosen = self.filterset.form.cleaned_data.get("status") if self.filterset.is_valid() else None
        if chosen and len(chosen) == 1 and hasattr(rows, "annotate"):
            # One status: every row has the same severity, and saying so lets PostgreSQL walk the (status, deadline)
            # index for the default order (worst first, then deadline) instead of sorting every pledge of that status
            # (at 100,000 pledges, 60,000 rows sorted on disk for each page of 25).
            status = chosen[0]
            rank = SEVERITY.index(status) if status in SEVERITY else len(SEVERITY)
            rows = rows.annotate(severity=Value(rank, output_field=IntegerField()))
        return rows

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs

    def get_export_filename(self, export_format):
        return f"pledges-{(self.as_of or timezone.localdate()).isoformat()}{'-as-of' if self.as_of else ''}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = context["table"]
        context["active_filters"] = self.filterset.described()
        context["generated_at"] = display.moment(timezone.now())
        context["as_of"], context["as_of_links"] = self.as_of, asof.as_of_links(self.request.GET, timezone.localdate(), self.as_of)
        if table.paginator.num_pages > 1:
            query = self.request.GET.copy()
            query["per_page"] = min(table.paginator.count, MAX_ROWS_PER_PAGE)
            query.pop("page", None)
            context["one_page_url"] = f"?{query.urlencode()}"
            context["one_page_rows"] = query["per_page"]
        return context


def matrix_row(label, counts, link_params, indent=0, path=None, drill=None):
    """One row of a status matrix: the count of each status, each linked to the status table showing those pledges.
    Pass the status table's `path` when building many rows (it is looked up once); `drill` is (url, how many
    organizations are folded under this one) for a row whose children are not shown."""
    base = table_url(path, **link_params)
    cells = [(status, counts.get(status, 0), f"{base}&status={status}") for status in STATUS_ORDER]
    total = sum(counts.values())
    return {"label": label, "indent": indent, "cells": cells, "total": total, "total_url": base,
            "html": matrix_row_html(label, indent, cells, total, base, drill)}


def matrix_row_html(label, indent, cells, total, total_url, drill=None) -> str:
    """The row's <tr>, written here rather than by a template loop (a template loop over many rows was slow)."""
    tds = "".join(
        f'<td class="has status-{status}"><a href="{escape(url)}">{count}</a></td>' if count
        else '<td><span class="zero">0</span></td>'
        for status, count, url in cells
    )
    more = ""
    if drill:
        url, folded = drill
        words = escape(ngettext("%(n)d organization under it", "%(n)d organizations under it", folded) % {"n": folded})
        more = f' <a class="drill" href="{escape(url)}" title="{words}">▸ {words}</a>'
    return mark_safe(
        f'<tr><th scope="row" class="indent-{min(indent, 3)}">{escape(label)}{more}</th>{tds}'
        f'<td><a href="{escape(total_url)}">{total}</a></td></tr>'
    )


def table_url(path=None, **params):
    """The status table filtered by `params`."""
    given = {k: v for k, v in params.items() if v is not None}
    return f"{path or reverse('tracker-pledges')}?{urlencode(given, doseq=True)}"  # a list: the key repeated


class SummaryView(LoginRequiredMixin, TemplateView):
    """Counts by status, what needs attention, the week's changes, and the organization and category matrices: of the
    top-level pledges by default (the city reads the whole, not the whole plus its parts twice), of every level with
    ?level=all. The counts come from the kept counts (commitments.counts), not from counting every pledge."""

    template_name = "commitments/summary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        top_only = self.request.GET.get("level") != ALL_LEVELS
        level = {"level": TOP_LEVEL} if top_only else {}  # the status table shows every level unless told
        # The counts include closed pledges (an achieved pledge stays achieved when it is closed), so the links ask the
        # status table, which leaves them out by default, for them too: a number and the rows behind it agree.
        level["closed"] = ACTIVE_AND_CLOSED
        # ?as_of=: the counts as they stood at the end of a past day, from the status history (commitments.asof).
        as_of = asof.parse_day(self.request.GET.get("as_of"))
        context["as_of"], context["as_of_links"] = as_of, asof.as_of_links(self.request.GET, timezone.localdate(), as_of)
        if as_of:
            level["as_of"] = as_of.isoformat()
        summary = asof.summary_as_of(user, as_of, top_only=top_only) if as_of else counts.summary_for(user, top_only=top_only)
        path = reverse("tracker-pledges")
        context["top_only"] = top_only
        context["overall"] = [
            {"status": s, "label": TargetStatus(s).label, "count": summary.by_status.get(s, 0),
             "url": table_url(path, status=s, **level), "badge": display.status_badge(s, TargetStatus(s).label)}
            for s in STATUS_ORDER
        ]
        context["total"] = sum(summary.by_status.values())
        context["total_url"] = table_url(path, **level)
        context["status_headers"] = [display.status_badge(s, TargetStatus(s).label) for s in STATUS_ORDER]
        # Organizations: each row counts the pledges led in its subtree, like the filter; a part counts under its own.
        # The top of the tree only, folded below (counts.fold_organizations); ?under=<id> opens one organization.
        under = self._under(summary.by_organization)
        context["under"] = under
        context["org_rows"] = [
            matrix_row(row.organization, row.counts, {"organization": row.organization.pk, **level}, row.indent, path,
                       drill=(f"?{urlencode({'under': row.organization.pk, **({} if top_only else {'level': ALL_LEVELS}), **({'as_of': as_of.isoformat()} if as_of else {})})}#by-organization",
                              row.folded) if row.folded else None)
            for row in counts.fold_organizations(summary.by_organization, under)
        ]
        context["category_rows"] = [
            matrix_row(category, category_counts, {"category": category.pk, **level}, path=path)
            for category, category_counts in summary.by_category
        ]
        context["uncategorized"] = summary.uncategorized

        rows = pledge_rows(user)
        visible = access.pledges_for(user)
        if top_only:
            rows, visible = rows.filter(parent__isnull=True), visible.filter(parent__isnull=True)
        # A closed pledge (办结 / 销号) needs no attention any more.
        context["attention"] = PledgeTable(needs_attention(rows.filter(closed=False)), orderable=False)
        # The rest of them, in the status table: overdue and off track, and the late reports.
        open_level = {key: value for key, value in level.items() if key != "closed"}  # the table's default: open ones
        context["attention_urls"] = (
            table_url(path, status=[TargetStatus.OVERDUE.value, TargetStatus.OFF_TRACK.value], **open_level),
            table_url(path, reporting=ReportingStatus.LATE, **open_level),
        )
        context["attention_limit"] = ATTENTION_ROWS
        context["recent_changes"] = recent_changes(visible, timezone.now() - timedelta(days=RECENT_CHANGE_DAYS))
        context["recent_change_days"] = RECENT_CHANGE_DAYS
        return context


    def _under(self, by_organization):
        """The organization whose subtree the matrix opens (?under=<id>), among those the user sees; None for the top."""
        wanted = self.request.GET.get("under")
        if not wanted:
            return None
        found = next((org for org, _counts in by_organization if str(org.pk) == wanted), None)
        if found is None:
            raise Http404(_("No such organization among those you see, or none of its pledges are counted here."))
        return found


# The summary lists this many pledges needing attention, worst first; links lead to all of them in the status table
# (50 rows were a third of the summary's time and more than a glance takes in).
ATTENTION_ROWS = 20


def needs_attention(rows, limit=ATTENTION_ROWS):
    """Overdue pledges, then off-track ones, then the others whose report is late (worst first), each by deadline; at
    most `limit`. Up to three queries, the first two read along an index on the deadline and stop at `limit`, instead
    of one that sorted every such pledge by severity (0.4 s at 1,000,000 pledges)."""
    found = []
    for condition, order in (
        (Q(target_status=TargetStatus.OVERDUE), ("deadline",)),
        (Q(target_status=TargetStatus.OFF_TRACK), ("deadline",)),
        (Q(reporting_status=ReportingStatus.LATE) & ~Q(target_status__in=[TargetStatus.OVERDUE, TargetStatus.OFF_TRACK]),
         ("severity", "deadline")),
    ):
        if len(found) < limit:
            found += rows.filter(condition).order_by(*order)[: limit - len(found)]
    return found


def recent_changes(visible, since, limit=30):
    """The newest status changes of the visible pledges since a moment, each marked better or worse; a pledge's
    first assessment is not a change. Newest first by id (the primary key index), so the page stays fast however
    long the history grows."""
    changes = (
        StatusChange.objects.filter(pledge__in=visible, changed_at__gte=since)
        .exclude(from_status="")
        .select_related("pledge__lead_organization")
        .order_by("-id")[:limit]
    )
    rows = []
    for change in changes:
        worse = RANK[change.to_status] < RANK[change.from_status]
        better = RANK[change.to_status] > RANK[change.from_status]
        rows.append({
            "change": change,
            "when": display.moment(change.changed_at),
            "from": display.status_badge(change.from_status, change.get_from_status_display()),
            "to": display.status_badge(change.to_status, change.get_to_status_display()),
            "direction": "worse" if worse else "better" if better else "",
        })
    return rows


class PledgeDetailView(LoginRequiredMixin, DetailView):
    template_name = "commitments/pledge_detail.html"
    context_object_name = "pledge"

    def get_queryset(self):
        visible = access.pledges_for(self.request.user)
        return visible.select_related("lead_organization", "category", "source_document").prefetch_related(
            "co_owners",
            Prefetch("updates", queryset=self.updates()),
            "status_changes",
        )

    @staticmethod
    def updates():
        return ProgressUpdate.objects.select_related("reporter", "superseded_by", "supersedes").order_by("-as_of", "-created_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pledge = self.object
        updates = list(pledge.updates.all())
        today = timezone.localdate()
        context["updates"] = updates
        context["update_rows"] = [
            {"update": u, "value": update_value_text(u, pledge), "recorded": display.moment(u.created_at),
             "counts": update_counts(u), "standing": update_standing(u)}
            for u in updates
        ]
        context["latest_measures"] = measures.latest_for(pledge, updates)  # shown beside the status when behind
        context["today"] = today
        context["baseline"] = display.amount(pledge.baseline, pledge.unit)
        context["latest"] = display.amount(pledge.latest_value, pledge.unit)
        context["expected"] = display.amount(pledge.expected_now, pledge.unit)
        context["ratio"] = display.percent(pledge.progress_ratio)
        context["method"] = Method(pledge.method_in_force).label
        if pledge.method_in_force == Method.SCHEDULE:
            prefetch_related_objects([pledge], "checkpoints")  # once, for every reading of its terms on the page
            context["checkpoints"] = [(c.as_of, display.amount(c.planned_value, pledge.unit)) for c in pledge.checkpoints.all()]
        days = (pledge.deadline - today).days
        context["days_left_text"] = (
            _("%(days)d days left") % {"days": days} if days >= 0 else _("%(days)d days ago") % {"days": -days}
        )
        context["changes"] = sorted(pledge.status_changes.all(), key=lambda c: (c.changed_at, c.pk), reverse=True)
        context["ancestors"] = breakdown.ancestors(self.request.user, pledge)
        context["breakdown"] = parts = breakdown.load(self.request.user, pledge, today)
        # A pledge judged from its parts has no progress of its own to record: its parts have.
        context["judged_from_parts"] = parts is not None and pledge.composition != Composition.OWN
        context["can_record"] = (
            self.request.user.is_staff and not context["judged_from_parts"] and access.can_report(self.request.user, pledge)
        )
        # The chart plots what the status engine reads: a sum's parts stacked, an each's parts side by side.
        if context["judged_from_parts"]:
            context["chart"] = parts.chart
        else:
            readings = ProgressUpdate.readings_that_count(updates)
            context["chart"] = charts.progress_chart(pledge.terms(), readings, today, pledge.unit)
        context.update(self.revisions(pledge))
        context.update(self.instructions(pledge, today))
        context["status_badge"] = display.status_badge(pledge.target_status, pledge.get_target_status_display())
        context["reporting_badge"] = display.reporting_badge(pledge.reporting_status, pledge.get_reporting_status_display())
        if pledge.source_document_id:
            context["document_url"] = reverse("tracker-document", args=[pledge.source_document_id]) + f"#pledge-{pledge.pk}"
        return context


    def revisions(self, pledge) -> dict:
        """The approved changes of its terms or standing (oldest first: the first one's "before" is the original) and
        the request awaiting approval; rejected requests changed nothing and are left out."""
        revisions = list(
            pledge.revisions.exclude(state=Revision.State.REJECTED)
            .select_related("requested_by", "reviewed_by").order_by("requested_at", "id")
        )
        user = self.request.user
        may_request = user.is_staff and access.can_request_revision(user, pledge)
        closings = [r for r in revisions if r.kind == Revision.Change.CLOSE and r.state == Revision.State.APPROVED]
        return {
            # The confirmed request that closed the pledge (its evidence), while it stays closed.
            "closing": closings[-1] if pledge.closed and closings else None,
            "can_close": may_request and pledge.target_status == TargetStatus.ACHIEVED and not pledge.closed,
            "revisions": [
                {"revision": r, "changes": r.changes(), "when": display.moment(r.reviewed_at)}
                for r in revisions if r.state == Revision.State.APPROVED
            ],
            "pending_revisions": [
                {"revision": r, "changes": r.changes(), "when": display.moment(r.requested_at)}
                for r in revisions if r.state == Revision.State.PENDING
            ],
            "original_deadline": display.day(pledge.original_deadline),
            "can_request_revision": may_request and not pledge.closed,  # a closed pledge takes no request
        }


    def instructions(self, pledge, today) -> dict:
        """Its instructions (批示), the newest first, each with its answer, and what the user may do about each: write
        one (a manager or administrator of the pledge), answer (the addressee's reporters), accept or return an
        answer (the writer, an administrator); all of it in the admin."""
        user = self.request.user
        instructions = list(
            pledge.instructions.select_related("addressee", "written_by", "answered_by", "closed_by")
            .order_by("-written_at", "-id")
        )
        answerable, decidable = (  # one query each, not one per instruction; none on a page without any
            set(allowed.filter(pledge=pledge).values_list("pk", flat=True)) if instructions and user.is_staff else set()
            for allowed in (access.instructions_to_answer(user), access.instructions_to_decide(user))
        )
        rows = []
        for instruction in instructions:
            may_answer, may_decide = instruction.pk in answerable, instruction.pk in decidable
            rows.append({
                "instruction": instruction,
                "late": instruction.state == Instruction.State.OPEN and instruction.due < today,
                "link": reverse("admin:commitments_instruction_change", args=[instruction.pk])
                if may_answer or may_decide else "",
                "action": _("Answer it") if may_answer else _("Accept or return") if may_decide else "",
            })
        return {
            "instructions": rows,
            "can_instruct": user.is_staff and not pledge.closed and access.can_instruct(user, pledge),
        }


class OrganizationPledgeTable(PledgeTable):
    class Meta(PledgeTable.Meta):
        per_page = 50  # also what ?per_page=0 falls back to


class OrganizationDetailView(LoginRequiredMixin, SingleTableMixin, DetailView):
    """One organization and everything under it: for accountability meetings."""

    model = Organization
    template_name = "commitments/organization_detail.html"
    context_object_name = "organization"
    table_class = OrganizationPledgeTable
    table_pagination = bounded_pages(OrganizationPledgeTable._meta.per_page)

    def get_queryset(self):
        return access.organizations_for(self.request.user)

    def get_table_data(self):
        return pledge_rows(self.request.user).filter(lead_organization__tree_path__startswith=self.object.tree_path)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.object
        counts = Counter(
            dict(
                access.pledges_for(self.request.user).filter(lead_organization__tree_path__startswith=org.tree_path)
                .values_list("target_status").annotate(n=Count("id")).order_by()
            )
        )
        context["summary_rows"] = [matrix_row(org, counts, {"organization": org.pk})]
        context["status_headers"] = [display.status_badge(s, TargetStatus(s).label) for s in STATUS_ORDER]
        context["children"] = Organization.objects.filter(parent=org)
        context["ancestors"] = Organization.objects.filter(pk__in=org.ancestor_ids()).order_by("tree_path")
        return context


class SourceDocumentDetailView(LoginRequiredMixin, DetailView):
    """A document is shown to those who may see at least one of its pledges (administrators: all)."""

    template_name = "commitments/document_detail.html"
    context_object_name = "document"

    def get_queryset(self):
        return access.documents_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = access.pledges_for(self.request.user, self.object.pledges.all())
        pledges = list(visible.select_related("lead_organization").order_by("id"))
        context["pledges"] = pledges
        context["marked_text"] = mark_pledges(self.object.full_text, pledges)
        return context


def mark_pledges(text: str, pledges) -> str:
    """The document text, escaped, with each pledge's source sentence marked and linked to its pledge.

    Pledges that share a clause (五年建成一个千亿级、两个五百亿级产业集群) share one mark, with a link each.
    """
    marks: dict[int, tuple[int, list]] = {}  # start -> (end, pledges)
    for pledge in pledges:
        sentence = pledge.source_sentence
        start = text.find(sentence) if sentence else -1
        while start != -1:
            end = start + len(sentence)
            if start in marks and marks[start][0] == end:
                marks[start][1].append(pledge)
                break
            if not any(s < end and start < e for s, (e, _) in marks.items()):
                marks[start] = (end, [pledge])
                break
            start = text.find(sentence, start + 1)
    out, position = [], 0
    for start in sorted(marks):
        end, marked = marks[start]
        first, *others = marked
        out.append(format_html("{}", text[position:start]))
        out.append(
            format_html(
                '<mark id="pledge-{}" class="status-{}"><a href="{}" title="{}">{}</a></mark>',
                first.pk, first.target_status, reverse("tracker-pledge", args=[first.pk]),
                f"{first.metric} — {first.get_target_status_display()}", text[start:end],
            )
        )
        for n, pledge in enumerate(others, start=2):
            out.append(
                format_html(
                    '<a id="pledge-{}" class="also" href="{}" title="{}"><sup>[{}]</sup></a>',
                    pledge.pk, reverse("tracker-pledge", args=[pledge.pk]),
                    f"{pledge.metric} — {pledge.get_target_status_display()}", n,
                )
            )
        position = end
    out.append(format_html("{}", text[position:]))
    return mark_safe("".join(out))


class HelpView(LoginRequiredMixin, TemplateView):
    """What each status means and when alerts go out, with the thresholds this installation uses."""

    template_name = "commitments/help.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["badges"] = {s: display.status_badge(s, TargetStatus(s).label) for s in STATUS_ORDER}
        context["reporting_badges"] = {
            s: display.reporting_badge(s, ReportingStatus(s).label) for s in (ReportingStatus.DUE_SOON, ReportingStatus.LATE)
        }
        context["on_track"] = display.percent(settings.TRACKER_ON_TRACK_RATIO)
        context["at_risk"] = display.percent(settings.TRACKER_AT_RISK_RATIO)
        context["cagr_on_track"] = display.percent(settings.TRACKER_CAGR_ON_TRACK_RATIO)
        context["cagr_at_risk"] = display.percent(settings.TRACKER_CAGR_AT_RISK_RATIO)
        context["schedule_interpolates"] = settings.TRACKER_SCHEDULE_INTERPOLATE
        context["default_methods"] = [
            (Kind(kind).label, Method(method).label)
            for kind, method in settings.TRACKER_DEFAULT_METHODS.items() if kind != Kind.MILESTONE
        ]
        context["due_soon_days"] = settings.TRACKER_REPORT_DUE_SOON_DAYS
        context["grace_days"] = settings.TRACKER_REPORT_GRACE_DAYS
        # "30、7" in Chinese, "30, 7" in English.
        context["warning_days"] = _(", ").join(str(d) for d in sorted(settings.TRACKER_DEADLINE_WARNING_DAYS, reverse=True))
        context["reminder_every"] = settings.TRACKER_LATE_REMINDER_EVERY_DAYS
        context["reminder_max"] = settings.TRACKER_LATE_REMINDER_MAX
        context["escalate_after"] = settings.TRACKER_ESCALATE_AFTER_DAYS
        return context


PICKED = 20  # how many matches the search box of a long drop-down offers


@login_required
def pick_view(request, kind):
    """The search box beside a long drop-down (filters.PICKER_OPTIONS): the first PICKED organizations or documents
    the user may choose whose name contains what was typed, as JSON."""
    typed = request.GET.get("q", "").strip()[:100]
    if kind == "organizations":
        found = access.organizations_for(request.user).filter(Q(name__icontains=typed) | Q(short_name__icontains=typed))
        rows = found.order_by("tree_path").values_list("pk", "name")
    elif kind == "documents":
        rows = access.documents_for(request.user).filter(title__icontains=typed).order_by("-id").values_list("pk", "title")
    else:
        raise Http404
    return JsonResponse({"results": [{"id": pk, "text": text} for pk, text in rows[:PICKED]]})


@never_cache
def health_view(request):
    """For monitoring: 200 while alerts can go out (ok or warning), 503 when something stops them.
    Anyone gets each check's state; administrators also get the details (errors may name hosts)."""
    checks = health.check_all()
    state = health.overall(checks)
    show_details = access.is_administrator(request.user)
    body = {
        "status": state,
        "checks": {
            check.name: {"state": check.state, **({"detail": check.detail} if show_details else {})} for check in checks
        },
    }
    return JsonResponse(body, status=503 if state == health.FAILING else 200, json_dumps_params={"ensure_ascii": False})


# Shown in the browser; anything else is downloaded (an HTML or SVG upload must not run as a page of this site).
INLINE_FILE_TYPES = {"text/plain", "image/png", "image/jpeg", "image/gif", "image/webp"}


@login_required
def media_file(request, name):
    """An uploaded file (evidence, a source document's file) for whoever may see what it belongs to.
    Unknown and not-allowed names both answer 404, so the answer does not tell whether a file exists."""
    if name != posixpath.normpath(name) or name.startswith(("/", "../")) or "\\" in name:
        raise Http404  # only names exactly as the storage writes them; the row lookup below then finds nothing else
    if not access.can_open_file(request.user, name):
        raise Http404
    try:
        stored = default_storage.open(name)
    except (OSError, SuspiciousFileOperation):
        raise Http404 from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        stored, as_attachment=content_type not in INLINE_FILE_TYPES, filename=posixpath.basename(name),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, a file gets no scripts, forms or plugins, whatever it contains.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
