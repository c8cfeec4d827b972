"""The methods of expected progress (序时进度, 分期计划, the Open SDG growth measure) and the rule for a pledge that falls
back from a target it had met: the status engine on plain values, no database, no clock."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from commitments.status import (
    REASON_MESSAGES,
    Reading,
    Rules,
    TargetStatus,
    Terms,
    assess,
    trajectory,
    worse,
)

ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK, OVERDUE, NO_DATA = (
    TargetStatus.ACHIEVED,
    TargetStatus.ON_TRACK,
    TargetStatus.AT_RISK,
    TargetStatus.OFF_TRACK,
    TargetStatus.OVERDUE,
    TargetStatus.NO_DATA,
)

YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)
STEPS, INTERPOLATED = Rules(), Rules(interpolate_schedule=True)


def terms(**fields) -> Terms:
    defaults = dict(
        kind="level", comparator=">=", target=D(50), unit="个", start_date=YEAR_START, deadline=YEAR_END,
        cadence="quarterly",
    )
    return Terms(**(defaults | fields))


def at(day: str, value=None, **fields) -> Reading:
    return Reading(as_of=date.fromisoformat(day), value=None if value is None else D(str(value)), **fields)


def d(day: str) -> date:
    return date.fromisoformat(day)


# 一季度 10 个、上半年 25 个、三季度 38 个、全年 50 个: a count planned by quarter.
QUARTERS = ((d("2025-03-31"), D(10)), (d("2025-06-30"), D(25)), (d("2025-09-30"), D(38)))
PLANNED = dict(cumulative=True, method="schedule", schedule=QUARTERS)
# A level from a baseline of 100 to at least 120, planned at 104 by June and 112 by September.
PLANNED_LEVEL = dict(
    baseline=D(100), baseline_date=d("2024-12-31"), target=D(120), method="schedule",
    schedule=((d("2025-06-30"), D(104)), (d("2025-09-30"), D(112))),
)
# A rate capped at 5% from 6%, planned at 5.8% by June.
PLANNED_CAP = dict(
    unit="%", comparator="<=", target=D(5), baseline=D(6), baseline_date=YEAR_START, method="schedule",
    schedule=((d("2025-06-30"), D("5.8")),),
)
# A 10% reduction of a level of 200, planned (as the level itself) at 190 by June.
PLANNED_CUT = dict(
    kind="reduction", unit="%", target=D(10), baseline=D(200), baseline_date=YEAR_START, method="schedule",
    schedule=((d("2025-06-30"), D(190)),),
)

# A share of 50% at the end of 2020 to reach 60% by the end of 2025: 3.71% growth a year is required.
SDG = dict(
    kind="share", unit="%", target=D(60), baseline=D(50), baseline_date=d("2020-12-31"), start_date=None,
    deadline=d("2025-12-31"), method="cagr",
)
# Lower is better: from 20 down to at most 10 over five years, -12.94% a year.
SDG_DOWN = dict(SDG, unit="起", comparator="<=", target=D(10), baseline=D(20))
# A reduction of a level by 19% in two years: the level must shrink by 10% a year.
SDG_CUT = dict(SDG, kind="reduction", target=D(19), baseline=D(100), deadline=d("2022-12-31"))
# Values below zero, higher is better: from -100 to at least -81 in two years.
SDG_NEGATIVE = dict(SDG, unit="", target=D(-81), baseline=D(-100), deadline=d("2022-12-31"))

CASES = [
    # (description, terms, readings, today, rules, expected status, expected reason code)
    # --- schedule (分期计划), in steps: the plan is the latest checkpoint reached ---
    ("exactly on plan at the end of March is on track, where the straight line would call it slipping",
     terms(**PLANNED), [at("2025-03-31", 10)], "2025-04-01", STEPS, ON_TRACK, "schedule_progress"),
    ("the same value on the straight line is off track", terms(cumulative=True), [at("2025-03-31", 10)], "2025-04-01",
     STEPS, OFF_TRACK, "progress"),
    ("before the first checkpoint nothing is planned yet", terms(**PLANNED), [at("2025-02-15", 2)], "2025-02-16",
     STEPS, ON_TRACK, "schedule_nothing_planned"),
    ("between checkpoints the plan is the one last reached", terms(**PLANNED), [at("2025-05-15", 12)], "2025-05-16",
     STEPS, ON_TRACK, "schedule_progress"),
    ("96% of the planned progress is on track", terms(**PLANNED), [at("2025-06-30", 24)], "2025-07-01", STEPS, ON_TRACK,
     "schedule_progress"),
    ("90% of the planned progress is at risk", terms(**PLANNED), [at("2025-09-30", "34.2")], "2025-10-01", STEPS,
     AT_RISK, "schedule_progress"),
    ("79% of the planned progress is off track", terms(**PLANNED), [at("2025-09-30", 30)], "2025-10-01", STEPS,
     OFF_TRACK, "schedule_progress"),
    ("after the last checkpoint the plan stays there until the deadline", terms(**PLANNED), [at("2025-12-01", 38)],
     "2025-12-02", STEPS, ON_TRACK, "schedule_progress"),
    # --- schedule, interpolated between checkpoints ---
    ("interpolated, before the first checkpoint the plan runs from the origin to it", terms(**PLANNED),
     [at("2025-02-15", 3)], "2025-02-16", INTERPOLATED, OFF_TRACK, "schedule_progress"),
    ("interpolated, between checkpoints the plan runs from one to the next", terms(**PLANNED), [at("2025-05-15", 12)],
     "2025-05-16", INTERPOLATED, OFF_TRACK, "schedule_progress"),
    ("interpolated, after the last checkpoint the plan heads for the target at the deadline", terms(**PLANNED),
     [at("2025-12-01", 45)], "2025-12-02", INTERPOLATED, ON_TRACK, "schedule_progress"),
    # --- schedule from a baseline, lower is better, reductions ---
    ("a level on its planned value is on track", terms(**PLANNED_LEVEL), [at("2025-06-30", 104)], "2025-07-01", STEPS,
     ON_TRACK, "schedule_progress"),
    ("a level at 3/4 of its planned progress is off track", terms(**PLANNED_LEVEL), [at("2025-07-31", 103)],
     "2025-08-01", STEPS, OFF_TRACK, "schedule_progress"),
    ("a rate falling as planned is on track", terms(**PLANNED_CAP), [at("2025-06-30", "5.81")], "2025-07-01", STEPS,
     ON_TRACK, "schedule_progress"),
    ("a rate falling too slowly for the plan is off track", terms(**PLANNED_CAP), [at("2025-06-30", "5.85")],
     "2025-07-01", STEPS, OFF_TRACK, "schedule_progress"),
    ("a reduction planned as the level itself is met at that level", terms(**PLANNED_CUT), [at("2025-06-30", 190)],
     "2025-07-01", STEPS, ON_TRACK, "schedule_progress"),
    ("a reduction halfway to its planned level is off track", terms(**PLANNED_CUT), [at("2025-06-30", 195)],
     "2025-07-01", STEPS, OFF_TRACK, "schedule_progress"),
    ("a plan that dips first asks for no progress by then",
     terms(**PLANNED_LEVEL | {"schedule": ((d("2025-03-31"), D(98)),)}), [at("2025-03-31", 97)], "2025-04-01", STEPS,
     ON_TRACK, "schedule_nothing_planned"),
    # --- schedule: what it cannot change ---
    ("a schedule without checkpoints falls back to the straight line, and says so",
     terms(cumulative=True, method="schedule"), [at("2025-06-30", 25)], "2025-07-01", STEPS, ON_TRACK,
     "progress_no_checkpoints"),
    ("checkpoints on or after the deadline are ignored: the target stays the final aim",
     terms(cumulative=True, method="schedule", schedule=((YEAR_END, D(80)), (d("2026-03-31"), D(90)))),
     [at("2025-06-30", 25)], "2025-07-01", STEPS, ON_TRACK, "progress_no_checkpoints"),
    ("without a baseline and with a single value a schedule has no origin: the value is set against the target",
     terms(kind="share", unit="%", target=D("4.1"), method="schedule", schedule=((d("2025-06-30"), D(4)),)),
     [at("2025-06-30", "3.9")], "2025-07-01", STEPS, ON_TRACK, "versus_target"),
    ("a growth rate is judged against the target rate under a schedule too",
     terms(kind="growth", unit="%", comparator="=", target=D(6), method="schedule", schedule=QUARTERS),
     [at("2025-06-30", "5.4")], "2025-07-20", STEPS, AT_RISK, "growth_partial"),
    ("a cumulative ceiling keeps its pro-rata allowance under a schedule",
     terms(cumulative=True, comparator="<=", target=D(10), unit="起", method="schedule", schedule=QUARTERS),
     [at("2025-06-30", 4)], "2025-07-01", STEPS, ON_TRACK, "ceiling_pace"),
    # --- cagr (Open SDG) ---
    ("growth at the required rate is on track", terms(**SDG), [at("2022-12-31", "53.8")], "2023-01-05", STEPS, ON_TRACK,
     "cagr_progress"),
    ("growth at 80% of the required rate is at risk", terms(**SDG), [at("2022-12-31", 53)], "2023-01-05", STEPS,
     AT_RISK, "cagr_progress"),
    ("growth below 60% of the required rate is off track (limited progress)", terms(**SDG), [at("2022-12-31", 52)],
     "2023-01-05", STEPS, OFF_TRACK, "cagr_progress"),
    ("a value moving away from the target is off track (deterioration)", terms(**SDG), [at("2022-12-31", 49)],
     "2023-01-05", STEPS, OFF_TRACK, "cagr_progress"),
    ("with less than a year of data since the baseline there is no judgement yet", terms(**SDG),
     [at("2021-12-30", 52)], "2022-01-05", STEPS, NO_DATA, "cagr_under_a_year"),
    ("a year to the day after the baseline the growth is judged", terms(**SDG), [at("2021-12-31", "51.9")],
     "2022-01-05", STEPS, ON_TRACK, "cagr_progress"),
    ("a value that meets the target is achieved whatever its growth", terms(**SDG), [at("2021-06-30", 61)],
     "2021-07-05", STEPS, ACHIEVED, "achieved"),
    ("lower is better: falling at the required rate is on track", terms(**SDG_DOWN), [at("2022-12-31", "15.1")],
     "2023-01-05", STEPS, ON_TRACK, "cagr_progress"),
    ("lower is better: falling at 60% of the required rate is at risk", terms(**SDG_DOWN), [at("2022-12-31", 17)],
     "2023-01-05", STEPS, AT_RISK, "cagr_progress"),
    ("lower is better: a rise is off track", terms(**SDG_DOWN), [at("2022-12-31", 21)], "2023-01-05", STEPS, OFF_TRACK,
     "cagr_progress"),
    ("a reduction counts the growth of the level itself", terms(**SDG_CUT), [at("2021-12-31", 90)], "2022-01-05",
     STEPS, ON_TRACK, "cagr_progress"),
    ("a reduction whose level rose is off track", terms(**SDG_CUT), [at("2021-12-31", 101)], "2022-01-05", STEPS,
     OFF_TRACK, "cagr_progress"),
    ("below zero, a value rising at the required rate is on track", terms(**SDG_NEGATIVE), [at("2021-12-31", -90)],
     "2022-01-05", STEPS, ON_TRACK, "cagr_progress"),
    ("below zero, a value rising at half the required rate is off track", terms(**SDG_NEGATIVE),
     [at("2021-12-31", -95)], "2022-01-05", STEPS, OFF_TRACK, "cagr_progress"),
    ("a target of 0 is aimed at 0.001, which asks for steep decline", terms(**SDG_DOWN | {"target": D(0)}),
     [at("2021-12-31", 15)], "2022-01-05", STEPS, OFF_TRACK, "cagr_progress"),
    ("a target of 0 reached is achieved", terms(**SDG_DOWN | {"target": D(0)}), [at("2021-12-31", 0)], "2022-01-05",
     STEPS, ACHIEVED, "achieved"),
    ("a baseline of 0 grows from 0.001", terms(**SDG | {"baseline": D(0), "target": D(10)}), [at("2021-12-31", 1)],
     "2022-01-05", STEPS, ON_TRACK, "cagr_progress"),
    ("without a baseline the growth runs from the first value",
     terms(**SDG | {"baseline": None, "baseline_date": None}), [at("2021-12-31", 50), at("2022-12-31", 52)],
     "2023-01-05", STEPS, AT_RISK, "cagr_progress"),
    ("a baseline that already meets the target stays achieved while the value does",
     terms(**SDG | {"baseline": D(65)}), [at("2022-12-31", 62)], "2023-01-05", STEPS, ACHIEVED, "achieved"),
    ("a baseline that already met the target and a value below it is fallen back",
     terms(**SDG | {"baseline": D(65)}), [at("2022-12-31", 58)], "2023-01-05", STEPS, OFF_TRACK, "fell_back"),
    ("a count from zero has no growth rate: the straight line, and the reason says so",
     terms(cumulative=True, method="cagr"), [at("2025-06-30", 25)], "2025-07-01", STEPS, ON_TRACK,
     "progress_cagr_count"),
    ("a deadline less than a year after the baseline is too soon for a growth rate",
     terms(kind="share", unit="%", target=D("4.1"), baseline=D("3.9"), baseline_date=YEAR_START, method="cagr"),
     [at("2025-06-30", "4.0")], "2025-07-01", STEPS, ON_TRACK, "progress_cagr_short"),
    ("a start and a target on opposite sides of zero have no growth rate between them",
     terms(**SDG | {"unit": "", "baseline": D(-5), "target": D(10)}), [at("2022-12-31", 1)], "2023-01-05", STEPS,
     ON_TRACK, "progress_cagr_undefined"),
    ("a growth rate is judged against the target rate under Open SDG too",
     terms(kind="growth", unit="%", comparator="=", target=D(6), method="cagr"), [at("2025-06-30", "6.5")],
     "2025-07-20", STEPS, ON_TRACK, "growth_partial"),
    # --- fallen back from a met target (every method) ---
    ("a count that had reached its target and fell back is off track",
     terms(cumulative=True), [at("2025-10-31", 52), at("2025-11-30", 49)], "2025-12-01", STEPS, OFF_TRACK, "fell_back"),
    ("a value back at the target is achieved again", terms(cumulative=True),
     [at("2025-09-30", 52), at("2025-10-31", 45), at("2025-11-30", 50)], "2025-12-01", STEPS, ACHIEVED, "achieved"),
    ("fallen back on the deadline day itself is off track", terms(cumulative=True),
     [at("2025-10-31", 52), at("2025-12-31", 49)], "2025-12-31", STEPS, OFF_TRACK, "fell_back"),
    ("fallen back after the deadline is overdue", terms(cumulative=True),
     [at("2025-10-31", 52), at("2025-12-31", 49)], "2026-01-01", STEPS, OVERDUE, "overdue_not_met"),
    ("a value that left the range it was inside is off track",
     terms(comparator="range", target=None, low=D(3), high=D("4.4")),
     [at("2025-03-31", "3.5"), at("2025-06-30", "2.9")], "2025-07-01", STEPS, OFF_TRACK, "left_band"),
    ("a value that left the tolerance band of an 'about' target is off track",
     terms(comparator="approx", target=D(500), unit="亿元"), [at("2025-06-30", 490), at("2025-09-30", 470)],
     "2025-10-01", STEPS, OFF_TRACK, "left_band"),
    ("a value exactly at a range's bound is still inside it",
     terms(comparator="range", target=None, low=D(3), high=D("4.4")), [at("2025-03-31", "3.5"), at("2025-06-30", 3)],
     "2025-07-01", STEPS, ACHIEVED, "achieved"),
    ("a growth rate above target for part of the year has not met it for good",
     terms(kind="growth", unit="%", comparator="=", target=D(6)), [at("2025-06-30", "6.5"), at("2025-09-30", "5.4")],
     "2025-10-20", STEPS, AT_RISK, "growth_partial"),
    ("a count under its ceiling so far has not kept it",
     terms(cumulative=True, comparator="<=", target=D(10), unit="起"), [at("2025-06-30", 4), at("2025-09-30", 12)],
     "2025-10-01", STEPS, OFF_TRACK, "ceiling_exceeded"),
    ("a superseded value that met the target does not count",
     terms(cumulative=True), [at("2025-09-30", 55, id=1), at("2025-09-30", 45, id=2, supersedes_id=1)], "2025-10-01",
     STEPS, ON_TRACK, "progress"),
    ("a value dated after today has not met the target yet",
     terms(cumulative=True), [at("2025-09-30", 40), at("2025-12-31", 55)], "2025-10-01", STEPS, ON_TRACK, "progress"),
]


@pytest.mark.parametrize(
    "description, pledge, readings, today, rules, status, code", CASES, ids=[case[0] for case in CASES]
)
def test_method_table(description, pledge, readings, today, rules, status, code):
    result = assess(pledge, readings, d(today), rules)
    assert (result.target_status, result.reason.code) == (status, code)


@pytest.mark.parametrize("method", ["linear", "schedule", "cagr"])
def test_a_baseline_that_met_the_target_and_a_value_below_it_is_off_track_under_every_method(method):
    pledge = terms(target=D(56), baseline=D(60), baseline_date=YEAR_START, method=method, schedule=QUARTERS)
    result = assess(pledge, [at("2025-06-30", 50)], d("2025-07-01"))
    assert (result.target_status, result.reason.code) == (OFF_TRACK, "fell_back")


# --- What the reasons say ---------------------------------------------------------------------------


def reason_text(pledge, readings, today, rules=STEPS) -> str:
    with translation.override("en"):
        return assess(pledge, readings, d(today), rules).reason.text()


def test_the_straight_line_is_named_in_its_reason():
    assert reason_text(terms(cumulative=True), [at("2025-09-30", 32)], "2025-10-10") == (
        "Actual 32个 as of Sept. 30, 2025; 37.36个 expected by then on the straight line (序时进度) "
        "(86% of the expected progress)."
    )


def test_the_schedule_reason_gives_the_checkpoint_reached_and_the_share_of_the_planned_progress():
    assert reason_text(terms(**PLANNED), [at("2025-05-15", 12)], "2025-05-16") == (
        "Actual 12个 as of May 15, 2025; 10个 planned for March 31, 2025 in the schedule (分期计划) "
        "(120% of the planned progress)."
    )


def test_interpolated_the_schedule_reason_gives_the_plan_for_the_values_own_date():
    assert reason_text(terms(**PLANNED), [at("2025-05-15", 12)], "2025-05-16", INTERPOLATED) == (
        "Actual 12个 as of May 15, 2025; 17.42个 planned for May 15, 2025 in the schedule (分期计划) "
        "(69% of the planned progress)."
    )


def test_the_open_sdg_reason_sets_observed_growth_against_the_growth_required():
    assert reason_text(terms(**SDG), [at("2022-12-31", 53)], "2023-01-05") == (
        "Actual 53% as of Dec. 31, 2022: observed growth 3% a year since Dec. 31, 2020 against 3.7% a year required "
        "to reach the target ≥ 60% by Dec. 31, 2025 (Open SDG; 80% of the required growth)."
    )


def test_the_open_sdg_ratio_is_observed_over_required_growth():
    result = assess(terms(**SDG), [at("2022-12-31", 53)], d("2023-01-05"))
    observed = (D("53") / D("50")).sqrt() - 1
    required = (D("60") / D("50")) ** (D(1) / D(5)) - 1
    assert result.progress_ratio == (observed / required).quantize(D("0.0001"))


def test_a_fallback_to_the_straight_line_names_both_methods():
    text = reason_text(terms(cumulative=True, method="schedule"), [at("2025-06-30", 25)], "2025-07-01")
    assert "straight line (序时进度)" in text and "the schedule has no checkpoints" in text
    text = reason_text(terms(cumulative=True, method="cagr"), [at("2025-06-30", 25)], "2025-07-01")
    assert "straight line (序时进度)" in text and "(Open SDG)" in text


def test_too_little_data_for_open_sdg_says_since_when_a_year_is_needed():
    assert reason_text(terms(**SDG), [at("2021-06-30", 52)], "2021-07-05") == (
        "52% as of June 30, 2021: the growth-rate method (Open SDG) needs at least a year of data since Dec. 31, 2020, "
        "so it cannot judge yet."
    )


def test_fallen_back_says_when_the_target_was_last_reached_and_where_the_value_fell_to():
    readings = [at("2025-08-31", 51), at("2025-09-30", 53), at("2025-10-31", 40)]
    assert reason_text(terms(cumulative=True), readings, "2025-11-01") == (
        "Had reached the target ≥ 50个 on Sept. 30, 2025 (53个) and fell back to 40个 as of Oct. 31, 2025."
    )


def test_fallen_back_from_the_baseline_dates_it_at_the_baseline():
    pledge = terms(target=D(56), baseline=D(60), baseline_date=d("2024-12-31"))
    assert reason_text(pledge, [at("2025-06-30", 45)], "2025-07-01") == (
        "Had reached the target ≥ 56个 on Dec. 31, 2024 (60个) and fell back to 45个 as of June 30, 2025."
    )


def test_leaving_a_band_says_it_had_been_within_it():
    pledge = terms(comparator="range", target=None, low=D(3), high=D("4.4"), unit="亿元")
    assert reason_text(pledge, [at("2025-03-31", "3.5"), at("2025-06-30", 5)], "2025-07-01") == (
        "Had been within the target 3–4.4亿元 on March 31, 2025 (3.5亿元) and left it: 5亿元 as of June 30, 2025."
    )


# --- Expected by now, the chart's path and the stored line -------------------------------------------


class TestExpectedNow:
    def test_in_steps_it_is_the_checkpoint_last_reached(self):
        assert assess(terms(**PLANNED), [at("2025-03-31", 10)], d("2025-05-15")).expected_now == D(10)

    def test_interpolated_it_lies_between_the_checkpoints_either_side(self):
        result = assess(terms(**PLANNED), [at("2025-03-31", 10)], d("2025-05-15"), INTERPOLATED)
        assert result.expected_now == (D(10) + D(15) * D(str(45 / 91))).quantize(D("0.0001"))

    def test_on_open_sdg_it_is_the_baseline_grown_at_the_required_rate(self):
        result = assess(terms(**SDG), [], d("2022-12-31"))
        required = (D("60") / D("50")) ** (D(1) / D(5))
        assert result.expected_now == (D(50) * required**2).quantize(D("0.0001"))

    def test_on_open_sdg_it_is_the_target_from_the_deadline_on(self):
        assert assess(terms(**SDG), [], d("2025-12-31")).expected_now == D(60)

    def test_before_any_value_a_schedule_still_shows_its_plan(self):
        result = assess(terms(**PLANNED), [], d("2025-07-15"))
        assert (result.target_status, result.expected_now) == (NO_DATA, D(25))


class TestTrajectory:
    def test_a_schedule_in_steps_holds_each_planned_value_until_the_next(self):
        assert trajectory(terms(**PLANNED), [], d("2025-06-01")) == [
            (YEAR_START, D(0)),
            (d("2025-03-31"), D(0)), (d("2025-03-31"), D(10)),
            (d("2025-06-30"), D(10)), (d("2025-06-30"), D(25)),
            (d("2025-09-30"), D(25)), (d("2025-09-30"), D(38)),
            (YEAR_END, D(38)), (YEAR_END, D(50)),
        ]

    def test_an_interpolated_schedule_joins_its_checkpoints(self):
        assert trajectory(terms(**PLANNED), [], d("2025-06-01"), INTERPOLATED) == [
            (YEAR_START, D(0)), *QUARTERS, (YEAR_END, D(50)),
        ]

    def test_checkpoints_outside_the_period_are_not_drawn(self):
        outside = ((d("2024-12-01"), D(1)), *QUARTERS, (YEAR_END, D(70)))
        pledge = terms(cumulative=True, method="schedule", schedule=outside)
        path = trajectory(pledge, [], d("2025-06-01"), INTERPOLATED)
        assert path == [(YEAR_START, D(0)), *QUARTERS, (YEAR_END, D(50))]

    def test_open_sdg_draws_the_growth_curve_once_a_year(self):
        path = trajectory(terms(**SDG), [], d("2023-01-01"))
        assert [day for day, _value in path] == [date(year, 12, 31) for year in range(2020, 2026)]
        assert (path[0][1], path[-1][1]) == (D(50), D(60))
        growth = [later / earlier for (_d, earlier), (_e, later) in zip(path, path[1:])]
        assert max(growth) - min(growth) < D("1e-20")  # the same growth every year

    def test_a_reduction_on_open_sdg_draws_the_level(self):
        path = trajectory(terms(**SDG_CUT), [], d("2021-06-01"))
        assert [(day, round(value, 6)) for day, value in path] == [
            (d("2020-12-31"), D(100)), (d("2021-12-31"), D(90)), (d("2022-12-31"), D(81)),
        ]


class TestStoredLine:
    """Only a straight line can be moved along nightly in SQL; schedules and growth curves are re-assessed instead."""

    def test_a_straight_line_is_stored(self):
        assert assess(terms(cumulative=True), [at("2025-06-30", 25)], d("2025-07-01")).line == (
            YEAR_START, D(0), YEAR_END, D(50)
        )

    def test_a_schedule_or_a_growth_curve_is_not(self):
        assert assess(terms(**PLANNED), [at("2025-06-30", 25)], d("2025-07-01")).line is None
        assert assess(terms(**PLANNED), [at("2025-06-30", 25)], d("2025-07-01"), INTERPOLATED).line is None
        assert assess(terms(**SDG), [at("2022-12-31", 53)], d("2023-01-05")).line is None
        assert assess(terms(**SDG_CUT), [at("2021-12-31", 90)], d("2022-01-05")).line is None

    def test_a_method_that_falls_back_to_the_straight_line_stores_it(self):
        for method in ("schedule", "cagr"):
            result = assess(terms(cumulative=True, method=method), [at("2025-06-30", 25)], d("2025-07-01"))
            assert result.line == (YEAR_START, D(0), YEAR_END, D(50)), method


# --- Properties ---------------------------------------------------------------------------------------

values = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
targets = st.decimals(min_value=-100, max_value=1000, places=1, allow_nan=False, allow_infinity=False)
in_the_year = st.dates(min_value=date(2024, 12, 1), max_value=date(2026, 1, 31))
over_years = st.dates(min_value=date(2022, 6, 1), max_value=date(2028, 6, 30))
deadlines = st.sampled_from([YEAR_END, date(2027, 12, 31)])
checkpoints = st.lists(st.tuples(over_years, values), max_size=4, unique_by=lambda point: point[0]).map(
    lambda points: tuple(sorted(points))
)
methods = st.sampled_from(["linear", "schedule", "cagr"])
interpolating = st.sampled_from([STEPS, INTERPOLATED])


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["level", "share", "reduction"]),
    comparator=st.sampled_from([">=", "<=", "=", "approx", "range"]),
    target=st.decimals(min_value=1, max_value=1000, places=1, allow_nan=False, allow_infinity=False),
    cumulative=st.booleans(),
    baseline=st.one_of(st.none(), values),
    dates=st.lists(st.dates(min_value=date(2025, 1, 2), max_value=date(2025, 12, 30)), max_size=4, unique=True),
    readings=st.lists(st.tuples(in_the_year, values), min_size=1, max_size=3),
    today=in_the_year,
)
def test_a_schedule_whose_checkpoints_lie_on_the_straight_line_gives_the_status_of_the_line(
    kind, comparator, target, cumulative, baseline, dates, readings, today
):
    fields = dict(kind=kind, comparator=comparator, target=target, low=target, high=target * 2, cumulative=cumulative)
    fields |= dict(baseline=baseline, baseline_date=YEAR_START if baseline is not None else None)
    readings = [at(day.isoformat(), value) for day, value in readings]
    line = trajectory(terms(**fields), readings, today)
    assume(len(line) == 2)
    (start, start_value), (end, end_value) = line
    on_the_line = tuple(
        (day, start_value + (end_value - start_value) * D((day - start).days) / D((end - start).days))
        for day in sorted(dates)
        if start < day
    )
    linear = assess(terms(**fields), readings, today)
    planned = assess(terms(**fields, method="schedule", schedule=on_the_line), readings, today, INTERPOLATED)
    if linear.progress_ratio is not None:  # a ratio on a threshold may round either way
        assume(all(abs(linear.progress_ratio - threshold) > D("0.001") for threshold in (D("0.95"), D("0.85"))))
    assert planned.target_status == linear.target_status


def any_pledge(method, schedule, **fields) -> Terms:
    return terms(method=method, schedule=schedule, **fields)


pledges_any_method = st.builds(
    any_pledge,
    method=methods,
    schedule=checkpoints,
    kind=st.sampled_from(["level", "share", "growth", "reduction"]),
    comparator=st.sampled_from([">=", "<=", "=", "approx", "range"]),
    target=targets,
    low=st.just(D(3)),
    high=st.just(D(40)),
    cumulative=st.booleans(),
    baseline=st.one_of(st.none(), values),
    baseline_date=st.one_of(st.none(), st.just(date(2022, 12, 31))),
    start_date=st.just(date(2023, 1, 1)),
    deadline=deadlines,
)


@settings(max_examples=300, deadline=None)
@given(pledge=pledges_any_method, readings=st.lists(st.tuples(over_years, values), max_size=4), today=over_years,
       rules=interpolating)
def test_the_method_never_changes_achieved_or_overdue(pledge, readings, today, rules):
    readings = [at(day.isoformat(), value, id=i + 1) for i, (day, value) in enumerate(readings)]
    statuses = {
        method: assess(replace(pledge, method=method), readings, today, rules).target_status
        for method in ("linear", "schedule", "cagr")
    }
    for closed in (ACHIEVED, OVERDUE):
        assert (statuses["linear"] == closed) == (statuses["schedule"] == closed) == (statuses["cagr"] == closed)


@settings(max_examples=400, deadline=None)
@given(
    method=methods,
    schedule=checkpoints,
    kind=st.sampled_from(["level", "share", "growth", "reduction"]),
    lower_is_better=st.booleans(),
    target=targets,
    cumulative=st.booleans(),
    baseline=st.one_of(st.none(), values),
    deadline=deadlines,
    earlier=st.lists(values, max_size=3),
    value=values,
    drop=st.decimals(min_value=D("0.01"), max_value=500, places=2),
    as_of=over_years,
    today=over_years,
    rules=interpolating,
)
def test_a_value_moving_away_from_the_target_never_improves_the_status_under_any_method(
    method, schedule, kind, lower_is_better, target, cumulative, baseline, deadline, earlier, value, drop, as_of,
    today, rules,
):
    if kind == "reduction" and not cumulative:
        lower_is_better = True  # the reading is the level, and a reduction is made by lowering it
        comparator = ">="
    else:
        comparator = "<=" if lower_is_better else ">="
    pledge = terms(
        method=method, schedule=schedule, kind=kind, comparator=comparator, target=target, cumulative=cumulative,
        baseline=baseline, baseline_date=date(2022, 12, 31) if baseline is not None else None,
        start_date=date(2023, 1, 1), deadline=deadline,
    )
    history = [at((as_of - timedelta(days=40 * (i + 1))).isoformat(), v) for i, v in enumerate(earlier)]
    worse_value = value + drop if lower_is_better else value - drop
    better_off = assess(pledge, history + [at(as_of.isoformat(), value)], today, rules).target_status
    worse_off = assess(pledge, history + [at(as_of.isoformat(), worse_value)], today, rules).target_status
    if NO_DATA not in (better_off, worse_off):
        assert not worse(better_off, worse_off), (better_off, worse_off)


@settings(max_examples=200, deadline=None)
@given(pledge=pledges_any_method, readings=st.lists(st.tuples(over_years, values), max_size=3), today=over_years,
       rules=interpolating)
def test_every_reason_of_every_method_renders_completely_in_both_languages(pledge, readings, today, rules):
    result = assess(pledge, [at(day.isoformat(), value) for day, value in readings], today, rules)
    assert result.reason.code in REASON_MESSAGES
    for language in ("zh-hans", "en"):
        with translation.override(language):
            text = result.reason.text()
            assert "?" not in text and "{" not in text, text


@settings(max_examples=200, deadline=None)
@given(pledge=pledges_any_method, readings=st.lists(st.tuples(over_years, values), max_size=3), today=over_years,
       rules=interpolating)
def test_every_method_draws_a_path_in_date_order_from_an_origin_before_the_deadline(pledge, readings, today, rules):
    path = trajectory(pledge, [at(day.isoformat(), value) for day, value in readings], today, rules)
    assume(path and path[0][0] < pledge.deadline)  # (a first value after the deadline as the origin: a line backwards)
    assert [day for day, _value in path] == sorted(day for day, _value in path)
    assert path[-1][0] == pledge.deadline
