"""The status engine, on plain values: no database, no clock."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from commitments import status as engine
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


# --- At the edges ---------------------------------------------------------------------------------------
# Each boundary of the rules, on both sides. Dates: the period 2025-01-01 to 2025-12-31 is 364 days, so on 2 July
# (day 182) exactly half of it has gone and a straight line from 0 to 50 expects 25.

HALF_WAY, DAY_AFTER_HALF_WAY = "2025-07-02", "2025-07-03"
CEILING = dict(COUNT, comparator="<=", target=D(10), unit="起")  # "全年较大事故不超过10起"
PCT_CUT = dict(kind="reduction", unit="%", target=D(3), baseline=D(200), baseline_date=YEAR_START)  # 下降3%
TONNES_CUT = dict(kind="reduction", unit="吨", target=D(20), baseline=D(200), baseline_date=YEAR_START)  # 减少20吨
RANGE = dict(comparator="range", target=None, low=D(3), high=D("4.4"), unit="%")
ABOUT = dict(COUNT, comparator="approx", target=D(500), unit="亿元")  # band 475–525
ABOUT_ZERO = dict(comparator="approx", target=D(0))  # band -0.05–0.05


def on(day: str, pledge: Terms, value, today: str = DAY_AFTER_HALF_WAY, rules: Rules = Rules()):
    """The assessment on `today` of a pledge whose only reading is `value` as of `day`."""
    return assess(pledge, [at(day, value)], date.fromisoformat(today), rules)


def has_reason(result, code: str, **params) -> bool:
    """The reason has this code and (at least) these parameters."""
    assert result.reason.code == code, result.reason
    for key, value in params.items():
        assert result.reason.params.get(key) == value, (key, result.reason.params)
    return True


class TestWhichReadingsCount:
    def test_a_reading_dated_today_counts(self):
        result = on(HALF_WAY, terms(**COUNT), 30, today=HALF_WAY)
        assert (result.latest_value, result.target_status) == (D(30), ON_TRACK)

    def test_a_reading_dated_tomorrow_does_not_count_yet(self):
        result = on(DAY_AFTER_HALF_WAY, terms(**COUNT), 30, today=HALF_WAY)
        assert (result.latest, result.target_status) == (None, NO_DATA)

    def test_of_two_readings_for_one_period_the_one_recorded_last_wins_whatever_their_ids(self):
        recorded_last = at("2025-06-30", 10, recorded_at=datetime(2025, 7, 2), id=1)
        recorded_first = at("2025-06-30", 30, recorded_at=datetime(2025, 7, 1), id=2)
        assert assess(terms(**COUNT), [recorded_last, recorded_first], date(2025, 7, 3)).latest_value == D(10)

    def test_without_record_times_the_higher_id_wins_and_a_reading_without_an_id_ranks_first(self):
        saved, unsaved, saved_later = at("2025-06-30", 30, id=1), at("2025-06-30", 10), at("2025-06-30", 20, id=2)
        for readings in ([saved, unsaved], [unsaved, saved]):
            assert engine.current_readings(readings, date(2025, 7, 1)) == [saved]
        for readings in ([saved_later, saved], [saved, saved_later]):
            assert engine.current_readings(readings, date(2025, 7, 1)) == [saved_later]

    def test_a_superseded_reading_leaves_its_correction_and_the_later_readings_counted(self):
        wrong = at("2025-03-31", 99, id=1, recorded_at=datetime(2025, 4, 1))
        correction = at("2025-03-31", 9, id=2, supersedes_id=1, recorded_at=datetime(2025, 4, 2))
        later = at("2025-06-30", 30, id=3, recorded_at=datetime(2025, 7, 1))
        assert engine.current_readings([later, correction, wrong], date(2025, 7, 3)) == [correction, later]


class TestTheDeadlineDay:
    def test_on_the_deadline_day_a_value_short_of_the_target_is_not_yet_overdue(self):
        assert on("2025-12-31", terms(**COUNT), 40, today="2025-12-31").target_status == OFF_TRACK

    def test_the_day_after_the_deadline_it_is_overdue(self):
        result = on("2025-12-31", terms(**COUNT), 40, today="2026-01-01")
        assert result.target_status == OVERDUE and has_reason(result, "overdue_not_met", deadline="2025-12-31")

    def test_with_nothing_reported_there_is_no_data_on_the_deadline_day_and_overdue_the_day_after(self):
        assert assess(terms(**COUNT), [], YEAR_END).target_status == NO_DATA
        result = assess(terms(**COUNT), [], date(2026, 1, 1))
        assert result.target_status == OVERDUE and has_reason(result, "overdue_no_data", deadline="2025-12-31")

    def test_a_milestone_not_done_is_still_open_on_the_deadline_day_and_overdue_the_day_after(self):
        milestone = terms(kind="milestone", comparator="=", target=None)
        open_ = assess(milestone, [at("2025-11-30", done=False)], YEAR_END)
        assert open_.target_status == ON_TRACK
        assert has_reason(open_, "milestone_open", as_of="2025-11-30", deadline="2025-12-31")
        late = assess(milestone, [at("2025-11-30", done=False)], date(2026, 1, 1))
        assert late.target_status == OVERDUE and has_reason(late, "overdue_milestone", deadline="2025-12-31")

    def test_a_milestone_says_when_it_was_done_and_when_it_is_due(self):
        milestone = terms(kind="milestone", comparator="=", target=None)
        done = assess(milestone, [at("2025-05-31", done=True)], date(2025, 6, 1))
        assert done.reason == engine.Reason("milestone_done", {"as_of": "2025-05-31"})
        assert assess(milestone, [], date(2025, 6, 1)).reason == engine.Reason("no_data", {"deadline": "2025-12-31"})

    def test_a_reduction_without_a_baseline_is_overdue_after_the_deadline(self):
        result = on("2025-12-31", terms(kind="reduction", unit="%", target=D(3)), 98, today="2026-01-01")
        assert result.target_status == OVERDUE and has_reason(result, "needs_baseline", unit="%", deadline="2025-12-31")

    def test_a_period_that_starts_on_its_deadline_expects_the_whole_target_that_day(self):
        one_day = terms(**COUNT, start_date=YEAR_END)
        result = on("2025-12-31", one_day, 40, today="2025-12-31")
        assert (result.target_status, result.progress_ratio) == (OFF_TRACK, D("0.8"))
        assert has_reason(result, "progress", expected="50")


# (description, pledge, value on 2 July, status the day after, reason code)
AT_THE_TARGET = [
    ("≥: exactly at the target is achieved", terms(**COUNT), "50", ACHIEVED, "achieved"),
    ("≥: one below the target is not", terms(**COUNT), "49", ON_TRACK, "progress"),
    ("≤: exactly at the ceiling is achieved", terms(**RATE_CAP), "5", ACHIEVED, "achieved"),
    ("≤: a tenth above the ceiling is not", terms(**RATE_CAP), "5.1", ON_TRACK, "progress"),
    ("=: exactly at the target is achieved", terms(**SHARE, comparator="="), "4.1", ACHIEVED, "achieved"),
    ("=: a hundredth below the target is not", terms(**SHARE, comparator="="), "4.09", ON_TRACK, "progress"),
    ("a cumulative ceiling reached mid-year is not yet exceeded", terms(**CEILING), "10", OFF_TRACK, "ceiling_pace"),
    ("a cumulative ceiling passed by one is exceeded", terms(**CEILING), "11", OFF_TRACK, "ceiling_exceeded"),
    ("a reduction in %: exactly the reduction promised is achieved", terms(**PCT_CUT), "194", ACHIEVED, "achieved"),
    ("a reduction in %: 2.99% is not 3%", terms(**PCT_CUT), "194.02", ON_TRACK, "progress"),
    ("a reduction in the unit: exactly 20 less is achieved", terms(**TONNES_CUT), "180", ACHIEVED, "achieved"),
    ("a reduction in the unit: 19 less is not", terms(**TONNES_CUT), "181", ON_TRACK, "progress"),
    ("a range: its low bound is inside", terms(**RANGE), "3", ACHIEVED, "achieved"),
    ("a range: its high bound is inside", terms(**RANGE), "4.4", ACHIEVED, "achieved"),
    ("a range: a hundredth over its high bound is beyond it", terms(**RANGE), "4.41", OFF_TRACK, "beyond_band"),
    ("a range: a hundredth under its low bound is not yet in it", terms(**RANGE), "2.99", ON_TRACK, "versus_target"),
    ("about: the band's low edge is inside", terms(**ABOUT), "475", ACHIEVED, "achieved"),
    ("about: the band's high edge is inside", terms(**ABOUT), "525", ACHIEVED, "achieved"),
    ("about: one over the band is beyond it", terms(**ABOUT), "526", OFF_TRACK, "beyond_band"),
    ("about: one under the band is on its way", terms(**ABOUT), "474", ON_TRACK, "progress"),
    ("about 0: the band is ± the tolerance in the unit", terms(**ABOUT_ZERO), "0.05", ACHIEVED, "achieved"),
    ("about 0: just over the band is beyond it", terms(**ABOUT_ZERO), "0.06", OFF_TRACK, "beyond_band"),
]


@pytest.mark.parametrize("description, pledge, value, expected, code", AT_THE_TARGET, ids=[c[0] for c in AT_THE_TARGET])
def test_a_value_at_the_target_and_one_unit_off(description, pledge, value, expected, code):
    result = on(HALF_WAY, pledge, value)
    assert result.target_status == expected and has_reason(result, code)


class TestTheThresholdsOfTheProgressRatio:
    """On 2 July a count from 0 to 50 is expected at 25: 23.75 is 95% of the way, 21.25 is 85%."""

    @pytest.mark.parametrize(
        "value, expected",
        [("23.75", ON_TRACK), ("23.74", AT_RISK), ("21.25", AT_RISK), ("21.24", OFF_TRACK)],
    )
    def test_on_the_straight_line_a_ratio_exactly_at_a_threshold_reaches_it(self, value, expected):
        assert on(HALF_WAY, terms(**COUNT), value).target_status == expected

    @pytest.mark.parametrize(
        "value, expected", [("5.7", ON_TRACK), ("5.69", AT_RISK), ("5.1", AT_RISK), ("5.09", OFF_TRACK)]
    )
    def test_for_a_partial_year_growth_rate_a_ratio_exactly_at_a_threshold_reaches_it(self, value, expected):
        result = on("2025-06-30", terms(**GROWTH), value)
        assert result.target_status == expected
        assert result.progress_ratio == (D(value) / D(6)).quantize(D("0.0001"))
        assert result.expected_now == D(6) and has_reason(result, "growth_partial")

    @pytest.mark.parametrize(
        "value, expected", [("22.5", ON_TRACK), ("22.49", AT_RISK), ("12.5", AT_RISK), ("12.49", OFF_TRACK)]
    )
    def test_the_thresholds_are_the_rules(self, value, expected):
        lenient = Rules(on_track_ratio=D("0.9"), at_risk_ratio=D("0.5"))
        assert on(HALF_WAY, terms(**COUNT), value, rules=lenient).target_status == expected

    def test_the_reason_gives_the_value_expected_then_and_the_ratio_in_whole_percent(self):
        result = on(HALF_WAY, terms(**COUNT), "23.75")
        assert result.progress_ratio == D("0.95")
        assert has_reason(result, "progress", value="23.75", as_of=HALF_WAY, expected="25", ratio="95", unit="个")


class TestTheCeilingAllowance:
    """"No more than 10 this year": by 2 July the pro-rata allowance is 5."""

    def test_a_count_exactly_at_the_allowance_is_on_track(self):
        result = on(HALF_WAY, terms(**CEILING), 5)
        assert (result.target_status, result.progress_ratio) == (ON_TRACK, D(1))
        assert has_reason(result, "ceiling_pace", expected="5", ratio="100")

    def test_a_count_over_the_allowance_is_judged_by_allowance_over_count(self):
        result = on(HALF_WAY, terms(**CEILING), 6)
        assert (result.target_status, result.progress_ratio) == (OFF_TRACK, D("0.8333"))
        assert has_reason(result, "ceiling_pace", expected="5", ratio="83")

    def test_none_on_the_first_day_is_on_track(self):
        result = on("2025-01-01", terms(**CEILING), 0, today="2025-01-02")
        assert (result.target_status, result.progress_ratio) == (ON_TRACK, D(1))

    def test_the_value_expected_today_follows_the_allowance(self):
        assert on(HALF_WAY, terms(**CEILING), 11, today=HALF_WAY).expected_now == D(5)

    def test_under_the_ceiling_is_kept_with_a_figure_for_the_whole_period_even_on_the_deadline_day(self):
        assert on("2025-12-31", terms(**CEILING), 9, today="2025-12-31").target_status == ACHIEVED

    def test_under_the_ceiling_is_kept_once_the_deadline_has_passed_even_without_that_figure(self):
        assert on("2025-11-30", terms(**CEILING), 9, today="2025-12-31").target_status == ON_TRACK
        assert on("2025-11-30", terms(**CEILING), 9, today="2026-01-02").target_status == ACHIEVED


class TestDirections:
    def test_an_about_target_approached_from_above_is_beyond_its_band_below_it(self):
        from_above = terms(comparator="approx", target=D(500), baseline=D(600), baseline_date=YEAR_START, unit="亿元")
        assert has_reason(on(HALF_WAY, from_above, 450), "beyond_band")
        result = on(HALF_WAY, from_above, 548)  # 550 expected on the way down: 52 of 50 down
        assert result.target_status == ON_TRACK and has_reason(result, "progress", expected="550")

    def test_a_range_approached_from_above_heads_for_its_high_bound(self):
        from_above = terms(**RANGE | {"baseline": D(5), "baseline_date": YEAR_START})
        assert has_reason(on(HALF_WAY, from_above, "2.9"), "beyond_band")
        assert has_reason(on(HALF_WAY, from_above, "4.6"), "progress", expected="4.7")
        assert engine.trajectory(from_above, [], date(2025, 7, 3)) == [(YEAR_START, D(5)), (YEAR_END, D("4.4"))]

    def test_a_reduction_in_percent_is_a_share_of_the_baseline(self):
        result = on(HALF_WAY, terms(**PCT_CUT), 196)  # 2% down, 1.5% expected by then
        assert result.target_status == ON_TRACK and has_reason(result, "progress", expected="197")
        assert result.progress_ratio == (D(2) / D("1.5")).quantize(D("0.0001"))

    def test_a_reduction_in_the_unit_is_counted_in_the_unit(self):
        assert on(HALF_WAY, terms(**TONNES_CUT), 195, today=HALF_WAY).expected_now == D(190)
        assert on(HALF_WAY, terms(**PCT_CUT), 195, today=HALF_WAY).expected_now == D(197)

    def test_a_reduction_in_percent_of_a_baseline_of_zero_cannot_be_assessed(self):
        result = on(HALF_WAY, terms(**PCT_CUT | {"baseline": D(0)}), 0)
        assert (result.target_status, result.reason.code) == (NO_DATA, "needs_baseline")


class TestAgainstTheTargetItself:
    """Without a line to follow (no baseline and a single reading) the value is a share of the target: value / target
    when higher is better, target / value when lower is."""

    def test_below_a_small_target_upwards(self):
        result = on(HALF_WAY, terms(kind="share", unit="%", target=D("0.5")), "0.45")
        assert (result.target_status, result.progress_ratio, result.expected_now) == (AT_RISK, D("0.9"), D("0.5"))
        assert has_reason(result, "versus_target", ratio="90")

    @pytest.mark.parametrize(
        "target, value, ratio, expected",
        [("5", "5.2", "0.9615", ON_TRACK), ("5", "6", "0.8333", OFF_TRACK), ("1", "1.05", "0.9524", ON_TRACK)],
    )
    def test_above_a_ceiling(self, target, value, ratio, expected):
        result = on(HALF_WAY, terms(comparator="<=", target=D(target), unit="%"), value)
        assert (result.target_status, result.progress_ratio) == (expected, D(ratio))

    def test_a_partial_year_growth_rate_inside_an_about_band_counts_in_full(self):
        about_six = terms(**GROWTH | {"comparator": "approx"})  # 5.7–6.3
        assert on("2025-06-30", about_six, "5.8").progress_ratio == D(1)
        assert on("2025-06-30", about_six, "6.5").progress_ratio == D(1)

    def test_a_decline_against_a_growth_target_of_zero_has_no_ratio(self):
        result = on("2025-06-30", terms(**GROWTH | {"comparator": ">=", "target": D(0)}), -1)
        assert (result.target_status, result.progress_ratio, result.expected_now) == (OFF_TRACK, None, D(0))
        assert has_reason(result, "not_met")


class TestWhatIsExpectedToday:
    def test_with_nothing_reported_a_count_is_expected_on_its_line(self):
        assert assess(terms(**COUNT), [], date(2025, 7, 2)).expected_now == D(25)

    def test_with_nothing_reported_a_level_is_expected_on_its_line_from_the_baseline(self):
        assert assess(terms(**RATE_CAP), [], date(2025, 7, 2)).expected_now == D("5.5")

    def test_with_nothing_reported_a_growth_rate_is_expected_at_the_target_rate(self):
        assert assess(terms(**GROWTH), [], date(2025, 7, 2)).expected_now == D(6)

    def test_with_nothing_reported_and_no_baseline_a_level_has_no_expected_value(self):
        assert assess(terms(kind="share", target=D(4)), [], date(2025, 7, 2)).expected_now is None

    def test_a_band_passed_without_a_baseline_expects_the_target(self):
        result = on(HALF_WAY, terms(comparator="approx", target=D(500)), 600)
        assert (result.reason.code, result.expected_now) == ("beyond_band", D(500))

    def test_at_the_start_of_the_period_nothing_is_expected_yet(self):
        result = on("2025-01-01", terms(**COUNT), 0, today=HALF_WAY)
        assert has_reason(result, "period_start") and result.expected_now == D(25)

    def test_an_achieved_pledge_has_a_ratio_of_one(self):
        assert on(HALF_WAY, terms(**COUNT), 55).progress_ratio == D(1)


class TestABaselineThatIsNotAReading:
    def test_last_years_count_over_the_target_does_not_achieve_this_years(self):
        pledge = terms(**COUNT, baseline=D(60), baseline_date=date(2024, 12, 31))
        assert assess(pledge, [], date(2025, 3, 1)).target_status == NO_DATA

    def test_last_years_growth_over_the_target_does_not_achieve_this_years(self):
        pledge = terms(**GROWTH, baseline=D(7), baseline_date=date(2024, 12, 31))
        assert assess(pledge, [], date(2025, 3, 1)).target_status == NO_DATA

    def test_a_level_baseline_at_the_target_achieves_it_and_says_so(self):
        pledge = terms(target=D(56), baseline=D(60), baseline_date=YEAR_START, unit="件")
        assert has_reason(assess(pledge, [], date(2025, 3, 1)), "baseline_meets", baseline="60", unit="件")


class TestOverdueReasons:
    def test_a_growth_rate_without_a_full_year_figure_says_so(self):
        assert has_reason(on("2025-09-30", terms(**GROWTH), 7, today="2026-01-20"), "overdue_no_full_period")

    def test_a_full_year_figure_below_the_target_says_it_does_not_meet_it(self):
        assert has_reason(on("2025-12-31", terms(**GROWTH), "5.9", today="2026-01-20"), "overdue_not_met")

    def test_a_count_short_after_the_deadline_says_it_does_not_meet_the_target(self):
        assert has_reason(on("2025-09-30", terms(**COUNT), 40, today="2026-01-20"), "overdue_not_met", value="40")


class TestNotJudged:
    def test_a_part_not_applicable_is_not_judged_and_says_why(self):
        result = assess(terms(**COUNT, not_applicable="无此类项目"), [at("2025-06-30", 1)], date(2025, 7, 1))
        assert (result.target_status, result.reporting_status) == (NO_DATA, ReportingStatus.OK)
        assert result.reason == engine.Reason("not_applicable", {"why": "无此类项目"})

    def test_a_suspended_pledge_is_not_judged_and_says_why(self):
        result = assess(terms(**COUNT, suspended="上级调整"), [at("2025-06-30", 1)], date(2026, 3, 1))
        assert (result.target_status, result.reporting_status) == (NO_DATA, ReportingStatus.OK)
        assert result.reason == engine.Reason("suspended", {"why": "上级调整"})

    def test_not_applicable_is_the_reason_given_when_both_apply(self):
        result = assess(terms(**COUNT, not_applicable="无", suspended="暂缓"), [], date(2025, 7, 1))
        assert result.reason.code == "not_applicable"

    def test_a_pledge_reported_by_its_parts_is_never_late(self):
        result = assess(terms(**COUNT), [at("2025-01-31", 3)], date(2025, 9, 1), reported_by_parts=True)
        assert (result.reporting_status, result.next_report_due) == (ReportingStatus.OK, None)


class TestTheLineStoredForTheNightlyJob:
    def test_a_count_stores_its_straight_line(self):
        assert on(HALF_WAY, terms(**COUNT), 20).line == (YEAR_START, D(0), YEAR_END, D(50))

    def test_a_level_stores_its_line_from_the_baseline(self):
        assert on(HALF_WAY, terms(**RATE_CAP), "5.4").line == (YEAR_START, D(6), YEAR_END, D(5))

    def test_nothing_expected_stores_no_line(self):
        assert on(HALF_WAY, terms(kind="share", target=D(4)), 3).line is None


class TestTrajectory:
    def test_without_a_baseline_the_line_starts_at_the_first_value(self):
        readings = [at("2025-01-31", "3.0"), at("2025-07-02", "3.2")]
        pledge = terms(kind="share", unit="%", target=D("4.1"))
        expected = [(date(2025, 1, 31), D(3)), (YEAR_END, D("4.1"))]
        assert engine.trajectory(pledge, readings, date(2025, 7, 3)) == expected

    def test_a_growth_pledge_without_a_target_has_none(self):
        assert engine.trajectory(terms(**GROWTH | {"target": None}), [], date(2025, 6, 1)) == []

    def test_a_milestone_and_a_reduction_without_a_baseline_have_none(self):
        assert engine.trajectory(terms(kind="milestone", comparator="=", target=None), [], date(2025, 6, 1)) == []
        assert engine.trajectory(terms(kind="reduction", unit="%", target=D(3)), [], date(2025, 6, 1)) == []


# --- Reporting heartbeat at its edges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today, expected",
    [
        ("2025-02-20", ReportingStatus.OK),  # 8 days before 28 Feb
        ("2025-02-21", ReportingStatus.DUE_SOON),  # exactly report_due_soon_days before
        ("2025-02-28", ReportingStatus.DUE_SOON),  # the day it is due
        ("2025-03-07", ReportingStatus.DUE_SOON),  # the last day of the grace
        ("2025-03-08", ReportingStatus.LATE),
    ],
)
def test_a_report_is_due_soon_from_exactly_the_due_soon_days_before_and_late_after_exactly_the_grace(today, expected):
    result = assess(terms(**COUNT, cadence="monthly"), [at("2025-01-31", 3)], date.fromisoformat(today))
    assert result.reporting_status == expected


def test_the_due_soon_and_grace_days_are_the_rules():
    rules = Rules(report_due_soon_days=3, report_grace_days=2)
    reported = [at("2025-01-31", 3)]
    days = ["2025-02-24", "2025-02-25", "2025-03-02", "2025-03-03"]  # due 28 Feb
    pledge = terms(**COUNT, cadence="monthly")
    due = [assess(pledge, reported, date.fromisoformat(day), rules).reporting_status for day in days]
    assert due == [ReportingStatus.OK, ReportingStatus.DUE_SOON, ReportingStatus.DUE_SOON, ReportingStatus.LATE]


def test_a_report_is_never_due_after_the_deadline():
    result = assess(terms(**COUNT, cadence="quarterly"), [at("2025-11-30", 30)], date(2025, 12, 20))
    assert result.next_report_due == YEAR_END


@pytest.mark.parametrize(
    "day, months, expected",
    [
        ("2025-01-31", 1, "2025-02-28"),  # a month end stays a month end
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-02-28", 1, "2025-03-31"),
        ("2025-04-30", 1, "2025-05-31"),
        ("2023-02-28", 12, "2024-02-29"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2025-01-30", 1, "2025-02-28"),  # no 30 February: the last day instead
        ("2025-03-15", 3, "2025-06-15"),
        ("2025-11-30", 3, "2026-02-28"),
    ],
)
def test_adding_months_keeps_month_ends_at_month_ends(day, months, expected):
    assert engine._add_months(date.fromisoformat(day), months) == date.fromisoformat(expected)


# --- Numbers and reasons as the messages show them --------------------------------------------------------------


@pytest.mark.parametrize(
    "value, places, text",
    [
        (D("1.23456"), "0.0001", "1.2346"),
        (D("1.23445"), "0.0001", "1.2344"),  # half to even, as Decimal rounds
        (D("2.50"), "0.0001", "2.5"),
        (D(100), "0.0001", "100"),  # no exponent
        (D("37.3626"), "0.01", "37.36"),
        (D("-0.5"), "0.01", "-0.5"),
        (D("1E+30"), "0.0001", "1000000000000000000000000000000"),  # too large to quantize: kept as it is
        (None, "0.0001", None),
    ],
)
def test_format_number_writes_plain_decimals_without_trailing_zeros(value, places, text):
    assert engine.format_number(value, places) == text


def test_format_number_keeps_four_places_by_default():
    assert engine.format_number(D("1.23456")) == "1.2346"


def test_round_keeps_four_places_and_leaves_what_it_cannot_round():
    assert engine._round(D("0.123456")) == D("0.1235") and str(engine._round(D(1))) == "1.0000"
    assert engine._round(D("1E+30")) == D("1E+30") and engine._round(None) is None


class TestReasons:
    def test_a_reason_goes_to_json_and_back(self):
        reason = engine.Reason("progress", {"value": "3", "ratio": "90"})
        assert reason.as_json() == {"code": "progress", "params": {"value": "3", "ratio": "90"}}
        assert engine.Reason.from_json(reason.as_json()) == reason

    def test_a_missing_or_partial_reason_reads_as_not_assessed(self):
        assert engine.Reason.from_json(None) == engine.Reason("not_assessed", {})
        assert engine.Reason.from_json({}) == engine.Reason("not_assessed", {})
        assert engine.Reason.from_json({"params": {"x": "1"}}) == engine.Reason("not_assessed", {"x": "1"})
        assert engine.Reason.from_json({"code": "no_data", "params": None}) == engine.Reason("no_data", {})

    def test_an_unknown_code_reads_as_not_assessed(self):
        with translation.override("en"):
            assert engine.Reason("no_such_code").text() == "Not assessed yet."

    def test_dates_are_written_in_the_active_language_and_missing_values_as_a_question_mark(self):
        with translation.override("en"):
            no_data = "No value reported yet; the deadline is {}."
            assert engine.Reason("no_data", {"deadline": "2025-12-31"}).text() == no_data.format("Dec. 31, 2025")
            assert engine.Reason("no_data", {"deadline": None}).text() == no_data.format("?")
            assert engine.Reason("not_applicable", {}).text() == "Not applicable: ?"
            done = engine.Reason("milestone_done", {"as_of": "2025-05-31"})
            assert done.text() == "Reported done as of May 31, 2025."

    def test_the_worst_status_of_the_parts_is_written_as_its_label(self):
        params = {"achieved": "1", "parts": "3", "worst_parts": "如皋", "worst_status": "at_risk"}
        with translation.override("en"):
            assert engine.Reason("parts_each", params).text() == "1 of 3 parts achieved; the worst: 如皋 (at risk)."
            odd = engine.Reason("parts_each", params | {"worst_status": "unknown"}).text()
            assert odd == "1 of 3 parts achieved; the worst: 如皋 (unknown)."

    def test_every_numeric_reason_carries_the_target_unit_and_deadline(self):
        pledge = terms(**COUNT)
        result = on(HALF_WAY, pledge, 20)
        assert result.reason.params["target_terms"] == engine.target_params(pledge)
        with translation.override("en"):
            text = engine.Reason("achieved", result.reason.params).text()
            assert text == "Achieved: 20个 as of July 2, 2025 meets the target ≥ 50个."


@pytest.mark.parametrize(
    "pledge, text",
    [
        (terms(**COUNT), "≥ 50个"),
        (terms(**RATE_CAP), "≤ 5%"),
        (terms(**SHARE, comparator="="), "4.1%"),
        (terms(**ABOUT), "≈ 500亿元 (±5%)"),
        (terms(**RANGE), "3–4.4%"),
        (terms(**PCT_CUT), "a reduction of ≥ 3%"),
        (terms(**GROWTH), "growth of 6%"),
        (terms(kind="milestone", comparator="=", target=None), "done"),
    ],
)
def test_the_target_as_the_messages_write_it(pledge, text):
    with translation.override("en"):
        assert engine.target_text(engine.target_params(pledge)) == text


def test_a_target_without_a_unit_is_written_without_one():
    assert engine.target_text(engine.target_params(terms(unit=""))) == "≥ 50"


def test_target_params_hold_the_terms_as_strings():
    assert engine.target_params(terms(**ABOUT)) == {
        "comparator": "approx",
        "kind": "level",
        "target": "500",
        "low": None,
        "high": None,
        "tolerance": "5",
        "unit": "亿元",
    }
    assert engine.target_params(terms(**RANGE))["low"] == "3" and engine.target_params(terms(**RANGE))["high"] == "4.4"
    assert engine.target_params(terms(tolerance=None))["tolerance"] is None


# --- Parts, as their parent reads them (the roll-up through the database is in test_parts.py) ------------------


class TestAPartsSeries:
    def test_a_part_contributes_its_current_values_only(self):
        readings = [
            at("2025-03-31", 4, id=1),
            at("2025-03-31", 5, id=2),  # recorded later for the same period
            at("2025-06-30", None, id=3, done=True),  # no value
            at("2025-09-30", 9, id=4),  # not yet
        ]
        assert engine.series_of(readings, date(2025, 7, 1)) == [(date(2025, 3, 31), D(5))]

    def test_the_parents_readings_are_its_summed_values(self):
        summed = [(date(2025, 3, 31), D(4)), (date(2025, 6, 30), D(10))]
        assert engine.readings_from_series(summed) == [at("2025-03-31", 4), at("2025-06-30", 10)]


class TestEachPartToItsOwnTarget:
    PARENT = terms(kind="share", unit="%", target=D(3))
    PLACES = ["通州", "海门", "如皋", "启东", "开发区"]

    def each(self, *statuses):
        parts = [engine.PartStanding(name, status) for name, status in zip(self.PLACES, statuses)]
        return engine.assess_each(self.PARENT, parts, date(2025, 7, 10))

    def test_no_part_counting_yet_is_no_data(self):
        result = self.each()
        assert result.target_status == NO_DATA
        assert result.reason == engine.Reason("no_parts", {"achieved": "0", "parts": "0", "deadline": "2025-12-31"})

    def test_all_achieved_says_how_many(self):
        result = self.each(ACHIEVED, ACHIEVED)
        assert result.target_status == ACHIEVED
        params = {"achieved": "2", "parts": "2", "deadline": "2025-12-31"}
        assert result.reason == engine.Reason("parts_all_achieved", params)

    def test_parts_without_data_and_none_behind_leave_it_waiting(self):
        for statuses in [(ACHIEVED, NO_DATA, NO_DATA), (NO_DATA, NO_DATA, NO_DATA)]:
            result = self.each(*statuses)
            assert result.target_status == NO_DATA
            assert has_reason(result, "parts_waiting", waiting=str(statuses.count(NO_DATA)))

    def test_the_worst_names_at_most_three_parts(self):
        four_behind = self.each(AT_RISK, OFF_TRACK, OFF_TRACK, OFF_TRACK, OFF_TRACK)
        assert has_reason(four_behind, "parts_each", worst_status=OFF_TRACK, worst_parts="启东、如皋、开发区…", achieved="0")
        three_behind = self.each(OFF_TRACK, OFF_TRACK, OFF_TRACK, AT_RISK)
        assert has_reason(three_behind, "parts_each", worst_parts="如皋、海门、通州")


def test_a_breakdown_without_part_targets_or_a_parent_target_has_no_gap():
    assert engine.breakdown_gap(D(50), []) is None
    assert engine.breakdown_gap(None, [D(20)]) is None
    assert engine.breakdown_gap(D(50), [D(20), None]) is None


# --- Compound growth (Open SDG) at its edges: the method's own table is in test_status_methods.py ------------------

OPEN_SDG = dict(
    kind="share", unit="%", target=D(60), baseline=D(50), baseline_date=date(2020, 12, 31), start_date=None,
    deadline=date(2025, 12, 31), method="cagr",
)


class TestCompoundGrowthAtItsEdges:
    def test_a_value_that_has_crossed_zero_has_shrunk_by_100_percent_a_year(self):
        result = on("2022-12-31", terms(**OPEN_SDG), -1, today="2023-01-05")
        assert result.target_status == OFF_TRACK and has_reason(result, "cagr_progress", observed="-100")

    def test_a_target_of_zero_below_zero_values_is_aimed_at_minus_the_stand_in(self):
        rising_to_zero = terms(**OPEN_SDG | {"unit": "亿元", "baseline": D(-5), "target": D(0)})
        assert has_reason(on("2021-12-31", rising_to_zero, -4, today="2022-01-05"), "cagr_progress")

    def test_a_baseline_of_zero_below_a_target_under_one_grows_from_plus_the_stand_in(self):
        from_zero = terms(**OPEN_SDG | {"baseline": D(0), "target": D("0.5")})
        assert has_reason(on("2021-12-31", from_zero, "0.2", today="2022-01-05"), "cagr_progress")

    @pytest.mark.parametrize(
        "start, end, years",
        [
            ("2020-12-31", "2025-12-31", D(5)),
            ("2024-12-31", "2026-06-30", 1 + D(181) / D("365.25")),  # whole years by the calendar, then days
            ("2025-01-01", "2025-01-01", D(0)),
        ],
    )
    def test_years_are_whole_calendar_years_and_the_days_left_over_in_years_of_365_25_days(self, start, end, years):
        assert engine._years(date.fromisoformat(start), date.fromisoformat(end)) == years


def test_a_stored_reason_without_its_dates_still_renders_with_question_marks():
    from commitments.status import Reason

    with translation.override("en"):
        assert Reason("overdue_no_data", {}).text() == "The deadline ? has passed and no value was ever reported."
