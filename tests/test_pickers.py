"""Drop-downs of the status table's filters with thousands of organizations or documents stay small: they list the
top of the tree (or the newest documents) and the chosen one, and a search box beside them finds the rest
(/pick/<kind>/, only what the user may choose). Issue 18."""

import pytest
from django.urls import reverse

from commitments.filters import PICKER_OPTIONS, top_of_tree
from commitments.models import Membership
from tests.factories import OrganizationFactory, SourceDocumentFactory, UserFactory
from tests.test_browser import CHROMIUM, browser  # noqa: F401  (the module's Chromium, shared)


def test_the_top_levels_that_fit_are_listed_and_the_chosen_one_too():
    tree = [(1, "省", 0)] + [(10 + n, f"市{n}", 1) for n in range(20)] + [(100 + n, f"单位{n}", 2) for n in range(500)]
    shown = top_of_tree(tree, selected="350", most=100)
    assert [row[0] for row in shown] == [1, *range(10, 30), 350]
    assert len(top_of_tree(tree, selected="", most=10)) == 1  # the province alone fits


@pytest.fixture
def many_offices(db):
    city = OrganizationFactory(name="示例市", level="city")
    offices = [OrganizationFactory(name=f"示例单位{n:03d}", parent=city) for n in range(PICKER_OPTIONS + 20)]
    return city, offices


def organization_options(page: str) -> int:
    select = page[page.index('name="organization"'):]
    return select[: select.index("</select>")].count("<option")


@pytest.mark.django_db
class TestStatusTableFilters:
    def test_a_long_organization_list_is_cut_to_the_top_of_the_tree_with_a_search_box(self, client, staff, many_offices):
        client.force_login(staff)
        page = client.get(reverse("tracker-pledges")).content.decode()
        assert organization_options(page) <= PICKER_OPTIONS + 2  # the blank choice, and the chosen one
        assert 'data-picker="/pick/organizations/"' in page

    def test_any_organization_can_still_be_chosen_from_the_url_and_shows_as_chosen(self, client, staff, many_offices):
        city, offices = many_offices
        client.force_login(staff)
        page = client.get(reverse("tracker-pledges"), {"organization": offices[-1].pk}).content.decode()
        assert f'<option value="{offices[-1].pk}" selected>' in page

    def test_a_short_list_is_shown_whole_without_a_search_box(self, client, staff, city, district):
        client.force_login(staff)
        page = client.get(reverse("tracker-pledges")).content.decode()
        assert organization_options(page) == 3 and "data-picker" not in page.split('name="organization"')[1].split(">")[0]

    def test_a_long_document_list_shows_the_newest_and_a_search_box(self, client, staff):
        documents = [SourceDocumentFactory(title=f"文件{n:03d}") for n in range(PICKER_OPTIONS + 5)]
        client.force_login(staff)
        page = client.get(reverse("tracker-pledges"), {"document": documents[0].pk}).content.decode()
        select = page[page.index('name="document"'):]
        select = select[: select.index("</select>")]
        assert 'data-picker="/pick/documents/"' in select
        assert documents[-1].title in select and f'<option value="{documents[0].pk}" selected>' in select
        assert select.count("<option") == PICKER_OPTIONS + 2


@pytest.mark.django_db
class TestSearchBox:
    def test_it_finds_organizations_by_a_part_of_their_name(self, client, staff, many_offices):
        client.force_login(staff)
        found = client.get(reverse("tracker-pick", args=["organizations"]), {"q": "单位11"}).json()["results"]
        assert sorted(row["text"] for row in found) == [f"示例单位{n}" for n in range(110, 120)]

    def test_it_offers_only_what_the_user_may_choose(self, client, many_offices, city, district):
        manager = UserFactory()
        Membership.objects.create(user=manager, organization=district, role=Membership.Role.MANAGER)
        client.force_login(manager)
        found = client.get(reverse("tracker-pick", args=["organizations"]), {"q": "单位"}).json()["results"]
        assert found == []  # the offices are under another city
        assert client.get(reverse("tracker-pick", args=["organizations"]), {"q": "通州"}).json()["results"] == [
            {"id": district.pk, "text": district.name}
        ]

    def test_at_most_twenty_answers_and_unknown_kinds_are_not_found(self, client, staff, many_offices):
        client.force_login(staff)
        assert len(client.get(reverse("tracker-pick", args=["organizations"]), {"q": "示例"}).json()["results"]) == 20
        assert client.get(reverse("tracker-pick", args=["users"]), {"q": "a"}).status_code == 404

    def test_it_needs_a_login(self, client, many_offices):
        assert client.get(reverse("tracker-pick", args=["organizations"]), {"q": "示例"}).status_code == 302


@pytest.mark.slow
@pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_typing_in_the_search_box_puts_the_matches_in_the_drop_down(browser, live_server, transactional_db):  # noqa: F811
    city = OrganizationFactory(name="示例市", level="city")
    for n in range(PICKER_OPTIONS + 20):
        OrganizationFactory(name=f"示例单位{n:03d}", parent=city)
    deep = OrganizationFactory(name="很深的科室", parent=OrganizationFactory(name="某单位下属", parent=city))
    UserFactory(username="boss", password="boss-pass-12345", is_staff=True, is_superuser=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/pledges/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "boss-pass-12345")
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{live_server.url}/pledges/")
    assert page.locator("select[name=organization] option", has_text="很深的科室").count() == 0
    page.locator("input.picker-search").first.fill("很深")
    page.wait_for_selector("select[name=organization] option:has-text('很深的科室')", state="attached")
    page.select_option("select[name=organization]", str(deep.pk))
    assert page.input_value("select[name=organization]") == str(deep.pk)
    context.close()
