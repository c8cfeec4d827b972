"""The charts' axes: round values (1, 2, 2.5 or 5 times a power of ten) with the unit written once, and dates at the
ends of months, quarters, half-years or years, chosen by the span. The tick functions are pure: tested directly."""

from datetime import date
from decimal import Decimal

import pytest

from commitments import charts
from commitments import status as engine
from commitments.charts import date_ticks, value_label, value_ticks


def labels(low, high):
    ticks = value_ticks(Decimal(low), Decimal(high))
    return [value_label(tick, ticks) for tick in ticks]


def is_round_step(step: Decimal) -> bool:
    mantissa = step.scaleb(-step.adjusted()).normalize()
    return mantissa in {Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)}


class TestValueTicks:
    @pytest.mark.parametrize(("low", "high", "expected"), [
        ("0", "121.3", ["0", "25", "50", "75", "100"]),  # was 0, 28.08, 56.16, 84.24, 112.32
        ("0", "54", ["0", "10", "20", "30", "40", "50"]),
        ("0", "4.41", ["0", "1", "2", "3", "4"]),
        ("0", "0.0437", ["0", "0.01", "0.02", "0.03", "0.04"]),
        ("-3", "12", ["-2.5", "0", "2.5", "5", "7.5", "10"]),
        ("0", "2", ["0", "0.5", "1", "1.5", "2"]),
    ])
    def test_ticks_are_multiples_of_a_round_step_written_with_the_decimals_it_needs(self, low, high, expected):
        assert labels(low, high) == expected

    @pytest.mark.parametrize("high", ["0.7", "3.3", "17", "99.9", "121.3", "1234.5", "86000", "7e9"])
    def test_any_range_gets_a_round_step_at_most_six_ticks_and_zero(self, high):
        ticks = value_ticks(Decimal(0), Decimal(high))
        assert ticks[0] == 0 and ticks[-1] <= Decimal(high)
        assert 3 <= len(ticks) <= 6
        steps = {b - a for a, b in zip(ticks, ticks[1:])}
        assert len(steps) == 1 and is_round_step(steps.pop())

    def test_an_empty_range_is_one_tick(self):
        assert value_ticks(Decimal(5), Decimal(5)) == [Decimal(5)]


class TestDateTicks:
    def iso(self, start, end):
        return [day.isoformat() for day in date_ticks(start, end)]

    def test_a_year_is_marked_at_the_quarter_ends(self):
        assert self.iso(date(2025, 1, 1), date(2025, 12, 31)) == ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]

    def test_half_a_year_is_marked_at_the_month_ends(self):
        assert self.iso(date(2025, 1, 1), date(2025, 6, 30)) == [
            "2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30"]

    def test_three_years_are_marked_at_the_half_year_ends_and_fifteen_at_every_fifth_year_end(self):
        assert self.iso(date(2023, 1, 1), date(2025, 12, 31)) == [
            "2023-06-30", "2023-12-31", "2024-06-30", "2024-12-31", "2025-06-30", "2025-12-31"]
        assert self.iso(date(2021, 1, 1), date(2035, 12, 31)) == ["2025-12-31", "2030-12-31", "2035-12-31"]

    def test_a_deadline_that_ends_no_period_is_marked_too_and_a_period_end_beside_it_is_left_out(self):
        assert self.iso(date(2025, 3, 10), date(2025, 11, 15)) == ["2025-03-31", "2025-06-30", "2025-09-30", "2025-11-15"]
        assert self.iso(date(2025, 1, 1), date(2025, 10, 3)) == ["2025-03-31", "2025-06-30", "2025-10-03"]  # not 09-30

    def test_february_ends_on_its_last_day_in_a_leap_year(self):
        assert date(2024, 2, 29) in date_ticks(date(2024, 1, 1), date(2024, 4, 30))

    @pytest.mark.parametrize("days", [1, 20, 100, 400, 1000, 4000, 20000])
    def test_never_more_than_six_dates_and_always_the_last_day(self, days):
        start = date(2025, 1, 1)
        end = date.fromordinal(start.toordinal() + days)
        ticks = date_ticks(start, end)
        assert 1 <= len(ticks) <= 6 and ticks[-1] == end and ticks == sorted(set(ticks))
        assert all(start <= day <= end for day in ticks)


def test_the_progress_chart_uses_round_values_with_the_unit_and_quarter_ends():
    terms = engine.Terms(
        kind=engine.Kind.LEVEL, comparator=engine.Comparator.AT_LEAST, target=Decimal(104), cumulative=True,
        start_date=date(2025, 1, 1), deadline=date(2025, 12, 31),
    )
    readings = [engine.Reading(as_of=date(2025, 3, 31), value=Decimal(20)),
                engine.Reading(as_of=date(2025, 6, 30), value=Decimal(41))]
    chart = charts.progress_chart(terms, readings, date(2025, 7, 10), "个")
    assert [label for _y, label in chart.y_ticks] == ["0", "20", "40", "60", "80", "100"]
    assert chart.y_unit == "个"
    assert [label for _x, label, _anchor in chart.x_ticks] == ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]


def test_the_parts_columns_use_round_shares():
    parts = [charts.PartFigure("通州", Decimal(30), Decimal(20), "个", "achieved"),
             charts.PartFigure("海门", Decimal(5), Decimal(20), "个", "off_track")]
    chart = charts.part_columns_chart(parts)
    assert [label for _y, label in chart.y_ticks] == ["0%", "50%", "100%", "150%"]
