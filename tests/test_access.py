"""Who may do what: each role × each action × a pledge of their own organization and one of another,
through the admin, the pages and the exports; and the approval of progress updates."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from commitments import access, actions
from commitments.models import Membership, Notification, ProgressUpdate
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory, UserFactory
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db

ROLES = ["reporter", "reviewer", "manager", "administrator"]


@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(date(2025, 10, 10), tick=False):
        yield


@pytest.fixture
def world(city, district):
    """通州区 has a department (区商务局) whose pledge is 'own'; 如皋市 is another organization entirely."""
    bureau = OrganizationFactory(name="区商务局", parent=district)
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    own = PledgeFactory(lead_organization=bureau, metric="本区指标")
    other = PledgeFactory(lead_organization=elsewhere, metric="外地指标")
    users = {}
    for role in ROLES:
        user = UserFactory(username=role, is_staff=True)
        Membership.objects.create(user=user, organization=district, role=role)
        users[role] = user
    return {"own": own, "other": other, "users": users, "district": district, "bureau": bureau}


def client_for(client, user):
    client.force_login(user)
    return client


# --- Pages and exports ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_pages_show_own_pledges_and_hide_the_others(client, world, role):
    c = client_for(client, world["users"][role])
    sees_everything = role == "administrator"
    assert c.get(reverse("tracker-pledge", args=[world["own"].pk])).status_code == 200
    assert c.get(reverse("tracker-pledge", args=[world["other"].pk])).status_code == (200 if sees_everything else 404)
    other_org = world["other"].lead_organization
    assert c.get(reverse("tracker-organization", args=[other_org.pk])).status_code == (200 if sees_everything else 404)
    listed = [row.record.metric for row in c.get(reverse("tracker-pledges")).context["table"].rows]
    assert ("外地指标" in listed) is sees_everything and "本区指标" in listed
    summary = c.get(reverse("tracker-summary")).content.decode()
    assert ("如皋市" in summary) is sees_everything


@pytest.mark.parametrize("role", ROLES)
def test_exports_hold_only_what_the_role_may_see(client, world, role):
    c = client_for(client, world["users"][role])
    response = c.get(reverse("tracker-pledges"), {"_export": "csv"})
    metrics = {row["指标"] for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert metrics == ({"本区指标", "外地指标"} if role == "administrator" else {"本区指标"})


def test_a_user_without_any_membership_sees_nothing(client, world):
    c = client_for(client, UserFactory(username="nobody"))
    assert c.get(reverse("tracker-pledge", args=[world["own"].pk])).status_code == 404
    assert list(c.get(reverse("tracker-pledges")).context["table"].rows) == []


def test_a_document_is_hidden_from_those_who_see_none_of_its_pledges(client, world):
    from tests.factories import SourceDocumentFactory

    document = SourceDocumentFactory()
    world["other"].source_document = document
    world["other"].save()
    c = client_for(client, world["users"]["manager"])
    assert c.get(reverse("tracker-document", args=[document.pk])).status_code == 404


# --- Admin ---------------------------------------------------------------------------------------------

QUICK_ENTRY = reverse("admin:commitments_progressupdate_add")


@pytest.mark.parametrize(
    "role, own_allowed",
    [("reporter", True), ("reviewer", False), ("manager", False), ("administrator", True)],
)
def test_recording_progress_in_the_admin(client, world, role, own_allowed):
    c = client_for(client, world["users"][role])
    for pledge, allowed in ((world["own"], own_allowed), (world["other"], role == "administrator")):
        before = ProgressUpdate.objects.count()
        response = c.post(QUICK_ENTRY, {"pledge": pledge.pk, "as_of": "2025-09-30", "value": "10", **EXPLAINED})
        assert (ProgressUpdate.objects.count() == before + 1) is allowed, (role, pledge.metric, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_viewing_pledges_in_the_admin(client, world, role):
    c = client_for(client, world["users"][role])
    own = c.get(reverse("admin:commitments_pledge_change", args=[world["own"].pk]))
    other = c.get(reverse("admin:commitments_pledge_change", args=[world["other"].pk]))
    assert own.status_code == 200
    assert other.status_code == (200 if role == "administrator" else 302)  # the admin's "does not exist" redirect
    page = c.get(reverse("admin:commitments_pledge_changelist")).content.decode()
    assert "本区指标" in page and ("外地指标" in page) is (role == "administrator")


@pytest.mark.parametrize("role", ROLES)
def test_only_administrators_change_a_pledges_terms(client, world, role):
    c = client_for(client, world["users"][role])
    url = reverse("admin:commitments_pledge_change", args=[world["own"].pk])
    page = c.get(url).content.decode()
    assert ('name="target"' in page) is (role == "administrator")
    assert ('name="updates-0-value"' in page) is (role in ("reporter", "administrator"))


# --- Approval ------------------------------------------------------------------------------------------


@pytest.fixture
def approval(world):
    world["district"].requires_approval = True
    world["district"].save()
    world["users"]["reporter"].email = "reporter@example.test"
    world["users"]["reporter"].save()
    actions.do_recompute_status(world["own"])
    update = actions.do_record_progress(
        world["own"], acting_user=world["users"]["reporter"], as_of=date(2025, 9, 30), value=Decimal(45), **EXPLAINED
    )
    return {**world, "update": update}


def test_an_update_under_approval_waits_and_does_not_count(approval):
    approval["own"].refresh_from_db()
    assert approval["update"].review_state == "pending"
    assert approval["own"].target_status == "no_data"


def test_a_reviewer_approves_and_the_update_counts(approval):
    reviewer = approval["users"]["reviewer"]
    actions.do_review_update(approval["update"], acting_user=reviewer, approve=True)
    update = ProgressUpdate.objects.get(pk=approval["update"].pk)
    assert (update.review_state, update.reviewed_by, update.reviewed_at is not None) == ("approved", reviewer, True)
    approval["own"].refresh_from_db()
    assert approval["own"].target_status == "on_track"


def test_nobody_approves_their_own_update(approval):
    approval["users"]["reporter"].memberships.create(organization=approval["district"], role="reviewer")
    reporter = approval["users"]["reporter"]
    reporter.__dict__.pop("_tracker_roles", None)
    assert not access.can_review(reporter, approval["update"])
    with pytest.raises(actions.NotAllowed):
        actions.do_review_update(approval["update"], acting_user=reporter, approve=True)


def test_a_returned_update_tells_the_reporter_why(approval):
    actions.do_review_update(approval["update"], acting_user=approval["users"]["reviewer"], approve=False, comment="口径不对，请按统计局数据")
    notification = Notification.objects.get(kind="update_returned")
    assert notification.recipient == "reporter@example.test"
    assert "口径不对" in notification.body_text
    approval["own"].refresh_from_db()
    assert approval["own"].target_status == "no_data"


def test_reviewing_in_the_admin_needs_a_comment_to_return(client, approval):
    c = client_for(client, approval["users"]["reviewer"])
    url = reverse("admin:commitments_progressupdate_change", args=[approval["update"].pk])
    response = c.post(url, {"decision": "return", "review_comment": ""})
    assert response.status_code == 200 and "review_comment" in response.context["adminform"].form.errors
    response = c.post(url, {"decision": "approve", "review_comment": ""})
    assert response.status_code == 302
    assert ProgressUpdate.objects.get(pk=approval["update"].pk).review_state == "approved"


def test_the_reporter_cannot_review_in_the_admin(client, approval):
    c = client_for(client, approval["users"]["reporter"])
    url = reverse("admin:commitments_progressupdate_change", args=[approval["update"].pk])
    c.post(url, {"decision": "approve"})
    assert ProgressUpdate.objects.get(pk=approval["update"].pk).review_state == "pending"


# --- What a user sees follows new organizations and co-ownerships at once ---------------------------------------
# pledges_for reads the subtrees' organization ids and co-owned pledge ids once and keeps them on the user object:
# the next request (a fresh user object) and the same user object after such a write both see the change.


def test_an_office_added_after_a_first_look_shows_its_pledges_on_the_next_request(client, world):
    c = client_for(client, world["users"]["reporter"])
    listed = [row.record.metric for row in c.get(reverse("tracker-pledges")).context["table"].rows]
    assert listed == ["本区指标"]
    new_office = OrganizationFactory(name="区新设办公室", parent=world["district"])
    PledgeFactory(lead_organization=new_office, metric="新办公室的指标")
    listed = [row.record.metric for row in c.get(reverse("tracker-pledges")).context["table"].rows]
    assert sorted(listed) == sorted(["本区指标", "新办公室的指标"])


def test_the_same_user_object_sees_an_office_and_a_co_ownership_added_after_a_first_call(world):
    reporter = world["users"]["reporter"]
    assert list(access.pledges_for(reporter)) == [world["own"]]
    new_office = OrganizationFactory(name="区新设办公室", parent=world["district"])
    new_pledge = PledgeFactory(lead_organization=new_office, metric="新办公室的指标")
    assert set(access.pledges_for(reporter)) == {world["own"], new_pledge}
    world["other"].co_owners.add(world["bureau"])
    assert set(access.pledges_for(reporter)) == {world["own"], new_pledge, world["other"]}
    world["other"].co_owners.remove(world["bureau"])
    assert set(access.pledges_for(reporter)) == {world["own"], new_pledge}


def test_seeing_pledges_reads_ids_once_per_request_not_a_query_per_section(world, django_assert_max_num_queries):
    reporter = world["users"]["reporter"]
    access.pledges_for(reporter)  # the memberships, the subtree ids and the parts' wholes
    with django_assert_max_num_queries(0):  # all kept on the user object
        access.pledges_for(reporter)


def test_the_same_user_object_sees_the_whole_of_a_part_its_office_takes_on_after_a_first_call(world):
    reporter = world["users"]["reporter"]
    assert list(access.pledges_for(reporter)) == [world["own"]]
    part = PledgeFactory(lead_organization=world["bureau"], metric="外地指标的本区部分", parent=world["other"])
    assert set(access.pledges_for(reporter)) == {world["own"], part, world["other"]}


def test_a_manager_of_every_top_organization_sees_every_pledge_with_no_filter_at_all(
        world, city, django_assert_num_queries):
    everywhere = UserFactory(username="province")
    for top in (city, world["other"].lead_organization):
        Membership.objects.create(user=everywhere, organization=top, role=Membership.Role.MANAGER)
    with django_assert_num_queries(1):  # the memberships (with the number of top organizations), no ids
        seen = access.pledges_for(everywhere)
    assert set(seen) == {world["own"], world["other"]}
    assert "WHERE" not in str(seen.query)  # not 2,000 organization ids to compare each pledge with
    # A new province: the same user object no longer holds every top organization.
    elsewhere = PledgeFactory(lead_organization=OrganizationFactory(name="邻省"), metric="邻省指标")
    assert elsewhere not in set(access.pledges_for(everywhere))
    one_city = UserFactory(username="city-manager")
    Membership.objects.create(user=one_city, organization=city, role=Membership.Role.MANAGER)
    assert list(access.pledges_for(one_city)) == [world["own"]]


def test_a_list_of_thousands_of_ids_is_one_parameter_on_postgresql_and_an_in_list_elsewhere(world):
    from django.db import connection

    from commitments.models import Pledge

    ids = [world["own"].pk, *range(10_000_000, 10_003_000)]
    found = Pledge.objects.filter(lead_organization_id__any_of=[world["bureau"].pk]).filter(pk__any_of=ids)
    assert list(found) == [world["own"]]
    sql, params = found.query.sql_with_params()
    assert len(params) == (2 if connection.vendor == "postgresql" else 3_002)
    assert not Pledge.objects.filter(pk__any_of=[]).exists()
