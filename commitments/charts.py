"""A pledge's progress chart as plain SVG geometry (no JavaScript), in three kinds:

- "line": one pledge's reported values against the expected path and the target; the path is the one the pledge's
  method draws (`status.trajectory`): a straight line, a schedule's steps (a line through its checkpoints when they
  are interpolated) with the checkpoints marked, or the required growth curve;
- "stacked": a `sum` made of parts, each part's values a band stacked on the ones below, so the top of the stack is
  the pledge's own value, under the expected path and the target;
- "columns": an `each`, one column per part: its latest value as a share of its own target, against a 100% line.

The template (`_chart.html`) only draws what is computed here; colours come from the page's stylesheet (`band-N`,
`status-…` classes), so a band and its legend key always match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from . import display
from . import status as engine
from .models import rules_from_settings

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
BAND_COLOURS = 8  # site.css defines .band-0 … .band-7; more parts reuse them, lighter (.band-again)
HIDDEN_BAND = "band-hidden"  # the parts a user may not see, as one grey band
COLUMN_SCALE_CAP = Decimal(2)  # a column chart's axis stops at 200%; a longer column is cut there and says so
LABEL_CHARACTER_WIDTH = 12  # px a character of a column's label takes at the chart's font size (CJK: a full em)


@dataclass
class Band:
    css: str
    label: str
    points: str  # polygon points: along the band's top, then back along its bottom
    title: str  # the band's latest value, shown on hover


@dataclass
class Column:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # under the column (cut to fit its slot)
    label_x: float
    value_text: str  # above the column
    value_y: float
    title: str  # the whole story on hover: name, value, target, share


@dataclass
class Chart:
    kind: str = "line"
    width: int = WIDTH
    height: int = HEIGHT
    plot: tuple = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)
    expected: str = ""  # polyline points
    reported: str = ""  # for "stacked": the sum of the parts, the top of the stack
    dots: list = field(default_factory=list)  # (x, y, label)
    checkpoints: list = field(default_factory=list)  # (diamond's polygon points, label): a schedule's planned values
    target_y: float | None = None
    today_x: float | None = None
    x_ticks: list = field(default_factory=list)  # (x, label, text-anchor)
    y_ticks: list = field(default_factory=list)  # (y, label)
    y_unit: str = ""  # written once, above the value axis
    bands: list = field(default_factory=list)  # Band, bottom first
    columns: list = field(default_factory=list)  # Column, left to right
    legend: list = field(default_factory=list)  # (css class, label) of the bands, bottom first
    summary: str = ""


class _TimeScale:
    """Dates across and values up, in the plot area; the value axis starts at 0 unless values go below."""

    def __init__(self, days: list[date], values: list[Decimal]):
        self.start, self.end = min(days), max(days)
        low, high = min(min(values), Decimal(0)), max(values)
        if high == low:
            high = low + 1
        self.low, self.high = low, high + (high - low) * Decimal("0.08")
        self.span_days = max((self.end - self.start).days, 1)

    def x(self, day: date) -> float:
        return round(LEFT + (WIDTH - RIGHT - LEFT) * (day - self.start).days / self.span_days, 1)

    def y(self, value: Decimal) -> float:
        share = (value - self.low) / (self.high - self.low)
        return round(float((HEIGHT - BOTTOM) - (HEIGHT - BOTTOM - TOP) * share), 1)

    def dress(self, chart: Chart, path, target: Decimal | None, today: date, terms: engine.Terms, unit: str) -> None:
        """The parts every time chart has: the expected path (with a schedule's checkpoints on it), the target line,
        today's line and both axes."""
        chart.expected = " ".join(f"{self.x(d)},{self.y(v)}" for d, v in path)
        chart.checkpoints = [
            (_diamond(self.x(d), self.y(v)), f"{d.isoformat()}: {display.amount(v, unit)}")
            for d, v in _checkpoints_on(terms, path)
        ]
        chart.target_y = self.y(target) if target is not None else None
        chart.today_x = self.x(today) if self.start <= today <= self.end else None
        chart.x_ticks = [
            (self.x(d), d.isoformat(), "end" if d == self.end else "middle") for d in date_ticks(self.start, self.end)
        ]
        ticks = value_ticks(self.low, self.high)
        chart.y_ticks = [(self.y(v), value_label(v, ticks)) for v in ticks]
        chart.y_unit = unit


def _target(terms: engine.Terms) -> Decimal | None:
    return terms.target if terms.target is not None else terms.high


def _diamond(x: float, y: float, r: float = 6) -> str:
    return f"{x},{round(y - r, 1)} {round(x + r, 1)},{y} {x},{round(y + r, 1)} {round(x - r, 1)},{y}"


def _checkpoints_on(terms: engine.Terms, path) -> list[tuple[date, Decimal]]:
    """The checkpoints of a schedule that its path goes through: those the engine reads (after the path's start and
    before the deadline), and none when the path is not the schedule's (a schedule judged on the straight line)."""
    if terms.method != engine.Method.SCHEDULE:
        return []
    on_path = set(path[1:-1])
    return [(day, value) for day, value in terms.schedule if (day, value) in on_path]


def progress_chart(terms: engine.Terms, readings: list[engine.Reading], today: date, unit: str) -> Chart | None:
    """None when there is nothing to draw (a milestone, or no value and no expected path)."""
    if terms.kind == engine.Kind.MILESTONE:
        return None
    points = [(r.as_of, r.value) for r in engine.current_readings(readings, today) if r.value is not None]
    path = engine.trajectory(terms, readings, today, rules_from_settings())
    if not points and not path:
        return None
    target = _target(terms)
    scale = _TimeScale(
        [d for d, _ in points + path] + [terms.period_start, terms.deadline],
        [v for _, v in points + path] + ([target] if target is not None else []),
    )
    chart = Chart()
    scale.dress(chart, path, target, today, terms, unit)
    chart.reported = " ".join(f"{scale.x(d)},{scale.y(v)}" for d, v in points)
    chart.dots = [(scale.x(d), scale.y(v), f"{d.isoformat()}: {display.amount(v, unit)}") for d, v in points]
    return chart


def stacked_parts_chart(
    terms: engine.Terms, bands: list[tuple[str, engine.Series]], today: date, unit: str, hidden: engine.Series = ()
) -> Chart | None:
    """A `sum` drawn from its parts: `bands` are (name, values over time) of the parts shown, bottom first; `hidden`
    is the sum of the parts the reader may not see, drawn as one grey band on top of them, so the top of the stack is
    always the pledge's whole value. None when there is nothing to draw."""
    if terms.kind == engine.Kind.MILESTONE:
        return None
    layers = [
        (f"band-{i % BAND_COLOURS}" + (" band-again" if i >= BAND_COLOURS else ""), name, sorted(series))
        for i, (name, series) in enumerate(bands)
    ]
    if hidden:
        layers.append((HIDDEN_BAND, None, sorted(hidden)))
    dates = sorted({day for _css, _name, series in layers for day, _value in series})
    floors, tops = [], []
    below = [Decimal(0)] * len(dates)
    for _css, _name, series in layers:
        top = [floor + value for floor, value in zip(below, _latest_at(series, dates))]
        floors.append(below)
        tops.append(top)
        below = top
    total = list(zip(dates, below))
    path = engine.trajectory(terms, engine.readings_from_series(total), today, rules_from_settings())
    if not total and not path:
        return None
    target = _target(terms)
    scale = _TimeScale(
        dates + [d for d, _ in path] + [terms.period_start, terms.deadline],
        below + [v for _, v in path] + ([target] if target is not None else []),
    )
    chart = Chart(kind="stacked")
    scale.dress(chart, path, target, today, terms, unit)
    # One report date only: each band is a narrow column there rather than a line without area.
    corners = [(scale.x(d), i) for i, d in enumerate(dates)]  # (x, index of the date)
    if len(dates) == 1:
        corners = [(corners[0][0] - 6, 0), (corners[0][0] + 6, 0)]
    for (css, name, series), floor, top in zip(layers, floors, tops):
        upper = [f"{x},{scale.y(top[i])}" for x, i in corners]
        lower = [f"{x},{scale.y(floor[i])}" for x, i in reversed(corners)]
        latest = display.amount(series[-1][1], unit) if series else "—"
        chart.bands.append(Band(css, name, " ".join(upper + lower), f"{name}: {latest}" if name else latest))
        chart.legend.append((css, name))
    chart.reported = " ".join(f"{scale.x(d)},{scale.y(v)}" for d, v in total)
    chart.dots = [(scale.x(d), scale.y(v), f"{d.isoformat()}: {display.amount(v, unit)}") for d, v in total]
    return chart


def _latest_at(series: list[tuple[date, Decimal]], dates: list[date]) -> list[Decimal]:
    """A part's latest value on or before each of `dates` (0 before its first report), as its parent sums it."""
    values, latest, position = [], Decimal(0), 0
    for day in dates:
        while position < len(series) and series[position][0] <= day:
            latest = series[position][1]
            position += 1
        values.append(latest)
    return values


@dataclass(frozen=True)
class PartFigure:
    """What a column of an `each` chart reads of one part."""

    name: str
    value: Decimal | None
    target: Decimal | None
    unit: str
    status: str


def part_columns_chart(parts: list[PartFigure]) -> Chart | None:
    """An `each` drawn from its parts, side by side: each part's latest value as a share of its own target, against
    the 100% line every one of them must reach. None when there are no parts to draw."""
    if not parts:
        return None
    shares = [part.value / part.target if part.value is not None and part.target else None for part in parts]
    high = min(max([Decimal(1), *(s for s in shares if s is not None)]) * Decimal("1.1"), COLUMN_SCALE_CAP)
    x0, y0, x1, y1 = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM

    def y(share: Decimal) -> float:
        return round(float(y1 - (y1 - y0) * min(share, high) / high), 1)

    chart = Chart(kind="columns")
    chart.target_y = y(Decimal(1))
    chart.y_ticks = [(y(share), display.percent(share)) for share in value_ticks(Decimal(0), high)]
    slot = (x1 - x0) / len(parts)
    width = round(min(56.0, slot * 0.6), 1)
    fits = max(2, int(slot // LABEL_CHARACTER_WIDTH))
    for i, (part, share) in enumerate(zip(parts, shares)):
        middle = round(x0 + slot * i + slot / 2, 1)
        top = y1 if share is None else y(share)  # no value yet: no column, a dash on the axis
        if share is None:
            value_text, title = "—", f"{part.name}: —"
        else:
            value_text = display.percent(share) + ("↑" if share > high else "")  # cut at the top of the axis
            title = f"{part.name}: {display.amount(part.value, part.unit)} / {display.amount(part.target, part.unit)}"
            title += f" = {display.percent(share)}"
        chart.columns.append(Column(
            x=round(middle - width / 2, 1), y=top, width=width, height=round(y1 - top, 1), css=f"status-{part.status}",
            label=part.name if len(part.name) <= fits else part.name[: fits - 1] + "…", label_x=middle,
            value_text=value_text, value_y=top - 4, title=title,
        ))
    return chart


# --- Axes: pure functions of the data's range -------------------------------------------------------------------

ROUND_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))  # times a power of ten
MOST_VALUE_TICKS = 6
MOST_DATE_TICKS = 6  # an ISO date takes about 70 px of the plot's 560


def value_ticks(low: Decimal, high: Decimal, most: int = MOST_VALUE_TICKS) -> list[Decimal]:
    """The value axis's ticks between `low` and `high`: multiples of the smallest round step (1, 2, 2.5 or 5 times a
    power of ten) that gives at most `most` of them; 0 is one of them whenever the range includes it."""
    low, high = Decimal(low), Decimal(high)
    if high <= low:
        return [low]
    power = Decimal(10) ** ((high - low) / most).adjusted()
    for step in [power * m for m in ROUND_STEPS] + [power * 10]:
        first = (low / step).to_integral_value(rounding=ROUND_CEILING) * step
        last = (high / step).to_integral_value(rounding=ROUND_FLOOR) * step
        if (last - first) / step + 1 <= most:
            return [first + step * i for i in range(int((last - first) / step) + 1)]
    return [low, high]  # not reached: ten times the power is always wide enough


def value_label(value: Decimal, ticks: list[Decimal]) -> str:
    """A tick's number with as many decimals as its step needs and no more: 0, 2.5, 5, 7.5; 0.25; 100."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else Decimal(1)
    places = max(0, -step.normalize().as_tuple().exponent)
    return display.number(value, places)


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def _ends_a_period(year: int, month: int, months: int) -> bool:
    """Whether `month` of `year` closes a period of `months` months on the calendar's grid (quarters end in March,
    June, September and December; a period of several years ends in December of a year divisible by their number)."""
    if months < 12:
        return month % months == 0
    return month == 12 and year % (months // 12) == 0


def date_ticks(start: date, end: date, most: int = MOST_DATE_TICKS) -> list[date]:
    """The time axis's ticks: the ends of months, quarters, half-years or years (every 1, 2, 5, 10 … years) between
    `start` and `end`, the shortest period that gives at most `most` ticks; `end` itself when it is not one of them
    (a deadline in mid-month), the period end just before it left out when the two labels would overlap."""
    if end <= start:
        return [end]
    month_ends = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        if start <= _month_end(year, month) <= end:
            month_ends.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for months in (1, 3, 6, 12, 24, 60, 120, 240, 600, 1200):
        ticks = [_month_end(y, m) for y, m in month_ends if _ends_a_period(y, m, months)]
        if len(ticks) + (end not in ticks) <= most:
            break
    if end not in ticks:
        if ticks and (end - ticks[-1]).days < (end - start).days / (most * 2):
            ticks.pop()  # too close to the end: the two dates would print over each other
        ticks.append(end)
    return ticks
