"""Targets broken down into parts: how a parent is judged from its parts, and the roll-up through the one write path.

A city target (全年新注册重大产业项目50个以上) is split among districts (通州 20, 海门 15, 开发区 15): a `sum`. A ratio every
district must reach (研发投入占比不低于3%) is an `each`. A pledge with supporting tasks keeps its `own` figure.
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from commitments import actions, jobs
from commitments import status as engine
from commitments.models import Pledge, StatusChange
from commitments.status import Composition, PartStanding, TargetStatus
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.explained import EXPLAINED

IN_JULY = time_machine.travel(date(2025, 7, 10), tick=False)


def d(text):
    return date.fromisoformat(text)


# --- The rules, on plain values (no database) ----------------------------------------------------------------


class TestSumOfParts:
    def test_the_parent_value_on_a_date_is_the_sum_of_each_parts_latest_value_up_to_it(self):
        tongzhou = [(d("2025-03-31"), Decimal(4)), (d("2025-06-30"), Decimal(9))]
        haimen = [(d("2025-04-30"), Decimal(6))]
        assert engine.sum_of_parts([tongzhou, haimen]) == [
            (d("2025-03-31"), Decimal(4)),  # 海门 has not reported yet: it adds nothing
            (d("2025-04-30"), Decimal(10)),
            (d("2025-06-30"), Decimal(15)),
        ]

    def test_no_part_has_reported(self):
        assert engine.sum_of_parts([[], []]) == []

    def test_a_five_year_total_split_into_years_adds_the_years_up(self):
        year_2021 = [(d("2021-12-31"), Decimal(48))]
        year_2022 = [(d("2022-03-31"), Decimal(12))]
        assert engine.sum_of_parts([year_2021, year_2022])[-1] == (d("2022-03-31"), Decimal(60))


class TestEach:
    TERMS = engine.Terms(kind="share", comparator=">=", deadline=d("2025-12-31"), target=Decimal(3), unit="%")

    def test_achieved_when_every_counted_part_is(self):
        parts = [PartStanding("通州", TargetStatus.ACHIEVED), PartStanding("海门", TargetStatus.ACHIEVED)]
        assert engine.assess_each(self.TERMS, parts, d("2025-07-10")).target_status == TargetStatus.ACHIEVED

    def test_otherwise_the_worst_status_among_them_with_how_many_are_achieved(self):
        parts = [
            PartStanding("通州", TargetStatus.ACHIEVED),
            PartStanding("海门", TargetStatus.AT_RISK),
            PartStanding("如皋", TargetStatus.OFF_TRACK),
            PartStanding("启东", TargetStatus.ACHIEVED),
            PartStanding("开发区", TargetStatus.ACHIEVED),
        ]
        assessment = engine.assess_each(self.TERMS, parts, d("2025-07-10"))
        assert assessment.target_status == TargetStatus.OFF_TRACK
        with translation.override("en"):
            assert assessment.reason.text() == "3 of 5 parts achieved; the worst: 如皋 (off track)."

    def test_parts_that_have_not_reported_leave_it_without_data(self):
        parts = [PartStanding("通州", TargetStatus.ACHIEVED), PartStanding("海门", TargetStatus.NO_DATA)]
        assert engine.assess_each(self.TERMS, parts, d("2025-07-10")).target_status == TargetStatus.NO_DATA

    def test_the_parent_itself_is_never_late_with_a_report(self):
        parts = [PartStanding("通州", TargetStatus.ON_TRACK)]
        assert engine.assess_each(self.TERMS, parts, d("2025-07-10")).reporting_status == engine.ReportingStatus.OK


class TestBreakdownGap:
    def test_parts_short_of_the_parent_target(self):
        assert engine.breakdown_gap(Decimal(50), [Decimal(20), Decimal(15), Decimal(13)]) == Decimal(2)

    def test_parts_that_add_up(self):
        assert engine.breakdown_gap(Decimal(50), [Decimal(20), Decimal(15), Decimal(15)]) is None

    def test_parts_beyond_the_parent_target(self):
        assert engine.breakdown_gap(Decimal(50), [Decimal(30), Decimal(25)]) == Decimal(-5)


# --- Through the database and the write path ---------------------------------------------------------------


@pytest.fixture
def reporter(db):
    return UserFactory(username="reporter", is_superuser=True)


def break_down(parent, owners_and_targets, **part_fields):
    """Parts of `parent`, one per (organization, target), in its unit and period."""
    fields = {
        "metric": parent.metric, "kind": parent.kind, "comparator": parent.comparator, "unit": parent.unit,
        "cumulative": parent.cumulative, "start_date": parent.start_date, "deadline": parent.deadline,
    } | part_fields
    parts = []
    for owner, target in owners_and_targets:
        part = Pledge(parent=parent, lead_organization=owner, target=Decimal(target), **fields)
        part.full_clean()
        part.save()
        actions.do_recompute_status(part)
        parts.append(part)
    return parts


def report(user, pledge, as_of, value):
    return actions.do_record_progress(pledge, acting_user=user, as_of=d(as_of), value=Decimal(value), **EXPLAINED)


def fresh(pledge):
    pledge.refresh_from_db()
    return pledge


@pytest.fixture
def projects(city, districts):
    """全年新注册重大产业项目50个以上, split 20 / 15 / 15."""
    with IN_JULY:
        parent = PledgeFactory(lead_organization=city, composition=Composition.SUM)
        parts = break_down(parent, [(districts["通州"], 20), (districts["海门"], 15), (districts["开发"], 15)])
    return parent, parts


@pytest.mark.django_db
class TestSum:
    def test_the_parent_value_is_computed_from_its_parts_not_typed_in(self, projects, reporter):
        parent, (tongzhou, haimen, kaifa) = projects
        with IN_JULY:
            report(reporter, tongzhou, "2025-06-30", 11)
            report(reporter, haimen, "2025-06-30", 8)
            report(reporter, kaifa, "2025-05-31", 5)
        parent = fresh(parent)
        assert parent.latest_value == Decimal(24)
        assert parent.latest_as_of == d("2025-06-30")
        assert parent.updates.count() == 0
        # The line runs from 0 on 1 January to 50 on 31 December: 24.9 expected on 30 June, and 24 is 97% of it.
        assert parent.target_status == TargetStatus.ON_TRACK

    def test_a_part_not_applicable_leaves_the_roll_up(self, projects, reporter):
        parent, (tongzhou, haimen, kaifa) = projects
        with IN_JULY:
            report(reporter, tongzhou, "2025-06-30", 11)
            report(reporter, kaifa, "2025-06-30", 7)
            kaifa.not_applicable, kaifa.not_applicable_reason = True, "园区调整，任务划转通州"
            kaifa.full_clean()
            kaifa.save()
            actions.do_recompute_status(kaifa)
        assert fresh(parent).latest_value == Decimal(11)

    def test_parts_must_speak_the_unit_of_the_sum(self, projects, districts):
        parent, _parts = projects
        part = Pledge(parent=parent, lead_organization=districts["通州"], metric="项目", target=5, unit="亿元",
                      start_date=parent.start_date, deadline=parent.deadline)
        with pytest.raises(ValidationError) as error:
            part.full_clean()
        assert "unit" in error.value.message_dict

    def test_a_part_may_not_end_after_its_parent(self, projects, districts):
        parent, _parts = projects
        part = Pledge(parent=parent, lead_organization=districts["通州"], metric="项目", target=5, unit="个",
                      start_date=parent.start_date, deadline=d("2026-06-30"))
        with pytest.raises(ValidationError) as error:
            part.full_clean()
        assert "deadline" in error.value.message_dict

    def test_not_applicable_needs_a_reason(self, projects):
        _parent, (tongzhou, *_rest) = projects
        tongzhou.not_applicable = True
        with pytest.raises(ValidationError) as error:
            tongzhou.full_clean()
        assert "not_applicable_reason" in error.value.message_dict


@pytest.mark.django_db
class TestEachThroughTheWritePath:
    def test_status_comes_from_the_parts_with_how_many_are_achieved(self, city, districts, reporter):
        with IN_JULY:
            parent = PledgeFactory(
                lead_organization=city, composition=Composition.EACH, metric="研发投入占比", kind="share",
                target=Decimal(3), unit="%", cumulative=False, baseline=Decimal(2), baseline_date=d("2024-12-31"),
            )
            tongzhou, haimen, kaifa = break_down(parent, [(districts["通州"], 3), (districts["海门"], 3), (districts["开发"], 3)],
                                                 baseline=Decimal(2), baseline_date=d("2024-12-31"))
            report(reporter, tongzhou, "2025-06-30", "3.1")
            report(reporter, haimen, "2025-06-30", "3.2")
            report(reporter, kaifa, "2025-06-30", "2.1")
        parent = fresh(parent)
        assert parent.target_status == TargetStatus.OFF_TRACK
        with translation.override("en"):
            assert parent.status_reason_text == "2 of 3 parts achieved; the worst: 开发 (off track)."
        assert parent.latest_value is None  # an `each` has no summed value

    def test_a_not_applicable_part_does_not_count(self, city, districts, reporter):
        with IN_JULY:
            parent = PledgeFactory(lead_organization=city, composition=Composition.EACH, kind="share", target=3,
                                   unit="%", cumulative=False)
            tongzhou, haimen = break_down(parent, [(districts["通州"], 3), (districts["海门"], 3)])
            report(reporter, tongzhou, "2025-06-30", "3.4")
            haimen.not_applicable, haimen.not_applicable_reason = True, "统计口径调整"
            haimen.save()
            actions.do_recompute_status(haimen)
        assert fresh(parent).target_status == TargetStatus.ACHIEVED


@pytest.mark.django_db
def test_own_keeps_the_parents_figure_and_its_parts_beside_it(city, districts, reporter):
    with IN_JULY:
        parent = PledgeFactory(lead_organization=city, composition=Composition.OWN)
        (tongzhou,) = break_down(parent, [(districts["通州"], 20)])
        report(reporter, tongzhou, "2025-06-30", 20)
        report(reporter, parent, "2025-06-30", 12)
    assert fresh(tongzhou).target_status == TargetStatus.ACHIEVED
    parent = fresh(parent)
    assert parent.latest_value == Decimal(12)
    assert parent.target_status == TargetStatus.OFF_TRACK


@pytest.mark.django_db
def test_a_part_counts_for_its_parent_only_once_approved(projects, districts):
    parent, (tongzhou, *_rest) = projects
    districts["通州"].requires_approval = True
    districts["通州"].save()
    clerk, checker = UserFactory(username="clerk", is_superuser=True), UserFactory(username="checker", is_superuser=True)
    with IN_JULY:
        update = report(clerk, tongzhou, "2025-06-30", 12)
        assert fresh(parent).latest_value is None
        actions.do_review_update(update, acting_user=checker, approve=True)
    assert fresh(parent).latest_value == Decimal(12)


@pytest.mark.django_db
def test_a_three_level_tree_updated_from_the_bottom(city, districts, reporter):
    """City 50 → 通州 20 → two towns 12 + 8: a town's report reaches the city in the same transaction."""
    towns = [OrganizationFactory(name=f"{n}镇", parent=districts["通州"]) for n in ("金沙", "石港")]
    with IN_JULY:
        city_pledge = PledgeFactory(lead_organization=city, composition=Composition.SUM)
        tongzhou, haimen = break_down(city_pledge, [(districts["通州"], 20), (districts["海门"], 30)])
        tongzhou.composition = Composition.SUM
        tongzhou.save()
        jinsha, shigang = break_down(tongzhou, [(towns[0], 12), (towns[1], 8)])
        report(reporter, haimen, "2025-06-30", 14)
        report(reporter, jinsha, "2025-06-30", 7)
        changes_before = StatusChange.objects.filter(pledge=city_pledge).count()
        report(reporter, shigang, "2025-06-30", 4)
    assert fresh(tongzhou).latest_value == Decimal(11)
    city_pledge = fresh(city_pledge)
    assert city_pledge.latest_value == Decimal(25)
    assert city_pledge.target_status == TargetStatus.ON_TRACK
    assert StatusChange.objects.filter(pledge=city_pledge).count() == changes_before + 1  # at risk → on track
    assert jinsha.depth == 2 and jinsha.ancestor_ids() == [city_pledge.pk, tongzhou.pk]


@pytest.mark.django_db
def test_updates_of_several_parts_in_one_go_reassess_their_parent_once(projects, reporter):
    parent, (tongzhou, haimen, kaifa) = projects
    from commitments.models import ProgressUpdate

    with IN_JULY:
        actions.do_record_updates(
            [ProgressUpdate(pledge=p, as_of=d("2025-06-30"), value=Decimal(v), **EXPLAINED) for p, v in ((tongzhou, 3), (haimen, 2), (kaifa, 1))],
            acting_user=reporter,
        )
    assert StatusChange.objects.filter(pledge=parent).exclude(from_status="").count() == 1
    assert fresh(parent).latest_value == Decimal(6)


@pytest.mark.django_db
class TestNightly:
    def test_an_each_follows_a_part_the_overdue_sweep_moved(self, city, districts, reporter):
        with IN_JULY:
            parent = PledgeFactory(lead_organization=city, composition=Composition.EACH, kind="share", target=3,
                                   unit="%", cumulative=False)
            early, late = break_down(parent, [(districts["通州"], 3), (districts["海门"], 3)])
            early.deadline = d("2025-09-30")
            early.save()
            report(reporter, late, "2025-06-30", "3.2")
            report(reporter, early, "2025-06-30", "2.9")
        with time_machine.travel(date(2025, 10, 2), tick=False):
            jobs.sweep_statuses()
        parent = fresh(parent)
        assert fresh(early).target_status == TargetStatus.OVERDUE
        assert parent.target_status == TargetStatus.OVERDUE
        with translation.override("en"):
            assert "1 of 2 parts achieved" in parent.status_reason_text

    def test_a_full_recompute_gives_what_the_write_path_gave(self, projects, reporter):
        parent, (tongzhou, haimen, kaifa) = projects
        with IN_JULY:
            report(reporter, tongzhou, "2025-06-30", 11)
            report(reporter, haimen, "2025-06-30", 8)
            before = fresh(parent).assessed_values()
            Pledge.objects.filter(pk=parent.pk).update(target_status=TargetStatus.NO_DATA, latest_value=None, parts_series=None)
            jobs.sweep_statuses(full=True)
        after = fresh(parent).assessed_values()
        for field in ("target_status", "latest_value", "latest_as_of", "parts_series", "status_reason", "expected_now"):
            assert after[field] == before[field], field


@pytest.mark.django_db
def test_a_sum_whose_parts_do_not_add_up_says_by_how_much(projects):
    parent, (tongzhou, haimen, kaifa) = projects
    kaifa.target = Decimal(13)
    kaifa.save()
    with translation.override("en"):
        assert parent.breakdown_shortfall() == "The parts add up to 48个, 2个 short of the target 50个."
        kaifa.target = Decimal(15)
        kaifa.save()
        assert parent.breakdown_shortfall() is None
        haimen.not_applicable, haimen.not_applicable_reason = True, "划转"
        haimen.save()
        assert parent.breakdown_shortfall() == "The parts add up to 35个, 15个 short of the target 50个."


@pytest.mark.django_db
def test_a_part_not_applicable_is_not_judged_nor_chased(projects):
    _parent, (tongzhou, haimen, kaifa) = projects
    with IN_JULY:
        kaifa.not_applicable, kaifa.not_applicable_reason = True, "园区调整"
        kaifa.save()
        actions.do_recompute_status(kaifa)
    kaifa = fresh(kaifa)
    assert kaifa.target_status == TargetStatus.NO_DATA
    with translation.override("en"):
        assert kaifa.status_reason_text == "Not applicable: 园区调整"
    with time_machine.travel(date(2026, 1, 5), tick=False):
        jobs.sweep_statuses()
        jobs.queue_reminders(date(2026, 1, 5))
    assert fresh(kaifa).target_status == TargetStatus.NO_DATA  # never overdue
    assert fresh(tongzhou).target_status == TargetStatus.OVERDUE
    assert not kaifa.notifications.exists()


@pytest.mark.django_db
def test_a_suspended_part_leaves_the_shortfall_and_the_sum(projects, reporter):
    parent, (tongzhou, haimen, kaifa) = projects
    with IN_JULY:
        report(reporter, tongzhou, "2025-06-30", 11)
        report(reporter, haimen, "2025-06-30", 8)
        haimen.suspended, haimen.suspended_reason = True, "项目暂缓审批"
        haimen.save()
        actions.do_recompute_status(haimen)
    with translation.override("en"):
        assert parent.breakdown_shortfall() == "The parts add up to 35个, 15个 short of the target 50个."
    assert fresh(parent).latest_value == Decimal(11)
