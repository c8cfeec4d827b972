"""The kept status counts (commitments.counts) and the summary page that reads them.

The summary counts pledges by status, by organization and by category from a small table kept up to date as pledges
change, instead of counting every pledge on each request. So every way a pledge's status, lead organization, category
or parent changes, and every way a pledge comes or goes, must leave that table equal to a count of the pledges
themselves. The page shows top-level pledges by default (the city reads the whole, not the whole plus its parts
twice) and every level on request.
"""

from datetime import date
from decimal import Decimal

import pytest
import tablib
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments import access, actions, counts, jobs
from commitments.models import Category, Membership, Pledge, ProgressUpdate, StatusCount
from commitments.resources import PledgeResource, import_all_or_nothing
from commitments.status import Composition, TargetStatus
from tests.factories import CategoryFactory, OrganizationFactory, PledgeFactory, UserFactory
from tests.test_admin import change_form_data
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_july():
    with time_machine.travel(date(2025, 7, 10), tick=False):
        yield


def assert_counts_are_right():
    assert counts.stored() == counts.counted_live()


@pytest.fixture
def haimen(city):
    return OrganizationFactory(name="海门区", short_name="海门", level="district", parent=city)


def part_of(parent, owner, target, **fields):
    part = Pledge(
        parent=parent, lead_organization=owner, target=Decimal(target), metric=parent.metric, kind=parent.kind,
        comparator=parent.comparator, unit=parent.unit, cumulative=parent.cumulative, start_date=parent.start_date,
        deadline=parent.deadline, **fields,
    )
    part.full_clean()
    part.save()
    actions.do_recompute_status(part)
    return part


@pytest.fixture
def breakdown(city, district, haimen):
    """全年新注册重大产业项目50个以上 for the city, split between 通州 (30) and 海门 (20); assessed."""
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM, category=CategoryFactory())
    actions.do_recompute_status(whole)
    return {"whole": whole, "tongzhou": part_of(whole, district, 30), "haimen": part_of(whole, haimen, 20)}


def record(pledge, value, as_of=date(2025, 6, 30), user=None):
    return actions.do_record_progress(pledge, acting_user=user, as_of=as_of, value=Decimal(value), **EXPLAINED)


# --- Every kind of change keeps the counts equal to a live count ------------------------------------------


def test_a_new_pledge_is_counted_under_its_lead_organization_category_and_level(district):
    pledge = PledgeFactory(lead_organization=district, category=CategoryFactory())
    assert counts.stored() == {(district.pk, pledge.category_id, True, TargetStatus.NO_DATA): 1}


def test_recording_progress_on_a_part_moves_it_and_every_pledge_above_it(breakdown):
    record(breakdown["tongzhou"], 27)  # ahead of its line: on track
    record(breakdown["haimen"], 2)  # far behind: off track
    statuses = dict(Pledge.objects.values_list("pk", "target_status"))
    assert statuses[breakdown["tongzhou"].pk] == TargetStatus.ON_TRACK
    assert statuses[breakdown["whole"].pk] != TargetStatus.NO_DATA
    assert_counts_are_right()


def test_an_update_awaiting_approval_moves_nothing_until_it_is_approved(breakdown, district):
    district.requires_approval = True
    district.save()
    update = record(breakdown["tongzhou"], 27, user=UserFactory(username="reporter"))
    assert update.review_state == ProgressUpdate.Review.PENDING
    before = counts.stored()
    assert before == counts.counted_live()

    actions.do_review_update(update, acting_user=UserFactory(username="reviewer", is_superuser=True), approve=True)

    assert counts.stored() != before
    assert_counts_are_right()


def test_the_overdue_sweep_moves_what_its_one_update_flagged(breakdown, district):
    PledgeFactory.create_batch(3, lead_organization=district)
    record(breakdown["tongzhou"], 27)
    assert jobs.flag_overdue(date(2026, 1, 1)) == 6
    assert_counts_are_right()  # from the batch's GROUP BY alone: no rebuild ran


def test_the_nightly_recompute_and_roll_up_move_what_they_reassess(breakdown, district):
    never_assessed = PledgeFactory(lead_organization=district)
    record(breakdown["tongzhou"], 27)
    Pledge.objects.filter(pk=breakdown["whole"].pk).update(status_assessed_on=None)  # the roll-up judges it anew
    with time_machine.travel(date(2025, 10, 10), tick=False):
        result = jobs.recompute_open(date(2025, 10, 10), full=True)
    assert result["assessed"] >= 4 and Pledge.objects.get(pk=never_assessed.pk).status_assessed_on is not None
    assert_counts_are_right()


def test_the_nightly_sweep_ends_by_counting_again_so_any_drift_heals(breakdown):
    StatusCount.objects.update(n=999)  # e.g. rows changed by hand in SQL
    jobs.sweep_statuses(date(2025, 7, 10))
    assert_counts_are_right()


def test_the_rebuild_command_counts_every_pledge_again(breakdown):
    StatusCount.objects.all().delete()
    call_command("rebuild_counts", stdout=None)
    assert counts.stored() and counts.stored() == counts.counted_live()


class TestAdminEdits:
    @pytest.fixture
    def admin_client(self, client, staff):
        client.force_login(staff)
        return client

    def edit(self, admin_client, pledge, **changes):
        url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
        data = change_form_data(admin_client.get(url)) | changes
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors

    def test_a_new_lead_organization(self, admin_client, breakdown, city):
        self.edit(admin_client, breakdown["haimen"], lead_organization=str(city.pk))
        assert Pledge.objects.get(pk=breakdown["haimen"].pk).lead_organization == city
        assert_counts_are_right()

    def test_a_new_category(self, admin_client, breakdown):
        other = CategoryFactory(name="项目攻坚")
        self.edit(admin_client, breakdown["whole"], category=str(other.pk))
        assert_counts_are_right()

    def test_a_pledge_made_a_part_of_another_and_a_part_made_whole(self, admin_client, breakdown, district):
        alone = PledgeFactory(lead_organization=district)
        self.edit(admin_client, alone, parent=str(breakdown["whole"].pk))
        assert Pledge.objects.get(pk=alone.pk).parent_id == breakdown["whole"].pk
        assert_counts_are_right()
        self.edit(admin_client, breakdown["tongzhou"], parent="")
        assert Pledge.objects.get(pk=breakdown["tongzhou"].pk).parent_id is None
        assert_counts_are_right()



def test_deleted_pledges_one_or_many_at_once(breakdown, district):
    breakdown["haimen"].delete()
    assert_counts_are_right()
    PledgeFactory.create_batch(3, lead_organization=district)
    Pledge.objects.filter(parent__isnull=True, lead_organization=district).delete()
    assert_counts_are_right()


def test_a_save_of_some_fields_moves_only_what_it_wrote(breakdown):
    pledge = Pledge.objects.get(pk=breakdown["haimen"].pk)
    Pledge.objects.filter(pk=pledge.pk).update(target_status=TargetStatus.AT_RISK)
    assert counts.stored() != counts.counted_live()  # a write behind the counts' back (what the rebuild heals)
    counts.rebuild()
    pledge.category = CategoryFactory(name="项目攻坚")
    pledge.save(update_fields=["category"])  # the stale status in memory is not written, so it does not count
    assert_counts_are_right()


def test_deleting_a_category_leaves_its_pledges_counted_without_one(breakdown):
    Category.objects.all().delete()
    assert_counts_are_right()
    assert all(key[1] == 0 for key in counts.stored())


def test_imported_pledges_are_counted_and_a_dry_run_counts_nothing(district, staff):
    headers = ["id", "metric", "kind", "comparator", "target", "unit", "cumulative", "start_date", "deadline",
               "cadence", "lead_organization", "tolerance"]
    row = ["", "新增科技型企业", "level", ">=", "30", "家", "1", "2025-01-01", "2025-12-31", "quarterly", "通州区", "0.05"]
    dataset = tablib.Dataset(row, headers=headers)
    PledgeResource(user=staff).import_data(dataset, dry_run=True)
    assert counts.stored() == {}
    result, stored = import_all_or_nothing(PledgeResource, dataset, staff)
    assert stored and Pledge.objects.count() == 1
    assert_counts_are_right()


def test_the_seeds_and_the_factories_are_counted(db):
    with time_machine.travel(date(2026, 11, 23), tick=False):
        call_command("load_seeds", stdout=None)
    PledgeFactory.create_batch(3)
    assert_counts_are_right()


# --- The summary page ------------------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, staff):
    client.force_login(staff)
    return client


def summary(client, **params):
    return client.get(reverse("tracker-summary"), params).context


@pytest.fixture
def slipping(breakdown):
    """The city's total on track; 海门's part off track."""
    record(breakdown["tongzhou"], 40)
    record(breakdown["haimen"], 1)
    return breakdown


def overall(context):
    return {item["status"]: item["count"] for item in context["overall"] if item["count"]}


def org_totals(context):
    return {row["label"].short_name: row["total"] for row in context["org_rows"]}


def test_by_default_it_shows_top_level_pledges_only_and_says_so(manager_client, slipping):
    context = summary(manager_client)
    assert context["top_only"] and context["total"] == 1
    assert overall(context) == {Pledge.objects.get(pk=slipping["whole"].pk).target_status: 1}
    assert org_totals(context) == {"南通": 1}  # the city's whole; the districts' parts are in it
    assert [row.record.metric for row in context["attention"].rows] == []  # 海门's part slips inside the whole
    page = manager_client.get(reverse("tracker-summary")).content.decode()
    assert "?level=all" in page


def test_every_number_links_to_the_status_table_at_the_same_level(manager_client, slipping):
    context = summary(manager_client)
    links = [item["url"] for item in context["overall"]] + [context["total_url"]]
    links += [url for row in context["org_rows"] + context["category_rows"] for _, _, url in row["cells"]]
    links += [row["total_url"] for row in context["org_rows"] + context["category_rows"]]
    assert all("level=top" in url for url in links)
    assert all("level=" not in url for _, _, url in summary(manager_client, level="all")["org_rows"][0]["cells"])


def test_every_level_on_request_with_each_part_under_the_organization_that_leads_it(manager_client, slipping, city):
    context = summary(manager_client, level="all")
    assert not context["top_only"] and context["total"] == 3
    assert overall(context)[TargetStatus.OFF_TRACK] == 1
    assert org_totals(context) == {"南通": 3, "通州": 1, "海门": 1}  # a city row counts everything under the city
    assert [row.record.metric for row in context["attention"].rows] == [slipping["haimen"].metric]
    assert [row["label"].name for row in context["category_rows"]] == ["产业创新"]
    assert context["uncategorized"] == 2  # the parts have no category of their own


def test_the_status_changes_of_the_week_follow_the_level(manager_client, slipping):
    record(slipping["haimen"], 20, as_of=date(2025, 7, 9))  # 海门 catches up: a change of a part
    top = [row["change"].pledge_id for row in summary(manager_client)["recent_changes"]]
    every = [row["change"].pledge_id for row in summary(manager_client, level="all")["recent_changes"]]
    assert slipping["haimen"].pk in every and slipping["haimen"].pk not in top


def test_the_page_reads_the_kept_counts_not_the_pledges(manager_client, slipping, city):
    StatusCount.objects.filter(organization_id=city.pk, top_level=True).exclude(n=0).update(n=7)
    assert summary(manager_client)["total"] == 7


def test_the_page_needs_the_same_queries_however_many_pledges(manager_client, slipping, district):
    def queries(**params):
        with CaptureQueriesContext(connection) as captured:
            assert manager_client.get(reverse("tracker-summary"), params).status_code == 200
        return len(captured)

    few = queries(), queries(level="all")
    PledgeFactory.create_batch(40, lead_organization=district)
    for _ in range(10):
        part_of(slipping["whole"], district, 1)
    assert (queries(), queries(level="all")) == few


@pytest.mark.parametrize("level", ["top", "all"])
def test_a_user_with_a_scope_sees_the_counts_of_what_they_see(client, slipping, district, haimen, level):
    """A 海门 manager sees 海门's part, the whole it belongs to (led by the city), and a pledge of 通州 that 海门 co-owns:
    the first from the kept counts, the other two counted live. Not 通州's part."""
    co_owned = PledgeFactory(lead_organization=district, metric="跨区合作项目")
    co_owned.co_owners.add(haimen)
    actions.do_recompute_status(co_owned)
    manager = UserFactory(username="haimen-manager")
    Membership.objects.create(user=manager, organization=haimen, role=Membership.Role.MANAGER)
    client.force_login(manager)

    context = summary(client, level=level)

    visible = access.pledges_for(manager)
    if level == "top":
        visible = visible.filter(parent__isnull=True)
    live = {}
    for status in visible.values_list("target_status", flat=True):
        live[status] = live.get(status, 0) + 1
    assert overall(context) == live
    assert context["total"] == (2 if level == "top" else 3)
    assert org_totals(context) == ({} if level == "top" else {"海门": 1})


# --- The roll-up's cost does not grow with the number of siblings -------------------------------------------


def test_recording_an_update_on_a_leaf_needs_the_same_queries_with_5_or_50_siblings(city, district):
    def queries_with(siblings):
        root = PledgeFactory(lead_organization=city, composition=Composition.SUM, target=Decimal(siblings * 100))
        middle = part_of(root, city, siblings * 10)
        middle.composition = Composition.EACH
        middle.save()
        leaves = [part_of(middle, district, 10) for _ in range(siblings)]
        for leaf in leaves[1:]:
            record(leaf, 5, as_of=date(2025, 3, 31))
        with CaptureQueriesContext(connection) as captured:
            record(leaves[0], 6)
        return len(captured)

    assert queries_with(5) == queries_with(50)
    assert_counts_are_right()
