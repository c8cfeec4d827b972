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
5. Fallen back (`_fell_back`): the target had been met before, by the baseline or by an earlier current reading (a
   growth rate or a cumulative ceiling only by a figure for the full period), and the latest value no longer meets
   it. That is off track under every method, and the reason gives the date and the value at which the target had
   been reached; for an `approx` or `range` target it is a value that has left the band it had been inside. A slide
   back from the target is never read as "most of the way there".
6. Otherwise the latest value is compared with the progress expected at its date. Some pledges are judged the same
   way under every method: a growth rate for part of the period against the target rate itself
   (`_growth_so_far`), a cumulative ceiling against a pro-rata allowance (`_ceiling_count_pace`), an `approx` or
   `range` target already past its whole band (off track, `_beyond_band`), and a pledge with no origin to measure
   progress from (no baseline and a single reading) or whose origin is already at the target, whose value is taken
   as a share of the target (`_versus_target`). The others are judged by their method (below):
   `_pace_on_the_schedule`, `_pace_of_growth`, or else `_pace_on_the_line`.

Methods of expected progress (`Method`, `Terms.method`)
--------------------------------------------------------
Each method leads from the origin to the aim at the deadline (`_Plan`). The origin is the baseline, 0 at the start of
the period for a cumulative count, or the first reading when there is no baseline; the aim is the target (for a range,
its nearer bound; for a reduction, the reduction on the scale of step 2). Every reason that depends on the method
names it.

- `linear` (序时进度): a straight line from the origin to the aim. The progress ratio is the progress made from the
  origin against the progress expected from the origin at the reading's date: at least `Rules.on_track_ratio` is on
  track, at least `Rules.at_risk_ratio` at risk, lower is off track. At the origin's date nothing is expected yet.
- `schedule` (分期计划): planned values (in the reading's unit) at checkpoints, e.g. 10 by the end of March, 25 by June,
  38 by September. Only checkpoints after the origin's date and before the deadline count: at the deadline the
  target remains the aim. The value planned for a date is that of the latest point reached (before the first
  checkpoint, the origin: nothing planned yet), or with `Rules.interpolate_schedule` the value on the straight
  line between the points either side of it (before the first checkpoint, between the origin and it). The ratio
  is the progress made from the origin against the progress planned from the origin for the reading's date, with
  the thresholds of `linear`; where the schedule plans no progress yet (or a step back) the pledge is on track. A
  schedule without checkpoints is judged on the straight line, and the reason says so.
- `cagr`, the progress measure of Open SDG (the Statistics Canada methodology): compound annual growth, counted on
  the reading's own values (for a reduction of a level, the level itself) over calendar years (days left over count
  as 1/365.25 of a year each). The growth observed, (latest / start) ^ (1 / years since the origin) - 1, is set
  against the growth required to get from the start to the aim by the deadline, (aim / start) ^ (1 / years from
  the origin to the deadline) - 1. The ratio is the observed growth over the size of the required growth, with its
  sign turned when progress means going down (lower is better) and turned again when the values lie below zero; at
  least `Rules.cagr_on_track_ratio` is on track, at least `Rules.cagr_at_risk_ratio` at risk, lower (Open SDG's
  "limited progress" and "deterioration", a ratio below 0 meaning the value moved away from the target) is off
  track. As Open SDG does: a value that meets the target is achieved whatever its trend (step 3); a start or aim of
  0 is replaced by 0.001 (-0.001 for values below zero), since compound growth can neither start from 0 nor reach
  it; and with less than a year between the origin and the latest value there is not enough data, so the pledge
  has no status yet (no data, with a reason). A value that has reached or crossed zero has shrunk by 100% a year.
  A baseline that already meets the target leaves nothing to grow towards: achieved while it still meets it,
  fallen back (step 5) once it does not. Where compound growth has no meaning the pledge is judged on the straight
  line with a reason that says why: a cumulative count (it starts from zero each period), a deadline less than a
  year after the origin, or a start and an aim on opposite sides of zero.
Growth rates and cumulative ceilings are judged by their own rules (step 6) under every method.

`trajectory()` gives the expected path for the chart: the straight line, the schedule's steps (or its points, when
interpolated), or the required growth curve sampled once a year. Only a straight line is stored with the assessment
(`Assessment.line`) for the nightly job to move along in SQL; a pledge on a schedule or a growth curve is
re-assessed instead.

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
        line=_line_through(terms, readings_for_line(current), today, expected_now, rules),
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


def _line_through(terms: Terms, valued: list[Reading], today: date, expected_now: Decimal | None, rules: Rules):
    """The expected path as a line, if `expected_now` lies on it today and keeps to it until the deadline: only the
    straight line of `linear` does (a schedule's steps and a growth curve do not; nor does a target that is not a
    line, such as a baseline already at the target, which keeps a constant expected value)."""
    if expected_now is None:
        return None
    method, points = _expected_path(terms, valued, rules)
    if method != Method.LINEAR or len(points) != 2:
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


def trajectory(
    terms: Terms, readings: Iterable[Reading], today: date, rules: Rules = Rules()
) -> list[tuple[date, Decimal]]:
    """The expected path as points (date, value in the reading's unit), as the pledge's method draws it (`_Plan`): a
    straight line from the origin to the target at the deadline, a schedule's steps (its points when
    `rules.interpolate_schedule`), or the required growth curve sampled once a year; a flat line at the target rate
    for growth. Empty when no path can be drawn."""
    return _expected_path(terms, readings_for_line(current_readings(readings, today)), rules)[1]


def _expected_path(terms: Terms, valued: list[Reading], rules: Rules) -> tuple[str, list[tuple[date, Decimal]]]:
    """The method in use and the expected path's points (see `trajectory`)."""
    if terms.kind == Kind.MILESTONE:
        return Method.LINEAR, []
    if terms.kind == Kind.GROWTH:
        flat = [(terms.period_start, terms.target), (terms.deadline, terms.target)] if terms.target is not None else []
        return Method.LINEAR, flat
    scale = _Scale(terms)
    if not scale.usable():
        return Method.LINEAR, []
    origin, origin_date = _origin(terms, scale, valued)
    if origin is None:
        return Method.LINEAR, []
    plan = _Plan(terms, scale, origin, origin_date, *_direction_and_aim(terms, origin), rules)
    return plan.method, plan.points()


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


# Open SDG puts this in place of a start or target of 0, which compound growth can neither start from nor reach.
GROWTH_STAND_IN = Decimal("0.001")
YEAR_DAYS = Decimal("365.25")


class _Plan:
    """The progress expected of a numeric pledge over time: from `origin` on `origin_date` to `aim` at the deadline
    (both on the comparator's scale), by the method in use. That is the pledge's own method, or `linear` when its own
    cannot apply; `fallback` is then the code of the reason that says why."""

    def __init__(
        self, terms: Terms, scale: _Scale, origin: Decimal, origin_date: date, direction: int, aim: Decimal,
        rules: Rules,
    ):
        self.terms, self.scale, self.rules = terms, scale, rules
        self.origin, self.origin_date, self.direction, self.aim = origin, origin_date, direction, aim
        self.method, self.fallback = self._method_in_use()

    def _method_in_use(self) -> tuple[str, str | None]:
        terms = self.terms
        if terms.cumulative and terms.comparator == Comparator.AT_MOST:
            return Method.LINEAR, None  # a ceiling count is judged against its pro-rata allowance under every method
        if terms.method == Method.SCHEDULE:
            return (Method.SCHEDULE, None) if self.checkpoints else (Method.LINEAR, "progress_no_checkpoints")
        if terms.method == Method.CAGR:
            if terms.cumulative:
                return Method.LINEAR, "progress_cagr_count"
            if terms.deadline < _a_year_after(self.origin_date):
                return Method.LINEAR, "progress_cagr_short"
            start, end = self.growth_ends
            if (start > 0) != (end > 0) or start == end:
                return Method.LINEAR, "progress_cagr_undefined"
            return Method.CAGR, None
        return Method.LINEAR, None

    def expected_at(self, day: date) -> Decimal:
        """The value expected on `day`, on the comparator's scale."""
        if self.method == Method.SCHEDULE:
            return self.planned_at(day)[0]
        if self.method == Method.CAGR:
            if day >= self.terms.deadline:
                return self.aim
            return self.scale.to_scale(self.on_growth_curve(day)) if day > self.origin_date else self.origin
        return self.origin + (self.aim - self.origin) * _fraction(self.origin_date, self.terms.deadline, day)

    def points(self) -> list[tuple[date, Decimal]]:
        """The expected path as (date, value in the reading's unit), for `trajectory`."""
        start = (self.origin_date, self.scale.to_value(self.origin))
        end = (self.terms.deadline, self.scale.to_value(self.aim))
        if self.method == Method.SCHEDULE:
            planned = [*self.checkpoints, end]
            if self.rules.interpolate_schedule:
                return [start, *planned]
            steps, level = [start], start[1]
            for day, value in planned:
                steps += [(day, level), (day, value)]
                level = value
            return steps
        if self.method == Method.CAGR:
            yearly = []
            day = _a_year_after(self.origin_date)
            while day < self.terms.deadline:
                yearly.append((day, self.on_growth_curve(day)))
                day = _a_year_after(day)
            return [start, *yearly, end]
        return [start, end]

    # Method `schedule`.

    @cached_property
    def checkpoints(self) -> list[tuple[date, Decimal]]:
        """The planned values (in the reading's unit) that count: after the origin's date and before the deadline."""
        deadline = self.terms.deadline
        return [(day, value) for day, value in sorted(self.terms.schedule) if self.origin_date < day < deadline]

    def planned_at(self, day: date) -> tuple[Decimal, date]:
        """What the schedule plans for `day` (on the comparator's scale) and the date that plan is for: the latest point
        reached (the origin before the first checkpoint), or the value interpolated for `day` between the points either
        side of it."""
        points = [(self.origin_date, self.origin)]
        points += [(when, self.scale.to_scale(value)) for when, value in self.checkpoints]
        points.append((self.terms.deadline, self.aim))
        reached = [point for point in points if point[0] <= day] or points[:1]
        last_date, last_value = reached[-1]
        if len(reached) == len(points) or not self.rules.interpolate_schedule:
            return last_value, last_date
        next_date, next_value = points[len(reached)]
        return last_value + (next_value - last_value) * _fraction(last_date, next_date, day), day

    # Method `cagr`: compound growth, on the reading's own values.

    @cached_property
    def growth_ends(self) -> tuple[Decimal, Decimal]:
        """The start and the aim as values to grow between, a 0 replaced by the stand-in on the other's side of zero."""
        start, end = self.scale.to_value(self.origin), self.scale.to_value(self.aim)
        return _stand_in_for_zero(start, end), _stand_in_for_zero(end, start)

    @cached_property
    def required_growth(self) -> Decimal:
        """The compound annual growth that takes the start to the aim by the deadline."""
        start, end = self.growth_ends
        return _compound_growth(start, end, _years(self.origin_date, self.terms.deadline))

    def observed_growth(self, value: Decimal, day: date) -> Decimal:
        """The compound annual growth from the start to `value` on `day`."""
        return _compound_growth(self.growth_ends[0], value, _years(self.origin_date, day))

    @cached_property
    def growth_sense(self) -> int:
        """+1 when growth is progress, -1 when decline is: the direction wanted of the reading's own value (the
        scale of a reduction of a level runs the other way), turned round for values below zero."""
        upwards = -self.direction if self.scale.is_reduction_of_level else self.direction
        return upwards if self.growth_ends[0] > 0 else -upwards

    def on_growth_curve(self, day: date) -> Decimal:
        """The value (in the reading's unit) on `day` of the start grown at the required rate."""
        return self.growth_ends[0] * (1 + self.required_growth) ** _years(self.origin_date, day)


def _stand_in_for_zero(value: Decimal, other: Decimal) -> Decimal:
    if value != 0:
        return value
    return -GROWTH_STAND_IN if other < 0 else GROWTH_STAND_IN


def _compound_growth(start: Decimal, end: Decimal, years: Decimal) -> Decimal:
    """(end / start) ^ (1 / years) - 1, as a fraction; -1 (shrunk by 100% a year) once the value has reached or
    crossed zero."""
    change = end / start
    if change <= 0:
        return Decimal(-1)
    return change ** (1 / years) - 1


def _years(start: date, end: date) -> Decimal:
    """Years from `start` to `end` (not before it): whole years as the calendar counts them, the days left over in
    years of 365.25 days."""
    whole = relativedelta(end, start).years
    left_over = (end - (start + relativedelta(years=whole))).days
    return whole + Decimal(left_over) / YEAR_DAYS


def _a_year_after(day: date) -> date:
    return day + relativedelta(years=1)


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

    # The progress expected: from the origin to the aim at the deadline, by the pledge's method (`_Plan`).

    @cached_property
    def origin_and_date(self) -> tuple[Decimal | None, date]:
        return _origin(self.terms, self.scale, self.valued)

    @cached_property
    def direction_and_aim(self) -> tuple[int, Decimal]:
        return _direction_and_aim(self.terms, self.origin_and_date[0])

    @cached_property
    def plan(self) -> _Plan | None:
        """The expected progress by the pledge's method; None for a growth rate, or without an origin."""
        origin, origin_date = self.origin_and_date
        if origin is None or self.is_growth:
            return None
        return _Plan(self.terms, self.scale, origin, origin_date, *self.direction_and_aim, self.rules)

    @cached_property
    def expected_now(self) -> Decimal | None:
        """The value expected today (in the reading's unit), shown in the tables: the target rate for growth, the
        target itself when there is no origin."""
        if self.is_growth:
            return self.terms.target
        if self.plan is None:
            return self.scale.to_value(self.direction_and_aim[1])
        return self.scale.to_value(self.plan.expected_at(self.today))

    # Where the pledge stood before its latest value.

    @cached_property
    def baseline_as_reading(self) -> Decimal | None:
        """The baseline on the comparator's scale, when it is a value of the same kind as the readings (not for a
        cumulative count, which starts from zero, nor for a growth rate)."""
        terms = self.terms
        if terms.baseline is None or terms.cumulative or self.is_growth:
            return None
        return self.scale.to_scale(terms.baseline)

    @cached_property
    def last_met(self) -> tuple[date, Decimal] | None:
        """When the target was last met before the latest value, and by what value: by an earlier reading that counted
        as meeting it (`_kept`), or else by the baseline."""
        terms = self.terms
        for reading in reversed(self.valued[:-1]):
            if _kept(terms, reading.as_of) and _meets(terms, self.scale.to_scale(reading.value)):
                return reading.as_of, reading.value
        if self.baseline_as_reading is not None and _meets(terms, self.baseline_as_reading):
            return terms.baseline_date or terms.period_start, terms.baseline
        return None


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
    if case.baseline_as_reading is not None and _meets(terms, case.baseline_as_reading):
        params = case.base | {"baseline": format_number(terms.baseline)}
        return Judgement(TargetStatus.ACHIEVED, Reason("baseline_meets", params))
    expected = case.expected_now if case.is_growth or case.plan is not None else None
    return Judgement(TargetStatus.NO_DATA, Reason("no_data", case.base), expected)


def _achieved(case: _Case) -> Judgement | None:
    """Step 3: the latest value meets the target, and for good (see `_meets_for_good`)."""
    if case.meets and _meets_for_good(case):
        return Judgement(TargetStatus.ACHIEVED, Reason("achieved", case.params), ratio=Decimal(1))
    return None


def _meets_for_good(case: _Case) -> bool:
    return _kept(case.terms, case.latest.as_of) or (case.is_ceiling_count and case.past_deadline)


def _kept(terms: Terms, as_of: date) -> bool:
    """Whether a value for the period ending `as_of` that meets the target has met it for good: a growth rate only
    once it covers the full period (a partial-year rate can still fall back), and a cumulative ceiling likewise
    (under the ceiling so far is not yet kept)."""
    if terms.kind == Kind.GROWTH or (terms.cumulative and terms.comparator == Comparator.AT_MOST):
        return as_of >= terms.deadline
    return True


def _overdue(case: _Case) -> Judgement | None:
    """Step 4: past the deadline and not achieved."""
    if not case.past_deadline:
        return None
    code = "overdue_no_full_period" if case.is_growth and not case.covers_period else "overdue_not_met"
    return Judgement(TargetStatus.OVERDUE, Reason(code, case.params))


def _fell_back(case: _Case) -> Judgement | None:
    """Step 5: the target was met before (`_Case.last_met`) and the latest value no longer meets it."""
    if case.meets:
        return None
    met = case.last_met
    if met is None:
        return None
    met_on, met_value = met
    code = "left_band" if case.terms.comparator in (Comparator.APPROX, Comparator.RANGE) else "fell_back"
    params = case.params | {"met_on": _iso(met_on), "met_value": format_number(met_value)}
    return Judgement(TargetStatus.OFF_TRACK, Reason(code, params), case.expected_now)


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


def _pace_on_the_schedule(case: _Case) -> Judgement | None:
    """Method `schedule`: progress from the origin against the progress planned from the origin for the reading's
    date."""
    plan = case.plan
    if plan is None or plan.method != Method.SCHEDULE:
        return None
    planned, planned_on = plan.planned_at(case.latest.as_of)
    if plan.direction * (planned - plan.origin) <= 0:
        return Judgement(TargetStatus.ON_TRACK, Reason("schedule_nothing_planned", case.params), case.expected_now)
    ratio = (case.x - plan.origin) / (planned - plan.origin)
    expected = format_number(case.scale.to_value(planned), "0.01")
    params = case.params | {"expected": expected, "planned_on": _iso(planned_on), "ratio": _pct(ratio)}
    return Judgement(_by_ratio(ratio, case.rules), Reason("schedule_progress", params), case.expected_now, ratio)


def _pace_of_growth(case: _Case) -> Judgement | None:
    """Method `cagr` (Open SDG): observed against required compound annual growth, once a year of data is in."""
    plan = case.plan
    if plan is None or plan.method != Method.CAGR:
        return None
    since = plan.origin_date
    if case.latest.as_of < _a_year_after(since):
        params = case.params | {"since": _iso(since)}
        return Judgement(TargetStatus.NO_DATA, Reason("cagr_under_a_year", params), case.expected_now)
    observed = plan.observed_growth(case.latest.value, case.latest.as_of)
    required = plan.required_growth
    ratio = plan.growth_sense * observed / abs(required)
    params = case.params | {
        "since": _iso(since),
        "observed": format_number(observed * 100, "0.1"),
        "required": format_number(required * 100, "0.1"),
        "ratio": _pct(ratio),
    }
    status = _by_ratio(ratio, case.rules, growth=True)
    return Judgement(status, Reason("cagr_progress", params), case.expected_now, ratio)


def _pace_on_the_line(case: _Case) -> Judgement:
    """Method `linear` (and the methods that fall back to it): actual progress from the origin against the progress
    expected at the reading's date. Always decides."""
    origin, origin_date = case.origin_and_date
    aim = case.direction_and_aim[1]
    expected_then = origin + (aim - origin) * _fraction(origin_date, case.terms.deadline, case.latest.as_of)
    if expected_then == origin:
        return Judgement(TargetStatus.ON_TRACK, Reason("period_start", case.params), case.expected_now)
    ratio = (case.x - origin) / (expected_then - origin)
    expected = format_number(case.scale.to_value(expected_then), "0.01")
    params = case.params | {"expected": expected, "ratio": _pct(ratio)}
    code = case.plan.fallback or "progress"
    if code == "progress_cagr_undefined":
        params["start"] = format_number(case.scale.to_value(origin))
    return Judgement(_by_ratio(ratio, case.rules), Reason(code, params), case.expected_now, ratio)


# In this order; each returns a Judgement when it decides, or None to leave the pledge to the next.
NUMERIC_STEPS: tuple[Callable[[_Case], Judgement | None], ...] = (
    _needs_baseline,
    _without_a_value,
    _achieved,
    _overdue,
    _fell_back,
    _growth_so_far,
    _ceiling_count_pace,
    _beyond_band,
    _versus_target,
    _pace_on_the_schedule,
    _pace_of_growth,
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


def _by_ratio(ratio: Decimal | None, rules: Rules, growth: bool = False) -> str:
    """The status for a progress ratio, by the thresholds in `rules` (those of Open SDG for `growth`)."""
    if growth:
        on_track, at_risk = rules.cagr_on_track_ratio, rules.cagr_at_risk_ratio
    else:
        on_track, at_risk = rules.on_track_ratio, rules.at_risk_ratio
    if ratio is None:
        return TargetStatus.OFF_TRACK
    if ratio >= Decimal(str(on_track)):
        return TargetStatus.ON_TRACK
    if ratio >= Decimal(str(at_risk)):
        return TargetStatus.AT_RISK
    return TargetStatus.OFF_TRACK


# --- Reporting heartbeat ----------------------------------------------------------------------------


def _reporting_status(terms: Terms, latest: Reading | None, status: str, today: date, rules: Rules):
    """Is a progress report due? Like a heartbeat: each report sets when the next one is due."""
    due = None if status == TargetStatus.ACHIEVED else report_due_after(terms, latest.as_of if latest else None)
    if due is None:
        return ReportingStatus.OK, None
    if report_is_late(due, today, rules):
        return ReportingStatus.LATE, due
    if (due - today).days <= rules.report_due_soon_days:
        return ReportingStatus.DUE_SOON, due
    return ReportingStatus.OK, due


def report_due_after(terms: Terms, last_report: date | None) -> date | None:
    """When the report after the one for the period ending `last_report` (None: none yet) falls due: one cadence later
    (counted from the start of the period for the first report), at the deadline at the latest; None once a report
    reached the deadline. Read by the heartbeat above and by the reporting completeness page (commitments.completeness)."""
    if last_report is not None and last_report >= terms.deadline:
        return None
    months = CADENCE_MONTHS.get(terms.cadence)
    anchor = last_report or terms.period_start
    due = _add_months(anchor, months) if months else terms.deadline
    return min(due, terms.deadline)


def report_is_late(due: date, today: date, rules: Rules) -> bool:
    """A report is late once the grace days after its due date have passed."""
    return (today - due).days > rules.report_grace_days


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


DATE_PARAMS = ("as_of", "deadline", "met_on", "planned_on", "since")


class _RenderedParams(dict):
    """Parameters as the messages print them: dates in the active language's format, target as text."""

    def __init__(self, params: dict):
        super().__init__(params)

    def __missing__(self, key):
        return "?"

    def __getitem__(self, key):
        if key == "target":
            return target_text(super().get("target_terms") or {})
        if key not in self:
            return self.__missing__(key)  # a reason stored before this parameter existed
        value = super().__getitem__(key)
        if key == "worst_status" and value in TargetStatus.values:
            return str(TargetStatus(value).label)
        if key in DATE_PARAMS and value:
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
    "progress": _("Actual {value}{unit} as of {as_of}; {expected}{unit} expected by then on the straight line (序时进度) ({ratio}% of the expected progress)."),
    # xgettext:no-python-format
    "progress_no_checkpoints": _("Actual {value}{unit} as of {as_of}; {expected}{unit} expected by then on the straight line (序时进度), as the schedule has no checkpoints before the deadline ({ratio}% of the expected progress)."),
    # xgettext:no-python-format
    "progress_cagr_count": _("Actual {value}{unit} as of {as_of}; {expected}{unit} expected by then on the straight line (序时进度), as a count from zero has no growth rate (Open SDG) ({ratio}% of the expected progress)."),
    # xgettext:no-python-format
    "progress_cagr_short": _("Actual {value}{unit} as of {as_of}; {expected}{unit} expected by then on the straight line (序时进度), as the deadline is less than a year after the start, too soon for a growth rate (Open SDG) ({ratio}% of the expected progress)."),
    # xgettext:no-python-format
    "progress_cagr_undefined": _("Actual {value}{unit} as of {as_of}; {expected}{unit} expected by then on the straight line (序时进度), as no compound growth (Open SDG) leads from {start}{unit} to the target {target} ({ratio}% of the expected progress)."),
    # xgettext:no-python-format
    "schedule_progress": _("Actual {value}{unit} as of {as_of}; {expected}{unit} planned for {planned_on} in the schedule (分期计划) ({ratio}% of the planned progress)."),
    "schedule_nothing_planned": _("{value}{unit} as of {as_of}; the schedule (分期计划) plans no progress by then."),
    # xgettext:no-python-format
    "cagr_progress": _("Actual {value}{unit} as of {as_of}: observed growth {observed}% a year since {since} against {required}% a year required to reach the target {target} by {deadline} (Open SDG; {ratio}% of the required growth)."),
    "cagr_under_a_year": _("{value}{unit} as of {as_of}: the growth-rate method (Open SDG) needs at least a year of data since {since}, so it cannot judge yet."),
    "fell_back": _("Had reached the target {target} on {met_on} ({met_value}{unit}) and fell back to {value}{unit} as of {as_of}."),
    "left_band": _("Had been within the target {target} on {met_on} ({met_value}{unit}) and left it: {value}{unit} as of {as_of}."),
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
