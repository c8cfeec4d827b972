"""The status engine: pure rules that turn a pledge's terms and its progress readings into a status.

Nothing here touches the database or reads the clock: callers pass the pledge's fields (`Terms`), its
readings (`Reading`) and today's date, and get back an `Assessment`. The model layer, the nightly
sweep, the benchmarks and the tests all call `assess()`.

How a numeric pledge is judged
------------------------------
`_judge_numeric` runs the steps in `NUMERIC_STEPS` in order on a `_Case` (the pledge's facts on the day,
each worked out when first asked for). A step returns a `Judgement` when it decides, or None to leave the
pledge to the next step; a new method of judging is a new step in that list.

1. Current readings (`current_readings`, in `assess`): readings that a later reading supersedes, and
   readings dated after today, are dropped. Of several readings for the same period the one recorded last
   wins; the latest period is "the latest value".
2. Scale (`_Scale`; step `_needs_baseline`): the value is put on a scale where the pledge's direction is
   known. For a `reduction` of a level (not cumulative) the reading is the level itself and the scale is
   the reduction achieved against the baseline (in % of the baseline when the unit is %, otherwise in the
   unit); without a baseline there is no scale. `<=` pledges move down; every other comparator moves up (a
   plain `=` target is reached by getting to it). With no value reported yet (`_without_a_value`) the
   pledge is overdue after the deadline, achieved when its baseline already meets the target, else no data.
3. Achieved (`_achieved`): the latest value meets the target, even before the deadline, except that a
   growth rate counts only once it covers the full period, and a cumulative ceiling ("no more than N this
   year") only once the period is over.
4. Overdue (`_overdue`): the deadline has passed and the target is not met (also when nothing was ever
   reported).
5. Otherwise the latest value is compared with the value expected at its date on a straight line from
   the origin (the baseline, 0 at the start for cumulative counts, or the first reading when there is
   no baseline) to the target at the deadline (`_pace_on_the_line`). The progress ratio (actual progress
   / expected progress) gives on track, at risk or off track against the thresholds in `Rules`. When
   there is no line to follow (no baseline and a single reading, a baseline already at the target) the
   value is compared with the target itself (`_versus_target`). Special cases come first: a growth rate
   for part of the period is compared with the target rate (`_growth_so_far`), a cumulative ceiling with
   a pro-rata allowance (`_ceiling_count_pace`), and an `approx` or `range` target already past its whole
   band is off track (`_beyond_band`).

Pledges broken down into parts
------------------------------
A pledge with parts is made up of them in one of three ways (`Composition`). A `sum` is judged by the rules above on
readings that nobody typed in: its value on each date a part reported is the sum of its counted parts' latest values up
to that date (`sum_of_parts`). An `each` has no value of its own: it is achieved when every counted part is, otherwise
it takes the worst status among them (`assess_each`). An `own` pledge reports its own figure, its parts beside it.
Parts marked not applicable do not count. Loading the parts is `commitments.rollup`'s job.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Callable, Iterable, NamedTuple, Sequence

from dateutil.relativedelta import relativedelta
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(TextChoices):
    LEVEL = "level", pgettext_lazy("kind", "level")
    GROWTH = "growth", pgettext_lazy("kind", "growth rate")
    SHARE = "share", pgettext_lazy("kind", "share / ratio")
    REDUCTION = "reduction", pgettext_lazy("kind", "reduction")
    MILESTONE = "milestone", pgettext_lazy("kind", "milestone")


class Comparator(TextChoices):
    AT_LEAST = ">=", _("at least (≥)")
    AT_MOST = "<=", _("at most (≤)")
    REACH = "=", _("reach (=)")
    APPROX = "approx", _("about (≈)")
    RANGE = "range", _("within a range")


class Cadence(TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    HALF_YEARLY = "half_yearly", _("half-yearly")
    YEARLY = "yearly", _("yearly")
    AT_DEADLINE = "at_deadline", _("once, at the deadline")


CADENCE_MONTHS = {
    Cadence.MONTHLY: 1,
    Cadence.QUARTERLY: 3,
    Cadence.HALF_YEARLY: 6,
    Cadence.YEARLY: 12,
    Cadence.AT_DEADLINE: None,
}


class Method(TextChoices):
    """How the progress expected by now is worked out."""

    LINEAR = "linear", _("linear (序时进度): a straight line from the start to the target at the deadline")
    SCHEDULE = "schedule", _("schedule (分期计划): planned values at checkpoints")
    CAGR = "cagr", _("growth rate (Open SDG): observed against required compound annual growth")


class Composition(TextChoices):
    """How a pledge's parts make it up (read only when it has parts)."""

    SUM = "sum", _("sum: the parts add up to it")
    EACH = "each", _("each: every part must reach its own target")
    OWN = "own", _("own figure: the parts are supporting tasks")


class TargetStatus(TextChoices):
    ACHIEVED = "achieved", pgettext_lazy("status", "achieved")
    ON_TRACK = "on_track", pgettext_lazy("status", "on track")
    AT_RISK = "at_risk", pgettext_lazy("status", "at risk")
    OFF_TRACK = "off_track", pgettext_lazy("status", "off track")
    OVERDUE = "overdue", pgettext_lazy("status", "overdue")
    NO_DATA = "no_data", pgettext_lazy("status", "no data")


# Worst first. A pledge whose value improves never moves towards the front of this list.
SEVERITY = [
    TargetStatus.OVERDUE,
    TargetStatus.OFF_TRACK,
    TargetStatus.AT_RISK,
    TargetStatus.ON_TRACK,
    TargetStatus.ACHIEVED,
]


class ReportingStatus(TextChoices):
    OK = "ok", pgettext_lazy("reporting", "up to date")
    DUE_SOON = "due_soon", pgettext_lazy("reporting", "report due soon")
    LATE = "late", pgettext_lazy("reporting", "report late")


@dataclass(frozen=True)
class Rules:
    """Thresholds, from settings in the app (`commitments.models.rules_from_settings`)."""

    on_track_ratio: Decimal = Decimal("0.95")
    at_risk_ratio: Decimal = Decimal("0.85")
    report_grace_days: int = 7
    report_due_soon_days: int = 7
    # Method `schedule`: between checkpoints, interpolate (True) or hold the latest checkpoint reached (False).
    interpolate_schedule: bool = False
    # Method `cagr` (Open SDG): observed / required growth at or above these is on track / at risk.
    cagr_on_track_ratio: Decimal = Decimal("0.95")
    cagr_at_risk_ratio: Decimal = Decimal("0.6")


@dataclass(frozen=True)
class Terms:
    """What a pledge promises: the fields of `Pledge` that the rules read."""

    kind: str
    comparator: str
    deadline: date
    target: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    tolerance: Decimal = Decimal("0.05")
    unit: str = ""
    cumulative: bool = False
    baseline: Decimal | None = None
    baseline_date: date | None = None
    start_date: date | None = None
    cadence: str = Cadence.QUARTERLY
    # A part marked not applicable (不适用): why. It is then not judged at all, and leaves its parent's roll-up.
    not_applicable: str | None = None
    # A pledge suspended (暂缓) by an approved request: why. Not judged until it is resumed.
    suspended: str | None = None
    method: str = Method.LINEAR
    # Method `schedule`: the planned values, ((date, value), ...) in date order.
    schedule: tuple = ()

    @property
    def period_start(self) -> date:
        return self.start_date or self.baseline_date or date(self.deadline.year, 1, 1)


class Reading(NamedTuple):
    """One progress update: a value (or done / not done for a milestone) for the period ending `as_of`.

    A named tuple rather than a dataclass: the nightly recompute builds millions of them.
    """

    as_of: date
    value: Decimal | None = None
    done: bool | None = None
    recorded_at: datetime | None = None
    id: int | None = None
    supersedes_id: int | None = None

    def sort_key(self):
        return (self.as_of, self.recorded_at or datetime.min, self.id or 0)


@dataclass(frozen=True)
class Reason:
    """Why a pledge has its status: a message code and its parameters, rendered in the active language."""

    code: str
    params: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"code": self.code, "params": self.params}

    @classmethod
    def from_json(cls, data: dict | None) -> "Reason":
        if not data:
            return cls("not_assessed")
        return cls(data.get("code", "not_assessed"), dict(data.get("params") or {}))

    def text(self) -> str:
        template = REASON_MESSAGES.get(self.code, REASON_MESSAGES["not_assessed"])
        return str(template).format_map(_RenderedParams(self.params))


@dataclass(frozen=True)
class Judgement:
    """What a step of the engine decides: the status, why, and (for the tables) the value expected today and the
    progress ratio, both unrounded."""

    status: str
    reason: Reason
    expected_now: Decimal | None = None
    ratio: Decimal | None = None


@dataclass(frozen=True)
class Assessment:
    target_status: str
    reporting_status: str
    reason: Reason
    expected_now: Decimal | None = None
    progress_ratio: Decimal | None = None
    latest: Reading | None = None
    next_report_due: date | None = None
    # The straight line that `expected_now` lies on, (start date, start value, end date, end value), when it
    # moves with the calendar; stored so the nightly job can move it along in SQL (jobs.refresh_with_the_calendar).
    line: tuple | None = None

    @property
    def latest_value(self) -> Decimal | None:
        return self.latest.value if self.latest else None

    @property
    def latest_as_of(self) -> date | None:
        return self.latest.as_of if self.latest else None


# --- Entry point ------------------------------------------------------------------------------------


def assess(
    terms: Terms, readings: Iterable[Reading], today: date, rules: Rules = Rules(), *, reported_by_parts: bool = False
) -> Assessment:
    """Judge a pledge on `today` from all its readings (in any order).

    `reported_by_parts`: the readings are the sum of its parts (`sum_of_parts`); nobody reports on the pledge itself,
    so it is never late with a report.
    """
    if terms.not_applicable is not None or terms.suspended is not None:
        if terms.not_applicable is not None:
            reason = Reason("not_applicable", {"why": terms.not_applicable})
        else:
            reason = Reason("suspended", {"why": terms.suspended})
        return Assessment(target_status=TargetStatus.NO_DATA, reporting_status=ReportingStatus.OK, reason=reason)
    current = current_readings(readings, today)
    latest = current[-1] if current else None
    if terms.kind == Kind.MILESTONE:
        judgement = _judge_milestone(terms, latest, today)
    else:
        judgement = _judge_numeric(terms, current, today, rules)
    if reported_by_parts:
        reporting, next_due = ReportingStatus.OK, None
    else:
        reporting, next_due = _reporting_status(terms, latest, judgement.status, today, rules)
    expected_now = _round(judgement.expected_now)
    return Assessment(
        target_status=judgement.status,
        reporting_status=reporting,
        reason=judgement.reason,
        expected_now=expected_now,
        progress_ratio=_round(_bounded(judgement.ratio)),
        latest=latest,
        next_report_due=next_due,
        line=_line_through(terms, readings_for_line(current), today, expected_now),
    )


RATIO_BOUND = Decimal(9999)


def _bounded(ratio: Decimal | None) -> Decimal | None:
    """A progress ratio kept within ±9999 (a value ten thousand times its pace says no more than one a hundred
    times), so that it always fits its column."""
    if ratio is None:
        return None
    return max(-RATIO_BOUND, min(RATIO_BOUND, ratio))


def readings_for_line(current: list[Reading]) -> list[Reading]:
    return [r for r in current if r.value is not None]


def _line_through(terms: Terms, valued: list[Reading], today: date, expected_now: Decimal | None):
    """The expected path as a line, if `expected_now` lies on it today (a target that is not a line, such as a
    baseline already at the target, keeps a constant expected value instead)."""
    if expected_now is None:
        return None
    points = trajectory(terms, valued, today)
    if len(points) != 2:
        return None
    (start, start_value), (end, end_value) = points
    on_line = start_value + (end_value - start_value) * _fraction(start, end, today)
    return (start, start_value, end, end_value) if _round(on_line) == expected_now else None


def current_readings(readings: Iterable[Reading], today: date) -> list[Reading]:
    """The readings that count, oldest period first, one per period (the one recorded last)."""
    readings = list(readings)
    superseded = {r.supersedes_id for r in readings if r.supersedes_id is not None}
    by_period: dict[date, Reading] = {}
    for reading in sorted(readings, key=Reading.sort_key):
        if reading.id is not None and reading.id in superseded:
            continue
        if reading.as_of > today:  # a period that has not ended yet cannot have a value
            continue
        by_period[reading.as_of] = reading
    return [by_period[d] for d in sorted(by_period)]


def trajectory(terms: Terms, readings: Iterable[Reading], today: date) -> list[tuple[date, Decimal]]:
    """The expected path as points (date, value in the reading's unit): a straight line from the origin to the
    target at the deadline, or a flat line at the target rate for growth. Empty when no line can be drawn."""
    if terms.kind == Kind.MILESTONE:
        return []
    if terms.kind == Kind.GROWTH:
        return [(terms.period_start, terms.target), (terms.deadline, terms.target)] if terms.target is not None else []
    scale = _Scale(terms)
    if not scale.usable():
        return []
    valued = [r for r in current_readings(readings, today) if r.value is not None]
    origin, origin_date = _origin(terms, scale, valued)
    if origin is None:
        return []
    aim = _direction_and_aim(terms, origin)[1]
    return [(origin_date, scale.to_value(origin)), (terms.deadline, scale.to_value(aim))]


def worse(a: str, b: str) -> bool:
    """True when status `a` is worse than status `b` (no_data is not ranked)."""
    return SEVERITY.index(a) < SEVERITY.index(b)


# --- Pledges broken down into parts -----------------------------------------------------------------
# A `sum` pledge is judged by the rules above on the sum of its parts' values; an `each` pledge by its parts'
# statuses (`assess_each`); an `own` pledge on its own readings, its parts beside it.

Series = Sequence[tuple[date, Decimal]]


def series_of(readings: Iterable[Reading], today: date) -> list[tuple[date, Decimal]]:
    """A part's values over time, as its parent sums them: its current readings that have a value."""
    return [(r.as_of, r.value) for r in current_readings(readings, today) if r.value is not None]


def sum_of_parts(parts: Iterable[Series]) -> list[tuple[date, Decimal]]:
    """The parent's value at each date any part reported: each part's latest value up to that date, added up (a part
    that has not reported yet adds nothing)."""
    parts = [sorted(series) for series in parts if series]
    dates = sorted({day for series in parts for day, _value in series})
    latest = [None] * len(parts)
    positions = [0] * len(parts)
    summed = []
    for day in dates:
        for i, series in enumerate(parts):
            while positions[i] < len(series) and series[positions[i]][0] <= day:
                latest[i] = series[positions[i]][1]
                positions[i] += 1
        summed.append((day, sum((value for value in latest if value is not None), Decimal(0))))
    return summed


def readings_from_series(series: Series) -> list[Reading]:
    return [Reading(as_of=day, value=value) for day, value in series]


class PartStanding(NamedTuple):
    """What a parent judged by `each` reads of one part."""

    name: str  # the part's owner, as the reason names it
    status: str


def assess_each(terms: Terms, parts: Sequence[PartStanding], today: date) -> Assessment:
    """Every part must reach its own target: achieved when all are, otherwise the worst status among them."""
    achieved = sum(1 for part in parts if part.status == TargetStatus.ACHIEVED)
    params = {"achieved": str(achieved), "parts": str(len(parts)), "deadline": _iso(terms.deadline)}
    if not parts:
        status, reason = TargetStatus.NO_DATA, Reason("no_parts", params)
    elif achieved == len(parts):
        status, reason = TargetStatus.ACHIEVED, Reason("parts_all_achieved", params)
    else:
        ranked = [part for part in parts if part.status in SEVERITY]
        worst = min(ranked, key=lambda part: SEVERITY.index(part.status)) if ranked else None
        if worst is None or worst.status == TargetStatus.ACHIEVED:
            status = TargetStatus.NO_DATA  # the others have not reported yet
            reason = Reason("parts_waiting", params | {"waiting": str(len(parts) - achieved)})
        else:
            status = worst.status
            lagging = sorted(part.name for part in parts if part.status == worst.status)
            params |= {"worst_status": worst.status, "worst_parts": "、".join(lagging[:3]) + ("…" if len(lagging) > 3 else "")}
            reason = Reason("parts_each", params)
    return Assessment(target_status=status, reporting_status=ReportingStatus.OK, reason=reason)


def breakdown_gap(parent_target: Decimal | None, part_targets: Iterable[Decimal | None]) -> Decimal | None:
    """For a `sum`: how far the parts' targets fall short of (negative: exceed) the parent's; None when they add up
    or cannot be added (a part without a target)."""
    targets = list(part_targets)
    if parent_target is None or not targets or any(t is None for t in targets):
        return None
    gap = parent_target - sum(targets, Decimal(0))
    return gap or None


# --- Milestones -------------------------------------------------------------------------------------


def _judge_milestone(terms: Terms, latest: Reading | None, today: date) -> Judgement:
    if latest is not None and latest.done:
        return Judgement(TargetStatus.ACHIEVED, Reason("milestone_done", {"as_of": _iso(latest.as_of)}))
    if today > terms.deadline:
        return Judgement(TargetStatus.OVERDUE, Reason("overdue_milestone", {"deadline": _iso(terms.deadline)}))
    if latest is None:
        return Judgement(TargetStatus.NO_DATA, Reason("no_data", {"deadline": _iso(terms.deadline)}))
    params = {"as_of": _iso(latest.as_of), "deadline": _iso(terms.deadline)}
    return Judgement(TargetStatus.ON_TRACK, Reason("milestone_open", params))


# --- Numeric pledges --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    """Maps readings onto the scale the comparator speaks about (identity except for reductions)."""

    terms: Terms

    @property
    def is_reduction_of_level(self) -> bool:
        return self.terms.kind == Kind.REDUCTION and not self.terms.cumulative

    @property
    def relative(self) -> bool:
        return self.terms.unit.strip() == "%"

    def usable(self) -> bool:
        if not self.is_reduction_of_level:
            return True
        return self.terms.baseline is not None and not (self.relative and self.terms.baseline == 0)

    def to_scale(self, value: Decimal) -> Decimal:
        if not self.is_reduction_of_level:
            return value
        baseline = self.terms.baseline
        change = baseline - value
        return change / abs(baseline) * 100 if self.relative else change

    def to_value(self, x: Decimal) -> Decimal:
        if not self.is_reduction_of_level:
            return x
        baseline = self.terms.baseline
        change = x * abs(baseline) / 100 if self.relative else x
        return baseline - change


def _band(terms: Terms) -> tuple[Decimal, Decimal]:
    """Accepted interval on the comparator's scale, for `approx` and `range`."""
    if terms.comparator == Comparator.RANGE:
        return terms.low, terms.high
    spread = abs(terms.target) * terms.tolerance if terms.target else terms.tolerance
    return terms.target - spread, terms.target + spread


def _meets(terms: Terms, x: Decimal) -> bool:
    if terms.comparator in (Comparator.APPROX, Comparator.RANGE):
        low, high = _band(terms)
        return low <= x <= high
    if terms.comparator == Comparator.AT_MOST:
        return x <= terms.target
    return x >= terms.target  # >= and plain "reach" targets


def _direction_and_aim(terms: Terms, origin: Decimal | None) -> tuple[int, Decimal]:
    """+1 when higher is better, -1 when lower is; and the value the straight line heads for."""
    if terms.comparator == Comparator.AT_MOST:
        return -1, terms.target
    if terms.comparator == Comparator.APPROX:
        return (-1 if origin is not None and origin > terms.target else 1), terms.target
    if terms.comparator == Comparator.RANGE:
        return (-1, terms.high) if origin is not None and origin > terms.high else (1, terms.low)
    return 1, terms.target


def target_params(terms: Terms) -> dict:
    return {
        "comparator": terms.comparator,
        "kind": terms.kind,
        "target": format_number(terms.target),
        "low": format_number(terms.low),
        "high": format_number(terms.high),
        "tolerance": format_number(terms.tolerance * 100) if terms.tolerance is not None else None,
        "unit": terms.unit,
    }


class _Case:
    """One numeric pledge on one day, as the steps of `_judge_numeric` read it. Each fact is worked out the first
    time a step asks for it (the steps that come first decide most pledges and need only a few)."""

    def __init__(self, terms: Terms, valued: list[Reading], today: date, rules: Rules):
        self.terms, self.valued, self.today, self.rules = terms, valued, today, rules
        self.scale = _Scale(terms)
        self.past_deadline = today > terms.deadline
        self.is_growth = terms.kind == Kind.GROWTH
        self.is_ceiling_count = terms.cumulative and terms.comparator == Comparator.AT_MOST
        self.base = {"unit": terms.unit, "deadline": _iso(terms.deadline), "target_terms": target_params(terms)}

    # The latest value (only once there is one).

    @cached_property
    def latest(self) -> Reading:
        return self.valued[-1]

    @cached_property
    def x(self) -> Decimal:
        """The latest value on the comparator's scale."""
        return self.scale.to_scale(self.latest.value)

    @cached_property
    def params(self) -> dict:
        """The reason's parameters (the steps add to a copy, never to this dict)."""
        return self.base | {"value": format_number(self.latest.value), "as_of": _iso(self.latest.as_of)}

    @cached_property
    def covers_period(self) -> bool:
        return self.latest.as_of >= self.terms.deadline

    @cached_property
    def meets(self) -> bool:
        return _meets(self.terms, self.x)

    # The straight line from the origin to the target at the deadline (not used for growth rates).

    @cached_property
    def origin_and_date(self) -> tuple[Decimal | None, date]:
        return _origin(self.terms, self.scale, self.valued)

    @cached_property
    def direction_and_aim(self) -> tuple[int, Decimal]:
        return _direction_and_aim(self.terms, self.origin_and_date[0])

    @cached_property
    def expected_now(self) -> Decimal | None:
        origin, origin_date = self.origin_and_date
        return _expected_now(self.terms, self.scale, self.today, (origin, origin_date, self.direction_and_aim[1]))


def _needs_baseline(case: _Case) -> Judgement | None:
    """Step 2: a reduction of a level has no scale without a baseline (or with a baseline of 0 for a % reduction)."""
    if case.scale.usable():
        return None
    status = TargetStatus.OVERDUE if case.past_deadline else TargetStatus.NO_DATA
    return Judgement(status, Reason("needs_baseline", case.base))


def _without_a_value(case: _Case) -> Judgement | None:
    """Nothing reported: overdue after the deadline, achieved if the baseline already meets the target, else no data."""
    if case.valued:
        return None
    terms = case.terms
    if case.past_deadline:
        return Judgement(TargetStatus.OVERDUE, Reason("overdue_no_data", case.base))
    baseline_is_a_reading = terms.baseline is not None and not (terms.cumulative or case.is_growth)
    if baseline_is_a_reading and _meets(terms, case.scale.to_scale(terms.baseline)):
        params = case.base | {"baseline": format_number(terms.baseline)}
        return Judgement(TargetStatus.ACHIEVED, Reason("baseline_meets", params))
    return Judgement(TargetStatus.NO_DATA, Reason("no_data", case.base), _expected_now(terms, case.scale, case.today))


def _achieved(case: _Case) -> Judgement | None:
    """Step 3: the latest value meets the target, and for good (see `_meets_for_good`)."""
    if case.meets and _meets_for_good(case):
        return Judgement(TargetStatus.ACHIEVED, Reason("achieved", case.params), ratio=Decimal(1))
    return None


def _meets_for_good(case: _Case) -> bool:
    if case.is_growth:
        return case.covers_period  # a partial-year rate can still fall back
    if case.is_ceiling_count:
        return case.covers_period or case.past_deadline  # under the ceiling so far is not yet kept
    return True


def _overdue(case: _Case) -> Judgement | None:
    """Step 4: past the deadline and not achieved."""
    if not case.past_deadline:
        return None
    code = "overdue_no_full_period" if case.is_growth and not case.covers_period else "overdue_not_met"
    return Judgement(TargetStatus.OVERDUE, Reason(code, case.params))


def _growth_so_far(case: _Case) -> Judgement | None:
    """A growth rate for part of the period is compared with the target rate itself: there is no line to follow."""
    if not case.is_growth:
        return None
    target = case.terms.target
    direction, aim = _direction_and_aim(case.terms, None)
    ratio = Decimal(1) if case.meets else _ratio_to_target(case.x, aim, direction)
    if ratio is None:
        return Judgement(TargetStatus.OFF_TRACK, Reason("not_met", case.params), target)
    params = case.params | {"ratio": _pct(ratio)}
    return Judgement(_by_ratio(ratio, case.rules), Reason("growth_partial", params), target, ratio)


def _ceiling_count_pace(case: _Case) -> Judgement | None:
    """A cumulative ceiling ("no more than N this year"): over it is off track, else the count is compared with a
    pro-rata allowance at the reading's date."""
    if not case.is_ceiling_count:
        return None
    aim = case.direction_and_aim[1]
    if case.x > aim:
        return Judgement(TargetStatus.OFF_TRACK, Reason("ceiling_exceeded", case.params), case.expected_now)
    origin_date = case.origin_and_date[1]
    allowance = aim * _fraction(origin_date, case.terms.deadline, case.latest.as_of)
    ratio = Decimal(1) if case.x <= allowance else allowance / case.x
    params = case.params | {"expected": format_number(allowance, "0.01"), "ratio": _pct(ratio)}
    return Judgement(_by_ratio(ratio, case.rules), Reason("ceiling_pace", params), case.expected_now, ratio)


def _beyond_band(case: _Case) -> Judgement | None:
    """An `approx` or `range` target gone past the whole accepted band: more of the same does not help."""
    if case.terms.comparator not in (Comparator.APPROX, Comparator.RANGE):
        return None
    low, high = _band(case.terms)
    direction = case.direction_and_aim[0]
    if (direction > 0 and case.x > high) or (direction < 0 and case.x < low):
        return Judgement(TargetStatus.OFF_TRACK, Reason("beyond_band", case.params), case.expected_now)
    return None


def _versus_target(case: _Case) -> Judgement | None:
    """Step 5 without a line to follow (no baseline and a single reading, or a baseline already at the target):
    the value as a share of the target."""
    origin = case.origin_and_date[0]
    direction, aim = case.direction_and_aim
    if origin is not None and direction * (aim - origin) > 0:
        return None
    code = "versus_target" if origin is None else "holding_target"
    target_value = case.scale.to_value(aim)
    ratio = _ratio_to_target(case.x, aim, direction)
    if ratio is None:
        return Judgement(TargetStatus.OFF_TRACK, Reason("not_met", case.params), target_value)
    params = case.params | {"ratio": _pct(ratio)}
    return Judgement(_by_ratio(ratio, case.rules), Reason(code, params), target_value, ratio)


def _pace_on_the_line(case: _Case) -> Judgement:
    """Step 5: actual progress from the origin against the progress expected at the reading's date. Always decides."""
    origin, origin_date = case.origin_and_date
    aim = case.direction_and_aim[1]
    expected_then = origin + (aim - origin) * _fraction(origin_date, case.terms.deadline, case.latest.as_of)
    if expected_then == origin:
        return Judgement(TargetStatus.ON_TRACK, Reason("period_start", case.params), case.expected_now)
    ratio = (case.x - origin) / (expected_then - origin)
    expected = format_number(case.scale.to_value(expected_then), "0.01")
    params = case.params | {"expected": expected, "ratio": _pct(ratio)}
    return Judgement(_by_ratio(ratio, case.rules), Reason("progress", params), case.expected_now, ratio)


# In this order; each returns a Judgement when it decides, or None to leave the pledge to the next.
NUMERIC_STEPS: tuple[Callable[[_Case], Judgement | None], ...] = (
    _needs_baseline,
    _without_a_value,
    _achieved,
    _overdue,
    _growth_so_far,
    _ceiling_count_pace,
    _beyond_band,
    _versus_target,
    _pace_on_the_line,
)


def _judge_numeric(terms: Terms, current: Sequence[Reading], today: date, rules: Rules) -> Judgement:
    case = _Case(terms, readings_for_line(current), today, rules)
    for step in NUMERIC_STEPS:
        judgement = step(case)
        if judgement is not None:
            return judgement
    raise AssertionError("the last step always decides")


def _origin(terms: Terms, scale: _Scale, valued: Sequence[Reading]) -> tuple[Decimal | None, date]:
    """Where the straight line to the target starts, and when."""
    if terms.cumulative:
        return Decimal(0), terms.period_start
    if terms.baseline is not None:
        return scale.to_scale(terms.baseline), terms.baseline_date or terms.period_start
    if len(valued) >= 2:
        first = valued[0]
        return scale.to_scale(first.value), first.as_of
    return None, terms.period_start


def _expected_now(terms: Terms, scale: _Scale, today: date, line=None) -> Decimal | None:
    """The value expected on `today` (in the reading's own unit), shown in the tables."""
    if terms.kind == Kind.GROWTH:
        return terms.target
    if line is None:
        if terms.cumulative:
            origin, origin_date = Decimal(0), terms.period_start
        elif terms.baseline is not None:
            origin, origin_date = scale.to_scale(terms.baseline), terms.baseline_date or terms.period_start
        else:
            return None
        line = (origin, origin_date, _direction_and_aim(terms, origin)[1])
    origin, origin_date, aim = line
    if origin is None:
        return scale.to_value(aim)
    return scale.to_value(origin + (aim - origin) * _fraction(origin_date, terms.deadline, today))


def _fraction(start: date, end: date, when: date) -> Decimal:
    """Share of the period [start, end] elapsed on `when`, between 0 and 1."""
    if end <= start:
        return Decimal(1)
    elapsed = (when - start).days / (end - start).days
    return Decimal(str(min(1.0, max(0.0, elapsed))))


def _ratio_to_target(x: Decimal, aim: Decimal, direction: int) -> Decimal | None:
    """The value as a share of the target (target / value when lower is better); None when that has no meaning."""
    if direction * (x - aim) >= 0:
        return Decimal(1)
    if direction > 0:
        return x / aim if aim > 0 else None
    return aim / x if aim > 0 else None


def _by_ratio(ratio: Decimal | None, rules: Rules) -> str:
    if ratio is None:
        return TargetStatus.OFF_TRACK
    if ratio >= Decimal(str(rules.on_track_ratio)):
        return TargetStatus.ON_TRACK
    if ratio >= Decimal(str(rules.at_risk_ratio)):
        return TargetStatus.AT_RISK
    return TargetStatus.OFF_TRACK


# --- Reporting heartbeat ----------------------------------------------------------------------------


def _reporting_status(terms: Terms, latest: Reading | None, status: str, today: date, rules: Rules):
    """Is a progress report due? Like a heartbeat: each report sets when the next one is due."""
    if status == TargetStatus.ACHIEVED or (latest is not None and latest.as_of >= terms.deadline):
        return ReportingStatus.OK, None
    anchor = latest.as_of if latest else terms.period_start
    months = CADENCE_MONTHS.get(terms.cadence)
    due = _add_months(anchor, months) if months else terms.deadline
    due = min(due, terms.deadline)
    if (today - due).days > rules.report_grace_days:
        return ReportingStatus.LATE, due
    if (due - today).days <= rules.report_due_soon_days:
        return ReportingStatus.DUE_SOON, due
    return ReportingStatus.OK, due


def _add_months(day: date, months: int) -> date:
    """`day` plus whole months, keeping month ends at month ends (31 Jan + 1 month = 28/29 Feb)."""
    moved = day + relativedelta(months=months)
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        moved = moved.replace(day=calendar.monthrange(moved.year, moved.month)[1])
    return moved


# --- Formatting helpers (parameters are stored as JSON, so numbers and dates are strings) ------------


def _round(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return value.quantize(Decimal("0.0001"))
    except InvalidOperation:  # too large to hold 4 decimals: keep it as it is
        return value


def format_number(value: Decimal | None, places: str = "0.0001") -> str | None:
    """A number as a plain string for the messages: no exponent, no trailing zeros."""
    if value is None:
        return None
    try:
        value = value.quantize(Decimal(places))
    except InvalidOperation:
        pass
    return format(value.normalize(), "f")


def _pct(ratio: Decimal | None) -> str | None:
    return None if ratio is None else format((ratio * 100).quantize(Decimal("1")), "f")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def target_text(params: dict) -> str:
    """'≥ 50个', '≈ 500亿元（±5%）', '3–4.4亿元', 'reduce by 5%', in the active language."""
    comparator, unit, target = params.get("comparator"), params.get("unit") or "", params.get("target")
    if params.get("kind") == Kind.MILESTONE:
        return str(_("done"))
    if comparator == Comparator.RANGE:
        text = f"{params.get('low')}–{params.get('high')}{unit}"
    elif comparator == Comparator.APPROX:
        # xgettext:no-python-format
        text = str(_("≈ {target}{unit} (±{tolerance}%)")).format(target=target, unit=unit, tolerance=params.get("tolerance"))
    else:
        symbol = {Comparator.AT_LEAST: "≥ ", Comparator.AT_MOST: "≤ "}.get(comparator, "")
        text = f"{symbol}{target}{unit}"
    if params.get("kind") == Kind.REDUCTION:
        return str(_("a reduction of {target}")).format(target=text)
    if params.get("kind") == Kind.GROWTH:
        return str(_("growth of {target}")).format(target=text)
    return text


class _RenderedParams(dict):
    """Parameters as the messages print them: dates in the active language's format, target as text."""

    def __init__(self, params: dict):
        super().__init__(params)

    def __missing__(self, key):
        return "?"

    def __getitem__(self, key):
        if key == "target":
            return target_text(super().get("target_terms") or {})
        value = super().__getitem__(key) if key in self else self.__missing__(key)
        if key == "worst_status" and value in TargetStatus.values:
            return str(TargetStatus(value).label)
        if key in ("as_of", "deadline") and value:
            from django.utils.formats import date_format

            return date_format(date.fromisoformat(value), "DATE_FORMAT")
        return "?" if value is None else value


REASON_MESSAGES = {
    "not_assessed": _("Not assessed yet."),
    "achieved": _("Achieved: {value}{unit} as of {as_of} meets the target {target}."),
    "baseline_meets": _("Achieved: the baseline {baseline}{unit} already meets the target {target}."),
    "no_data": _("No value reported yet; the deadline is {deadline}."),
    "needs_baseline": _("A reduction target needs a baseline value before progress can be assessed."),
    "overdue_no_data": _("The deadline {deadline} has passed and no value was ever reported."),
    "overdue_not_met": _("The deadline {deadline} has passed; the latest value {value}{unit} ({as_of}) does not meet the target {target}."),
    "overdue_no_full_period": _("The deadline {deadline} has passed with no figure for the full period; the latest is {value}{unit} as of {as_of}."),
    "overdue_milestone": _("The deadline {deadline} has passed and the milestone is not done."),
    # xgettext:no-python-format
    "progress": _("Actual {value}{unit} as of {as_of}; {expected}{unit} expected by then ({ratio}% of the expected progress)."),
    # xgettext:no-python-format
    "holding_target": _("Actual {value}{unit} as of {as_of} has fallen short of the target {target} that the baseline had already reached ({ratio}% of the target)."),
    # xgettext:no-python-format
    "versus_target": _("Actual {value}{unit} as of {as_of} against the target {target} ({ratio}% of the target; no baseline sets the pace)."),
    # xgettext:no-python-format
    "growth_partial": _("Growth so far {value}{unit} as of {as_of} against the target {target} ({ratio}%); a growth rate counts once it covers the full period."),
    "not_met": _("Actual {value}{unit} as of {as_of} does not meet the target {target}."),
    "beyond_band": _("Actual {value}{unit} as of {as_of} is beyond the target {target}."),
    "ceiling_exceeded": _("Already {value}{unit} as of {as_of}, over the ceiling {target}."),
    "ceiling_pace": _("{value}{unit} so far as of {as_of}, against a pro-rata allowance of {expected}{unit} (ceiling {target})."),
    "period_start": _("{value}{unit} as of {as_of}; the period has just started, so nothing is expected yet."),
    "not_applicable": _("Not applicable: {why}"),
    "suspended": _("Suspended: {why}"),
    "no_parts": _("Every part must reach its own target, and no part counts yet."),
    "parts_all_achieved": _("All {parts} parts have reached their own targets."),
    "parts_waiting": _("{achieved} of {parts} parts achieved; {waiting} have not reported yet."),
    "parts_each": _("{achieved} of {parts} parts achieved; the worst: {worst_parts} ({worst_status})."),
    "milestone_done": _("Reported done as of {as_of}."),
    "milestone_open": _("Reported not yet done as of {as_of}; the deadline is {deadline}."),
}
