"""Bulk import and export: a dry-run preview, errors by row and column, all or nothing, and a clean round trip."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import tablib
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from commitments.models import Membership, Pledge, ProgressUpdate
from commitments.resources import PledgeResource, ProgressUpdateResource, import_all_or_nothing
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(staff):
    with time_machine.travel(date(2026, 11, 23), tick=False):
        call_command("load_seeds", stdout=None)
    return staff


def snapshot():
    return (
        list(Pledge.objects.order_by("pk").values()),
        list(ProgressUpdate.objects.order_by("pk").values()),
        Pledge.history.count(),
        ProgressUpdate.history.count(),
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exporting_pledges_and_updates_and_importing_them_back_changes_nothing(seeded, file_format):
    before = snapshot()
    for resource_class in (PledgeResource, ProgressUpdateResource):
        exported = resource_class(user=seeded).export()
        data = exported.export(file_format)
        dataset = tablib.Dataset().load(data, format=file_format)
        result = resource_class(user=seeded).import_data(dataset, dry_run=False, raise_errors=False)
        assert not result.has_errors() and not result.has_validation_errors()
        assert {row.import_type for row in result.rows} == {"skip"}
    assert snapshot() == before


def pledge_rows(*rows):
    headers = ["id", "metric", "kind", "comparator", "target", "unit", "cumulative", "start_date", "deadline",
               "cadence", "lead_organization", "tolerance"]
    return tablib.Dataset(*rows, headers=headers)


def good_row(metric="新增科技型企业", **changes):
    row = {"id": "", "metric": metric, "kind": "level", "comparator": ">=", "target": "30", "unit": "家",
           "cumulative": "1", "start_date": "2026-01-01", "deadline": "2026-12-31", "cadence": "quarterly",
           "lead_organization": "通州区", "tolerance": "0.05"}
    row.update(changes)
    return list(row.values())


def test_the_dry_run_previews_new_rows_and_stores_nothing(district, staff):
    result = PledgeResource(user=staff).import_data(pledge_rows(good_row()), dry_run=True)
    assert [row.import_type for row in result.rows] == ["new"]
    assert not Pledge.objects.exists()
    PledgeResource(user=staff).import_data(pledge_rows(good_row()), dry_run=False)
    assert Pledge.objects.get().metric == "新增科技型企业"


def test_bad_rows_store_nothing_and_each_bad_cell_is_named(district, staff):
    dataset = pledge_rows(
        good_row(),
        good_row("坏目标值", target="三十"),
        good_row("截止早于开始", deadline="2025-12-31"),
        good_row("无此单位", lead_organization="火星区"),
    )
    result, stored = import_all_or_nothing(PledgeResource, dataset, staff)

    assert not stored and not Pledge.objects.exists()  # all or nothing
    problems = {invalid.number: invalid.field_specific_errors for invalid in result.invalid_rows}
    assert set(problems) == {2, 3, 4}
    assert "target" in problems[2]
    assert "deadline" in problems[3]
    assert "lead_organization" in problems[4]


def test_only_administrators_import_pledges(district):
    reporter = UserFactory(username="reporter")
    Membership.objects.create(user=reporter, organization=district, role="reporter")
    result = PledgeResource(user=reporter).import_data(pledge_rows(good_row()), dry_run=False, raise_errors=False)
    assert result.has_errors() and not Pledge.objects.exists()


def test_a_reporter_imports_updates_for_own_pledges_only_and_they_count(district):
    reporter = UserFactory(username="reporter")
    Membership.objects.create(user=reporter, organization=district, role="reporter")
    own = PledgeFactory(lead_organization=district)
    other = PledgeFactory(lead_organization=OrganizationFactory(name="如皋市", level="city"))
    headers = ["id", "pledge", "as_of", "value", "note", *EXPLAINED]

    refused, stored = import_all_or_nothing(
        ProgressUpdateResource,
        tablib.Dataset(
            ["", own.pk, "2025-09-30", "32", "", *EXPLAINED.values()], ["", other.pk, "2025-09-30", "5", "", *EXPLAINED.values()],
            headers=headers,
        ),
        reporter,
    )
    # The other organization's pledge reads as a missing one: an error of row 2's pledge cell.
    assert [invalid.number for invalid in refused.invalid_rows] == [2] and not stored and not ProgressUpdate.objects.exists()

    with time_machine.travel(date(2025, 10, 10), tick=False):
        accepted = ProgressUpdateResource(user=reporter).import_data(
            tablib.Dataset(["", own.pk, "2025-09-30", "32", "批量导入", *EXPLAINED.values()], headers=headers), dry_run=False, raise_errors=False
        )
    assert not accepted.has_errors() and not accepted.has_validation_errors()
    update = ProgressUpdate.objects.get()
    assert update.reporter == reporter
    own.refresh_from_db()
    assert (own.latest_value, own.target_status) == (32, "at_risk")


def test_an_imported_row_cannot_change_an_existing_update(seeded):
    exported = ProgressUpdateResource(user=seeded).export()
    exported[0] = tuple("999" if header == "value" else cell for header, cell in zip(exported.headers, exported[0]))
    result = ProgressUpdateResource(user=seeded).import_data(exported, dry_run=False, raise_errors=False)
    assert result.has_errors()
    assert not ProgressUpdate.objects.filter(value=999).exists()


def test_numbers_in_a_spreadsheet_with_thousands_separators_or_full_width_digits_are_read_as_meant(staff):
    pledge = PledgeFactory()
    headers = ["id", "pledge", "as_of", "value", "note"]
    dataset = tablib.Dataset(["", pledge.pk, "2025-06-30", "1,234.5", ""], ["", pledge.pk, "2025-09-30", "２３４５", ""], headers=headers)
    with time_machine.travel(date(2025, 10, 10), tick=False):
        result, stored = import_all_or_nothing(ProgressUpdateResource, dataset, staff)
    assert stored, [row.error for row in result.invalid_rows]
    assert sorted(ProgressUpdate.objects.values_list("value", flat=True)) == [Decimal("1234.5"), Decimal("2345")]


# --- CSV that Excel opens as UTF-8 ----------------------------------------------------------------------------------
# Excel takes a CSV for UTF-8 only when it starts with the byte-order mark; otherwise, on a Chinese Windows PC, it
# reads the bytes as GBK and every Chinese character is garbled.

UTF8_BOM = b"\xef\xbb\xbf"


def test_the_status_table_csv_starts_with_the_byte_order_mark_and_the_xlsx_is_unchanged(client, staff, pledge):
    client.force_login(staff)
    exported = client.get(reverse("tracker-pledges"), {"_export": "csv"}).content
    assert exported.startswith(UTF8_BOM) and not exported.startswith(UTF8_BOM * 2)
    header = next(csv.reader(io.StringIO(exported[len(UTF8_BOM):].decode("utf-8"))))
    assert header[0] == "指标"
    assert client.get(reverse("tracker-pledges"), {"_export": "xlsx"}).content.startswith(b"PK")  # a zip, as before


@pytest.mark.parametrize("model", ["pledge", "progressupdate"])
def test_the_admin_csv_exports_start_with_the_byte_order_mark(client, seeded, model):
    client.force_login(seeded)
    url = reverse(f"admin:commitments_{model}_export")
    form = client.get(url).context["form"]
    formats = {label: value for value, label in form.fields["format"].choices}
    every_field = {name: "on" for name in form.fields if name not in ("format", "resource", "export_items")}
    exported = client.post(url, {"format": formats["csv"], **every_field}).content
    assert exported.startswith(UTF8_BOM) and not exported.startswith(UTF8_BOM * 2)
    assert "新注册重大产业项目" in exported.decode("utf-8-sig")
    xlsx = client.post(url, {"format": formats["xlsx"], **every_field}).content
    assert xlsx.startswith(b"PK")


@pytest.mark.parametrize("byte_order_mark", [UTF8_BOM, b""], ids=["with the mark (Excel, our export)", "without it"])
def test_the_admin_import_reads_a_csv_with_or_without_the_byte_order_mark(client, district, staff, byte_order_mark):
    client.force_login(staff)
    url = reverse("admin:commitments_pledge_import")
    form = client.get(url).context["form"]
    formats = {label: value for value, label in form.fields["format"].choices}
    content = byte_order_mark + pledge_rows(good_row(metric="新增专精特新企业")).export("csv").encode("utf-8")

    preview = client.post(url, {"format": formats["csv"], "import_file": SimpleUploadedFile("目标.csv", content)})
    assert [row.import_type for row in preview.context["result"].rows] == ["new"]
    # The first column is "id" whether or not the file starts with the mark (not "\ufeffid", an unknown column).
    assert not preview.context["result"].has_validation_errors()
    confirmed = client.post(reverse("admin:commitments_pledge_process_import"), preview.context["confirm_form"].initial)

    assert confirmed.status_code == 302
    assert Pledge.objects.get().metric == "新增专精特新企业"
