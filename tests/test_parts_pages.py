"""Pledges broken down into parts, on the pages: the pledge page shows its parts worst first with their share of the
target, and where a part belongs; the status table filters by level and by breakdown. A part's owner sees the whole
they contribute to, read-only, and only how many other parts there are.

The city's target: 全年新注册重大产业项目50个以上, split 20 / 15 / 15 among 通州, 海门 and 开发区 (invented figures).
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments import access, actions
from commitments.models import Membership, Pledge, ProgressUpdate
from commitments.status import Composition, TargetStatus
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.test_parts import break_down
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_july():
    with time_machine.travel(date(2025, 7, 10), tick=False):
        yield


def log_in(client, user):
    """Logged in, reading the pages in English (the assertions quote the English texts)."""
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


@pytest.fixture
def admin_client(client, staff):
    return log_in(client, staff)


def report(pledge, as_of, value, user=None):
    user = user or UserFactory(username="reporter-for-tests", is_superuser=True)
    return actions.do_record_progress(
        pledge, acting_user=user, as_of=date.fromisoformat(as_of), value=Decimal(value), **EXPLAINED
    )


@pytest.fixture
def projects(city, districts):
    """The city's sum and its three parts, reported on 30 June: 通州 ahead, 开发区 a little behind, 海门 far behind."""
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM)
    tongzhou, haimen, kaifa = break_down(whole, [(districts["通州"], 20), (districts["海门"], 15), (districts["开发"], 15)])
    for part, value in ((tongzhou, 11), (haimen, 5), (kaifa, "6.8")):
        report(part, "2025-03-31", Decimal(value) / 2)
        report(part, "2025-06-30", value)
    whole.refresh_from_db()
    return {"whole": whole, "通州": tongzhou, "海门": haimen, "开发": kaifa}


def member(organization, role="reporter", username="district-reporter"):
    user = UserFactory(username=username, is_staff=True)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


def page_of(client, pledge):
    return client.get(reverse("tracker-pledge", args=[pledge.pk]))


def listed(client, **params):
    return [row.record.pk for row in client.get(reverse("tracker-pledges"), params).context["table"].rows]


# --- The pledge page ------------------------------------------------------------------------------------


class TestBreakdownOnThePledgePage:
    def test_the_parts_are_listed_worst_first_with_their_share_of_the_target(self, admin_client, projects):
        response = page_of(admin_client, projects["whole"])
        rows = response.context["breakdown"].rows
        assert [(row.owner, row.pledge.target_status, row.share) for row in rows] == [
            ("海门", TargetStatus.OFF_TRACK, "30%"),  # 5 of the 7.46 expected by 30 June
            ("开发", TargetStatus.AT_RISK, "30%"),  # 6.8 of 7.46
            ("通州", TargetStatus.ON_TRACK, "40%"),  # 11 of 9.95
        ]
        page = response.content.decode()
        assert "The parts add up to this pledge" in page
        assert page.index("海门") < page.index("开发") < page.index("通州")
        assert response.context["breakdown"].hidden == 0 and "not shown" not in page

    def test_a_part_not_applicable_is_listed_last_with_its_reason(self, admin_client, projects, districts):
        rugao = OrganizationFactory(name="如皋市", short_name="如皋", parent=districts["通州"].parent)
        (extra,) = break_down(projects["whole"], [(rugao, 0)])
        extra.not_applicable, extra.not_applicable_reason = True, "园区调整，任务划转通州"
        extra.save()
        actions.do_recompute_status(extra)
        response = page_of(admin_client, projects["whole"])
        rows = response.context["breakdown"].rows
        assert rows[-1].pledge == extra
        assert "园区调整，任务划转通州" in rows[-1].status and "not applicable" in rows[-1].status
        assert 'class="not-applicable"' in response.content.decode()

    def test_a_sum_whose_parts_fall_short_says_so_as_a_warning(self, admin_client, projects):
        kaifa = projects["开发"]
        kaifa.target = Decimal(13)
        kaifa.save()
        page = page_of(admin_client, projects["whole"]).content.decode()
        assert '<p class="warning" role="note">' in page
        assert "The parts add up to 48个, 2个 short of the target 50个." in page

    def test_parts_that_add_up_give_no_warning(self, admin_client, projects):
        assert 'class="warning"' not in page_of(admin_client, projects["whole"]).content.decode()

    def test_the_chart_of_a_sum_stacks_its_parts_under_the_whole(self, admin_client, projects):
        response = page_of(admin_client, projects["whole"])
        chart = response.context["chart"]
        assert chart.kind == "stacked"
        assert [label for _css, label in chart.legend] == ["开发", "海门", "通州"]  # a stable order: deadline, then name
        # The top of the stack is the whole's value: 11 + 5 + 6.8 on 30 June, drawn through the same dots.
        assert chart.dots[-1][2] == "2025-06-30: 22.8个"
        assert projects["whole"].latest_value == Decimal("22.8")
        page = response.content.decode()
        assert page.count('<polygon class="band band-') == 3 and 'class="expected"' in page

    def test_a_total_split_by_year_is_stacked_year_on_year_and_named_by_year(self, admin_client, city):
        whole = PledgeFactory(lead_organization=city, composition=Composition.SUM, metric="涉海重大项目计划投资",
                              unit="亿元", target=Decimal(1500), deadline=date(2027, 12, 31))
        years = []
        for year in (2027, 2025, 2026):
            (part,) = break_down(whole, [(city, 500)], start_date=date(year, 1, 1), deadline=date(year, 12, 31))
            years.append(part)
        report(years[1], "2025-06-30", 240)
        chart = page_of(admin_client, whole).context["chart"]
        assert [label for _css, label in chart.legend] == ["南通 2025", "南通 2026", "南通 2027"]

    def test_the_chart_of_an_each_puts_the_parts_side_by_side_against_their_own_targets(self, admin_client, city,
                                                                                        districts):
        whole = PledgeFactory(lead_organization=city, composition=Composition.EACH, metric="研发投入占比", kind="share",
                              target=Decimal(3), unit="%", cumulative=False)
        tongzhou, haimen = break_down(whole, [(districts["通州"], 3), (districts["海门"], 3)])
        report(tongzhou, "2025-06-30", "3.3")
        report(haimen, "2025-06-30", "2.4")
        response = page_of(admin_client, whole)
        chart = response.context["chart"]
        assert chart.kind == "columns"
        assert [(c.label, c.value_text, c.css) for c in chart.columns] == [
            ("海门", "80%", "status-off_track"), ("通州", "110%", "status-achieved"),
        ]
        assert response.context["breakdown"].shows_share is False  # an each's parts are not shares of its target

    def test_a_part_names_the_pledges_it_belongs_to_up_to_the_top(self, admin_client, projects, districts):
        towns = [OrganizationFactory(name=f"{n}镇", short_name=n, parent=districts["通州"]) for n in ("金沙", "石港")]
        tongzhou = projects["通州"]
        tongzhou.composition = Composition.SUM
        tongzhou.save()
        jinsha, _shigang = break_down(tongzhou, [(towns[0], 12), (towns[1], 8)])
        response = page_of(admin_client, jinsha)
        assert response.context["ancestors"] == [projects["whole"], tongzhou]
        page = response.content.decode()
        crumbs = page[page.index('<nav class="part-of"'):page.index("</nav>", page.index('<nav class="part-of"'))]
        assert crumbs.index(reverse("tracker-pledge", args=[projects["whole"].pk])) < crumbs.index(
            reverse("tracker-pledge", args=[tongzhou.pk])
        )
        assert "Part of:" in crumbs

    def test_a_pledge_judged_from_its_parts_offers_no_progress_to_record_on_itself(self, admin_client, projects):
        page = page_of(admin_client, projects["whole"]).content.decode()
        assert reverse("admin:commitments_pledge_change", args=[projects["whole"].pk]) not in page
        assert "progress is recorded on each part" in page
        assert reverse("admin:commitments_pledge_change", args=[projects["通州"].pk]) in page_of(
            admin_client, projects["通州"]).content.decode()

    def test_the_page_query_count_does_not_grow_with_the_number_of_parts(self, admin_client, projects, city):
        url = reverse("tracker-pledge", args=[projects["whole"].pk])
        with CaptureQueriesContext(connection) as few:
            assert admin_client.get(url).status_code == 200
        for n in range(6):
            town = OrganizationFactory(name=f"新增单位{n}", short_name=f"新增{n}", parent=city)
            (part,) = break_down(projects["whole"], [(town, 1)])
            report(part, "2025-06-30", 1)
        with CaptureQueriesContext(connection) as many:
            response = admin_client.get(url)
        assert len(response.context["breakdown"].rows) == 9
        # session, user, the pledge, its co-owners, updates and status changes; the parts, each marked whether the
        # user may see it; the parts and their readings again for the chart (rollup.load_parts, the roll-up's own
        # reading); its revisions, and whether the user may request one; its instructions (批示); the header's to-do
        # count. A top pledge asks nothing for its ancestors.
        assert len(many) == len(few) == 13, [q["sql"] for q in many.captured_queries]


# --- What a part's owner sees of the whole ---------------------------------------------------------------


class TestAPartsOwner:
    def test_sees_their_own_part_in_the_whole_and_only_how_many_others_there_are(self, client, projects, districts):
        log_in(client, member(districts["通州"]))
        response = page_of(client, projects["whole"])
        assert response.status_code == 200
        breakdown = response.context["breakdown"]
        assert [row.pledge for row in breakdown.rows] == [projects["通州"]]
        assert breakdown.hidden == 2
        page = response.content.decode()
        assert "2 other parts are not shown." in page
        assert "海门" not in page and "开发" not in page  # not in the table, the chart or its legend
        assert "other parts (not shown)" in page  # their total is one grey band: the whole's value says as much
        assert [label for _css, label in response.context["chart"].legend] == ["通州", None]

    def test_cannot_open_a_sibling_part(self, client, projects, districts):
        log_in(client, member(districts["通州"]))
        assert page_of(client, projects["海门"]).status_code == 404

    def test_reads_the_whole_but_cannot_record_progress_on_it(self, client, projects, districts):
        user = member(districts["通州"])
        whole = projects["whole"]
        log_in(client, user)
        part_page = page_of(client, projects["通州"]).content.decode()
        assert reverse("tracker-pledge", args=[whole.pk]) in part_page  # "Part of: …"
        assert reverse("admin:commitments_pledge_change", args=[projects["通州"].pk]) in part_page  # their own: yes
        assert access.can_see(user, whole) and not access.can_report(user, whole)
        whole_page = page_of(client, whole).content.decode()
        assert reverse("admin:commitments_pledge_change", args=[whole.pk]) not in whole_page
        # The admin shows the whole without the form for new updates, and refuses one posted anyway.
        admin_page = client.get(reverse("admin:commitments_pledge_change", args=[whole.pk])).content.decode()
        assert 'name="updates-0-value"' not in admin_page
        before = ProgressUpdate.objects.count()
        quick_entry = reverse("admin:commitments_progressupdate_add")
        client.post(quick_entry, {"pledge": whole.pk, "as_of": "2025-06-30", "value": "30"})
        assert ProgressUpdate.objects.count() == before

    def test_the_citys_manager_sees_every_part(self, client, projects, city):
        log_in(client, member(city, role="manager", username="city-manager"))
        breakdown = page_of(client, projects["whole"]).context["breakdown"]
        assert len(breakdown.rows) == 3 and breakdown.hidden == 0


# --- The status table -------------------------------------------------------------------------------------


class TestLevelFilter:
    @pytest.fixture
    def tree(self, projects, districts):
        """The city's sum, its three parts, two towns under 通州, and a pledge of its own elsewhere."""
        towns = [OrganizationFactory(name=f"{n}镇", short_name=n, parent=districts["通州"]) for n in ("金沙", "石港")]
        tongzhou = projects["通州"]
        tongzhou.composition = Composition.SUM
        tongzhou.save()
        jinsha, shigang = break_down(tongzhou, [(towns[0], 12), (towns[1], 8)])
        alone = PledgeFactory(lead_organization=districts["海门"], metric="独立指标")
        return projects | {"金沙": jinsha, "石港": shigang, "alone": alone}

    def test_top_lists_only_pledges_that_are_nobodys_part(self, admin_client, tree):
        assert sorted(listed(admin_client, level="top")) == sorted([tree["whole"].pk, tree["alone"].pk])

    def test_all_is_every_level_and_the_default(self, admin_client, tree):
        assert len(listed(admin_client, level="all")) == Pledge.objects.count() == len(listed(admin_client))

    def test_part_of_lists_the_whole_breakdown_below_a_pledge(self, admin_client, tree):
        below_city = {tree[k].pk for k in ("通州", "海门", "开发", "金沙", "石港")}
        assert set(listed(admin_client, part_of=tree["whole"].pk)) == below_city
        assert set(listed(admin_client, part_of=tree["通州"].pk)) == {tree["金沙"].pk, tree["石港"].pk}
        assert listed(admin_client, part_of=tree["whole"].pk, level="top") == []

    def test_part_of_a_pledge_the_user_may_not_see_gives_nothing(self, client, tree, districts):
        log_in(client, member(districts["海门"], role="manager", username="haimen-manager"))
        assert listed(client, part_of=tree["通州"].pk) == []  # 通州's towns: not theirs, and 通州 is hidden from them
        assert listed(client, part_of=tree["whole"].pk) == [tree["海门"].pk]  # the whole they contribute to: their part
        assert listed(client, part_of="not-a-number") == []

    def test_the_printed_heading_names_the_level_and_the_breakdown(self, admin_client, tree):
        response = admin_client.get(reverse("tracker-pledges"), {"level": "top"})
        assert ("level", "top-level pledges only") in response.context["active_filters"]
        response = admin_client.get(reverse("tracker-pledges"), {"part_of": tree["whole"].pk})
        assert ("breakdown of", str(tree["whole"])) in response.context["active_filters"]
        page = response.content.decode()
        assert "Every part below “新注册重大产业项目” (南通) that you may see." in page
        assert f'name="part_of" value="{tree["whole"].pk}"' in page  # the form keeps it

    def test_a_part_says_what_it_is_part_of_under_its_metric(self, admin_client, tree):
        page = admin_client.get(reverse("tracker-pledges"), {"part_of": tree["whole"].pk}).content.decode()
        assert '<small class="part-of">' in page
        assert reverse("tracker-pledge", args=[tree["whole"].pk]) in page

    def test_the_table_query_count_does_not_grow_with_the_number_of_parts(self, admin_client, tree, city):
        url = reverse("tracker-pledges")
        with CaptureQueriesContext(connection) as few:
            admin_client.get(url)
        for n in range(10):
            town = OrganizationFactory(name=f"新增单位{n}", parent=city)
            break_down(tree["whole"], [(town, 1)])
        with CaptureQueriesContext(connection) as many:
            admin_client.get(url)
        assert len(many) == len(few)
