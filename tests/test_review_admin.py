"""The admin after its security review (issue 13): an administrator who is not a superuser picks organizations; a
history page tells an outsider nothing and takes no decisions; list filters name only what the user may open. Plus
the pledge cells, drawn by one renderer for the admin's list and the managers' table."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from commitments import actions
from commitments.models import Membership, ProgressUpdate
from tests.factories import CategoryFactory, OrganizationFactory, PledgeFactory, SourceDocumentFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["reporter", "reviewer", "manager", "administrator"]
OUTSIDERS = ["reporter", "reviewer", "manager"]  # roles in 通州区 only


@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(date(2025, 10, 10), tick=False):
        yield


@pytest.fixture
def world(city, district):
    """Each role is held in 通州区 by a staff user who is not a superuser. 区商务局 (under 通州区) leads the 'own'
    pledge, from 通州区工作报告; 如皋市, another organization entirely, leads the 'other', from 如皋市工作报告."""
    bureau = OrganizationFactory(name="区商务局", parent=district)
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    own = PledgeFactory(lead_organization=bureau, metric="本区指标", source_document=SourceDocumentFactory(title="通州区工作报告"))
    other = PledgeFactory(lead_organization=elsewhere, metric="外地指标", source_document=SourceDocumentFactory(title="如皋市工作报告"))
    users = {}
    for role in ROLES:
        users[role] = UserFactory(username=role, is_staff=True)
        Membership.objects.create(user=users[role], organization=district, role=role)
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    other_update = actions.do_record_progress(other, acting_user=superuser, as_of=date(2025, 9, 30), value=Decimal(40))
    return {"own": own, "other": other, "other_update": other_update, "users": users, "district": district}


def as_user(client, user):
    client.force_login(user)
    client.raise_request_exception = False  # a server error is an answer to assert on, not an exception
    return client


def autocomplete(client, field_name, term=""):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "commitments", "model_name": "pledge", "field_name": field_name, "term": term},
    )
    names = [result["text"] for result in response.json()["results"]] if response.status_code == 200 else None
    return response.status_code, names


# --- Picking organizations, categories and documents ---------------------------------------------------------


def test_an_administrator_who_is_not_a_superuser_picks_a_lead_organization_and_co_owners(client, world):
    c = as_user(client, world["users"]["administrator"])
    status, names = autocomplete(c, "lead_organization")
    assert status == 200 and {"区商务局", "如皋市", "通州区"} <= set(names)
    status, names = autocomplete(c, "co_owners", term="如皋")
    assert (status, names) == (200, ["如皋市"])


def test_an_administrator_who_is_not_a_superuser_picks_a_source_document(client, world):
    c = as_user(client, world["users"]["administrator"])
    status, names = autocomplete(c, "source_document")
    assert status == 200 and {"通州区工作报告", "如皋市工作报告"} <= set(names)


def test_an_administrator_who_is_not_a_superuser_keeps_organizations_and_categories(client, world):
    c = as_user(client, world["users"]["administrator"])
    CategoryFactory(name="产业创新")
    assert "如皋市" in c.get(reverse("admin:commitments_organization_changelist")).content.decode()
    assert "产业创新" in c.get(reverse("admin:commitments_category_changelist")).content.decode()
    assert c.post(reverse("admin:commitments_category_add"), {"name": "民生保障", "order": 2}).status_code == 302


@pytest.mark.parametrize("role", OUTSIDERS)
def test_other_roles_see_only_the_organizations_of_their_subtree_and_change_none(client, world, role):
    c = as_user(client, world["users"][role])
    status, names = autocomplete(c, "lead_organization")
    assert status == 200 and set(names) == {"通州区", "区商务局"}
    listing = c.get(reverse("admin:commitments_organization_changelist")).content.decode()
    assert "区商务局" in listing and "如皋市" not in listing
    elsewhere = world["other"].lead_organization
    assert c.get(reverse("admin:commitments_organization_change", args=[elsewhere.pk])).status_code == 302  # "does not exist"
    own_page = c.get(reverse("admin:commitments_organization_change", args=[world["district"].pk])).content.decode()
    assert 'name="name"' not in own_page  # read only
    assert c.post(reverse("admin:commitments_category_add"), {"name": "民生保障", "order": 2}).status_code == 403


# --- History pages -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", OUTSIDERS)
def test_a_history_page_answers_not_found_alike_for_another_organizations_object_and_for_none(client, world, role):
    c = as_user(client, world["users"][role])
    own, other, update = world["own"], world["other"], world["other_update"]
    assert c.get(reverse("admin:commitments_pledge_history", args=[own.pk])).status_code == 200
    for name, obj in (("pledge", other), ("progressupdate", update)):
        assert c.get(reverse(f"admin:commitments_{name}_history", args=[obj.pk])).status_code == 404
        assert c.get(reverse(f"admin:commitments_{name}_history", args=[999999])).status_code == 404
        version = obj.history.latest("history_date").history_id
        assert c.get(reverse(f"admin:commitments_{name}_simple_history", args=[obj.pk, version])).status_code == 404
        assert c.get(reverse(f"admin:commitments_{name}_simple_history", args=[999999, version])).status_code == 404


@pytest.fixture
def pending_update(world):
    world["district"].requires_approval = True
    world["district"].save()
    return actions.do_record_progress(world["own"], acting_user=world["users"]["reporter"], as_of=date(2025, 9, 30), value=Decimal(45))


@pytest.mark.parametrize("role", ["reporter", "manager", "reviewer"])
def test_a_decision_posted_to_an_updates_history_page_is_refused_not_a_server_error(client, world, pending_update, role):
    c = as_user(client, world["users"][role])
    version = pending_update.history.latest("history_date").history_id
    url = reverse("admin:commitments_progressupdate_simple_history", args=[pending_update.pk, version])
    assert c.get(url).status_code == 200  # they may read it
    response = c.post(url, {"decision": "approve", "review_comment": ""})
    assert response.status_code in (302, 403, 405)
    # Reviews are taken on the change page only, where who may review is checked.
    assert ProgressUpdate.objects.get(pk=pending_update.pk).review_state == "pending"


def test_a_pledge_is_not_reverted_from_its_history_page(client, world):
    """A revert would change the terms without the status being assessed again: the history is for reading."""
    c = as_user(client, world["users"]["administrator"])
    own = world["own"]
    version = own.history.latest("history_date").history_id
    url = reverse("admin:commitments_pledge_simple_history", args=[own.pk, version])
    response = c.post(url, {"metric": "改过的指标"})
    assert response.status_code == 405
    own.refresh_from_db()
    assert own.metric == "本区指标"


# --- List filters ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", OUTSIDERS)
def test_list_filters_name_only_documents_and_organizations_the_user_may_open(client, world, role):
    c = as_user(client, world["users"][role])
    pledges = c.get(reverse("admin:commitments_pledge_changelist")).content.decode()
    assert "通州区工作报告" in pledges and "区商务局" in pledges
    assert "如皋市工作报告" not in pledges and "如皋市" not in pledges
    updates = c.get(reverse("admin:commitments_progressupdate_changelist")).content.decode()
    assert "如皋市" not in updates


def test_an_administrator_filters_by_every_document_and_organization(client, world):
    c = as_user(client, world["users"]["administrator"])
    pledges = c.get(reverse("admin:commitments_pledge_changelist")).content.decode()
    assert "如皋市工作报告" in pledges and "如皋市" in pledges
    elsewhere = world["other"].lead_organization
    listed = c.get(reverse("admin:commitments_pledge_changelist"), {"org": elsewhere.pk}).content.decode()
    assert "外地指标" in listed and "本区指标" not in listed


def test_an_organization_the_user_may_not_open_filters_to_nothing(client, world):
    c = as_user(client, world["users"]["manager"])
    response = c.get(reverse("admin:commitments_pledge_changelist"), {"org": world["other"].lead_organization.pk})
    assert "本区指标" not in response.content.decode()


# --- One renderer per cell -------------------------------------------------------------------------------------


def test_the_admin_list_and_the_managers_table_draw_the_status_and_reporting_cells_alike(client, world):
    from commitments import display

    pledge = world["own"]
    actions.do_record_progress(pledge, acting_user=world["users"]["administrator"], as_of=date(2025, 9, 30), value=Decimal(40))
    pledge.refresh_from_db()
    c = as_user(client, world["users"]["administrator"])
    admin_page = c.get(reverse("admin:commitments_pledge_changelist")).content.decode()
    table_page = c.get(reverse("tracker-pledges")).content.decode()
    for cell in (display.status_cell(pledge), display.reporting_cell(pledge), display.latest_cell(pledge)):
        assert 'class="tracker-reason"' in display.status_cell(pledge)
        assert cell in admin_page and cell in table_page


def test_an_administrator_who_is_not_a_superuser_reads_the_system_logs_and_others_do_not(client, world):
    for role, expected in (("administrator", 200), ("manager", 403), ("reporter", 403)):
        c = as_user(client, world["users"][role])
        for model in ("notification", "statuschange", "jobrun"):
            assert c.get(f"/admin/commitments/{model}/").status_code == expected, (role, model)
