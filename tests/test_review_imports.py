"""Issue 13's security review, imports and exports: a row is checked by the pledge it resolves to, not by its text;
cells a spreadsheet would run as formulas go out as text; only CSV and XLSX; every bad cell is refused by row and
column, in words."""

import csv
import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
import tablib
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments import actions
from commitments.documents import decode_document
from commitments.exports import spreadsheet_safe
from commitments.models import Membership, Pledge, ProgressUpdate
from commitments.resources import PledgeResource, ProgressUpdateResource, import_all_or_nothing
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory, UserFactory
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.test/","click")'
UPDATE_COLUMNS = ["id", "pledge", "as_of", "value", "note"]
EXPLAINED_COLUMNS = [*UPDATE_COLUMNS, *EXPLAINED]  # for rows that leave the pledge behind


@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(date(2025, 10, 10), tick=False):
        yield


@pytest.fixture
def world(district):
    """A reporter of 通州区; a pledge of 如皋市 (another organization) with an approved update that made it achieved."""
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    own = PledgeFactory(lead_organization=district, metric="本区指标")
    other = PledgeFactory(lead_organization=elsewhere, metric="外地秘密指标")
    approved = ProgressUpdateFactory(pledge=other, as_of=date(2025, 9, 30), value=Decimal(60))
    actions.do_recompute_status(other)
    other.refresh_from_db()
    reporter = UserFactory(username="reporter", is_staff=True)
    Membership.objects.create(user=reporter, organization=district, role="reporter")
    return SimpleNamespace(own=own, other=other, approved=approved, reporter=reporter, other_status=other.target_status)


def updates(*rows, columns=UPDATE_COLUMNS):
    return tablib.Dataset(*rows, headers=columns)


def import_updates(user, *rows, columns=UPDATE_COLUMNS):
    return import_all_or_nothing(ProgressUpdateResource, updates(*rows, columns=columns), user)


def pledge_row(metric="新增科技型企业", **changes):
    """A good pledge row as {column: cell}; `changes` may add columns."""
    row = {"id": "", "metric": metric, "kind": "level", "comparator": ">=", "target": "30", "unit": "家",
           "cumulative": "1", "start_date": "2025-01-01", "deadline": "2025-12-31", "cadence": "quarterly",
           "lead_organization": "通州区", "tolerance": "0.05"}
    return {**row, **changes}


def import_pledges(user, *rows):
    dataset = tablib.Dataset(*[list(row.values()) for row in rows], headers=list(rows[0]))
    return import_all_or_nothing(PledgeResource, dataset, user)


def problems(result):
    """{(row, column): [messages]}: a cell's errors under its column, a whole row's under None, the file's under
    (None, None)."""
    found = {}
    for invalid in result.invalid_rows:
        for column, messages in invalid.field_specific_errors.items():
            found[(invalid.number, column)] = [str(message) for message in messages]
        if invalid.non_field_specific_errors:
            found[(invalid.number, None)] = [str(message) for message in invalid.non_field_specific_errors]
    for number, errors in result.row_errors():
        found[(number, "row")] = [str(error.error) for error in errors]
    if result.base_errors:
        found[(None, None)] = [str(error.error) for error in result.base_errors]
    return found


def only_problem(result):
    (where, messages), = problems(result).items()
    (message,) = messages
    return where, message


# --- 1. The pledge a row resolves to is checked, however its id is written ----------------------------------------


@pytest.mark.parametrize(
    "written", [" {}", "{} ", "+{}", "{}.0", float], ids=["space before", "space after", "plus", "7.0", "JSON 7.0"]
)
def test_a_reporter_cannot_record_progress_on_another_organizations_pledge_however_its_id_is_written(world, written):
    cell = float(world.other.pk) if written is float else written.format(world.other.pk)
    result, stored = import_updates(world.reporter, ["", cell, "2025-09-30", "1", ""])

    assert not stored and list(world.other.updates.all()) == [world.approved]
    missing, _ = import_updates(world.reporter, ["", "99999", "2025-09-30", "1", ""])
    (where, message), ((_, expected),) = only_problem(result), [only_problem(missing)]
    assert where == (1, "pledge")
    assert message == expected.replace("99999", str(world.other.pk)), "a pledge out of reach reads like a missing one"
    assert "外地秘密指标" not in message


def test_the_same_padded_id_of_a_reporters_own_pledge_is_read_as_that_pledge(world):
    result, stored = import_updates(
        world.reporter, ["", f" {world.own.pk} ", "2025-09-30", "12", "", *EXPLAINED.values()], columns=EXPLAINED_COLUMNS
    )
    assert stored, problems(result)
    assert world.own.updates.get().value == 12


def test_a_reporter_cannot_correct_another_organizations_approved_update(world):
    columns = [*UPDATE_COLUMNS, "supersedes"]
    for pledge_cell in (world.own.pk, f" {world.other.pk}"):
        result, stored = import_updates(world.reporter, ["", pledge_cell, "2025-09-30", "1", "", world.approved.pk], columns=columns)
        assert not stored
    world.other.refresh_from_db()
    assert world.other.target_status == world.other_status
    assert not ProgressUpdate.objects.filter(supersedes=world.approved).exists()

    # Correcting an update out of reach reads exactly like correcting one that does not exist.
    def correcting(update_id):
        return problems(import_updates(world.reporter, ["", world.own.pk, "2025-09-30", "1", "", update_id], columns=columns)[0])

    out_of_reach, missing = correcting(world.approved.pk), correcting(99999)
    assert set(out_of_reach) == {(1, "supersedes")}
    assert out_of_reach[(1, "supersedes")] == [m.replace("99999", str(world.approved.pk)) for m in missing[(1, "supersedes")]]


def test_a_correction_must_correct_an_update_of_the_same_pledge(world, district):
    second = PledgeFactory(lead_organization=district, metric="本区另一指标")
    earlier = ProgressUpdateFactory(pledge=second, as_of=date(2025, 6, 30))
    columns = [*UPDATE_COLUMNS, "supersedes"]
    result, stored = import_updates(world.reporter, ["", world.own.pk, "2025-09-30", "1", "", earlier.pk], columns=columns)
    assert not stored and set(problems(result)) == {(1, "supersedes")}


def test_an_update_of_another_organization_named_by_its_id_reads_like_a_missing_one(world):
    exported = [world.approved.pk, world.other.pk, "2025-09-30", "60", ""]
    result, stored = import_updates(world.reporter, exported)
    missing, _ = import_updates(world.reporter, [99999, world.own.pk, "2025-09-30", "60", ""])
    assert not stored
    assert problems(result)[(1, "id")] == [m.replace("99999", str(world.approved.pk)) for m in problems(missing)[(1, "id")]]


def import_file(client, model, name, content: bytes, file_format):
    url = reverse(f"admin:commitments_{model}_import")
    choices = dict((label, value) for value, label in client.get(url).context["form"].fields["format"].choices)
    return client.post(url, {"format": choices.get(file_format, "7"), "import_file": SimpleUploadedFile(name, content)})


def test_the_import_preview_does_not_show_the_metric_of_a_pledge_out_of_reach(client, world):
    client.force_login(world.reporter)
    content = f"id,pledge,as_of,value,note\n,{world.other.pk} ,2025-09-30,1,\n".encode()
    response = import_file(client, "progressupdate", "updates.csv", content, "csv")
    assert response.status_code == 200
    assert "外地秘密指标" not in response.content.decode()
    assert "confirm_form" not in response.context


# --- 2. Formulas go out as text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [FORMULA, "+1+1", "-1+2", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "-", "'=1+1"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", [Decimal("-3.5"), -3.5, -3, "-3.5", "+12", "-1,234.5", "-5%", "-.5", "plain", "", None, "a=1", "5%"])
def test_numbers_and_plain_text_go_out_unchanged(value):
    assert spreadsheet_safe(value) == value


def admin_export(client, model, file_format):
    url = reverse(f"admin:commitments_{model}_export")
    form = client.get(url).context["form"]
    choices = {label: value for value, label in form.fields["format"].choices}
    every_field = {name: "on" for name in form.fields if name not in ("format", "resource", "export_items")}
    response = client.post(url, {"format": choices[file_format], **every_field})
    assert response.status_code == 200, response.content[:500]
    if file_format == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [[cell for cell in row] for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows()]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_admin_exports_write_formulas_as_text_and_numbers_as_numbers(client, staff, district, file_format):
    pledge = PledgeFactory(lead_organization=district, metric=FORMULA, notes="@SUM(A1)", baseline=Decimal("-3.5"))
    ProgressUpdateFactory(pledge=pledge, as_of=date(2025, 6, 30), value=Decimal("-2"), note="+1+1")
    client.force_login(staff)

    pledge_rows, update_rows = admin_export(client, "pledge", file_format), admin_export(client, "progressupdate", file_format)
    if file_format == "xlsx":
        texts = [cell for row in pledge_rows + update_rows for cell in row if str(cell.value).startswith(("'", "="))]
        assert {cell.data_type for cell in texts} == {"s"}
        numbers = [cell.value for row in pledge_rows[1:] + update_rows[1:] for cell in row if cell.data_type == "n"]
        assert Decimal("-3.5") in numbers and -2 in numbers, "a negative number is a number, not a formula"
        pledge_rows = [[cell.value for cell in row] for row in pledge_rows]
        update_rows = [[cell.value for cell in row] for row in update_rows]
    pledge_cells = dict(zip(pledge_rows[0], pledge_rows[1]))
    update_cells = dict(zip(update_rows[0], update_rows[1]))
    assert pledge_cells["metric"] == "'" + FORMULA and pledge_cells["notes"] == "'@SUM(A1)"
    assert update_cells["note"] == "'+1+1" and update_cells["metric"] == "'" + FORMULA


def test_a_formula_like_metric_comes_back_unchanged_through_export_and_import(staff, district):
    pledge = PledgeFactory(lead_organization=district, metric=FORMULA, notes="-")
    for file_format in ("csv", "xlsx"):
        exported = PledgeResource(user=staff).export().export(file_format)
        result = PledgeResource(user=staff).import_data(tablib.Dataset().load(exported, format=file_format), dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors(), problems(result)
        assert [row.import_type for row in result.rows] == ["skip"]
    pledge.refresh_from_db()
    assert (pledge.metric, pledge.notes) == (FORMULA, "-")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_status_table_export_writes_formulas_as_text_and_numbers_as_numbers(client, staff, district, file_format):
    PledgeFactory(lead_organization=district, metric=FORMULA, deadline=date(2025, 6, 30))
    client.force_login(staff)
    response = client.get(reverse("tracker-pledges"), {"_export": file_format})
    if file_format == "csv":
        header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert row[header.index("指标")] == "'" + FORMULA
        return
    header, row = openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows()
    cells = {title.value: cell for title, cell in zip(header, row)}
    assert cells["指标"].data_type == "s" and cells["指标"].value == "'" + FORMULA
    assert cells["剩余天数"].data_type == "n" and cells["剩余天数"].value == -102


# --- 3. Only CSV and XLSX ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["ods", "yaml", "xls", "json", "tsv", "latex", "html", ""])
def test_the_status_table_exports_only_csv_and_xlsx(client, staff, pledge, file_format):
    client.force_login(staff)
    response = client.get(reverse("tracker-pledges"), {"_export": file_format})
    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("text/html") and "attachment" not in response.get("Content-Disposition", "")


@pytest.mark.parametrize("page", ["import", "export"])
@pytest.mark.parametrize("model", ["pledge", "progressupdate"])
def test_the_admin_offers_only_csv_and_xlsx(client, staff, model, page):
    client.force_login(staff)
    form = client.get(reverse(f"admin:commitments_{model}_{page}")).context["form"]
    assert [label for value, label in form.fields["format"].choices if value] == ["csv", "xlsx"]


def test_an_html_table_without_a_header_is_refused_not_a_server_error(client, staff):
    client.force_login(staff)
    response = import_file(client, "pledge", "pledges.html", b"<table><tr><td>1</td></tr></table>", "html")
    assert response.status_code == 200
    assert response.context["form"].errors and not Pledge.objects.exists()


# --- 4. Bad rows: refused by row and column, in words ---------------------------------------------------------------


def test_an_unknown_co_owner_refuses_the_row_naming_the_column_and_the_names(staff, district):
    OrganizationFactory(name="区商务局")
    result, stored = import_pledges(staff, pledge_row(co_owners="区商务局；火星区；金星区"))
    assert not stored and not Pledge.objects.exists()
    where, message = only_problem(result)
    assert where == (1, "co_owners") and "火星区" in message and "金星区" in message and "区商务局" not in message


def test_known_co_owners_are_all_stored(staff, district):
    OrganizationFactory(name="区商务局")
    OrganizationFactory(name="区科技局")
    result, stored = import_pledges(staff, pledge_row(co_owners="区商务局; 区科技局"))
    assert stored, problems(result)
    assert sorted(Pledge.objects.get().co_owners.values_list("name", flat=True)) == ["区商务局", "区科技局"]


@pytest.mark.parametrize(
    "resource_class, columns, unknown, missing",
    [
        (ProgressUpdateResource, ["id", "pledge_id", "date", "value"], ["pledge_id", "date"], ["pledge", "as_of"]),
        (PledgeResource, ["metric", "deadline", "owner"], ["owner"], ["start_date", "lead_organization"]),
    ],
)
def test_a_file_with_wrong_columns_is_refused_naming_them(staff, pledge, resource_class, columns, unknown, missing):
    dataset = tablib.Dataset([{"id": "", "pledge_id": pledge.pk}.get(column, "x") for column in columns], headers=columns)
    result, stored = import_all_or_nothing(resource_class, dataset, staff)
    assert not stored
    where, message = only_problem(result)
    assert where == (None, None)
    for column in unknown + missing:
        assert f"“{column}”" in message


def test_a_file_of_existing_rows_needs_only_their_ids(staff, pledge):
    result, stored = import_pledges(staff, {"id": pledge.pk, "metric": "新名称"})
    assert stored, problems(result)
    pledge.refresh_from_db()
    assert pledge.metric == "新名称"


def test_a_repeated_update_row_is_refused_naming_both_rows(world):
    row = ["", world.own.pk, "2025-09-30", "12", "同一行", *EXPLAINED.values()]
    result, stored = import_updates(
        world.reporter, row, ["", world.own.pk, "2025-06-30", "5", "", *EXPLAINED.values()], list(row),
        columns=EXPLAINED_COLUMNS,
    )
    assert not stored and not ProgressUpdate.objects.filter(pledge=world.own).exists()
    where, message = only_problem(result)
    assert where == (3, None) and "1" in message and "3" in message


def test_a_repeated_pledge_row_or_id_is_refused_naming_both_rows(staff, district, pledge):
    result, _ = import_pledges(staff, pledge_row(), pledge_row())
    assert set(problems(result)) == {(2, None)}
    result, _ = import_pledges(staff, pledge_row(id=pledge.pk, metric="甲"), pledge_row(id=pledge.pk, metric="乙"))
    where, message = only_problem(result)
    assert where == (2, "id") and "1" in message


def test_two_rows_correcting_the_same_update_are_refused(world):
    earlier = ProgressUpdateFactory(pledge=world.own, as_of=date(2025, 6, 30))
    columns = [*EXPLAINED_COLUMNS, "supersedes"]
    given = EXPLAINED.values()
    result, stored = import_updates(
        world.reporter, ["", world.own.pk, "2025-06-30", "7", "", *given, earlier.pk],
        ["", world.own.pk, "2025-06-30", "8", "", *given, earlier.pk], columns=columns,
    )
    assert not stored
    where, message = only_problem(result)
    assert where == (2, "supersedes") and "1" in message


@pytest.mark.parametrize(
    "column, written", [("deadline", "9999-12-31"), ("start_date", "0001-01-01"), ("baseline_date", "1899-12-31")]
)
def test_a_date_outside_1900_to_2200_is_refused_naming_the_column(staff, district, column, written):
    result, stored = import_pledges(staff, pledge_row(**{column: written}))
    assert not stored and set(problems(result)) == {(1, column)}


def test_an_update_as_of_year_one_is_refused(world):
    result, stored = import_updates(world.reporter, ["", world.own.pk, "0001-01-01", "1", ""])
    assert not stored and set(problems(result)) == {(1, "as_of")}


def test_negative_ids_are_refused(staff, world):
    result, stored = import_pledges(staff, pledge_row(id="-5"))
    assert not stored and set(problems(result)) == {(1, "id")}
    assert not Pledge.objects.filter(pk=-5).exists()
    result, stored = import_updates(world.reporter, ["", f"-{world.own.pk}", "2025-09-30", "1", ""])
    assert not stored and set(problems(result)) == {(1, "pledge")}


def test_an_id_that_names_no_row_is_refused_rather_than_creating_one_with_that_id(staff, district):
    result, stored = import_pledges(staff, pledge_row(id="424242"))
    assert not stored and set(problems(result)) == {(1, "id")}


@pytest.mark.parametrize("written, meant", [("是", True), ("否", False), ("yes", True), ("NO", False), ("true", True),
                                            ("0", False), ("1", True), ("Y", True), ("n", False)])
def test_clear_yes_and_no_words_are_read(staff, district, written, meant):
    result, stored = import_pledges(staff, pledge_row(cumulative=written))
    assert stored, problems(result)
    assert Pledge.objects.get().cumulative is meant


@pytest.mark.parametrize("written", ["maybe", "2", "也许"])
def test_anything_else_in_a_yes_no_column_is_refused_naming_it(staff, district, written):
    result, stored = import_pledges(staff, pledge_row(cumulative=written))
    assert not stored
    where, message = only_problem(result)
    assert where == (1, "cumulative") and written in message


RAW = ("class '", "decimal", "Error", "expected a number", "Value could not be parsed", "Traceback")


@pytest.mark.parametrize(
    "cells, column",
    [(["abc", "{own}", "2025-09-30", "1", ""], "id"), (["", "abc", "2025-09-30", "1", ""], "pledge"),
     (["", "{own}", "2025-09-30", "abc", ""], "value"), (["", "{own}", "昨天", "1", ""], "as_of"),
     (["", "{own}", "2025-09-30", "1", ""], None)],
)
def test_every_bad_cell_is_named_by_row_and_column_in_words(world, cells, column):
    cells = [cell.format(own=world.own.pk) for cell in cells]
    if column is None:  # a pledge id with a decimal part
        cells[1], column = f"{world.own.pk}.5", "pledge"
    result, stored = import_updates(world.reporter, cells)
    assert not stored
    where, message = only_problem(result)
    assert where == (1, column)
    assert not any(raw in message for raw in RAW), message


def test_a_gbk_csv_saved_by_chinese_excel_is_read(client, world):
    client.force_login(world.reporter)
    content = (
        "id,pledge,as_of,value,note,cause,measures,back_on_track_by\r\n"
        f",{world.own.pk},2025-09-30,12,三季度统计快报,项目审批延迟,专班推进,2030-12-31\r\n"
    ).encode("gbk")
    response = import_file(client, "progressupdate", "updates.csv", content, "csv")
    assert response.status_code == 200 and not response.context["form"].errors, response.context["form"].errors
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), problems(result)
    confirm = response.context["confirm_form"]
    response = client.post(reverse("admin:commitments_progressupdate_process_import"), confirm.initial)
    assert response.status_code == 302
    assert world.own.updates.get().note == "三季度统计快报"


def test_a_utf8_csv_with_a_byte_order_mark_is_read(client, world):
    client.force_login(world.reporter)
    content = (
        "id,pledge,as_of,value,note,cause,measures,back_on_track_by\n"
        f",{world.own.pk},2025-09-30,12,快报,项目审批延迟,专班推进,2030-12-31\n"
    ).encode("utf-8-sig")
    response = import_file(client, "progressupdate", "updates.csv", content, "csv")
    assert not response.context["result"].has_errors() and response.context["confirm_form"] is not None


def test_a_csv_that_is_not_text_is_refused_saying_why(client, world):
    client.force_login(world.reporter)
    content = b"id,pledge,as_of,value,note\n,1,2025-09-30,12,\0\0\n"
    response = import_file(client, "progressupdate", "updates.csv", content, "csv")
    (error,) = response.context["form"].errors["import_file"]
    with pytest.raises(ValueError) as refused:
        decode_document(content)
    assert error == str(refused.value) and "ValueError" not in error


def test_wrong_columns_are_shown_in_words_in_the_admin_without_a_traceback(client, world):
    client.force_login(world.reporter)
    response = import_file(client, "progressupdate", "updates.csv", b"pledge_id,date,value\n1,2025-09-30,12\n", "csv")
    page = response.content.decode()
    assert "“pledge_id”" in page and "“as_of”" in page
    assert "Traceback" not in page and "Error" not in page and "confirm_form" not in response.context


# --- Bounded work: an import reads a bounded number of rows from a bounded file ---------------------------------


def test_a_file_of_more_rows_than_one_import_reads_is_refused_whole_saying_so(world, settings):
    settings.TRACKER_MAX_IMPORT_ROWS = 3
    rows = [["", world.own.pk, f"2025-0{month}-28", str(month), ""] for month in range(1, 5)]
    result, stored = import_updates(world.reporter, *rows)
    where, message = only_problem(result)
    assert not stored and where == (None, None) and not ProgressUpdate.objects.filter(pledge=world.own).exists()
    assert "4" in message and "3" in message


def test_a_spreadsheet_larger_than_the_upload_bound_is_refused_before_it_is_parsed(client, world):
    client.force_login(world.reporter)
    too_large = b"PK" + b"\0" * (10 * 1024 * 1024)
    response = import_file(client, "progressupdate", "updates.xlsx", too_large, "xlsx")
    (error,) = response.context["form"].errors["import_file"]
    assert "10 MB" in error and "Error" not in error
