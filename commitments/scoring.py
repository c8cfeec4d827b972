"""Scores (考核评分) of organizations for a period, and their ranking: pure functions of the pledges as of the period's
end (commitments.asof) and of the rules in force then (`ScoringRules.as_json`).

A pledge earns the points of its status, less the deduction for a late report and one for each instruction (批示)
open past its due date, never below 0. An organization's score is the weighted mean of the points of the pledges
led in its subtree, each weighing its category's weight (1 when the rules give none); an organization with no
pledge (or only weight 0) has no score and is not ranked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models_bulletins import DEFAULT_POINTS

TWO_PLACES = Decimal("0.01")


def default_rules() -> dict:
    return {
        "id": None,
        "points": {status.value: str(points) for status, points in DEFAULT_POINTS.items()},
        "late_report_deduction": "5",
        "overdue_instruction_deduction": "5",
        "weights": {},
    }


def pledge_points(status: str, *, late: bool, overdue_instructions: int, rules: dict) -> Decimal:
    points = Decimal(rules["points"].get(status, "0"))
    if late:
        points -= Decimal(rules["late_report_deduction"])
    points -= Decimal(rules["overdue_instruction_deduction"]) * overdue_instructions
    return max(points, Decimal(0))


def weight_of(category_id: int | None, rules: dict) -> Decimal:
    return Decimal(rules["weights"].get(str(category_id), "1")) if category_id else Decimal(1)


def scores(pledges, paths: dict[int, str], subjects: list[int], rules: dict) -> dict[int, tuple[Decimal, int]]:
    """{organization id: (score, pledges counted)} for each of `subjects` with any weighted pledge.

    `pledges`: asof.PledgeThen rows; `paths`: {organization id: tree_path} for every organization they are led by."""
    wanted = set(subjects)
    points = defaultdict(Decimal)
    weights = defaultdict(Decimal)
    counted = defaultdict(int)
    for p in pledges:
        weight = weight_of(p.category_id, rules)
        earned = pledge_points(p.status, late=p.late, overdue_instructions=p.overdue_instructions, rules=rules)
        for ancestor in paths.get(p.organization_id, "").strip("/").split("/"):
            if ancestor and int(ancestor) in wanted:
                organization_id = int(ancestor)
                points[organization_id] += weight * earned
                weights[organization_id] += weight
                counted[organization_id] += 1
    return {
        organization_id: ((points[organization_id] / weights[organization_id]).quantize(TWO_PLACES, ROUND_HALF_UP),
                          counted[organization_id])
        for organization_id in weights if weights[organization_id] > 0
    }


@dataclass
class Ranked:
    organization_id: int
    name: str
    score: Decimal
    pledges: int
    rank: int
    previous_rank: int | None

    @property
    def movement(self) -> str:
        """↑2 (two places up since the previous period), ↓1, – (same place), or "new" (not ranked then)."""
        if self.previous_rank is None:
            return "new"
        if self.previous_rank > self.rank:
            return f"↑{self.previous_rank - self.rank}"
        if self.previous_rank < self.rank:
            return f"↓{self.rank - self.previous_rank}"
        return "–"

    def as_json(self) -> dict:
        return {
            "organization_id": self.organization_id, "name": self.name, "score": str(self.score),
            "pledges": self.pledges, "rank": self.rank, "previous_rank": self.previous_rank, "movement": self.movement,
        }


def ranks(scored: dict[int, tuple[Decimal, int]], names: dict[int, str]) -> list[tuple[int, Decimal, int, int]]:
    """(organization id, score, pledges, rank), best first; equal scores share a rank (1, 2, 2, 4), then by name."""
    ordered = sorted(scored.items(), key=lambda item: (-item[1][0], names.get(item[0], ""), item[0]))
    rows, previous_score, rank = [], None, 0
    for position, (organization_id, (score, counted)) in enumerate(ordered, start=1):
        if score != previous_score:
            rank, previous_score = position, score
        rows.append((organization_id, score, counted, rank))
    return rows


def ranking(current: dict, previous: dict, names: dict[int, str]) -> list[Ranked]:
    """The ranking of the period, each with its rank in the previous period (None: not ranked then)."""
    before = {organization_id: rank for organization_id, _s, _n, rank in ranks(previous, names)}
    return [
        Ranked(organization_id, names.get(organization_id, str(organization_id)), score, counted, rank,
               before.get(organization_id))
        for organization_id, score, counted, rank in ranks(current, names)
    ]
