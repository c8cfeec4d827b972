"""Indicator tables (主要指标表) of plans: one row per indicator, its unit, a base-year value, a target value,
an annual growth, and whether it is 预期性 or 约束性.

Rows come as pipe-separated (markdown), tab-separated or space-aligned text lines.  The header says which
column is which: the column of the latest year (or 目标) holds the target, an earlier year (or 基数) the base,
which is never a target; a column named 年均增长/增速/累计 holds a yearly rate.  A value in 〔〕 is a total over
the whole plan period.  Without a header, a row that ends in 预期性/约束性 is read as name, unit, base, target,
growth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from .clauses import (
    _SCALES,
    _UNIT_ALTERNATION,
    COMPARATOR_OF_WORD,
    COMPARATOR_WORDS_AFTER,
    COMPARATOR_WORDS_BEFORE,
    comparator_alternation,
)

_SEPARATOR_ROW = re.compile(r"[\s|:：\-—–]+")
_CELL_SPLIT_SPACES = re.compile(r"[ \u3000]{2,}|\t")
_YEAR_CELL = re.compile(r"((?:19|20)[0-9]{2})")
_ATTRIBUTE = re.compile(r"预期性|约束性")
# A value cell: a comparator word or sign before or after the number (≥90, 不低于90, 5.5以内, 3左右), read through the
# one table of comparator words that running text uses too.
_VALUE = re.compile(
    r"^(?P<before>" + comparator_alternation(COMPARATOR_WORDS_BEFORE) + r")?\s*"
    r"(?P<open>[〔\[［【(（])?\s*(?P<number>[0-9]+(?:\.[0-9]+)?)"
    r"(?:\s*[-—–~～至]\s*(?P<high>[0-9]+(?:\.[0-9]+)?))?\s*(?P<close>[〕\]］】)）])?\s*"
    r"(?P<pct>%|％)?\s*(?P<after>" + comparator_alternation(COMPARATOR_WORDS_AFTER) + r")?$"
)
# A value cell that carries its unit, in a table without a unit column: "3.5亿美元", "4000套以上".
_UNIT_IN_VALUE = re.compile(
    r"(?<=[0-9])\s*((?:" + _SCALES + r")?(?:" + _UNIT_ALTERNATION + r")|[%％])(?=\s*(?:"
    + comparator_alternation(COMPARATOR_WORDS_AFTER) + r")?$)"
)
# "45个村", "8个小区": the counter 个 with what it counts, which the row's name already says.
_COUNTER_WITH_NOUN = re.compile(r"(?<=[0-9])\s*个(?:小区|社区|村|镇|校|站|点)")
_UNIT_IN_NAME = re.compile(r"[（(]([^（）()]{1,8})[）)]$")
_REDUCTION_NAME = re.compile(r"(?:降低|下降|减少|削减|压减)(?:率|幅度)?$")
_GROWTH_NAME = re.compile(r"(?:增长|增速|增幅|涨幅)(?:率)?$")


@dataclass(frozen=True)
class TableTarget:
    start: int  # offset of the row's indicator cell
    sentence: str  # the row from its indicator cell to its end
    metric: str
    comparator: str
    value: Decimal
    unit: str
    kind: str
    deadline: date
    target_year: int | None  # the year of the target column, when its header names one
    high: Decimal | None = None  # the upper end of a range ("6-6.5"); `value` is then the lower
    plans_ahead: bool = False  # its target column is a year after every result column (上年完成 | 本年计划)


@dataclass
class _Columns:
    name: int
    unit: int | None
    target: int
    base: int | None
    growth: int | None
    target_year: int | None
    target_unit: str = ""  # the unit the target column's header gives (年度计划投资（亿元）)
    plans_ahead: bool = False


def _cells(line: str) -> list[tuple[int, str]] | None:
    """(offset in line, text) of each cell, or None when the line is no table row."""
    if "|" in line:
        parts, position = [], 0
        for piece in line.split("|"):
            parts.append((position, piece))
            position += len(piece) + 1
        if line.strip().startswith("|"):
            parts = parts[1:]
        if line.strip().endswith("|"):
            parts = parts[:-1]
    else:
        parts, position = [], 0
        for m in _CELL_SPLIT_SPACES.finditer(line):
            parts.append((position, line[position : m.start()]))
            position = m.end()
        parts.append((position, line[position:]))
    cells = []
    for offset, piece in parts:
        stripped = piece.strip(" \t\u3000")
        cells.append((offset + (len(piece) - len(piece.lstrip(" \t\u3000"))), stripped))
    return cells if len(cells) >= 3 else None


# A column named by a year relative to the document's ("上年完成", "本年计划"), and columns of results: the target is
# the plan of the latest year, never what was achieved ("2025年完成 | 2026年计划", "上年计划 | 上年完成 | 本年计划").
_RELATIVE_YEAR = {"前年": -2, "上年": -1, "去年": -1, "本年": 0, "今年": 0, "当年": 0, "下年": 1, "明年": 1}
_RELATIVE_YEAR_CELL = re.compile("|".join(_RELATIVE_YEAR))
_RESULT_COLUMN = re.compile(r"完成|实际|实绩|执行")
_PLAN_COLUMN = re.compile(r"计划|目标|预期")


def _column_year(cell: str, year: int) -> int | None:
    m = _YEAR_CELL.search(cell)
    if m:
        return int(m.group(1))
    m = _RELATIVE_YEAR_CELL.search(cell)
    return year + _RELATIVE_YEAR[m.group()] if m else None


def _header_columns(cells: list[str], year: int) -> _Columns | None:
    years = [(i, y) for i, c in enumerate(cells) if (y := _column_year(c, year)) is not None]
    target = next((i for i, c in enumerate(cells) if "目标" in c), None)
    plans = [i for i, c in enumerate(cells) if _PLAN_COLUMN.search(c) and not _RESULT_COLUMN.search(c)]
    base = next((i for i, c in enumerate(cells) if re.search(r"基数|基期|现状|基准", c)), None)
    target_year = None
    if years:
        latest_year = max(y for _, y in years)
        latest = [i for i, y in years if y == latest_year]
        if target is None:
            # "年度计划投资（亿元） | 2026年1—9月完成": the plan, though only the result names a year.
            target = next((i for i in latest if not _RESULT_COLUMN.search(cells[i])), plans[0] if plans else latest[0])
        target_year = dict(years).get(target, latest_year)
        earlier = [i for i, y in years if i != target]
        if base is None and earlier:
            base = earlier[0]
    elif target is None and plans:
        target = plans[0]
    if target is None:
        return None
    name = next((i for i, c in enumerate(cells) if "指标" in c), None)
    if name is None:
        name = next((i for i, c in enumerate(cells) if "名称" in c or c == "项目"), 0)
    unit = next((i for i, c in enumerate(cells) if c.startswith("单位")), None)
    rates = [
        i for i, c in enumerate(cells)
        if i not in (target, base) and re.search(r"年均|增长|增速|累计", c) and not _RESULT_COLUMN.search(c)
    ]
    # "2025年完成 | 增长（%） | 2026年目标 | 增长（%）": each rate column follows the column it belongs to.
    growth = next((i for i in rates if i > target), rates[0] if rates else None)
    unit_in_header = _UNIT_IN_NAME.search(cells[target])
    # "上年计划 | 上年完成 | 本年计划": the table plans the year after the results it reports, even when it stands
    # in the section that reviews them.
    result_years = [y for i, y in years if _RESULT_COLUMN.search(cells[i])]
    plans_ahead = target_year is not None and bool(result_years) and max(result_years) < target_year
    return _Columns(name, unit, target, base, growth, target_year, unit_in_header.group(1) if unit_in_header else "",
                    plans_ahead)


def _is_header(cells: list[str]) -> bool:
    """An indicator table's header (a 指标 or 单位 column), or a progress table's: a name column and a plan column
    that gives its unit (项目名称 | 年度计划投资（亿元） | 1—9月完成（亿元） | 责任单位), or a plan column beside a
    result column, whose cells then carry their units (事项 | 年度目标 | 1—9月完成 | 完成率 | 责任单位)."""
    if any("指标" in c or c == "单位" for c in cells):
        return True
    if not any("名称" in c or c in ("项目", "事项") for c in cells):
        return False
    plans = [c for c in cells if _PLAN_COLUMN.search(c) and not _RESULT_COLUMN.search(c)]
    return any(_UNIT_IN_NAME.search(c) for c in plans) or bool(plans and any(_RESULT_COLUMN.search(c) for c in cells))


def _default_columns(cells: list[str], units: frozenset[str]) -> _Columns | None:
    """A row without a header: name, [unit], base, target, [growth], 预期性/约束性."""
    if not _ATTRIBUTE.fullmatch(cells[-1]):
        return None
    unit = 1 if len(cells) > 1 and (cells[1] in units or cells[1] == "%") else None
    numbers = [i for i, c in enumerate(cells) if i > (unit or 0) and _VALUE.match(c)]
    if len(numbers) < 2:
        return None
    return _Columns(0, unit, numbers[1], numbers[0], numbers[2] if len(numbers) > 2 else None, None)


def _parse(cell: str) -> tuple[Decimal, str, bool, bool, Decimal | None] | None:
    """(value, comparator, is_cumulative, has_percent, high) of a value cell, or None for —, text, blanks; `high`
    only for a range ("6-6.5"), whose value is its lower end."""
    m = _VALUE.match(cell.replace(",", ""))
    if not m:
        return None
    comparator = COMPARATOR_OF_WORD.get(m.group("after") or m.group("before") or "", "=")
    high = Decimal(m.group("high")) if m.group("high") else None
    if high is not None:
        comparator = "range"
    cumulative = bool(m.group("open") and m.group("close"))
    return Decimal(m.group("number")), comparator, cumulative, bool(m.group("pct")), high


_RESPONSIBLE_HEADER = re.compile(r"责任单位|牵头单位|责任部门|牵头部门|责任主体|(?:牵头|责任)[科处]室")
_DUE_HEADER = re.compile(r"完成时限|时限|完成时间|时间节点")


@dataclass(frozen=True)
class TaskRow:
    """A row of a task table (工作任务 | 目标要求 | 责任单位 | 完成时限): who answers for the targets in it, and when."""

    start: int
    end: int
    owner: str | None  # the first unit named in the 责任单位 cell
    due: str  # the text of the 完成时限 cell


def task_rows(text: str) -> list[TaskRow]:
    """Rows of tables whose header has a 责任单位 (or 完成时限) column."""
    rows: list[TaskRow] = []
    owner_column = due_column = None
    width = 0
    position = 0
    for line in text.split("\n"):
        line_start, position = position, position + len(line) + 1
        if not line.strip(" \t\u3000"):
            continue
        cells = _cells(line) if ("|" in line or "\t" in line) else None
        if cells is None:
            owner_column = due_column = None
            continue
        texts = [c for _, c in cells]
        owner_at = next((i for i, c in enumerate(texts) if _RESPONSIBLE_HEADER.search(c)), None)
        due_at = next((i for i, c in enumerate(texts) if _DUE_HEADER.search(c)), None)
        if owner_at is not None or due_at is not None:
            owner_column, due_column, width = owner_at, due_at, len(texts)
            continue
        if (owner_column is None and due_column is None) or len(texts) != width or _SEPARATOR_ROW.fullmatch(line.strip()):
            continue
        owner = re.split(r"[、，,；;（(]", texts[owner_column])[0].strip() if owner_column is not None else ""
        rows.append(TaskRow(line_start, line_start + len(line), owner or None, texts[due_column] if due_column is not None else ""))
    return rows


_CELL_LINE_PUNCTUATION = re.compile(r"[，,。；;：:、！？!?“”]")
_HEADER_END = re.compile(r"(?:指标)?属性")
_MAX_CELLS = 9


def _single_space_cells(line: str) -> list[tuple[int, str]] | None:
    """Cells of a row whose cells are separated by one space (text copied from a PDF)."""
    cells, position = [], 0
    for piece in line.split(" "):
        if piece.strip():
            cells.append((position + len(piece) - len(piece.lstrip()), piece.strip()))
        position += len(piece) + 1
    return cells if 4 <= len(cells) <= _MAX_CELLS else None


def _is_cell_line(stripped: str) -> bool:
    return len(stripped) <= 24 and not _CELL_LINE_PUNCTUATION.search(stripped) and "|" not in stripped


def table_targets(
    text: str, year: int, deadline: date, units: frozenset[str]
) -> tuple[list[TableTarget], list[tuple[int, int]]]:
    """The targets of every indicator table in `text`, and the spans of the table rows (read by nothing else).

    A row is a line of cells (pipes, tabs, runs of spaces, or single spaces when the row is recognised as one), or,
    in text copied from a PDF, a run of short lines holding one cell each and ending in 预期性/约束性.
    """
    targets: list[TableTarget] = []
    row_spans: list[tuple[int, int]] = []
    columns: _Columns | None = None
    header_width = 0
    stacked_columns: _Columns | None = None  # the header of a table laid out one cell per line
    stacked_width = 0
    cell_lines: list[tuple[int, int, str]] = []  # (start, end, text) of the short lines just read
    position = 0
    for line in text.split("\n"):
        line_start, position = position, position + len(line) + 1
        stripped = line.strip(" \t\u3000")
        if not stripped:
            continue  # a blank line does not end a table
        if _is_cell_line(stripped) and not ("|" in line or "\t" in line or "  " in stripped):
            lead = line.index(stripped)
            cell_lines = (cell_lines + [(line_start + lead, line_start + lead + len(stripped), stripped)])[-_MAX_CELLS:]
            if _HEADER_END.fullmatch(stripped) or _ATTRIBUTE.fullmatch(stripped):
                found = _stacked_row(text, cell_lines, stacked_columns, stacked_width, units, year, deadline)
                if found is not None and found[0] == "header":
                    stacked_columns, stacked_width = found[1], found[2]
                    row_spans.append((cell_lines[-found[2]][0], cell_lines[-1][1]))
                elif found is not None:
                    row_spans.append(found[1])
                    targets.extend(found[2])
                cell_lines = []
            if " " not in stripped:
                continue
        else:
            cell_lines = []
        if "|" in line or "\t" in line or "  " in line or "\u3000\u3000" in line:
            cells = _cells(line)
        else:
            cells = _single_space_cells(line) if " " in stripped else None
        if cells is None:
            columns = None
            continue
        texts = [c for _, c in cells]
        if _SEPARATOR_ROW.fullmatch(line.strip()):
            row_spans.append((line_start, line_start + len(line)))
            continue
        header = _header_columns(texts, year) if _is_header(texts) else None
        if header:
            columns, header_width = header, len(texts)
            row_spans.append((line_start, line_start + len(line)))
            continue
        row_columns = columns
        if row_columns and len(texts) != header_width:
            row_columns = None
        if row_columns is None:
            row_columns = _default_columns(texts, units)
        if row_columns is None:
            continue
        row_spans.append((line_start, line_start + len(line)))
        targets.extend(_row_targets(line, line_start, cells, row_columns, year, deadline))
    return targets, row_spans


def _stacked_row(text, cell_lines, header: _Columns | None, width: int, units, year, deadline):
    """A header or a row laid out one cell per line: ("header", columns, width) or ("row", span, targets)."""
    texts = [t for _, _, t in cell_lines]
    if _HEADER_END.fullmatch(texts[-1]):
        first = next((i for i, t in enumerate(texts) if t.startswith("指标") or t in ("类别", "序号")), 0)
        columns = _header_columns(texts[first:], year)
        return ("header", columns, len(texts) - first) if columns else None
    if header and len(texts) >= width:
        chosen, columns = cell_lines[-width:], header
    else:
        numeric = [i for i, t in enumerate(texts) if _VALUE.match(t)]
        if len(numeric) < 2:
            return None
        name = numeric[0] - 1
        if name > 0 and (texts[name] in units or texts[name] == "%"):
            name -= 1  # the unit stands between the name and the numbers
        if name < 0:
            return None
        chosen = cell_lines[name:]
        columns = _default_columns([t for _, _, t in chosen], units)
        if columns is None:
            return None
    block_start, block_end = chosen[0][0], chosen[-1][1]
    cells = [(start - block_start, t) for start, _, t in chosen]
    block = text[block_start:block_end]
    return "row", (block_start, block_end), _row_targets(block, block_start, cells, columns, year, deadline)


def _row_targets(line, line_start, cells, columns: _Columns, year: int, deadline: date) -> list[TableTarget]:
    def cell(index):
        return cells[index][1] if index is not None and index < len(cells) else ""

    name = cell(columns.name)
    if not name or not re.search(r"[\u4e00-\u9fff]", name):
        return []
    unit = cell(columns.unit).strip("（）()") if columns.unit is not None else ""
    if unit in ("—", "-", ""):
        unit = columns.target_unit
    in_name = _UNIT_IN_NAME.search(name)
    if in_name and not unit:  # "地区生产总值（亿元）" in a table without a unit column
        unit, name = in_name.group(1), name[: in_name.start()]
    target_cell = cell(columns.target)
    if not unit:
        target_cell = _COUNTER_WITH_NOUN.sub("个", target_cell)
    in_value = _UNIT_IN_VALUE.search(target_cell) if not unit else None
    if in_value:  # "3.5亿美元", "6%左右" in a table without a unit column
        unit, target_cell = in_value.group(1), target_cell[: in_value.start()] + target_cell[in_value.end() :]
    unit = unit.replace("％", "%")
    if columns.target_year and columns.target_year > year:
        deadline = date(columns.target_year, 12, 31)
    name_start = line_start + cells[columns.name][0]
    sentence = line[cells[columns.name][0] :].rstrip(" \t\u3000|")
    metric, kind = name, "share" if unit == "%" else "level"
    if _REDUCTION_NAME.search(name):
        metric, kind = _REDUCTION_NAME.sub("", name), "reduction"
    elif unit == "%" and _GROWTH_NAME.search(name):
        # "地区生产总值增长 | % | 5.5左右": the metric is what grows, as in running text (地区生产总值增长5.5%左右).
        metric, kind = _GROWTH_NAME.sub("", name) or name, "growth"
    found = []
    target = _parse(target_cell)
    if target and unit:
        value, comparator, _, _, high = target
        found.append(TableTarget(name_start, sentence, metric, comparator, value, unit, kind, deadline,
                                 columns.target_year, high))
    growth = _parse(cell(columns.growth)) if columns.growth is not None else None
    if growth and growth[1] != "range":  # (a range of yearly rates is left to a reader)
        value, comparator, cumulative, has_percent, _ = growth
        if unit == "%":
            # The change of a percentage is counted in percentage points, over the period when in 〔〕.
            found.append(TableTarget(name_start, sentence, metric, comparator, value, "个百分点",
                                     "reduction" if kind == "reduction" else "share", deadline, columns.target_year))
        elif cumulative and not has_percent:
            found.append(TableTarget(name_start, sentence, metric, comparator, value, unit, "level", deadline,
                                     columns.target_year))
        else:
            found.append(TableTarget(name_start, sentence, metric, comparator, value, "%", "growth", deadline,
                                     columns.target_year))
    return [replace(target, plans_ahead=True) for target in found] if columns.plans_ahead else found
