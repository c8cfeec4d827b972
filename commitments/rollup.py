"""Pledges broken down into parts: reading a parent's parts from the database and judging the parent from them.

The rules are the status engine's (`status.sum_of_parts`, `status.assess_each`); this module only loads what they
read, a level at a time: the parts' stored statuses, their approved readings, and the stored sums of parts that are
sums themselves (`Pledge.parts_series`), so that judging a parent never reads below its own parts. It is shared by the
write path (`actions.do_recompute_status` goes up from a part to the top) and the nightly job (`jobs.roll_up`, many
parents per query, the deepest first).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q

from . import status as engine
from .models import Pledge, ProgressUpdate
from .status import Composition, Reading


@dataclass(frozen=True)
class Part:
    id: int
    parent_id: int
    name: str
    status: str
    not_applicable: bool
    suspended: bool
    series: list  # [(date, Decimal)]: the values its parent sums


def derives_from_parts() -> Q:
    """Pledges whose status comes from their parts: a `sum` or an `each` that has parts."""
    return Q(composition__in=[Composition.SUM, Composition.EACH]) & Q(Exists(Pledge.objects.filter(parent=OuterRef("pk"))))


def load_parts(parents: list[Pledge], today: date) -> dict[int, list[Part]]:
    """{parent id: its parts}, in two queries whatever the number of parents and parts (one when no parent sums)."""
    summing = [p.pk for p in parents if p.composition == Composition.SUM]
    rows = list(
        Pledge.objects.filter(parent_id__in=[p.pk for p in parents]).values_list(
            "id", "parent_id", "not_applicable", "suspended", "target_status", "parts_series",
            "lead_organization__short_name", "lead_organization__name",
        ).order_by("id")
    )
    readings = defaultdict(list)
    if summing:
        updates = ProgressUpdate.objects.filter(
            pledge__parent_id__in=summing, review_state=ProgressUpdate.Review.APPROVED, value__isnull=False
        ).values_list("pledge_id", "as_of", "value", "id", "supersedes_id")
        for pledge_id, as_of, value, update_id, supersedes_id in updates:
            readings[pledge_id].append(Reading(as_of, value, None, None, update_id, supersedes_id))
    parts = defaultdict(list)
    for pledge_id, parent_id, not_applicable, suspended, status, stored_sum, short_name, name in rows:
        # A part that is itself a sum of parts contributes its stored sum; any other part, its own readings.
        series = series_from_json(stored_sum) if stored_sum is not None else engine.series_of(readings[pledge_id], today)
        parts[parent_id].append(
            Part(pledge_id, parent_id, short_name or name, status, not_applicable, suspended, series)
        )
    return parts


def assess_from_parts(pledge: Pledge, parts: list[Part], today: date, rules: engine.Rules, *, schedule=None):
    """(assessment, stored sum or None) of a pledge judged from its parts; parts not applicable do not count.
    `schedule`: the pledge's checkpoints when the caller loaded them with many others (else Pledge.terms reads them)."""
    if pledge.set_aside:  # suspended or not applicable itself: not judged, whatever its parts (the engine says why)
        return engine.assess(pledge.terms(schedule=()), [], today, rules), None
    counted = [part for part in parts if not (part.not_applicable or part.suspended)]  # set aside: left out
    if pledge.composition == Composition.EACH:
        standings = [engine.PartStanding(part.name, part.status) for part in counted]
        return engine.assess_each(pledge.terms(schedule=()), standings, today), None  # it reads no checkpoint
    summed = engine.sum_of_parts(part.series for part in counted)
    terms = pledge.terms(schedule=schedule)
    assessment = engine.assess(terms, engine.readings_from_series(summed), today, rules, reported_by_parts=True)
    return assessment, series_to_json(summed)


def series_to_json(series) -> list:
    return [[day.isoformat(), engine.format_number(value)] for day, value in series]


def series_from_json(stored) -> list[tuple[date, Decimal]]:
    return [(date.fromisoformat(day), Decimal(value)) for day, value in stored or []]
