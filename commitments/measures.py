"""The cause of a delay and the corrective measures a pledge behind schedule is under (问题原因 / 整改措施).

An update that leaves its pledge at risk, off track or overdue gives them (`actions.missing_cause_and_measures`);
the pages, the table, the exports, the alerts and the reminders read the latest counted update that has them, here.
"""

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, When
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import display
from .models import ProgressUpdate
from .status import TargetStatus

BEHIND = (TargetStatus.AT_RISK, TargetStatus.OFF_TRACK, TargetStatus.OVERDUE)

FIELDS = ("cause", "measures", "back_on_track_by")
# Beside each of FIELDS in the admin's forms.
HELP_TEXT = _("Required when this update leaves the pledge at risk, off track or overdue.")


def updates_with_measures() -> QuerySet:
    """Counted updates (approved, not replaced by an approved correction) that give a cause or measures, latest first."""
    return (
        ProgressUpdate.objects.filter(review_state=ProgressUpdate.Review.APPROVED)
        .exclude(superseded_by__review_state=ProgressUpdate.Review.APPROVED)
        .exclude(Q(cause="") & Q(measures=""))
        .order_by("-as_of", "-created_at", "-id")
    )


def with_latest_measures(rows: QuerySet, through: str = "") -> QuerySet:
    """Rows annotated with their pledge's latest counted cause and measures, when the pledge is behind schedule (None
    otherwise): `measures_cause`, `measures_measures`, `measures_back_on_track_by`, and `measures_id`, the update's. One query: a subquery per column.

    `rows` are pledges, or rows pointing at one through the foreign key `through` (status changes: "pledge")."""
    latest = updates_with_measures().filter(pledge=OuterRef(through or "pk"))
    behind = Q(**{f"{through}__target_status__in" if through else "target_status__in": BEHIND})
    return rows.annotate(**{
        f"measures_{name}": Case(When(behind, then=Subquery(latest.values(name)[:1])), default=None)
        for name in ("id", *FIELDS)  # measures_id: the update that gave them
    })


def latest_for(pledge, updates=None) -> ProgressUpdate | None:
    """The latest counted update of a pledge behind schedule that gives its cause or measures (None when it is not
    behind). `updates`: the pledge's updates already loaded, latest first (with `superseded_by`), read instead."""
    if pledge.target_status not in BEHIND:
        return None
    if updates is None:
        return updates_with_measures().filter(pledge=pledge).first()
    return next((u for u in updates if display.update_counts(u) and (u.cause or u.measures)), None)


def short_line(cause: str, measures: str, length: int = 60) -> str:
    """"Cause: … Measures: …" in one short line, each cut to `length` characters; empty when neither is given."""
    if not (cause or measures):
        return ""
    return gettext("Cause: %(cause)s Measures: %(measures)s") % {
        "cause": Truncator(cause or "—").chars(length), "measures": Truncator(measures or "—").chars(length)
    }


def row_line(row) -> str:
    """The short line for a row of `with_latest_measures` (empty unless its pledge is behind)."""
    return short_line(getattr(row, "measures_cause", None) or "", getattr(row, "measures_measures", None) or "")
