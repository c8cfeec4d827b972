"""Breaking a pledge down in the admin: a row per part on the parent's page, checked by the model's rules for parts,
each part re-assessed so the parent rolls up; moving and deleting parts re-assess the parent they leave; a sum whose
parts do not add up says so."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from commitments import actions
from commitments.models import Membership, Pledge
from commitments.status import Composition, TargetStatus
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.test_admin import change_form_data

pytestmark = pytest.mark.django_db

IN_JULY = time_machine.travel(date(2025, 7, 10), tick=False)


@pytest.fixture(autouse=True)
def in_july_in_english():
    # The override also puts back the language afterwards, which the pages' English cookie would leave active.
    with IN_JULY, translation.override("en"):
        yield


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    client.cookies.load({"django_language": "en"})
    return client


@pytest.fixture
def projects(city):
    """全年新注册重大产业项目50个以上, a sum owned by the city, not broken down yet."""
    parent = PledgeFactory(lead_organization=city, composition=Composition.SUM, cadence="monthly")
    actions.do_recompute_status(parent)
    return parent


def part_of(parent, owner, target, **fields):
    """A stored, assessed part of `parent` in its terms."""
    part = Pledge(
        parent=parent, lead_organization=owner, target=Decimal(target), metric=parent.metric, kind=parent.kind,
        comparator=parent.comparator, unit=parent.unit, cumulative=parent.cumulative, start_date=parent.start_date,
        deadline=parent.deadline, **fields,
    )
    part.full_clean()
    part.save()
    actions.do_recompute_status(part)
    return part


def change_url(pledge):
    return reverse("admin:commitments_pledge_change", args=[pledge.pk])


def with_parts(data: dict, *rows: dict) -> dict:
    """The change form's data with new part rows added after the stored ones."""
    first = int(data["parts-INITIAL_FORMS"])
    for offset, row in enumerate(rows):
        for name, value in row.items():
            data[f"parts-{first + offset}-{name}"] = value
    data["parts-TOTAL_FORMS"] = first + len(rows)
    return data


def row(owner, target, **cells):
    return {"lead_organization": owner.pk, "target": str(target), "start_date": "2025-01-01",
            "deadline": "2025-12-31", "cadence": "monthly", **cells}


def fresh(pledge):
    pledge.refresh_from_db()
    return pledge


def part_errors(response):
    formset = next(inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "parts")
    return formset.errors, formset.non_form_errors()


def shown_messages(response):
    return [str(message) for message in response.context["messages"]]


# --- Breaking down in one form -----------------------------------------------------------------------------------


def test_three_parts_added_in_one_form_take_the_parents_terms_and_the_parent_rolls_up(admin_client, projects, districts):
    actions.do_record_progress(projects, acting_user=None, as_of=date(2025, 6, 30), value=Decimal(30))
    assert fresh(projects).latest_value == 30  # its own figure, until it has parts

    data = with_parts(
        change_form_data(admin_client.get(change_url(projects))),
        row(districts["通州"], 20), row(districts["海门"], 15), row(districts["开发"], 15, deadline="2025-09-30"),
    )
    response = admin_client.post(change_url(projects), data)

    assert response.status_code == 302, part_errors(response)
    parts = list(projects.parts.order_by("target", "id"))
    assert [(p.lead_organization.short_name, p.target) for p in parts] == [("海门", 15), ("开发", 15), ("通州", 20)]
    assert parts[1].deadline == date(2025, 9, 30)
    for part in parts:
        assert (part.metric, part.kind, part.comparator, part.unit, part.cumulative, part.start_date) == (
            projects.metric, "level", ">=", "个", True, date(2025, 1, 1))
        assert part.tree_path == f"{projects.tree_path}{part.pk}/"
        assert part.status_assessed_on == date(2025, 7, 10)  # each part assessed
    # The sum is judged from its parts now (none has reported), not from its own figure.
    projects = fresh(projects)
    assert projects.latest_value is None and projects.parts_series == []
    assert projects.target_status == TargetStatus.NO_DATA


def test_a_new_row_offers_the_parents_deadline_and_cadence(admin_client, projects):
    form = admin_client.get(change_url(projects)).context["inline_admin_formsets"]
    (parts,) = [inline.formset for inline in form if inline.formset.prefix == "parts"]
    empty = parts.empty_form
    assert empty["deadline"].value() == date(2025, 12, 31) and empty["cadence"].value() == "monthly"


def test_a_part_ending_after_its_parent_is_refused_with_the_message_under_its_deadline(admin_client, projects, districts):
    data = with_parts(change_form_data(admin_client.get(change_url(projects))),
                      row(districts["通州"], 20, deadline="2026-06-30"))

    response = admin_client.post(change_url(projects), data)

    assert response.status_code == 200
    (errors,), _ = part_errors(response)
    assert errors["deadline"] == ["A part's deadline (2026-06-30) cannot be later than its parent's (2025-12-31)."]
    assert not projects.parts.exists()


def test_a_part_not_applicable_without_a_reason_is_refused(admin_client, projects, districts):
    data = with_parts(change_form_data(admin_client.get(change_url(projects))),
                      row(districts["通州"], 20, not_applicable="on"))

    response = admin_client.post(change_url(projects), data)

    assert response.status_code == 200
    (errors,), _ = part_errors(response)
    assert errors["not_applicable_reason"] == ["Say why this part does not apply."]
    assert not projects.parts.exists()


def test_a_part_with_another_unit_than_its_sum_is_refused_naming_the_unit_not_failing(admin_client, projects, districts):
    stored = part_of(projects, districts["通州"], 20)
    Pledge.objects.filter(pk=stored.pk).update(unit="家")  # as left by an older version of its parent
    data = change_form_data(admin_client.get(change_url(projects)))
    data["parts-0-target"] = "21"

    response = admin_client.post(change_url(projects), data)

    assert response.status_code == 200
    (errors,), _ = part_errors(response)
    assert errors["__all__"] == ["Unit: The parts of a sum must use the parent's unit “个”."]


def test_only_administrators_break_a_pledge_down_and_a_part_owner_sees_only_their_part(client, projects, districts):
    tongzhou, haimen = part_of(projects, districts["通州"], 20), part_of(projects, districts["海门"], 15)
    reporter = UserFactory(username="tongzhou-reporter", is_staff=True)
    Membership.objects.create(user=reporter, organization=districts["通州"], role="reporter")
    client.force_login(reporter)

    response = client.get(change_url(projects))

    assert response.status_code == 200
    (parts,) = [inline for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "parts"]
    assert [form.instance for form in parts.formset.forms] == [tongzhou]
    assert not parts.has_add_permission and not parts.has_change_permission
    assert haimen.lead_organization.name not in response.content.decode()


def test_a_parents_deadline_cannot_move_before_its_parts(admin_client, projects, districts):
    part_of(projects, districts["通州"], 20)
    data = change_form_data(admin_client.get(change_url(projects)))
    data["deadline"] = "2025-09-30"

    response = admin_client.post(change_url(projects), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["deadline"] == [
        "Its part “新注册重大产业项目（通州区）” ends on 2025-12-31, after this deadline (2025-09-30)."
    ]
    assert fresh(projects).deadline == date(2025, 12, 31)


def test_a_reporter_records_progress_on_a_part_even_when_its_terms_no_longer_fit_its_parent(client, projects, districts):
    part = part_of(projects, districts["通州"], 20)
    Pledge.objects.filter(pk=part.pk).update(deadline=date(2026, 6, 30))  # only an administrator can put that right
    reporter = UserFactory(username="tongzhou-reporter", is_staff=True)
    Membership.objects.create(user=reporter, organization=districts["通州"], role="reporter")
    client.force_login(reporter)
    data = change_form_data(client.get(change_url(part)))
    data.update({"updates-0-as_of": "2025-06-30", "updates-0-value": "8", "updates-TOTAL_FORMS": 1})

    response = client.post(change_url(part), data)

    assert response.status_code == 302
    assert fresh(projects).latest_value == 8


# --- The shortfall of a sum --------------------------------------------------------------------------------------


def test_a_sum_whose_parts_fall_short_warns_when_opened_and_after_saving(admin_client, projects, districts):
    for name, target in (("通州", 20), ("海门", 15), ("开发", 13)):
        part_of(projects, districts[name], target)
    warning = "The parts add up to 48个, 2个 short of the target 50个."

    opened = admin_client.get(change_url(projects))
    assert shown_messages(opened) == [warning]

    data = change_form_data(opened)
    data["_continue"] = "1"
    saved = admin_client.post(change_url(projects), data, follow=True)
    assert shown_messages(saved).count(warning) == 1  # once, not once for the save and again for the page


def test_a_sum_whose_parts_add_up_says_nothing(admin_client, projects, districts):
    for name, target in (("通州", 20), ("海门", 15), ("开发", 15)):
        part_of(projects, districts[name], target)
    assert shown_messages(admin_client.get(change_url(projects))) == []


# --- Moving and deleting parts -----------------------------------------------------------------------------------


def test_moving_a_part_to_another_pledge_reassesses_the_one_it_left(admin_client, projects, districts, city):
    moved = part_of(projects, districts["通州"], 20)
    part_of(projects, districts["海门"], 15)
    actions.do_record_progress(moved, acting_user=None, as_of=date(2025, 6, 30), value=Decimal(12))
    assert fresh(projects).latest_value == 12
    other = PledgeFactory(lead_organization=city, composition=Composition.SUM, metric="另一项目标")

    data = change_form_data(admin_client.get(change_url(moved)))
    data["parent"] = other.pk
    response = admin_client.post(change_url(moved), data)

    assert response.status_code == 302
    assert fresh(moved).tree_path == f"/{other.pk}/{moved.pk}/"
    assert fresh(projects).latest_value is None
    assert fresh(other).latest_value == 12


def test_the_parent_field_offers_only_pledges_the_user_may_edit(client, staff, projects, districts):
    reporter = UserFactory(username="tongzhou-reporter", is_staff=True)
    Membership.objects.create(user=reporter, organization=districts["通州"], role="reporter")
    part = part_of(projects, districts["通州"], 20)
    query = {"app_label": "commitments", "model_name": "pledge", "field_name": "parent", "term": ""}
    url = reverse("admin:autocomplete")

    client.force_login(staff)
    assert {item["id"] for item in client.get(url, query).json()["results"]} == {str(projects.pk), str(part.pk)}
    client.force_login(reporter)
    response = client.get(url, query)
    assert response.json()["results"] == []  # they see both pledges, and edit neither


def each_of_two_parts(city, districts):
    """研发投入不低于目标 for every district: one part achieved, the other not reporting yet."""
    parent = PledgeFactory(lead_organization=city, composition=Composition.EACH)
    done = part_of(parent, districts["通州"], 20)
    actions.do_record_progress(done, acting_user=None, as_of=date(2025, 6, 30), value=Decimal(25))
    return parent, done


def test_deleting_a_part_in_the_parents_form_reassesses_the_parent(admin_client, city, districts):
    parent, done = each_of_two_parts(city, districts)
    silent = part_of(parent, districts["海门"], 15)
    assert fresh(parent).target_status == TargetStatus.NO_DATA  # waits for 海门

    data = change_form_data(admin_client.get(change_url(parent)))
    index = next(i for i in range(2) if data[f"parts-{i}-id"] == silent.pk)
    data[f"parts-{index}-DELETE"] = "on"
    response = admin_client.post(change_url(parent), data)

    assert response.status_code == 302, part_errors(response)
    assert not Pledge.objects.filter(pk=silent.pk).exists()
    assert fresh(parent).target_status == TargetStatus.ACHIEVED


def test_a_part_with_progress_reported_is_not_deleted_but_marked_not_applicable(admin_client, city, districts):
    parent, done = each_of_two_parts(city, districts)
    data = change_form_data(admin_client.get(change_url(parent)))
    data["parts-0-DELETE"] = "on"

    response = admin_client.post(change_url(parent), data)

    assert response.status_code == 200
    _, non_form = part_errors(response)
    assert list(non_form) == [f"“{done}” has progress reported: mark it not applicable instead of deleting it."]
    assert Pledge.objects.filter(pk=done.pk).exists()


def test_deleting_a_part_in_its_own_page_reassesses_its_parent(admin_client, city, districts):
    parent, done = each_of_two_parts(city, districts)
    # Never assessed, so it has no status history, which nobody deletes by hand.
    silent = Pledge(parent=parent, lead_organization=districts["海门"], target=Decimal(15), metric=parent.metric,
                    unit=parent.unit, cumulative=True, start_date=parent.start_date, deadline=parent.deadline)
    silent.save()
    actions.do_recompute_status(done)
    assert fresh(parent).target_status == TargetStatus.NO_DATA

    response = admin_client.post(reverse("admin:commitments_pledge_delete", args=[silent.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert fresh(parent).target_status == TargetStatus.ACHIEVED


@pytest.mark.parametrize("how", ["page", "action"])
def test_deleting_a_pledge_that_has_parts_is_refused_saying_so_plainly(admin_client, projects, districts, how):
    part_of(projects, districts["通州"], 20)
    if how == "page":
        response = admin_client.post(reverse("admin:commitments_pledge_delete", args=[projects.pk]), {"post": "yes"})
    else:
        response = admin_client.post(reverse("admin:commitments_pledge_changelist"),
                                     {"action": "delete_selected", "_selected_action": [projects.pk], "post": "yes"})

    assert response.status_code == 200
    assert shown_messages(response) == [
        f"“{projects}” has 1 part: delete it or move it to another pledge before deleting this one."
    ]
    assert Pledge.objects.filter(pk=projects.pk).exists()


# --- The list ----------------------------------------------------------------------------------------------------


def test_the_list_shows_what_a_part_is_part_of_and_filters_top_level_pledges_or_parts(admin_client, projects, districts):
    part = part_of(projects, districts["通州"], 20)
    url = reverse("admin:commitments_pledge_changelist")

    def listed(**query):
        return list(admin_client.get(url, query).context["cl"].result_list)

    assert listed(level="top") == [projects]
    assert listed(level="parts") == [part]
    page = admin_client.get(url, {"level": "parts"}).content.decode()
    assert f'<a href="{change_url(projects)}">{projects}</a>' in page
