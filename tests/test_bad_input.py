"""Bad input where staff type or upload: a clear error naming the field, never a server error, nothing half-stored."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.documents import MAX_DOCUMENT_BYTES
from commitments.models import ProgressUpdate, SourceDocument
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db

NASTY_NUMBERS = st.one_of(
    st.sampled_from(["NaN", "nan", "Infinity", "-inf", "1e400", "9" * 30, "三十二", "３２", "32个", "1,000", "", " ", "0x1F",
                     "<script>alert(1)</script>", "１２.５", "--5", "5-", "½"]),
    st.text(max_size=40),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)
NASTY_DATES = st.one_of(
    st.sampled_from(["2025-02-30", "2025-13-01", "0000-01-01", "9999-12-31", "2025/09/30", "昨天", "", "2025-9-31"]),
    st.text(max_size=20),
)


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@time_machine.travel(date(2025, 10, 10), tick=False)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NASTY_NUMBERS, as_of=NASTY_DATES)
def test_any_value_and_date_typed_into_a_progress_update_is_stored_whole_or_refused_with_the_field_named(
    admin_client, pledge, value, as_of
):
    before = ProgressUpdate.objects.count()
    # With a cause and measures, as an update that leaves the pledge behind needs: only the value and date are on trial.
    form = {"pledge": pledge.pk, "as_of": as_of, "value": value, **EXPLAINED}
    response = admin_client.post(reverse("admin:commitments_progressupdate_add"), form)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        errors = response.context["adminform"].form.errors
        assert set(errors) & {"value", "as_of"}, errors
        assert ProgressUpdate.objects.count() == before
    else:
        stored = ProgressUpdate.objects.latest("id")
        assert stored.value is not None and stored.value.is_finite()
        pledge.refresh_from_db()
        assert pledge.status_assessed_on == date(2025, 10, 10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=NASTY_NUMBERS, deadline=NASTY_DATES)
def test_any_target_and_deadline_typed_into_a_pledge_is_refused_or_stored_whole(admin_client, district, target, deadline):
    from commitments.models import Pledge

    before = Pledge.objects.count()
    response = admin_client.post(
        reverse("admin:commitments_pledge_add"),
        {"metric": "新增企业", "kind": "level", "comparator": ">=", "target": target, "tolerance": "0.05", "unit": "家",
         "start_date": "2025-01-01", "deadline": deadline, "cadence": "quarterly", "lead_organization": district.pk,
         "updates-TOTAL_FORMS": "0", "updates-INITIAL_FORMS": "0", "updates-2-TOTAL_FORMS": "0", "updates-2-INITIAL_FORMS": "0",
         "status_changes-TOTAL_FORMS": "0", "status_changes-INITIAL_FORMS": "0"},
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert set(response.context["adminform"].form.errors) & {"target", "deadline"}
        assert Pledge.objects.count() == before


def upload(admin_client, content: bytes):
    return admin_client.post(
        reverse("admin:commitments_sourcedocument_add"),
        {"title": "上传测试", "issuing_body": "", "issued_on": "2025-01-01", "url": "", "full_text": "",
         "file": SimpleUploadedFile("doc.txt", content, content_type="text/plain")},
    )


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not plain text"),
        (b"x" * (MAX_DOCUMENT_BYTES + 1), "MB"),
        (bytes(range(128, 256)) * 10, "neither UTF-8 nor GBK"),
    ],
    ids=["binary", "over 10 MB", "undecodable"],
)
def test_a_bad_document_upload_is_refused_with_the_file_field_named(admin_client, content, problem):
    admin_client.cookies.load({"django_language": "en"})  # the problems are checked in English words
    response = upload(admin_client, content)
    assert response.status_code == 200
    assert problem in " ".join(response.context["adminform"].form.errors["file"])
    assert not SourceDocument.objects.exists()


def test_a_gbk_document_is_read_correctly(admin_client):
    assert upload(admin_client, "全年新增规上工业企业120家以上。".encode("gbk")).status_code == 302
    assert SourceDocument.objects.get().full_text == "全年新增规上工业企业120家以上。"


def test_script_in_a_note_is_shown_escaped(admin_client, pledge):
    with time_machine.travel(date(2025, 10, 10), tick=False):
        admin_client.post(reverse("admin:commitments_progressupdate_add"),
                          {"pledge": pledge.pk, "as_of": "2025-09-30", "value": "10", "note": "<script>alert('x')</script>",
                           **EXPLAINED})
        page = admin_client.get(reverse("tracker-pledge", args=[pledge.pk])).content.decode()
    assert "<script>alert('x')</script>" not in page and "&lt;script&gt;" in page


@time_machine.travel(date(2025, 10, 10), tick=False)
@pytest.mark.parametrize("value", ["9999999999999999.9999", "-9999999999999999", "1000000000000001"])
def test_values_beyond_a_thousand_trillion_are_refused_so_every_database_reads_them_back(admin_client, pledge, value):
    response = admin_client.post(reverse("admin:commitments_progressupdate_add"), {"pledge": pledge.pk, "as_of": "2025-09-30", "value": value})
    assert response.status_code == 200 and "value" in response.context["adminform"].form.errors


@time_machine.travel(date(2025, 10, 10), tick=False)
@pytest.mark.parametrize(
    "typed, stored",
    [("１２３．５", "123.5"), ("１２３", "123"), ("1,234", "1234"), ("１，２３４．５", "1234.5"), (" 12 ", "12"), ("−3", "-3")],
    ids=["full-width", "full-width integer", "thousands", "full-width thousands", "spaces", "minus sign"],
)
def test_numbers_from_a_chinese_input_method_or_a_spreadsheet_are_read_as_meant(admin_client, pledge, typed, stored):
    response = admin_client.post(reverse("admin:commitments_progressupdate_add"), {"pledge": pledge.pk, "as_of": "2025-09-30", "value": typed, **EXPLAINED})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ProgressUpdate.objects.get().value == Decimal(stored)


@time_machine.travel(date(2025, 10, 10), tick=False)
@pytest.mark.parametrize("typed", ["7.2%", "3.5％", "30个", "8000万美元"])
def test_a_number_typed_with_its_unit_is_refused_saying_to_leave_the_unit_out(admin_client, pledge, typed):
    response = admin_client.post(reverse("admin:commitments_progressupdate_add"), {"pledge": pledge.pk, "as_of": "2025-09-30", "value": typed, **EXPLAINED})
    assert response.status_code == 200
    assert "不带单位" in " ".join(response.context["adminform"].form.errors["value"])
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("typed", ["12,34", "1,2345", "1.234,5"])
def test_commas_that_do_not_group_thousands_are_refused_not_guessed(admin_client, pledge, typed):
    response = admin_client.post(reverse("admin:commitments_progressupdate_add"), {"pledge": pledge.pk, "as_of": "2025-09-30", "value": typed, **EXPLAINED})
    assert response.status_code == 200 and "value" in response.context["adminform"].form.errors


def test_value_boxes_are_text_boxes_that_bring_up_a_number_keyboard(admin_client):
    page = admin_client.get(reverse("admin:commitments_progressupdate_add")).content.decode()
    assert 'name="value"' in page and 'inputmode="decimal"' in page and 'type="number"' not in page
