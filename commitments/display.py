"""How values are shown to people (admin now, pages and emails later): one place for number and date formats."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .status import ReportingStatus, TargetStatus


def number(value, places: int = 2) -> str:
    """A stored decimal without trailing zeros, rounded to `places` decimals: 764.1104 -> '764.11', 50.0000 -> '50'."""
    if value is None:
        return "—"
    value = Decimal(value)
    try:
        value = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        pass
    return format(value.normalize(), "f")


def amount(value, unit: str) -> str:
    return "—" if value is None else f"{number(value)}{unit}"


def percent(ratio) -> str:
    return "—" if ratio is None else f"{number(Decimal(ratio) * 100, 0)}%"


def day(value: date | None) -> str:
    """A date in the active language's format (2025年9月30日 / Sept. 30, 2025)."""
    return "—" if value is None else date_format(value, "DATE_FORMAT")


def moment(value: datetime | None) -> str:
    return "—" if value is None else date_format(timezone.localtime(value), "DATETIME_FORMAT")


# A symbol beside each label, so status never depends on colour alone.
STATUS_SYMBOLS = {
    TargetStatus.ACHIEVED: "✔",
    TargetStatus.ON_TRACK: "●",
    TargetStatus.AT_RISK: "▲",
    TargetStatus.OFF_TRACK: "▼",
    TargetStatus.OVERDUE: "✖",
    TargetStatus.NO_DATA: "○",
}
# ◷ rather than the alarm-clock emoji: office fonts without colour emoji showed an empty box.
REPORTING_SYMBOLS = {ReportingStatus.OK: "✔", ReportingStatus.DUE_SOON: "◷", ReportingStatus.LATE: "⚠"}


def status_badge(code: str, label: str) -> str:
    return format_html(
        '<span class="tracker-status tracker-status-{}"><span aria-hidden="true">{}</span> {}</span>',
        code,
        STATUS_SYMBOLS.get(code, "?"),
        label,
    )


def reporting_badge(code: str, label: str) -> str:
    return format_html(
        '<span class="tracker-reporting tracker-reporting-{}"><span aria-hidden="true">{}</span> {}</span>',
        code,
        REPORTING_SYMBOLS.get(code, "?"),
        label,
    )


# The cells of a pledge row, the same in the admin's list and on the managers' pages.
def latest_cell(pledge) -> str:
    """The latest reported value, with the period it is as of."""
    if pledge.latest_value is None:
        return "—"
    return format_html("{}<br><small>{}</small>", amount(pledge.latest_value, pledge.unit), pledge.latest_as_of.isoformat())


def expected_cell(pledge) -> str:
    return amount(pledge.expected_now, pledge.unit)


def status_cell(pledge) -> str:
    """The status badge and, under it, why."""
    return format_html(
        '{}<div class="tracker-reason">{}</div>',
        status_badge(pledge.target_status, TargetStatus(pledge.target_status).label),  # (get_…_display is slow)
        pledge.status_reason_text,
    )


def reporting_cell(pledge) -> str:
    """The reporting badge and, under it, when the next report is due."""
    badge = reporting_badge(pledge.reporting_status, ReportingStatus(pledge.reporting_status).label)
    if pledge.next_report_due is None:
        return badge
    return format_html('{}<div class="tracker-reason">{}</div>', badge, _("due %(date)s") % {"date": pledge.next_report_due.isoformat()})


def update_value_text(update, pledge=None) -> str:
    """A progress update's value with its unit, or done / not done for a milestone."""
    pledge = pledge or update.pledge
    if update.value is None:
        return _("done") if update.done else _("not done")
    return amount(update.value, pledge.unit)


def update_counts(update) -> bool:
    """Whether an update counts towards the status: approved, and not replaced by an approved correction
    (the status engine reads approved updates only, and a correction replaces the update it corrects)."""
    approved = type(update).Review.APPROVED
    correction = getattr(update, "superseded_by", None)
    return update.review_state == approved and (correction is None or correction.review_state != approved)


def update_standing(update) -> str:
    """Whether an update counts, and if not why: awaiting approval, returned (with the reviewer's comment), or
    replaced by an approved correction."""
    review = type(update).Review
    if update.review_state == review.PENDING:
        return update.get_review_state_display()
    if update.review_state == review.RETURNED:
        if update.review_comment:
            return _("returned: %(comment)s") % {"comment": update.review_comment}
        return update.get_review_state_display()
    correction = getattr(update, "superseded_by", None)
    if correction is not None and correction.review_state == review.APPROVED:
        return _("corrected on %(date)s") % {"date": moment(correction.created_at)}
    if correction is not None and correction.review_state == review.PENDING:
        return _("yes (a correction awaits approval)")
    if update.supersedes_id:
        return _("corrects the update of %(date)s") % {"date": moment(update.supersedes.created_at)}
    return _("yes")
