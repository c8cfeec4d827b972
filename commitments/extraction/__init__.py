"""Rule-based extraction of quantified, forward-looking targets ("pledges") from Chinese government documents.

``extract(text, year)`` returns one ``Draft`` per target, in document order.  It reads a document in four steps:

1. layout (layout.py): lines cut by a page break are joined (offsets still point into the original text),
   review sections (一、2024年工作回顾, 第一章 发展基础) are found, and the body that issues the document and the
   end of a plan's period are read from its title and opening lines;
2. indicator tables (tables.py): rows of a 主要指标表 give their target and yearly-rate columns, never the
   base-year column;
3. running text (clauses.py): clause by clause, with the tense of each clause and of the list it belongs to,
   "from A to B" read as the target B, responsible units from 责任单位/牵头单位 notes;
4. one draft per target: the same target stated twice (a summary and its detail, a table row and its sentence)
   is drafted once, from the fuller sentence (prose before a table row).

Work is linear in the length of the text; ``stop_after`` stops reading once more than that many are found.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import replace
from datetime import date

from .clauses import (
    _MEASURE_WORDS,
    COUNT_UNITS,
    SCALE_MULTIPLIERS,
    Draft,
    _clean_metric,
    chinese_numeral_to_int,
    extract_clauses,
    find_deadline,
    in_base_unit,
    split_chinese_scale,
)
from .layout import (
    deadline_notes,
    issuing_body,
    join_broken_lines,
    plan_period,
    responsible_units,
    review_spans,
    section_periods,
    subject_place,
    written_on,
)
from .tables import table_targets, task_rows

__all__ = [
    "COUNT_UNITS", "SCALE_MULTIPLIERS", "Draft", "chinese_numeral_to_int", "extract", "in_base_unit",
    "split_chinese_scale",
]

_TABLE_UNITS = frozenset(_MEASURE_WORDS) | COUNT_UNITS | {"亿元", "万元", "元", "万人", "亿美元", "万美元", "%", "个百分点"}


def extract(text: str, year: int, *, stop_after: int | None = None) -> list[Draft]:
    """Drafts in document order; with `stop_after`, reading stops once more than that many are found."""
    joined, offsets = join_broken_lines(text)
    plan = plan_period(joined, year)
    default_deadline = date(plan[1], 12, 31) if plan else None
    issuer = issuing_body(joined) or subject_place(joined)
    reviews = _merge(sorted(review_spans(joined, year)))
    tables, table_rows = table_targets(joined, year, default_deadline or date(year, 12, 31), _TABLE_UNITS)
    skipped = sorted(reviews + table_rows)
    units = responsible_units(joined)
    drafts, main_actor = extract_clauses(
        joined, year, stop_after=stop_after, skipped_spans=_merge(skipped), issuer=issuer,
        default_deadline=default_deadline, plan=plan, written_on=written_on(joined, year),
        assigned_spans=_merge([(a, b) for a, b, _ in units]),
    )
    table_drafts = [
        Draft(t.sentence, t.start, t.metric, t.comparator, t.value, t.value if t.high else None, t.high, t.unit,
              t.kind, t.deadline, main_actor or issuer)
        for t in tables
        # A table in a review section (a mid-term review's 主要指标完成情况) still sets targets for a later year;
        # a table whose target column is an earlier year reports how last year's plan went.
        if (not _in_spans(t.start, reviews) or (t.target_year or 0) > year or t.plans_ahead)
        and (t.target_year or year) >= year
    ]
    drafts = _assign_responsible_units(drafts + table_drafts, units)
    drafts = _assign_task_rows(drafts, task_rows(joined), year)
    drafts = _assign_due_notes(drafts, deadline_notes(joined), year, default_deadline or date(year, 12, 31))
    drafts = _assign_due_notes(drafts, section_periods(joined), year, default_deadline or date(year, 12, 31))
    drafts = _once_per_target(drafts, {(d.start, d.sentence) for d in table_drafts})
    if offsets.cuts:
        drafts = [_back_to_original(draft, text, offsets) for draft in drafts]
    drafts.sort(key=lambda d: d.start)
    return drafts


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _span_at(spans: list[tuple], position: int) -> int | None:
    """The index of the span of `spans` ((start, end, …), sorted by start, not overlapping) that holds `position`."""
    i = bisect.bisect_right(spans, (position, float("inf"))) - 1
    return i if i >= 0 and position < spans[i][1] else None


def _in_spans(position: int, spans: list[tuple[int, int]]) -> bool:
    return _span_at(spans, position) is not None


def _assign_responsible_units(drafts: list[Draft], units: list[tuple[int, int, str]]) -> list[Draft]:
    """A target in the item a 责任单位/牵头单位 note closes belongs to the unit the note names first."""
    result = []
    for draft in drafts:
        i = _span_at(units, draft.start)
        result.append(draft if i is None else replace(draft, owner=units[i][2]))
    return result


def _assign_task_rows(drafts: list[Draft], rows, year: int) -> list[Draft]:
    """A target in a row of a task table belongs to the row's 责任单位 and is due by its 完成时限."""
    spans = [(row.start, row.end) for row in rows]
    result = []
    for draft in drafts:
        i = _span_at(spans, draft.start)
        if i is not None:
            row = rows[i]
            changes = {}
            if row.owner:
                changes["owner"] = row.owner
            due = find_deadline(row.due, year) if row.due else None
            if due:
                changes["deadline"] = due
            draft = replace(draft, **changes)
        result.append(draft)
    return result


def _assign_due_notes(drafts: list[Draft], notes: list[tuple[int, int, str]], year: int, default: date) -> list[Draft]:
    """A target of a task closed by "完成时限：2026年11月底" is due then, unless its clause names its own period
    ("上半年完成80家"): only drafts still on the document's default deadline take the note's."""
    result = []
    for draft in drafts:
        i = _span_at(notes, draft.start) if draft.deadline == default else None
        if i is not None:
            due = find_deadline(notes[i][2], year)
            if due:
                draft = replace(draft, deadline=due)
        result.append(draft)
    return result


@functools.lru_cache(maxsize=4096)
def _metric_key(metric: str) -> str:
    return _clean_metric(metric).removeprefix("其中")


@functools.lru_cache(maxsize=4096)
def _character_pairs(key: str) -> frozenset[str]:
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def _same_target(a: Draft, b: Draft) -> bool:
    if a.kind != b.kind or a.value is None or b.value is None:
        return False
    key_a, key_b = _metric_key(a.metric), _metric_key(b.metric)
    if key_a == key_b:
        return len(key_a) >= 2
    # "推动规模以上工业增加值" and "规模以上工业增加值"; but 投资 is not 工业投资.
    shorter, longer = sorted((key_a, key_b), key=len)
    if len(shorter) >= 4 and shorter in longer:
        return True
    # 单位地区生产总值能耗 and 单位地区生产总值能源消耗: most of their pairs of characters are shared.
    pairs_a, pairs_b = _character_pairs(key_a), _character_pairs(key_b)
    return len(pairs_a & pairs_b) >= 0.6 * len(pairs_a | pairs_b) and len(pairs_a & pairs_b) >= 4


def _once_per_target(drafts: list[Draft], from_tables: set[tuple[int, str]]) -> list[Draft]:
    """The same target stated twice is drafted once: prose before a table row, then the longer sentence, then the
    earlier one.  Drafts sharing a sentence are different targets of one clause and are all kept."""
    def rank(d: Draft) -> tuple:
        return ((d.start, d.sentence) not in from_tables, len(d.sentence.strip()), -d.start)

    kept: list[Draft | None] = []
    by_amount: dict[tuple, list[int]] = {}  # (kind, amount in base unit) -> indexes in kept
    for draft in sorted(drafts, key=lambda d: d.start):
        amount = (draft.kind, in_base_unit(draft.value, draft.unit)) if draft.value is not None else None
        same = by_amount.setdefault(amount, []) if amount else []
        twin = next((i for i in same if kept[i].start != draft.start and _same_target(kept[i], draft)), None)
        if twin is None:
            same.append(len(kept))
            kept.append(draft)
        elif rank(draft) > rank(kept[twin]):
            kept[twin] = draft
    return kept


def _back_to_original(draft: Draft, text: str, offsets) -> Draft:
    """Offsets in the joined text back to the original: the sentence is the original's characters (with the page
    break inside it), so that text[start:start + len(sentence)] == sentence still holds."""
    if not draft.sentence:
        return draft
    start = offsets.original(draft.start)
    end = offsets.original(draft.start + len(draft.sentence) - 1) + 1
    return replace(draft, start=start, sentence=text[start:end])

