"""Closing a pledge (办结 / 销号; issue 16, item 5).

The owner of an achieved pledge applies to close it with the final evidence, a file or a link; a reviewer other than
the requester confirms it (销号) or returns it with a comment. A closed pledge leaves the status table (unless asked
for) and the summary's attention list, and nothing chases it any more. Only an administrator reopens it, with a
reason, at once: the request row keeps who reopened it and why.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
import time_machine
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from commitments import actions, jobs
from commitments.actions import NotAllowed
from commitments.models import Membership, Notification, Pledge, Revision
from commitments.status import TargetStatus
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 7, 10)
Change = Revision.Change
EVIDENCE_LINK = "https://tzq.example.gov.cn/xmdj/2025-h1.pdf"


@pytest.fixture(autouse=True)
def in_july():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(city, district):
    """In 通州区: a reporter, a reviewer, a manager; a reporter of 如皋市; the city's administrator."""
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    users = {}
    for name, organization, role in (
        ("reporter", district, "reporter"),
        ("reviewer", district, "reviewer"),
        ("manager", district, "manager"),
        ("outsider", elsewhere, "reporter"),
        ("administrator", city, "administrator"),
    ):
        users[name] = UserFactory(username=name, is_staff=True)
        Membership.objects.create(user=users[name], organization=organization, role=role)
    return users


@pytest.fixture
def achieved(district, people):
    """全年新注册重大产业项目50个以上: 52 registered by the end of June, achieved half a year early."""
    pledge = PledgeFactory(lead_organization=district)
    actions.do_record_progress(pledge, acting_user=people["reporter"], as_of=date(2025, 6, 30), value=Decimal(52))
    pledge.refresh_from_db()
    assert pledge.target_status == TargetStatus.ACHIEVED
    return pledge


def apply_to_close(pledge, user, *, link=EVIDENCE_LINK, file=None, reason="全年目标提前完成，申请销号"):
    revision = Revision(pledge=pledge, kind=Change.CLOSE, reason=reason, evidence_url=link or "")
    if file is not None:
        revision.evidence_file = file
    return actions.do_request_revision(revision, acting_user=user)


def reopen(pledge, user, reason="核查发现统计口径有误，重新跟踪"):
    revision = Revision(pledge=pledge, kind=Change.REOPEN, reason=reason)
    return actions.do_request_revision(revision, acting_user=user)


def fresh(pledge):
    return Pledge.objects.get(pk=pledge.pk)


# --- Applying -------------------------------------------------------------------------------------------------


def test_the_owner_applies_with_evidence_and_nothing_changes_until_confirmed(achieved, people):
    revision = apply_to_close(achieved, people["reporter"])
    assert (revision.state, revision.requested_by, revision.evidence_url) == (
        Revision.State.PENDING, people["reporter"], EVIDENCE_LINK)
    assert not fresh(achieved).closed


def test_a_request_to_close_without_evidence_is_refused_on_the_evidence_field(achieved, people):
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            apply_to_close(achieved, people["reporter"], link=None)
        assert refused.value.message_dict == {
            "evidence_file": ["A request to close needs the final evidence: a file or a link."]}
    assert not Revision.objects.exists()


def test_a_pledge_not_achieved_may_not_be_closed(district, people):
    behind = PledgeFactory(lead_organization=district)  # nothing reported yet
    actions.do_recompute_status(behind)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        apply_to_close(behind, people["reporter"])
    assert refused.value.message_dict == {NON_FIELD_ERRORS: ["Only an achieved pledge may be closed."]}


def test_only_those_who_report_on_the_pledge_apply(achieved, people):
    with pytest.raises(NotAllowed):
        apply_to_close(achieved, people["outsider"])


# --- Confirming (销号) or returning ------------------------------------------------------------------------------


def test_the_requester_may_not_confirm_their_own_request(achieved, people, district):
    Membership.objects.create(user=people["reporter"], organization=district, role="reviewer")
    revision = apply_to_close(achieved, people["reporter"])
    with pytest.raises(NotAllowed):
        actions.do_review_revision(revision, acting_user=people["reporter"], approve=True)
    assert not fresh(achieved).closed


def test_a_reviewer_confirms_and_the_pledge_is_closed_by_them_then(achieved, people):
    revision = apply_to_close(achieved, people["reporter"])
    actions.do_review_revision(revision, acting_user=people["reviewer"], approve=True)
    pledge = fresh(achieved)
    assert (pledge.closed, pledge.closed_by, pledge.closed_at) == (True, people["reviewer"], fresh_revision(revision).reviewed_at)
    assert pledge.target_status == TargetStatus.ACHIEVED


def fresh_revision(revision):
    return Revision.objects.get(pk=revision.pk)


def test_a_returned_request_leaves_the_pledge_open(achieved, people):
    revision = apply_to_close(achieved, people["reporter"])
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.do_review_revision(revision, acting_user=people["reviewer"], approve=False)
    assert refused.value.message_dict == {"review_comment": ["Say why the request is rejected."]}
    actions.do_review_revision(revision, acting_user=people["reviewer"], approve=False, comment="缺少统计局盖章材料")
    returned = fresh_revision(revision)
    assert (returned.state, returned.review_comment) == (Revision.State.REJECTED, "缺少统计局盖章材料")
    assert not fresh(achieved).closed


def closed(pledge, people):
    revision = apply_to_close(pledge, people["reporter"])
    actions.do_review_revision(revision, acting_user=people["reviewer"], approve=True)
    return fresh(pledge)


def test_a_closed_pledge_takes_no_other_request(achieved, people):
    pledge = closed(achieved, people)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.do_request_revision(
            Revision(pledge=pledge, kind=Change.SUSPEND, reason="暂缓"), acting_user=people["reporter"])
    assert refused.value.message_dict == {
        NON_FIELD_ERRORS: ["This pledge is closed (办结 / 销号): an administrator may reopen it."]}


# --- Out of the active tables and of every reminder ---------------------------------------------------------------


def table(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("tracker-pledges"), params)
    return [row.record.pk for row in response.context["table"].paginated_rows]


def test_a_closed_pledge_leaves_the_status_table_unless_asked_for(client, achieved, people, district):
    other = PledgeFactory(lead_organization=district, metric="外贸进出口总额")
    pledge = closed(achieved, people)
    assert table(client, people["manager"]) == [other.pk]
    assert table(client, people["manager"], closed="closed") == [pledge.pk]
    assert sorted(table(client, people["manager"], closed="all")) == sorted([pledge.pk, other.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("tracker-pledges"), {"closed": "closed"})
    assert ("closed (办结 / 销号)", "closed only") in response.context["active_filters"]


def test_nothing_chases_a_closed_pledge(achieved, people):
    pledge = closed(achieved, people)
    assert jobs.queue_reminders(TODAY) == 0
    with time_machine.travel(date(2026, 1, 10), tick=False):  # past its deadline
        assert jobs.flag_overdue(date(2026, 1, 10)) == 0
        assert jobs.queue_reminders(date(2026, 1, 10)) == 0
    assert fresh(pledge).target_status == TargetStatus.ACHIEVED
    assert not Notification.objects.filter(pledge=pledge).exists()


def test_the_pledge_page_says_it_is_closed_by_whom_with_the_evidence(client, achieved, people):
    closed(achieved, people)
    client.force_login(people["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("tracker-pledge", args=[achieved.pk])).content.decode()
    assert "Closed (办结 / 销号)" in page and "confirmed by reviewer" in page
    assert f'href="{EVIDENCE_LINK}"' in page


# --- Reopening ---------------------------------------------------------------------------------------------------


def test_an_administrator_reopens_at_once_with_a_reason(achieved, people):
    pledge = closed(achieved, people)
    revision = reopen(pledge, people["administrator"])
    assert (revision.state, revision.requested_by, revision.reviewed_by, revision.reason) == (
        Revision.State.APPROVED, people["administrator"], people["administrator"], "核查发现统计口径有误，重新跟踪")
    pledge = fresh(pledge)
    assert (pledge.closed, pledge.closed_by, pledge.closed_at) == (False, None, None)


def test_reopening_needs_an_administrator_and_a_reason(achieved, people):
    pledge = closed(achieved, people)
    for user in (people["reporter"], people["reviewer"]):
        with pytest.raises(NotAllowed):
            reopen(pledge, user)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        reopen(pledge, people["administrator"], reason=" ")
    assert refused.value.message_dict == {"reason": ["Say why."]}
    assert fresh(pledge).closed


# --- The admin -----------------------------------------------------------------------------------------------


def test_the_owner_applies_from_the_admin_with_an_evidence_file(client, achieved, people):
    client.force_login(people["reporter"])
    page = client.get(reverse("admin:commitments_pledge_change", args=[achieved.pk])).content.decode()
    add = reverse("admin:commitments_revision_add")
    assert f"{add}?pledge={achieved.pk}&amp;kind=close" in page
    form = client.get(add, {"pledge": achieved.pk, "kind": "close"}).content.decode()
    assert 'name="evidence_file"' in form and 'name="proposed_target"' not in form
    refused = client.post(add, {"pledge": achieved.pk, "kind": "close", "reason": "提前完成"})
    assert "evidence_file" in refused.context["adminform"].form.errors
    response = client.post(add, {
        "pledge": achieved.pk, "kind": "close", "reason": "提前完成",
        "evidence_file": SimpleUploadedFile("项目登记表.pdf", b"%PDF-1.4 final evidence"),
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    revision = Revision.objects.get()
    assert revision.kind == Change.CLOSE and revision.evidence_file.name.endswith(".pdf")


def test_a_non_administrator_is_not_offered_reopening_in_the_admin(client, achieved, people):
    pledge = closed(achieved, people)
    add = reverse("admin:commitments_revision_add")
    client.force_login(people["reporter"])
    response = client.post(add, {"pledge": pledge.pk, "kind": "reopen", "reason": "重新跟踪"})
    assert "kind" in response.context["adminform"].form.errors
    client.force_login(people["administrator"])
    assert f"{add}?pledge={pledge.pk}&amp;kind=reopen" in client.get(
        reverse("admin:commitments_pledge_change", args=[pledge.pk])).content.decode()
    response = client.post(add, {"pledge": pledge.pk, "kind": "reopen", "reason": "重新跟踪"})
    assert response.status_code == 302
    assert not fresh(pledge).closed


# --- The evidence file ---------------------------------------------------------------------------------------------


def test_the_evidence_file_is_served_to_those_who_see_the_pledge_only(client, achieved, people):
    revision = apply_to_close(achieved, people["reporter"], link=None,
                              file=SimpleUploadedFile("项目登记表.pdf", b"%PDF-1.4 final evidence"))
    url = revision.evidence_file.url
    client.force_login(people["manager"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 final evidence"
    client.force_login(people["outsider"])
    assert client.get(url).status_code == 404


def test_the_summary_counts_a_closed_pledge_as_achieved_and_its_link_shows_it(client, achieved, people):
    pledge = closed(achieved, people)
    client.force_login(people["manager"])
    overall = {row["status"]: row for row in client.get(reverse("tracker-summary")).context["overall"]}
    assert overall[TargetStatus.ACHIEVED]["count"] == 1
    listed = client.get(overall[TargetStatus.ACHIEVED]["url"]).context["table"].paginated_rows
    assert [row.record.pk for row in listed] == [pledge.pk]
