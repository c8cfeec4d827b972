"""The demo data: every labelled pledge of both seed documents, some broken down into parts, loadable twice with the
same result."""

import json
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from commitments import actions
from commitments.models import Organization, Pledge, ProgressUpdate, SourceDocument, StatusChange
from commitments.status import Composition, TargetStatus

pytestmark = pytest.mark.django_db

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "demo.json"
SHARED_GOLD = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds" / "gold"
DEMO_DAY = date(2026, 11, 23)


def seed_items():
    return json.loads(SEEDS.read_text(encoding="utf-8"))["pledges"]


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
    assert first["Pledge"] == len(seed_items()) and first["SourceDocument"] == 2
    assert Pledge.objects.filter(source_document__isnull=False).count() == 31  # the labelled ones


@time_machine.travel(date(2026, 11, 23), tick=False)
def test_the_demo_shows_every_status():
    call_command("load_seeds")
    shown = set(Pledge.objects.values_list("target_status", flat=True))
    assert shown == set(TargetStatus.values)


def test_each_pledge_keeps_its_owner_deadline_and_exact_source_sentence():
    call_command("load_seeds")
    for pledge in Pledge.objects.select_related("source_document", "lead_organization"):
        if pledge.source_document is not None:  # the invented parts and totals have no source
            assert pledge.source_sentence in pledge.source_document.full_text
        assert pledge.lead_organization.parent is not None or pledge.lead_organization.level == "city"
    kfq = Pledge.objects.get(metric="招引人才科创项目")
    assert (kfq.lead_organization.short_name, kfq.deadline, kfq.target) == ("南通开发区", date(2025, 6, 30), 100)


@pytest.mark.skipif(not SHARED_GOLD.exists(), reason="../shared/seeds is not beside this checkout")
def test_the_seeds_hold_every_hand_labelled_pledge():
    shipped = {(p["sentence"], p["metric"], p["value"], p["deadline"]) for p in seed_items() if "document" in p}
    labelled = {
        (g["sentence"], g["metric"], g["value"], g["deadline"])
        for path in SHARED_GOLD.glob("*.jsonl")
        for g in map(json.loads, path.read_text(encoding="utf-8").splitlines())
    }
    assert shipped == labelled


# --- Pledges broken down into parts -------------------------------------------------------------------------------


def rolled_up():
    columns = ("pk", "tree_path", "target_status", "latest_value", "parts_series", "status_reason")
    return list(Pledge.objects.order_by("pk").values_list(*columns))


def broken_down(composition):
    return Pledge.objects.filter(composition=composition, parts__isnull=False).distinct()


@time_machine.travel(DEMO_DAY, tick=False)
def test_the_demo_breaks_down_a_sum_among_places_an_each_and_a_total_by_year():
    call_command("load_seeds")
    by_place = Pledge.objects.get(metric="新注册重大产业项目", composition=Composition.SUM)
    assert by_place.source_document is not None  # a labelled pledge of the documents
    assert sorted(by_place.parts.values_list("lead_organization__short_name", "target")) == [
        ("川姜", 15), ("平潮", 15), ("高新区", 20),
    ]
    each = Pledge.objects.get(metric="全社会研发投入占比", composition=Composition.EACH)
    assert each.lead_organization.short_name == "通州" and each.parts.count() == 4
    assert each.parts.get(not_applicable=True).not_applicable_reason
    (by_year,) = [
        p for p in broken_down(Composition.SUM) if p.parts.values("lead_organization").distinct().count() == 1
    ]
    years = sorted(part.deadline.year for part in by_year.parts.all())
    assert years == [2025, 2026, 2027] and by_year.target == sum(part.target for part in by_year.parts.all())
    # The year 2025 is the document's own annual pledge (今年计划投资近500亿元).
    assert by_year.parts.get(deadline__year=2025).source_sentence == "今年计划投资近500亿元"


@time_machine.travel(DEMO_DAY, tick=False)
def test_the_parents_are_judged_from_their_parts():
    call_command("load_seeds")
    parents = list(broken_down(Composition.SUM)) + list(broken_down(Composition.EACH))
    assert len(parents) >= 3
    for parent in parents:
        counted = parent.parts.filter(not_applicable=False)
        if parent.composition == Composition.SUM:
            assert parent.latest_value == sum(part.latest_value or 0 for part in counted), parent.metric
            assert not parent.updates.exists()  # computed, never typed in
        else:
            assert parent.latest_value is None
        engine = actions.assess_pledge(parent)
        assert (parent.target_status, parent.status_reason) == (engine.target_status, engine.reason.as_json())
    each = broken_down(Composition.EACH).get()
    assert each.target_status == TargetStatus.OVERDUE  # 平潮 fell short; 石港, not applicable, does not count
    counted = each.parts.filter(not_applicable=False)
    assert set(counted.values_list("target_status", flat=True)) == {"achieved", "overdue"}


def test_every_invented_part_and_total_says_it_is_demo_data():
    call_command("load_seeds")
    invented = Pledge.objects.filter(source_document__isnull=True)
    assert invented.count() == len([item for item in seed_items() if "document" not in item]) > 0
    for pledge in invented:
        assert "演示数据" in pledge.notes, pledge
    for pledge in Pledge.objects.filter(parent__isnull=False):
        assert all("演示数据" in note for note in pledge.updates.values_list("note", flat=True)), pledge


@time_machine.travel(DEMO_DAY, tick=False)
def test_loading_twice_rolls_nothing_up_again():
    call_command("load_seeds")
    before = rolled_up()
    call_command("load_seeds")
    assert rolled_up() == before


@time_machine.travel(DEMO_DAY, tick=False)
def test_demo_data_loaded_before_pledges_had_parts_gets_its_breakdown(tmp_path):
    """A demo database loaded from the flat seeds of before: its pledges are matched on their sentence, put in place,
    and the invented parts added."""
    flat = json.loads(SEEDS.read_text(encoding="utf-8"))
    flat["pledges"] = [
        {field: value for field, value in item.items() if field not in ("key", "parent", "composition")}
        for item in flat["pledges"] if "document" in item
    ]
    (tmp_path / "demo.json").write_text(json.dumps(flat, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "documents").symlink_to(SEEDS.parent / "documents")
    call_command("load_seeds", file=str(tmp_path / "demo.json"))
    assert not Pledge.objects.filter(parent__isnull=False).exists()

    call_command("load_seeds")

    assert Pledge.objects.count() == len(seed_items())
    sea_2025 = Pledge.objects.get(source_sentence="今年计划投资近500亿元")
    assert sea_2025.parent.composition == Composition.SUM and sea_2025.parent.parts.count() == 3
    projects = Pledge.objects.get(source_sentence="全年新注册重大产业项目50个以上")
    assert projects.composition == Composition.SUM
    assert projects.latest_value == sum(part.latest_value for part in projects.parts.all())
