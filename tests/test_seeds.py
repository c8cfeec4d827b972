"""The demo data: every labelled pledge of both seed documents, loadable twice with the same result."""

import json
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from commitments.models import Organization, Pledge, ProgressUpdate, SourceDocument, StatusChange
from commitments.status import TargetStatus

pytestmark = pytest.mark.django_db

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "demo.json"
SHARED_GOLD = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds" / "gold"


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Organization, SourceDocument, Pledge, ProgressUpdate, StatusChange)
    }


@time_machine.travel(date(2026, 11, 23), tick=False)
def test_loading_the_seeds_twice_leaves_the_same_counts():
    call_command("load_seeds")
    first = counts()
    call_command("load_seeds")
    assert counts() == first
    assert first["Pledge"] == 31 and first["SourceDocument"] == 2


@time_machine.travel(date(2026, 11, 23), tick=False)
def test_the_demo_shows_every_status():
    call_command("load_seeds")
    shown = set(Pledge.objects.values_list("target_status", flat=True))
    assert shown == set(TargetStatus.values)


def test_each_pledge_keeps_its_owner_deadline_and_exact_source_sentence():
    call_command("load_seeds")
    for pledge in Pledge.objects.select_related("source_document", "lead_organization"):
        assert pledge.source_sentence in pledge.source_document.full_text
        assert pledge.lead_organization.parent is not None or pledge.lead_organization.level == "city"
    kfq = Pledge.objects.get(metric="招引人才科创项目")
    assert (kfq.lead_organization.short_name, kfq.deadline, kfq.target) == ("南通开发区", date(2025, 6, 30), 100)


@pytest.mark.skipif(not SHARED_GOLD.exists(), reason="../shared/seeds is not beside this checkout")
def test_the_seeds_hold_every_hand_labelled_pledge():
    shipped = {(p["sentence"], p["metric"], p["value"], p["deadline"]) for p in json.loads(SEEDS.read_text())["pledges"]}
    labelled = {
        (g["sentence"], g["metric"], g["value"], g["deadline"])
        for path in SHARED_GOLD.glob("*.jsonl")
        for g in map(json.loads, path.read_text(encoding="utf-8").splitlines())
    }
    assert shipped == labelled
