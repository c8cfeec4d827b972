"""The status engine, on plain values: no database, no clock."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from commitments.status import (
    REASON_MESSAGES,
    SEVERITY,
    Reading,
    ReportingStatus,
    Rules,
    TargetStatus,
    Terms,
    assess,
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


def terms(**fields) -> Terms:
    defaults = dict(
        kind="level", comparator=">=", target=D(50), unit="个", start_date=YEAR_START, deadline=YEAR_END, cadence="quarterly"
    )
    return Terms(**(defaults | fields))


def at(day: str, value=None, **fields) -> Reading:
    return Reading(as_of=date.fromisoformat(day), value=None if value is None else D(str(value)), **fields)


COUNT = dict(cumulative=True)  # "全年新注册重大产业项目50个以上": counts up from 0 during the year
SHARE = dict(kind="share", unit="%", target=D("4.1"), baseline=D("3.9"), baseline_date=date(2024, 12, 31))
GROWTH = dict(kind="growth", unit="%", comparator="=", target=D(6))
RATE_CAP = dict(kind="level", unit="%", comparator="<=", target=D(5), baseline=D(6), baseline_date=YEAR_START)

CASES = [
    # (description, terms, readings, today, expected status)
    ("a count ahead of its pace is on track", terms(**COUNT), [at("2025-06-30", 30)], "2025-07-10", ON_TRACK),
    ("a count at 86% of its pace is at risk", terms(**COUNT), [at("2025-09-30", 32)], "2025-10-10", AT_RISK),
    ("a count far behind its pace is off track", terms(**COUNT), [at("2025-09-30", 20)], "2025-10-10", OFF_TRACK),
    ("a count that reaches its target early is achieved", terms(**COUNT), [at("2025-10-31", 52)], "2025-11-05", ACHIEVED),
    ("a count short of its target after the deadline is overdue", terms(**COUNT), [at("2025-12-31", 49)], "2026-01-05", OVERDUE),
    ("a pledge never reported on is overdue after its deadline", terms(**COUNT), [], "2026-01-01", OVERDUE),
    ("a pledge not yet reported on has no data before its deadline", terms(**COUNT), [], "2025-03-01", NO_DATA),
    ("a share on its line from the baseline is on track", terms(**SHARE), [at("2025-06-30", "4.0")], "2025-07-01", ON_TRACK),
    ("a share a little below its line is at risk", terms(**SHARE), [at("2025-06-30", "3.99")], "2025-07-01", AT_RISK),
    ("a plain '=' target passed upwards is achieved", terms(**SHARE, comparator="="), [at("2025-06-30", "4.2")], "2025-07-01", ACHIEVED),
    ("a '<=' pledge falling on its line is on track", terms(**RATE_CAP), [at("2025-06-30", "5.5")], "2025-07-01", ON_TRACK),
    ("a '<=' pledge barely falling is off track", terms(**RATE_CAP), [at("2025-06-30", "5.8")], "2025-07-01", OFF_TRACK),
    ("a '<=' pledge under its ceiling is achieved", terms(**RATE_CAP), [at("2025-06-30", "4.9")], "2025-07-01", ACHIEVED),
    ("a full-year growth rate meeting the target is achieved", terms(**GROWTH), [at("2025-12-31", "6.1")], "2026-01-20", ACHIEVED),
    ("a half-year growth rate above target is only on track", terms(**GROWTH), [at("2025-06-30", "6.5")], "2025-07-20", ON_TRACK),
    ("a half-year growth rate at 90% of target is at risk", terms(**GROWTH), [at("2025-06-30", "5.4")], "2025-07-20", AT_RISK),
    ("a full-year growth rate below target is overdue", terms(**GROWTH), [at("2025-12-31", "5.9")], "2026-01-20", OVERDUE),
    ("a growth pledge with only a partial-year rate is overdue after the deadline", terms(**GROWTH), [at("2025-09-30", "7")], "2026-01-20", OVERDUE),
    ("an 'about' target inside its tolerance is achieved", terms(**COUNT, comparator="approx", target=D(500), unit="亿元"), [at("2025-12-31", 486)], "2026-01-05", ACHIEVED),
    ("an 'about' target overshot beyond its tolerance is off track", terms(**COUNT, comparator="approx", target=D(500), unit="亿元"), [at("2025-10-31", 540)], "2025-11-05", OFF_TRACK),
    ("an 'about' target behind its pace is off track", terms(**COUNT, comparator="approx", target=D(500), unit="亿元"), [at("2025-09-30", 300)], "2025-10-05", OFF_TRACK),
    ("a value inside a range is achieved", terms(comparator="range", target=None, low=D(3), high=D("4.4")), [at("2025-06-30", "3.5")], "2025-07-01", ACHIEVED),
    ("a value past the whole range is off track", terms(comparator="range", target=None, low=D(3), high=D("4.4")), [at("2025-06-30", 5)], "2025-07-01", OFF_TRACK),
    ("a value on its line towards a range is on track", terms(comparator="range", target=None, low=D(3), high=D("4.4"), baseline=D(2), baseline_date=YEAR_START), [at("2025-07-02", "2.5")], "2025-07-03", ON_TRACK),
    ("a level falling on its line to a 3% reduction is on track", terms(kind="reduction", unit="%", target=D(3), baseline=D(100), baseline_date=YEAR_START), [at("2025-07-02", "98.5")], "2025-07-03", ON_TRACK),
    ("a level down 3.1% meets a 3% reduction", terms(kind="reduction", unit="%", target=D(3), baseline=D(100), baseline_date=YEAR_START), [at("2025-07-02", "96.9")], "2025-07-03", ACHIEVED),
    ("a level that rose instead of falling is off track", terms(kind="reduction", unit="%", target=D(3), baseline=D(100), baseline_date=YEAR_START), [at("2025-07-02", 101)], "2025-07-03", OFF_TRACK),
    ("an absolute reduction counts in the unit", terms(kind="reduction", unit="吨", target=D(20), baseline=D(200), baseline_date=YEAR_START), [at("2025-10-01", 179)], "2025-10-03", ACHIEVED),
    ("a reduction without a baseline cannot be assessed", terms(kind="reduction", unit="%", target=D(3)), [at("2025-06-30", 98)], "2025-07-01", NO_DATA),
    ("a cumulative ceiling within its pro-rata allowance is on track", terms(**COUNT, comparator="<=", target=D(10), unit="起"), [at("2025-06-30", 4)], "2025-07-01", ON_TRACK),
    ("a cumulative ceiling already exceeded is off track", terms(**COUNT, comparator="<=", target=D(10), unit="起"), [at("2025-06-30", 12)], "2025-07-01", OFF_TRACK),
    ("a cumulative ceiling kept to the end is achieved", terms(**COUNT, comparator="<=", target=D(10), unit="起"), [at("2025-12-31", 9)], "2026-01-02", ACHIEVED),
    ("a milestone reported done is achieved", terms(kind="milestone", comparator="=", target=None), [at("2025-05-31", done=True)], "2025-06-01", ACHIEVED),
    ("a milestone not yet done before its deadline is on track", terms(kind="milestone", comparator="=", target=None), [at("2025-05-31", done=False)], "2025-06-01", ON_TRACK),
    ("a milestone not done by its deadline is overdue", terms(kind="milestone", comparator="=", target=None), [at("2025-12-31", done=False)], "2026-01-02", OVERDUE),
    ("a milestone never reported on has no data", terms(kind="milestone", comparator="=", target=None), [], "2025-06-01", NO_DATA),
]


@pytest.mark.parametrize("description, pledge, readings, today, expected", CASES, ids=[c[0] for c in CASES])
def test_status_table(description, pledge, readings, today, expected):
    assert assess(pledge, readings, date.fromisoformat(today)).target_status == expected


def test_the_reason_states_actual_expected_and_share_of_expected_progress():
    pledge = terms(**COUNT, deadline=date(2025, 12, 31))
    result = assess(pledge, [at("2025-09-30", 32)], date(2025, 10, 10))
    assert result.reason.code == "progress"
    assert result.reason.params["expected"] == "37.36"
    assert result.reason.params["ratio"] == "86"
    with translation.override("zh-hans"):
        assert result.reason.text() == "截至2025年9月30日实际 32个，按序时进度应达 37.36个（完成进度的 86%）。"
    with translation.override("en"):
        assert result.reason.text() == (
            "Actual 32个 as of Sept. 30, 2025; 37.36个 expected by then on the straight line (序时进度) "
            "(86% of the expected progress)."
        )


def test_expected_now_follows_the_line_to_today_and_the_ratio_compares_at_the_reading_date():
    result = assess(terms(**COUNT), [at("2025-06-30", 25)], date(2025, 12, 31))
    assert result.expected_now == D(50)
    assert result.progress_ratio == (D(25) / (D(50) * D(180) / D(364))).quantize(D("0.0001"))


def test_thresholds_come_from_the_rules():
    reading = [at("2025-09-30", 32)]
    lenient = Rules(on_track_ratio=D("0.8"), at_risk_ratio=D("0.5"))
    assert assess(terms(**COUNT), reading, date(2025, 10, 1)).target_status == AT_RISK
    assert assess(terms(**COUNT), reading, date(2025, 10, 1), lenient).target_status == ON_TRACK


# --- Edge cases ---------------------------------------------------------------------------------------


class TestBaselineEqualToTarget:
    pledge = terms(target=D(56), baseline=D(56), baseline_date=YEAR_START, unit="件")

    def test_holding_the_target_is_achieved(self):
        assert assess(self.pledge, [at("2025-06-30", 56)], date(2025, 7, 1)).target_status == ACHIEVED

    def test_slipping_below_it_is_off_track_as_fallen_back_from_the_target(self):
        result = assess(self.pledge, [at("2025-06-30", 53)], date(2025, 7, 1))
        assert (result.target_status, result.reason.code) == (OFF_TRACK, "fell_back")
        assert result.reason.params["met_on"] == "2025-01-01"


class TestTargetAlreadyMetAtBaseline:
    pledge = terms(target=D(56), baseline=D(60), baseline_date=YEAR_START, unit="件")

    def test_with_no_update_it_is_achieved_because_of_the_baseline(self):
        result = assess(self.pledge, [], date(2025, 3, 1))
        assert (result.target_status, result.reason.code) == (ACHIEVED, "baseline_meets")

    def test_a_later_value_below_the_target_is_no_longer_achieved(self):
        assert assess(self.pledge, [at("2025-06-30", 45)], date(2025, 7, 1)).target_status == OFF_TRACK


class TestNoBaseline:
    pledge = terms(kind="share", unit="%", target=D("4.1"))

    def test_a_single_value_is_compared_with_the_target_itself(self):
        result = assess(self.pledge, [at("2025-06-30", "3.9")], date(2025, 7, 1))
        assert (result.target_status, result.reason.code) == (ON_TRACK, "versus_target")
        assert result.progress_ratio == (D("3.9") / D("4.1")).quantize(D("0.0001"))

    def test_two_values_set_the_pace_from_the_first(self):
        readings = [at("2025-01-31", "3.0"), at("2025-07-02", "3.2")]
        result = assess(self.pledge, readings, date(2025, 7, 3))
        # From 3.0 on 31 Jan, 3.0 + 1.1 × (152/334) ≈ 3.5 is expected by 2 July; 3.2 is 40% of that progress.
        assert (result.target_status, result.reason.code) == (OFF_TRACK, "progress")


class TestTargetZero:
    def test_a_ceiling_of_zero_is_achieved_at_zero(self):
        pledge = terms(comparator="<=", target=D(0), unit="起")
        assert assess(pledge, [at("2025-06-30", 0)], date(2025, 7, 1)).target_status == ACHIEVED

    def test_any_count_over_a_ceiling_of_zero_is_off_track_with_no_ratio(self):
        pledge = terms(comparator="<=", target=D(0), unit="起")
        result = assess(pledge, [at("2025-06-30", 1)], date(2025, 7, 1))
        assert (result.target_status, result.progress_ratio, result.reason.code) == (OFF_TRACK, None, "not_met")

    def test_a_cumulative_ceiling_of_zero_is_broken_by_the_first_case(self):
        pledge = terms(**COUNT, comparator="<=", target=D(0), unit="起")
        assert assess(pledge, [at("2025-03-31", 1)], date(2025, 4, 1)).reason.code == "ceiling_exceeded"

    def test_growth_of_at_least_zero_falls_short_with_a_decline(self):
        pledge = terms(**GROWTH | {"comparator": ">=", "target": D(0)})
        assert assess(pledge, [at("2025-06-30", -1)], date(2025, 7, 1)).target_status == OFF_TRACK
        assert assess(pledge, [at("2025-12-31", "0.5")], date(2026, 1, 10)).target_status == ACHIEVED


class TestNegativeGrowth:
    def test_a_decline_against_a_positive_target_is_off_track_with_a_negative_ratio(self):
        result = assess(terms(**GROWTH), [at("2025-06-30", -2)], date(2025, 7, 1))
        assert result.target_status == OFF_TRACK
        assert result.progress_ratio < 0

    def test_a_target_allowing_a_decline_is_met_by_a_smaller_decline(self):
        pledge = terms(**GROWTH | {"comparator": ">=", "target": D(-2)})
        assert assess(pledge, [at("2025-12-31", -1)], date(2026, 1, 10)).target_status == ACHIEVED
        assert assess(pledge, [at("2025-06-30", -3)], date(2025, 7, 1)).target_status == OFF_TRACK


def test_a_single_update_is_enough_to_judge_a_pledge_with_a_baseline():
    result = assess(terms(**SHARE), [at("2025-03-31", "3.95")], date(2025, 4, 1))
    assert result.target_status == ON_TRACK
    assert result.latest_value == D("3.95")


def test_an_update_dated_after_today_does_not_count_yet():
    readings = [at("2025-06-30", 20), at("2025-09-30", 60)]
    before = assess(terms(**COUNT), readings, date(2025, 7, 15))
    assert (before.target_status, before.latest_value) == (OFF_TRACK, D(20))
    after = assess(terms(**COUNT), readings, date(2025, 10, 1))
    assert (after.target_status, after.latest_value) == (ACHIEVED, D(60))


def test_of_several_updates_for_the_same_period_the_one_recorded_last_wins_in_any_order():
    first = at("2025-06-30", 10, recorded_at=datetime(2025, 7, 1, 9), id=1)
    second = at("2025-06-30", 30, recorded_at=datetime(2025, 7, 2, 9), id=2)
    for readings in ([first, second], [second, first]):
        result = assess(terms(**COUNT), readings, date(2025, 7, 3))
        assert result.latest_value == D(30)
        assert result.target_status == ON_TRACK


def test_a_superseded_update_no_longer_counts():
    wrong = at("2025-09-30", 60, id=1, recorded_at=datetime(2025, 10, 1))
    correction = at("2025-06-30", 20, id=2, supersedes_id=1, recorded_at=datetime(2025, 10, 2))
    result = assess(terms(**COUNT), [wrong, correction], date(2025, 10, 3))
    assert result.latest_value == D(20)
    assert result.target_status == OFF_TRACK


def test_a_value_at_the_very_start_of_the_period_is_not_judged_yet():
    result = assess(terms(**COUNT), [at("2025-01-01", 0)], date(2025, 1, 5))
    assert (result.target_status, result.reason.code) == (ON_TRACK, "period_start")


def test_a_value_reported_after_the_deadline_that_meets_the_target_is_achieved():
    assert assess(terms(**COUNT), [at("2026-01-15", 51)], date(2026, 1, 20)).target_status == ACHIEVED


# --- Reporting heartbeat --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today, expected",
    [
        ("2025-02-20", ReportingStatus.OK),  # next report due 28 Feb, more than 7 days away
        ("2025-02-22", ReportingStatus.DUE_SOON),
        ("2025-03-07", ReportingStatus.DUE_SOON),  # past due, within the 7-day grace
        ("2025-03-08", ReportingStatus.LATE),
    ],
)
def test_a_monthly_report_is_due_at_the_next_month_end_and_late_after_the_grace(today, expected):
    result = assess(terms(**COUNT, cadence="monthly"), [at("2025-01-31", 3)], date.fromisoformat(today))
    assert result.next_report_due == date(2025, 2, 28)
    assert result.reporting_status == expected


def test_without_any_report_the_first_is_due_one_cadence_after_the_start():
    result = assess(terms(**COUNT, cadence="quarterly"), [], date(2025, 4, 20))
    assert (result.next_report_due, result.reporting_status) == (date(2025, 4, 1), ReportingStatus.LATE)


def test_no_report_is_due_once_achieved_or_once_the_final_figure_is_in():
    assert assess(terms(**COUNT), [at("2025-05-31", 55)], date(2025, 12, 1)).reporting_status == ReportingStatus.OK
    final = assess(terms(**COUNT), [at("2025-12-31", 40)], date(2026, 6, 1))
    assert (final.reporting_status, final.next_report_due) == (ReportingStatus.OK, None)


def test_a_pledge_reported_only_at_the_deadline_is_due_then():
    result = assess(terms(**COUNT, cadence="at_deadline"), [], date(2025, 12, 28))
    assert (result.next_report_due, result.reporting_status) == (YEAR_END, ReportingStatus.DUE_SOON)


# --- Properties ---------------------------------------------------------------------------------------

values = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=date(2024, 6, 1), max_value=date(2026, 6, 30))
targets = st.decimals(min_value=-100, max_value=1000, places=1, allow_nan=False, allow_infinity=False)
pledges = st.builds(
    terms,
    kind=st.sampled_from(["level", "share", "growth"]),
    comparator=st.sampled_from([">=", "="]),
    target=targets,
    cumulative=st.booleans(),
    baseline=st.one_of(st.none(), values),
    baseline_date=st.one_of(st.none(), st.just(YEAR_START)),
)


@settings(max_examples=300, deadline=None)
@given(pledge=pledges, earlier=st.lists(values, max_size=3), low=values, high=values, today=days, as_of=days)
def test_for_an_at_least_pledge_a_larger_latest_value_never_gives_a_worse_status(pledge, earlier, low, high, today, as_of):
    low, high = sorted([low, high])
    history = [at((as_of - timedelta(days=30 * (i + 1))).isoformat(), v) for i, v in enumerate(earlier)]
    worse_off = assess(pledge, history + [at(as_of.isoformat(), low)], today).target_status
    better_off = assess(pledge, history + [at(as_of.isoformat(), high)], today).target_status
    if NO_DATA not in (worse_off, better_off):
        assert not worse(better_off, worse_off), (worse_off, better_off)


@settings(max_examples=200, deadline=None)
@given(target=targets, baseline=st.one_of(st.none(), values), low=values, high=values, today=days, as_of=days)
def test_for_an_at_most_pledge_a_smaller_value_never_gives_a_worse_status(target, baseline, low, high, today, as_of):
    low, high = sorted([low, high])
    pledge = terms(comparator="<=", target=target, baseline=baseline, baseline_date=YEAR_START if baseline else None)
    smaller = assess(pledge, [at(as_of.isoformat(), low)], today).target_status
    larger = assess(pledge, [at(as_of.isoformat(), high)], today).target_status
    assert not worse(smaller, larger) if NO_DATA not in (smaller, larger) else True


@settings(max_examples=200, deadline=None)
@given(pledge=pledges, readings=st.lists(st.tuples(days, values), max_size=5), today=days)
def test_after_the_deadline_a_pledge_is_either_achieved_or_overdue_and_order_does_not_matter(pledge, readings, today):
    readings = [at(d.isoformat(), v, id=i + 1) for i, (d, v) in enumerate(readings)]
    result = assess(pledge, readings, today)
    assert result == assess(pledge, list(reversed(readings)), today)
    if today > pledge.deadline:
        assert result.target_status in (ACHIEVED, OVERDUE)
    assert result.target_status in TargetStatus.values


@settings(max_examples=200, deadline=None)
@given(pledge=pledges, readings=st.lists(st.tuples(days, values), max_size=3), today=days)
def test_every_reason_renders_completely_in_both_languages(pledge, readings, today):
    result = assess(pledge, [at(d.isoformat(), v) for d, v in readings], today)
    assert result.reason.code in REASON_MESSAGES
    for language in ("zh-hans", "en"):
        with translation.override(language):
            text = result.reason.text()
            assert "?" not in text and "{" not in text, text


def test_severity_ranks_every_status_but_no_data():
    assert set(SEVERITY) | {NO_DATA} == set(TargetStatus.values)
    assert worse(OVERDUE, OFF_TRACK) and worse(AT_RISK, ON_TRACK) and not worse(ACHIEVED, ON_TRACK)



class TestTrajectory:
    def test_a_cumulative_count_runs_from_zero_at_the_start_to_the_target(self):
        from commitments.status import trajectory

        assert trajectory(terms(**COUNT), [], date(2025, 6, 1)) == [(YEAR_START, D(0)), (YEAR_END, D(50))]

    def test_a_reduction_runs_from_the_baseline_level_down_to_the_reduced_level(self):
        from commitments.status import trajectory

        pledge = terms(kind="reduction", unit="%", target=D(3), baseline=D(200), baseline_date=YEAR_START)
        assert trajectory(pledge, [], date(2025, 6, 1)) == [(YEAR_START, D(200)), (YEAR_END, D(194))]

    def test_growth_is_a_flat_line_at_the_target_rate_and_a_pledge_without_origin_has_none(self):
        from commitments.status import trajectory

        assert trajectory(terms(**GROWTH), [], date(2025, 6, 1)) == [(YEAR_START, D(6)), (YEAR_END, D(6))]
        assert trajectory(terms(kind="share", target=D(4)), [at("2025-03-31", 3)], date(2025, 6, 1)) == []


def test_a_wildly_wrong_value_keeps_a_bounded_progress_ratio():
    result = assess(terms(**COUNT), [at("2025-09-30", -(10**12))], date(2025, 10, 1))
    assert (result.target_status, result.progress_ratio) == (OFF_TRACK, D(-9999))


def test_the_module_docstring_names_every_step_of_the_numeric_judgement():
    from commitments import status

    for step in status.NUMERIC_STEPS:
        assert f"`{step.__name__}`" in status.__doc__, step.__name__
