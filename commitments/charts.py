"""A pledge's progress chart as plain SVG geometry (no JavaScript): reported values against the expected path."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from . import display
from . import status as engine

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    plot: tuple = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)
    expected: str = ""  # polyline points
    reported: str = ""
    dots: list = field(default_factory=list)  # (x, y, label)
    target_y: float | None = None
    today_x: float | None = None
    x_ticks: list = field(default_factory=list)  # (x, label, text-anchor)
    y_ticks: list = field(default_factory=list)  # (y, label)
    summary: str = ""


def progress_chart(terms: engine.Terms, readings: list[engine.Reading], today: date, unit: str) -> Chart | None:
    """None when there is nothing to draw (a milestone, or no value and no expected path)."""
    if terms.kind == engine.Kind.MILESTONE:
        return None
    points = [(r.as_of, r.value) for r in engine.current_readings(readings, today) if r.value is not None]
    path = engine.trajectory(terms, readings, today)
    if not points and not path:
        return None
    target = terms.target if terms.target is not None else terms.high
    days = [d for d, _ in points + path] + [terms.period_start, terms.deadline]
    values = [v for _, v in points + path] + ([target] if target is not None else [])
    start, end = min(days), max(days)
    low, high = min(min(values), Decimal(0)), max(values)  # the axis starts at 0 unless values go below
    if high == low:
        high = low + 1
    high = high + (high - low) * Decimal("0.08")
    span_days = max((end - start).days, 1)
    x0, y0, x1, y1 = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM

    def x(day: date) -> float:
        return round(x0 + (x1 - x0) * (day - start).days / span_days, 1)

    def y(value: Decimal) -> float:
        return round(float(y1 - (y1 - y0) * (value - low) / (high - low)), 1)

    chart = Chart()
    chart.expected = " ".join(f"{x(d)},{y(v)}" for d, v in path)
    chart.reported = " ".join(f"{x(d)},{y(v)}" for d, v in points)
    chart.dots = [(x(d), y(v), f"{d.isoformat()}: {display.amount(v, unit)}") for d, v in points]
    chart.target_y = y(target) if target is not None else None
    chart.today_x = x(today) if start <= today <= end else None
    ticks = _date_ticks(start, end)
    chart.x_ticks = [(x(d), d.isoformat(), "end" if d == end else "middle") for d in ticks]
    chart.y_ticks = [(y(v), display.number(v)) for v in _value_ticks(low, high)]
    return chart


def _date_ticks(start: date, end: date) -> list[date]:
    years = range(start.year, end.year + 1)
    if len(years) > 1:
        step = max(1, len(years) // 6)
        return [date(year, 1, 1) for year in years[::step] if start <= date(year, 1, 1) <= end] + [end]
    return [date(start.year, month, 1) for month in (1, 4, 7, 10) if start <= date(start.year, month, 1) <= end] + [end]


def _value_ticks(low: Decimal, high: Decimal, count: int = 4) -> list[Decimal]:
    step = (high - low) / count
    return [low + step * i for i in range(count + 1)]
