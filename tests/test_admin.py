"""Recording progress in the admin: statuses shown with their reasons, recomputed when an update is saved."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django import forms
from django.urls import reverse

from commitments import actions
from commitments.models import Pledge, ProgressUpdate, StatusChange
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db

IN_OCTOBER = time_machine.travel(date(2025, 10, 10), tick=False)


def change_form_data(response) -> dict:
    """The POST body the admin change page would send back unchanged (main form and inline formsets)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            continue
        value = form[name].value()
        if value is not None:
            data[name] = [str(v) for v in value] if isinstance(value, list) else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for subform in formset.initial_forms:
            for name, field in subform.fields.items():
                if isinstance(field, forms.FileField):
                    continue
                value = subform[name].value()
                if value is not None:
                    data[subform.add_prefix(name)] = value
    return data


def add_inline_update(data: dict, **fields) -> dict:
    index = int(data["updates-INITIAL_FORMS"])
    for name, value in fields.items():
        data[f"updates-{index}-{name}"] = value
    data["updates-TOTAL_FORMS"] = index + 1
    return data


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    client.cookies.load({"django_language": "zh-hans"})
    return client


@IN_OCTOBER
def test_the_pledge_list_shows_each_status_with_a_symbol_a_word_and_the_reason(admin_client, pledge):
    ProgressUpdateFactory(pledge=pledge, value=Decimal(32), as_of=date(2025, 9, 30))
    actions.do_recompute_status(pledge)
    page = admin_client.get(reverse("admin:commitments_pledge_changelist")).content.decode()
    assert "新注册重大产业项目" in page
    assert "▲" in page and "存在风险" in page  # at risk, not by colour alone
    assert "截至2025年9月30日实际 32个，按序时进度应达 37.36个（完成进度的 86%）" in page


@IN_OCTOBER
def test_adding_an_update_in_the_inline_recomputes_the_status_and_records_the_change(admin_client, pledge, staff):
    actions.do_recompute_status(pledge)
    assert pledge.target_status == "no_data"
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    data = add_inline_update(change_form_data(admin_client.get(url)), as_of="2025-09-30", value="32", **EXPLAINED)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    pledge.refresh_from_db()
    assert pledge.target_status == "at_risk"
    assert pledge.latest_value == Decimal(32)
    update = pledge.updates.get()
    assert update.reporter == staff
    assert list(pledge.status_changes.values_list("from_status", "to_status").order_by("id")) == [
        ("", "no_data"),
        ("no_data", "at_risk"),
    ]


@IN_OCTOBER
def test_earlier_updates_are_shown_read_only_and_a_correction_supersedes_one(admin_client, pledge):
    wrong = ProgressUpdateFactory(pledge=pledge, value=Decimal(80), as_of=date(2025, 9, 30))
    actions.do_recompute_status(pledge)
    assert pledge.target_status == "achieved"
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    response = admin_client.get(url)
    page = response.content.decode()
    assert "80个" in page and 'name="updates-2-0-value"' not in page  # listed, not editable

    data = add_inline_update(change_form_data(response), as_of="2025-09-30", value="30", supersedes=str(wrong.pk), note="更正",
                             **EXPLAINED)
    assert admin_client.post(url, data).status_code == 302

    wrong.refresh_from_db()
    assert wrong.value == Decimal(80)  # nothing overwritten
    pledge.refresh_from_db()
    assert (pledge.latest_value, pledge.target_status) == (Decimal(30), "off_track")


@IN_OCTOBER
def test_a_non_numeric_value_is_refused_with_the_field_named_and_nothing_stored(admin_client, pledge):
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    data = add_inline_update(change_form_data(admin_client.get(url)), as_of="2025-09-30", value="三十二")
    data["metric"] = "改过的名称"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "输入一个数字。" in errors[0]["value"]
    pledge.refresh_from_db()
    assert pledge.metric == "新注册重大产业项目" and not pledge.updates.exists()


@IN_OCTOBER
def test_changing_the_target_recomputes_the_status(admin_client, pledge):
    ProgressUpdateFactory(pledge=pledge, value=Decimal(32), as_of=date(2025, 9, 30))
    actions.do_recompute_status(pledge)
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    data = change_form_data(admin_client.get(url))
    data["target"] = "30"

    response = admin_client.post(url, data, follow=True)

    pledge.refresh_from_db()
    assert pledge.target_status == "achieved"
    assert "状态由“存在风险”变为“已完成”" in response.content.decode()


@IN_OCTOBER
def test_the_quick_entry_page_records_an_update_and_recomputes(admin_client, pledge, staff):
    response = admin_client.post(
        reverse("admin:commitments_progressupdate_add"),
        {"pledge": pledge.pk, "as_of": "2025-09-30", "value": "45"},
    )
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.target_status == "on_track"
    assert ProgressUpdate.objects.get().reporter == staff


def test_the_value_box_shows_the_pledges_unit_where_the_pledge_is_known(admin_client, pledge):
    unit = '<span class="tracker-unit">个</span>'  # PledgeFactory's unit
    assert unit in admin_client.get(reverse("admin:commitments_pledge_change", args=[pledge.pk])).content.decode()
    quick_entry = reverse("admin:commitments_progressupdate_add")
    assert unit in admin_client.get(quick_entry, {"pledge": pledge.pk}).content.decode()
    page = admin_client.get(quick_entry).content.decode()
    assert "tracker-unit" not in page and "不带单位" in page  # no pledge chosen yet: the help text says how


def test_updates_cannot_be_edited_or_deleted_in_the_admin(admin_client, pledge):
    update = ProgressUpdateFactory(pledge=pledge)
    change = admin_client.post(reverse("admin:commitments_progressupdate_change", args=[update.pk]), {"value": "99"})
    delete = admin_client.post(reverse("admin:commitments_progressupdate_delete", args=[update.pk]), {"post": "yes"})
    assert change.status_code in (200, 403) and delete.status_code == 403
    update.refresh_from_db()
    assert update.value == Decimal(10)


def test_search_finds_pledges_by_chinese_text(admin_client, district):
    PledgeFactory(lead_organization=district, metric="新开工重大项目", source_sentence="全年新开工重大项目30个")
    PledgeFactory(lead_organization=district, metric="全社会研发投入占比", source_sentence="全社会研发投入占比达2.97%")
    page = admin_client.get(reverse("admin:commitments_pledge_changelist"), {"q": "研发投入"}).content.decode()
    assert "全社会研发投入占比" in page and "新开工重大项目" not in page


def test_filtering_by_an_organization_includes_its_sub_organizations(admin_client, city, district):
    bureau = OrganizationFactory(name="区商务局", parent=district)
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    PledgeFactory(lead_organization=bureau, metric="进出口总额")
    PledgeFactory(lead_organization=elsewhere, metric="外资到账")
    page = admin_client.get(reverse("admin:commitments_pledge_changelist"), {"org": city.pk}).content.decode()
    assert "进出口总额" in page and "外资到账" not in page


def test_the_pledge_list_uses_a_fixed_number_of_queries(admin_client, district, django_assert_max_num_queries):
    for n in range(30):
        PledgeFactory(lead_organization=district, metric=f"指标{n}")
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("admin:commitments_pledge_changelist"))


def test_the_organization_list_shows_the_tree(admin_client, city, district):
    OrganizationFactory(name="区商务局", parent=district)
    page = admin_client.get(reverse("admin:commitments_organization_changelist")).content.decode()
    assert page.index("南通市") < page.index("通州区") < page.index("区商务局")
    assert "└─" in page


def test_the_status_history_is_read_only(admin_client, pledge):
    actions.do_recompute_status(pledge)
    change = StatusChange.objects.get()
    response = admin_client.post(reverse("admin:commitments_statuschange_delete", args=[change.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert StatusChange.objects.count() == 1


def test_the_admin_speaks_english_when_asked(client, staff, pledge):
    client.force_login(staff)
    client.cookies.load({"django_language": "en"})
    page = client.get(reverse("admin:commitments_pledge_changelist")).content.decode()
    assert "Pledge tracker" in page and "Status and why" in page
    assert Pledge.objects.count() == 1


def test_chinese_is_the_default_even_for_an_english_browser_and_english_is_one_switch_away(client, staff):
    client.force_login(staff)
    url = reverse("admin:commitments_pledge_changelist")
    assert "目标任务跟踪" in client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": url})
    assert "Pledge tracker" in client.get(url).content.decode()
