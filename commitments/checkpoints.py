"""A pledge's schedule (分期计划: planned values at checkpoints) as the admin and the imports check it, and as one
spreadsheet cell writes it: "2025-03-31=10; 2025-06-30=25; 2025-09-30=38".

The engine reads the checkpoints of a pledge whose method in force is `schedule` (Pledge.terms); these are the rules
every way of entering them shares: a date within the pledge's period, one checkpoint per date.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from . import status as engine

# How the cell separates checkpoints, and a date from its value (after NFKC, which turns ；and ＝ into ; and =).
ENTRY_SEPARATORS = (";", "、", "\n")
VALUE_SEPARATOR = "="


def date_problem(day: date, start: date | None, deadline: date | None) -> str | None:
    """What is wrong with a checkpoint on `day` for a pledge running from `start` to `deadline`, or None."""
    if start is not None and day < start:
        return _("%(date)s is before the start date %(start)s") % {"date": day.isoformat(), "start": start.isoformat()}
    if deadline is not None and day > deadline:
        return _("%(date)s is after the deadline %(deadline)s") % {
            "date": day.isoformat(), "deadline": deadline.isoformat(),
        }
    return None


def repeated_date_problem(day: date) -> str:
    return _("%(date)s has more than one checkpoint") % {"date": day.isoformat()}


def as_text(schedule) -> str:
    """The cell's text: "2025-03-31=10; 2025-06-30=25", in date order."""
    return "; ".join(f"{day.isoformat()}={engine.format_number(value)}" for day, value in sorted(schedule))


def entries(text: str) -> list[tuple[str, str | None]]:
    """The cell cut into (date text, value text) pairs; value None when the entry has no "="."""
    for separator in ENTRY_SEPARATORS[1:]:
        text = text.replace(separator, ENTRY_SEPARATORS[0])
    pairs = []
    for entry in text.split(ENTRY_SEPARATORS[0]):
        if entry.strip():
            day, has_value, value = entry.partition(VALUE_SEPARATOR)
            pairs.append((day.strip(), value.strip() if has_value else None))
    return pairs
