"""What the pledge page shows of a breakdown into parts: the pledges a part belongs to (breadcrumbs), and the parts of
a pledge that the reader may see, worst first, with how they make it up and a chart of the whole drawn from them.

Which parts a reader sees is `access.pledges_for`'s answer, asked inside the one query that loads the parts: a part's
owner reading the pledge they contribute to sees their own part, and of the others only how many there are (and, in
a `sum`'s chart, their total as one grey band: the whole's value says as much already).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef
from django.utils.html import format_html
from django.utils.translation import gettext as _

from . import access, charts, display, rollup
from . import status as engine
from .models import Pledge, Standing
from .status import SEVERITY, Composition


@dataclass
class PartRow:
    pledge: Pledge
    owner: str  # the lead organization's short name
    share: str  # of the parent's target (a `sum` only), else ""
    latest: str
    status: str  # the badge and why, or "not applicable" and why


@dataclass
class Breakdown:
    composition: str
    how: str  # how the parts make the pledge up, in words
    rows: list[PartRow]  # the parts the reader may see: worst first, not applicable last
    hidden: int  # how many parts the reader may not see
    shortfall: str | None  # a `sum` whose parts' targets do not add up to its own
    chart: charts.Chart | None  # for a `sum` or an `each`; an `own` keeps its own progress chart

    @property
    def shows_share(self) -> bool:
        return self.composition == Composition.SUM


HOW = {
    Composition.SUM: lambda: _("The parts add up to this pledge: its value on any date is the sum of the parts' latest "
                               "values up to that date, so progress is recorded on the parts."),
    Composition.EACH: lambda: _("Every part must reach its own target: this pledge is achieved when all of them are, "
                                "otherwise it takes the worst status among them."),
    Composition.OWN: lambda: _("This pledge reports its own figure; the parts are supporting tasks, listed beside it."),
}


def ancestors(user, pledge: Pledge) -> list[Pledge]:
    """The pledges `pledge` is a part of that `user` may see, the top one first (one query, none for a top pledge)."""
    ids = pledge.ancestor_ids()
    if not ids:
        return []
    visible = access.pledges_for(user, Pledge.objects.filter(pk__in=ids).select_related("lead_organization"))
    found = {whole.pk: whole for whole in visible}
    return [found[pk] for pk in ids if pk in found]


def owner_name(pledge: Pledge) -> str:
    return pledge.lead_organization.short_name or pledge.lead_organization.name


def worst_first(part: Pledge):
    """Applicable parts before the others; then the worst status first (SEVERITY), no data after every ranked one."""
    rank = SEVERITY.index(part.target_status) if part.target_status in SEVERITY else len(SEVERITY)
    return (part.set_aside, rank, part.deadline, owner_name(part), part.pk)


def load(user, pledge: Pledge, today: date) -> Breakdown | None:
    """The breakdown of `pledge` as `user` may see it; None when it has no parts.

    Queries, whatever the number of parts: one for the parts, each marked whether `user` may see it; for a `sum`, two
    more for the values the chart stacks (`rollup.load_parts`, the roll-up's own reading of them).
    """
    visible = access.pledges_for(user, Pledge.objects.filter(pk=OuterRef("pk")))
    parts = list(pledge.parts.select_related("lead_organization").annotate(visible=Exists(visible)))
    if not parts:
        return None
    shown = sorted((part for part in parts if part.visible), key=worst_first)
    rows = [
        PartRow(
            pledge=part,
            owner=owner_name(part),
            share=_share(part, pledge),
            latest=display.latest_cell(part),
            status=_status(part),
        )
        for part in shown
    ]
    return Breakdown(
        composition=pledge.composition,
        how=HOW[pledge.composition](),
        rows=rows,
        hidden=len(parts) - len(shown),
        shortfall=pledge.breakdown_shortfall(parts),
        chart=_chart(pledge, shown, parts, today),
    )


def _share(part: Pledge, whole: Pledge) -> str:
    """The part's target as a share of the whole's, for a `sum` (the parts' targets add up to the whole's)."""
    if whole.composition != Composition.SUM or part.target is None or not whole.target:
        return ""
    return display.percent(part.target / whole.target)


def _status(part: Pledge) -> str:
    if part.set_aside:
        return format_html(
            '<span class="tracker-not-applicable">{}</span><div class="tracker-reason">{}</div>',
            Standing(part.standing).label,
            part.set_aside_text,
        )
    return display.status_cell(part)


def _chart(pledge: Pledge, shown: list[Pledge], parts: list[Pledge], today: date) -> charts.Chart | None:
    """A `sum`: the parts shown stacked (the others as one band), the earliest deadline at the bottom, so a total
    split by year piles up year on year; an `each`: the parts shown side by side, worst first like the table. Parts
    not applicable are left out, as the roll-up leaves them out."""
    counted = [part for part in shown if not part.set_aside]
    labels = chart_labels(counted)
    if pledge.composition == Composition.EACH:
        return charts.part_columns_chart([
            charts.PartFigure(labels[part.pk], part.latest_value, part.target if part.target is not None else part.high,
                              part.unit, part.target_status)
            for part in counted
        ])
    if pledge.composition != Composition.SUM:
        return None
    series = {part.id: part.series for part in rollup.load_parts([pledge], today).get(pledge.pk, [])}
    shown_ids = {part.pk for part in shown}
    hidden = [series.get(part.pk, []) for part in parts if part.pk not in shown_ids and not part.set_aside]
    stacked = sorted(counted, key=lambda part: (part.deadline, part.start_date, labels[part.pk], part.pk))
    return charts.stacked_parts_chart(
        pledge.terms(),
        [(labels[part.pk], series.get(part.pk, [])) for part in stacked],
        today,
        pledge.unit,
        hidden=engine.sum_of_parts(hidden),
    )


def chart_labels(parts: list[Pledge]) -> dict[int, str]:
    """{part id: what the chart calls it}: its owner's short name, with its deadline's year where one owner has
    several parts (a total split by year), or the whole deadline if even that repeats."""
    owners = Counter(owner_name(part) for part in parts)
    years = Counter((owner_name(part), part.deadline.year) for part in parts)
    labels = {}
    for part in parts:
        owner = owner_name(part)
        if owners[owner] == 1:
            labels[part.pk] = owner
        elif years[(owner, part.deadline.year)] == 1:
            labels[part.pk] = f"{owner} {part.deadline.year}"
        else:
            labels[part.pk] = f"{owner} {part.deadline.isoformat()}"
    return labels
