"""The status table: what is off track, who owns it, and how far along it is."""

from dataclasses import dataclass

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import display, measures
from .models import Pledge, Standing


@dataclass
class PageRow:
    """One row of the page as shown: its pledge, the <tr>'s class, each visible cell's HTML by column name."""

    record: object
    css_class: str
    cells: dict

    @property
    def tds(self) -> str:
        return format_html_join("", '<td class="{}">{}</td>', self.cells.items())


class PledgeTable(tables.Table):
    metric = tables.Column(verbose_name=_("metric"))
    owner = tables.Column(verbose_name=_("lead organization"), accessor="lead_organization", order_by="lead_organization__name")
    target = tables.Column(verbose_name=_("target"), accessor="target", empty_values=(), exclude_from_export=True)
    # In the exports only: the target in force and the one first promised (the same while never revised).
    current_target = tables.Column(verbose_name=_("current target"), accessor="target", empty_values=(), visible=False)
    original_target = tables.Column(verbose_name=_("original target"), accessor="original_target", empty_values=(),
                                    visible=False)
    original_deadline = tables.Column(verbose_name=_("original deadline"), accessor="original_deadline",
                                      empty_values=(), visible=False)
    latest = tables.Column(verbose_name=_("latest"), accessor="latest_value", empty_values=())
    expected = tables.Column(verbose_name=_("expected by now"), accessor="expected_now", empty_values=())
    progress = tables.Column(verbose_name=_("progress"), accessor="progress_ratio", empty_values=())
    status = tables.Column(verbose_name=_("status and why"), accessor="target_status", order_by="severity")
    # In the exports only: the latest cause and measures of a pledge behind (shown under its reason in the table).
    cause = tables.Column(verbose_name=_("cause of the delay"), accessor="pk", empty_values=(), visible=False)
    corrective_measures = tables.Column(verbose_name=_("corrective measures"), accessor="pk", empty_values=(),
                                        visible=False)
    back_on_track_by = tables.Column(verbose_name=_("back on track by"), accessor="pk", empty_values=(), visible=False)
    reporting = tables.Column(verbose_name=_("reporting"), accessor="reporting_status", order_by="next_report_due")
    deadline = tables.DateColumn(verbose_name=_("deadline"), format="Y-m-d")
    days_left = tables.Column(verbose_name=_("days left"), accessor="deadline", order_by="deadline", empty_values=())

    class Meta:
        model = Pledge
        fields = []
        sequence = ["metric", "owner", "target", "current_target", "original_target", "latest", "expected", "progress",
                    "status", "cause", "corrective_measures", "back_on_track_by", "reporting", "deadline",
                    "original_deadline", "days_left"]
        order_by = ("status", "deadline")  # worst first
        attrs = {"class": "pledges"}
        template_name = "commitments/_pledge_table.html"  # its rows from page_rows, each <tr> classed by row_class

    def row_class(self, record) -> str:
        return f"status-{record.target_status}{' set-aside' if record.set_aside else ''}"

    @cached_property
    def page_rows(self) -> list[PageRow]:
        """The page's rows with each visible cell rendered once, by the column's render method called directly: the
        table and the phone's cards both show them. (django-tables2's own path works out each method's signature for
        every cell and rendered each twice; with its template loop that was most of the status table's time.) Every
        visible column has a render method taking the record, and none is ever empty."""
        names = [column.name for column in self.columns]
        return [
            PageRow(row.record, self.row_class(row.record),
                    {name: getattr(self, f"render_{name}")(row.record) for name in names})
            for row in self.paginated_rows
        ]

    def as_values(self, exclude_columns=None):
        """The export's rows (django-tables2's as_values: a header row, then every row with each exported column's
        value), each cell by the column's value method called directly, as page_rows does for the HTML: a city's
        3,000 rows took 1.5 s the library's way, most of it working out each method's signature for each cell.
        Every exported column has a value method taking the record."""
        exclude_columns = exclude_columns or ()
        columns = [column for column in self.columns.iterall()
                   if not (column.column.exclude_from_export or column.name in exclude_columns)]
        yield [force_str(column.header, strings_only=True) for column in columns]
        values = [getattr(self, f"value_{column.name}") for column in columns]
        for row in self.rows:
            yield [force_str(value(row.record), strings_only=True) for value in values]

    def render_metric(self, record):
        """The metric, linked; under a part's, the pledge it is a part of (the rows come with their parent loaded)."""
        link = format_html('<a href="{}">{}</a>', reverse("tracker-pledge", args=[record.pk]), record.metric)
        if record.set_aside:  # suspended or not applicable: said beside the name, its reason under the status
            standing = Standing(record.standing).label
            link = format_html('{} <span class="tracker-not-applicable">{}</span>', link, standing)
        if record.parent_id is None:
            return link
        parent = record.parent
        return format_html(
            '{}<small class="part-of">{} <a href="{}">{}</a>（{}）</small>', link, _("part of"),
            reverse("tracker-pledge", args=[parent.pk]), parent.metric,
            parent.lead_organization.short_name or parent.lead_organization.name,
        )

    def value_metric(self, record):
        return record.metric

    def render_owner(self, record):
        value = record.lead_organization
        return format_html(
            '<a href="{}" title="{}">{}</a>', reverse("tracker-organization", args=[value.pk]), value.name,
            value.short_name or value.name,
        )

    def value_owner(self, record):
        return record.lead_organization.name

    def render_target(self, record):
        if not record.revised:
            return record.target_text
        return format_html(
            '{}<br><small class="revised">{}</small>', record.target_text,
            _("revised; originally %(target)s by %(deadline)s")
            % {"target": record.original_target_text, "deadline": record.original_deadline.isoformat()},
        )

    def value_current_target(self, record):
        return record.target_text

    def value_original_target(self, record):
        return record.original_target_text

    def value_original_deadline(self, record):
        return (record.original_deadline or record.deadline).isoformat()

    def render_latest(self, record):
        return display.latest_cell(record)

    def value_latest(self, record):
        return display.number(record.latest_value) if record.latest_value is not None else ""

    def render_expected(self, record):
        return display.expected_cell(record)

    def value_expected(self, record):
        return display.number(record.expected_now) if record.expected_now is not None else ""

    def render_progress(self, record):
        if record.progress_ratio is None:
            return "—"
        shown = max(0, min(100, int(record.progress_ratio * 100)))
        return format_html(
            '<span class="bar" role="img" aria-label="{label}"><span class="fill status-{status}" style="width: {width}%"></span></span> {label}',
            label=display.percent(record.progress_ratio), status=record.target_status, width=shown,
        )

    def value_progress(self, record):
        return display.percent(record.progress_ratio) if record.progress_ratio is not None else ""

    def render_status(self, record):
        line = measures.row_line(record)
        if not line:
            return display.status_cell(record)
        return format_html('{}<div class="tracker-reason tracker-measures">{}</div>', display.status_cell(record), line)

    def value_status(self, record):
        return f"{record.get_target_status_display()}: {record.status_reason_text}"

    @staticmethod
    def _latest_measures(record, name):
        """A pledge behind schedule's latest `cause`, `measures` or `back_on_track_by` (views.pledge_rows)."""
        return getattr(record, f"measures_{name}", None)

    def value_cause(self, record):
        return self._latest_measures(record, "cause") or ""

    def value_corrective_measures(self, record):
        return self._latest_measures(record, "measures") or ""

    def value_back_on_track_by(self, record):
        day = self._latest_measures(record, "back_on_track_by")
        return day.isoformat() if day else ""

    def render_reporting(self, record):
        return display.reporting_cell(record)

    def value_reporting(self, record):
        return record.get_reporting_status_display()

    def render_deadline(self, record):
        return record.deadline.isoformat()

    def render_days_left(self, record):
        days = (record.deadline - timezone.localdate()).days
        return _("%(days)d days ago") % {"days": -days} if days < 0 else _("%(days)d days left") % {"days": days}

    def value_deadline(self, record):
        return record.deadline.isoformat()

    def value_days_left(self, record):
        return (record.deadline - timezone.localdate()).days


# Each cell and header carries its column's name as a class: for the stylesheet and for tests.
for _name, _column in PledgeTable.base_columns.items():
    _column.attrs = {**_column.attrs, "td": {"class": _name}, "th": {"class": _name}}


# What the status table shows of today only (no history of them is kept): left out of the table as of a past day.
TODAYS_COLUMNS = ("latest", "expected", "progress", "reporting", "cause", "corrective_measures", "back_on_track_by")


class PledgeTableAsOf(PledgeTable):
    """The status table as of a past day (?as_of=): the status column, its order and its export read the status then
    (`status_then`, `reason_then` from commitments.asof.with_status_then); today's values, reporting and progress
    are left out, so that nothing of today is read as then."""

    status = tables.Column(verbose_name=_("status then and why"), accessor="status_then", order_by="severity")

    def row_class(self, record) -> str:
        return f"status-{record.status_then}"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in TODAYS_COLUMNS:  # hidden, and out of the exports (the table's columns are its own copies)
            self.columns.hide(name)
            self.columns[name].column.exclude_from_export = True

    @staticmethod
    def _then(record):
        record.target_status, record.status_reason = record.status_then, record.reason_then or {}
        return record

    def render_status(self, record):
        return display.status_cell(self._then(record))

    def value_status(self, record):
        return super().value_status(self._then(record))
