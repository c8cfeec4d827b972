"""My to-do page (我的待办, issue 16 item 3): what waits for each signed-in user, with where it is done, and its count
in the header. Reporters see their late reports and returned updates, reviewers the updates and requests of others
awaiting them, administrators the drafts found in documents; the page costs the same queries however much waits."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from commitments import actions, todo
from commitments.models import Membership, PledgeDraft, ProgressUpdate, Revision
from commitments.status import ReportingStatus
from tests.factories import OrganizationFactory, PledgeFactory, SourceDocumentFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 10, 10)  # the third quarter's report (due after 30 September) is late


@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def world(district):
    """通州区 asks for approval of its updates. Two reporters and a reviewer there, an administrator; 如皋市, elsewhere,
    has its own reporter and late pledge."""
    district.requires_approval = True
    district.save()
    users = {}
    for name, role in (("reporter", "reporter"), ("colleague", "reporter"), ("reviewer", "reviewer"), ("administrator", "administrator")):
        users[name] = UserFactory(username=name, is_staff=True)
        Membership.objects.create(user=users[name], organization=district, role=role)
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    users["outsider"] = UserFactory(username="outsider", is_staff=True)
    Membership.objects.create(user=users["outsider"], organization=elsewhere, role="reporter")
    late = PledgeFactory(lead_organization=district, metric="本区迟报指标")
    other_late = PledgeFactory(lead_organization=elsewhere, metric="外地迟报指标")
    for pledge in (late, other_late):
        actions.do_recompute_status(pledge)
    return {"users": users, "district": district, "late": late, "other_late": other_late}


def record(pledge, user, value=40, as_of=date(2025, 9, 30)):
    return actions.do_record_progress(pledge, acting_user=user, as_of=as_of, value=Decimal(value))


def todo_page(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switcher's choice
    response = client.get(reverse("tracker-todo"))
    assert response.status_code == 200
    return response


def listed(response, key):
    """The rows of one section, as (row, link) pairs."""
    section = next(section for section in response.context["sections"] if section.section.key == key)
    return section.items


def test_a_reporter_sees_their_late_report_with_the_form_to_record_it_and_not_another_organizations(client, world):
    assert world["late"].reporting_status == ReportingStatus.LATE
    response = todo_page(client, world["users"]["reporter"])
    items = listed(response, "reports")
    assert [pledge for pledge, _link in items] == [world["late"]]
    assert items[0][1] == f"{reverse('admin:commitments_progressupdate_add')}?pledge={world['late'].pk}"


def test_a_closed_or_suspended_pledge_is_not_chased(client, world):
    from commitments.models import Pledge

    Pledge.objects.filter(pk=world["late"].pk).update(closed=True)
    assert listed(todo_page(client, world["users"]["reporter"]), "reports") == []
    Pledge.objects.filter(pk=world["late"].pk).update(closed=False, suspended=True)
    assert listed(todo_page(client, world["users"]["reporter"]), "reports") == []


def test_a_reporter_sees_their_returned_update_until_they_correct_it_and_not_a_colleagues(client, world):
    users = world["users"]
    mine = record(world["late"], users["reporter"])
    theirs = record(PledgeFactory(lead_organization=world["district"]), users["colleague"])
    for update in (mine, theirs):
        actions.do_review_update(update, acting_user=users["reviewer"], approve=False, comment="数据口径不对")
    items = listed(todo_page(client, users["reporter"]), "returned")
    assert [update for update, _link in items] == [mine]
    assert items[0][1] == f"{reverse('admin:commitments_progressupdate_add')}?pledge={world['late'].pk}&supersedes={mine.pk}"
    form = client.get(items[0][1]).content.decode()  # the correction form, filled in with the pledge and the update
    assert f'<option value="{world["late"].pk}" selected>' in form
    assert f'name="supersedes" value="{mine.pk}"' in form

    actions.do_record_updates(
        [ProgressUpdate(pledge=world["late"], as_of=mine.as_of, value=Decimal(41), supersedes=mine)], acting_user=users["reporter"]
    )
    assert listed(todo_page(client, users["reporter"]), "returned") == []


def test_a_reviewer_sees_the_updates_and_requests_of_others_awaiting_them_never_their_own(client, world):
    users = world["users"]
    theirs = record(world["late"], users["reporter"])
    record(world["other_late"], users["outsider"])  # another organization's: not this reviewer's to review
    Membership.objects.create(user=users["reviewer"], organization=world["district"], role="reporter")
    own = record(PledgeFactory(lead_organization=world["district"]), users["reviewer"])
    request = actions.do_request_revision(
        Revision(pledge=world["late"], kind=Revision.Change.SUSPEND, reason="政策调整"), acting_user=users["reporter"]
    )
    actions.do_request_revision(
        Revision(pledge=own.pledge, kind=Revision.Change.SUSPEND, reason="自己的申请"), acting_user=users["reviewer"]
    )
    response = todo_page(client, users["reviewer"])
    assert [(update, link) for update, link in listed(response, "review")] == [
        (theirs, reverse("admin:commitments_progressupdate_change", args=[theirs.pk]))
    ]
    assert [(revision, link) for revision, link in listed(response, "revisions")] == [
        (request, reverse("admin:commitments_revision_change", args=[request.pk]))
    ]
    assert listed(todo_page(client, users["reporter"]), "review") == []  # a reporter reviews nothing


def test_an_administrator_confirms_drafts_and_no_one_else_sees_them(client, world):
    document = SourceDocumentFactory()
    draft = PledgeDraft.objects.create(document=document, sentence="全年新增就业1万人", position=0, metric="新增就业",
                                       kind="level", comparator=">=", value=Decimal(1), unit="万人")
    PledgeDraft.objects.create(document=document, sentence="已拒绝", position=9, metric="已拒绝", kind="level",
                               comparator=">=", value=Decimal(1), state=PledgeDraft.State.REJECTED)
    items = listed(todo_page(client, world["users"]["administrator"]), "drafts")
    assert items == [(draft, reverse("admin:commitments_pledgedraft_change", args=[draft.pk]))]
    assert listed(todo_page(client, world["users"]["reviewer"]), "drafts") == []


def test_empty_sections_say_there_is_nothing_to_do(client, world):
    page = todo_page(client, world["users"]["reviewer"]).content.decode()
    assert "No update waits for your review." in page
    assert "No revision request waits for your decision." in page


def test_the_header_shows_the_total_on_every_tracker_page_and_links_to_the_page(client, world):
    users = world["users"]
    record(world["late"], users["reporter"])  # one update awaiting the reviewer
    client.force_login(users["reviewer"])
    page = client.get(reverse("tracker-summary")).content.decode()
    assert f'href="{reverse("tracker-todo")}"' in page
    assert todo.total_for(users["reviewer"]) == 1
    assert '<span class="todo-count">1</span>' in page
    client.force_login(users["reporter"])  # the late report (its update awaits approval, so still late)
    assert '<span class="todo-count">1</span>' in client.get(reverse("tracker-pledges")).content.decode()


def test_the_header_count_is_not_computed_for_anonymous_visitors_or_the_admin(client, world):
    with CaptureQueriesContext(connection) as anonymous:
        client.get(reverse("tracker-login"))
    assert not any("commitments_pledge" in query["sql"] for query in anonymous.captured_queries)
    client.force_login(world["users"]["reviewer"])
    with CaptureQueriesContext(connection) as admin_page:
        client.get(reverse("admin:index"))
    assert not any("commitments_progressupdate" in query["sql"] for query in admin_page.captured_queries)


def test_each_list_stops_at_the_limit_and_links_to_the_rest(client, world, settings):
    users = world["users"]
    for _ in range(todo.LIMIT + 3):
        record(PledgeFactory(lead_organization=world["district"]), users["reporter"])
    response = todo_page(client, users["reviewer"])
    section = next(section for section in response.context["sections"] if section.section.key == "review")
    assert (section.count, len(section.items), section.more) == (todo.LIMIT + 3, todo.LIMIT, 3)
    page = response.content.decode()
    assert "and 3 more" in page
    assert f"{reverse('admin:commitments_progressupdate_changelist')}?review_state__exact=pending" in page


def queries_for_the_page(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("tracker-todo")).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_however_much_waits(client, world):
    users = world["users"]
    document = SourceDocumentFactory()

    def add_work(n):
        for i in range(n):
            pledge = PledgeFactory(lead_organization=world["district"])
            record(pledge, users["reporter"])
            actions.do_request_revision(Revision(pledge=pledge, kind=Revision.Change.SUSPEND, reason="调整"), acting_user=users["reporter"])
            PledgeDraft.objects.create(document=document, sentence=f"句{n}-{i}", position=n * 100 + i, metric=f"指标{n}-{i}",
                                       kind="level", comparator=">=", value=Decimal(1))

    add_work(1)
    few = queries_for_the_page(client, users["administrator"])
    add_work(6)
    many = queries_for_the_page(client, users["administrator"])
    assert few == many <= 16


class TestTheHeaderCountKeptInTheSession:
    """With TRACKER_TODO_COUNT_SECONDS (30 by default; the other tests count on every page), the header's number is
    counted once and kept: others' work shows within the delay, the user's own POSTs and the to-do page at once."""

    @pytest.fixture(autouse=True)
    def kept_for_half_a_minute(self, settings):
        settings.TRACKER_TODO_COUNT_SECONDS = 30

    @staticmethod
    def header(client):
        page = client.get(reverse("tracker-summary")).content.decode()
        return page.split('<span class="todo-count', 1)[1].split(">", 1)[1].split("<", 1)[0]

    @staticmethod
    def count_queries(client) -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("tracker-summary"))
        return sum("section_0" in query["sql"] for query in captured.captured_queries)

    def test_the_next_pages_do_not_count_again(self, client, world):
        client.force_login(world["users"]["reviewer"])
        assert self.count_queries(client) == 1
        assert self.count_queries(client) == 0

    def test_another_users_work_shows_once_the_delay_is_over(self, client, world):
        users = world["users"]
        client.force_login(users["reviewer"])
        with time_machine.travel(TODAY, tick=False) as clock:
            assert self.header(client) == "0"
            record(world["late"], users["reporter"])  # an update now awaits the reviewer
            assert self.header(client) == "0"  # kept
            clock.shift(31)
            assert self.header(client) == "1"

    def test_the_users_own_post_and_the_todo_page_count_again(self, client, world):
        users = world["users"]
        client.force_login(users["reviewer"])
        assert self.header(client) == "0"
        record(world["late"], users["reporter"])
        client.post(reverse("tracker-notifications-read-all"))  # any POST of the user's
        assert self.header(client) == "1"
        record(world["late"], users["colleague"], value=41)  # a second update awaiting the reviewer
        assert self.header(client) == "1"  # kept
        assert todo_page(client, users["reviewer"]).context["todo_total"] == todo.total_for(users["reviewer"])
        assert self.header(client) == "2"
