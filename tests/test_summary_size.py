"""The summary stays small however many organizations there are: its organization matrix shows the top of the tree,
one more level while it fits, and a ▸ link to open each organization whose children are folded (issue 18)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from commitments import actions
from commitments.counts import SUMMARY_ORGANIZATION_ROWS, fold_organizations
from commitments.models import Membership
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory


@dataclass
class Org:
    """Enough of an organization for fold_organizations: an id, a parent and a tree path."""

    pk: int
    parent_id: int | None
    tree_path: str

    @property
    def depth(self):
        return self.tree_path.count("/") - 2

    def ancestor_ids(self):
        return [int(part) for part in self.tree_path.strip("/").split("/")][:-1]


def province(cities: int, offices_per_city: int) -> list:
    """One province, its cities, and the offices of each city, in tree order, each with one pledge counted."""
    top = Org(1, None, "/1/")
    rows, next_id = [(top, {"on_track": 1})], 2
    for _ in range(cities):
        city = Org(next_id, 1, f"/1/{next_id}/")
        rows.append((city, {"on_track": 1}))
        next_id += 1
        for _ in range(offices_per_city):
            rows.append((Org(next_id, city.pk, f"{city.tree_path}{next_id}/"), {"off_track": 1}))
            next_id += 1
    return rows


class TestFolding:
    def test_a_province_of_two_thousand_offices_shows_the_province_and_its_cities_only(self):
        rows = fold_organizations(province(cities=20, offices_per_city=99))
        assert len(rows) == 21
        assert [row.indent for row in rows[:2]] == [0, 1]
        assert rows[0].folded == 0  # its cities are shown
        assert {row.folded for row in rows[1:]} == {99}  # each city's offices are folded under it

    def test_a_small_tree_is_shown_whole(self):
        rows = fold_organizations(province(cities=3, offices_per_city=5))
        assert len(rows) == 19 and all(row.folded == 0 for row in rows)

    def test_the_next_level_is_shown_only_when_all_of_it_fits(self):
        rows = fold_organizations(province(cities=3, offices_per_city=20), budget=60)
        assert len(rows) == 4  # 1 + 3 + 60 offices would be 64

    def test_opening_one_organization_shows_it_and_the_ones_under_it(self):
        tree = province(cities=20, offices_per_city=99)
        city = tree[1][0]
        rows = fold_organizations(tree, under=city)
        assert rows[0].organization is city and rows[0].indent == 0
        assert len(rows) == 100 and all(row.indent == 1 for row in rows[1:])

    def test_never_more_rows_than_the_budget_below_the_top(self):
        for cities, offices in ((1, 3000), (60, 30), (200, 10)):
            rows = fold_organizations(province(cities, offices))
            assert len(rows) <= max(SUMMARY_ORGANIZATION_ROWS, 1 + cities)


def matrix(response) -> str:
    """The organization matrix of a summary page (the attention table above it names owners too)."""
    page = response.content.decode()
    return page[page.index('id="by-organization"'):page.index("</table>", page.index('id="by-organization"'))]


@pytest.mark.django_db
class TestSummaryPage:
    @pytest.fixture
    def big_city(self, staff):
        with time_machine.travel(date(2025, 10, 10), tick=False):
            city = OrganizationFactory(name="示例市", level="city")
            districts = [OrganizationFactory(name=f"示例区{n}", level="district", parent=city) for n in range(3)]
            offices = [OrganizationFactory(name=f"区属单位{d}-{n}", parent=district)
                       for d, district in enumerate(districts) for n in range(25)]
            for office in offices:
                actions.do_recompute_status(PledgeFactory(lead_organization=office, target=Decimal(10)))
        return city, districts, offices

    def test_the_matrix_folds_the_offices_under_their_districts(self, client, staff, big_city):
        city, districts, offices = big_city
        client.force_login(staff)
        page = matrix(client.get(reverse("tracker-summary")))
        assert "示例区0" in page and "区属单位0-0" not in page
        assert f"?under={districts[0].pk}" in page and "25" in page

    def test_opening_a_district_shows_its_offices_and_a_way_back(self, client, staff, big_city):
        city, districts, offices = big_city
        client.force_login(staff)
        page = matrix(client.get(reverse("tracker-summary"), {"under": districts[1].pk}))
        assert "区属单位1-0" in page and "区属单位1-24" in page and "区属单位0-0" not in page
        assert "#by-organization" in page

    def test_an_organization_outside_what_the_user_sees_cannot_be_opened(self, client, big_city):
        city, districts, offices = big_city
        reporter = UserFactory()
        Membership.objects.create(user=reporter, organization=districts[0], role=Membership.Role.MANAGER)
        client.force_login(reporter)
        assert client.get(reverse("tracker-summary"), {"under": districts[0].pk}).status_code == 200
        assert client.get(reverse("tracker-summary"), {"under": districts[1].pk}).status_code == 404
        assert client.get(reverse("tracker-summary"), {"under": "x"}).status_code == 404

    def test_the_page_does_not_grow_with_the_offices_folded_under_the_top(self, client, staff, big_city):
        city, districts, offices = big_city
        client.force_login(staff)
        before = len(client.get(reverse("tracker-summary")).content)
        with time_machine.travel(date(2025, 10, 10), tick=False):
            for n in range(40):
                actions.do_recompute_status(PledgeFactory(
                    lead_organization=OrganizationFactory(name=f"新增单位{n}", parent=districts[2]), target=Decimal(10)))
        after = len(client.get(reverse("tracker-summary")).content)
        assert after - before < 200  # only the district's folded count changed (25 → 65), and the totals
