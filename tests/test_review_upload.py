"""Security review of issue 13, "one large upload makes the app unusable": a 10 MB document took 45.8 s in the request,
created 238,312 drafts, and the document list then grouped by every column (the full text included) for minutes
while every login failed with "database is locked".

Now the request only reads and saves the text; a Celery job extracts the drafts (at most
TRACKER_MAX_DRAFTS_PER_DOCUMENT, saying so when there were more) and records its progress on the document; the list
counts drafts in a subquery without reading any document's text.
"""

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments import documents
from commitments.documents import MAX_DOCUMENT_BYTES
from commitments.extraction import extract
from commitments.models import PledgeDraft, SourceDocument
from tests.factories import SourceDocumentFactory

# Three targets a copy (new firms, retail sales, research share); last year's result is no target.
REPORT = (
    "如东县县长王明表示，今年如东将全力以赴抓项目，全年新增规上工业企业120家以上，"
    "社会消费品零售总额增长7%，全社会研发投入占比达3.2%。\n"
    "去年，如东新开工重大项目41个。\n"
)
TARGETS_PER_REPORT = 3


def reports(copies: int) -> str:
    """`copies` reports, each with figures of its own: a target stated twice in one document is drafted once."""
    return "".join(
        REPORT.replace("120", str(120 + i)).replace("7%", f"{7 + i}%").replace("3.2%", f"{3 + i}.2%")
        for i in range(copies)
    )


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    client.cookies.load({"django_language": "en"})
    return client


def upload(admin_client, content: bytes, title="如东县2026年重点工作"):
    return admin_client.post(
        reverse("admin:commitments_sourcedocument_add"),
        {"title": title, "issuing_body": "如东县", "issued_on": "2026-02-10", "url": "", "full_text": "",
         "file": SimpleUploadedFile("report.txt", content, content_type="text/plain")},
    )


def document_list(admin_client):
    return admin_client.get(reverse("admin:commitments_sourcedocument_changelist"))


def wait_for_extraction(document, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.extraction_state in (SourceDocument.Extraction.DONE, SourceDocument.Extraction.FAILED):
            return document
        time.sleep(0.2)
    raise AssertionError(f"the extraction is still {document.extraction_state!r} after {seconds} s")


# --- The request only saves; the job extracts ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_10_mb_document_is_saved_in_seconds_and_its_extraction_is_queued_not_run(
    admin_client, django_capture_on_commit_callbacks
):
    content = REPORT.encode() * (MAX_DOCUMENT_BYTES // len(REPORT.encode()))  # just under the 10 MB read
    with django_capture_on_commit_callbacks() as queued:
        started = time.perf_counter()
        response = upload(admin_client, content)
        elapsed = time.perf_counter() - started

    assert response.status_code == 302
    assert elapsed < 15, f"saving a 10 MB document took {elapsed:.1f} s"  # extracting it takes ~40 s
    document = SourceDocument.objects.get()
    assert len(document.full_text) == len(content.decode())
    assert not PledgeDraft.objects.exists()  # none made in the request
    assert document.extraction_state == SourceDocument.Extraction.QUEUED
    assert len(queued) == 1  # the job, handed to Celery once the document is committed

    started = time.perf_counter()
    page = document_list(admin_client)
    assert time.perf_counter() - started < 5
    assert "queued for extraction" in page.content.decode()


def test_the_worker_extracts_an_uploaded_document_and_the_list_shows_how_many_drafts(admin_client, celery_worker):
    copies = 50
    response = upload(admin_client, reports(copies).encode("gbk"))
    assert response.status_code == 302
    assert "being extracted" in admin_client.get(response.url).content.decode()

    document = wait_for_extraction(SourceDocument.objects.get())
    assert document.extraction_state == SourceDocument.Extraction.DONE, document.extraction_message
    assert document.drafts.count() == document.extraction_drafts == copies * TARGETS_PER_REPORT
    assert document.extraction_message == ""
    assert document.extraction_finished_at <= timezone.now()
    done = f"done: {copies * TARGETS_PER_REPORT} drafts"
    assert done in document_list(admin_client).content.decode()
    change_page = admin_client.get(reverse("admin:commitments_sourcedocument_change", args=[document.pk]))
    assert done in change_page.content.decode()


def test_extract_again_in_the_admin_queues_the_job(admin_client, celery_worker):
    document = SourceDocumentFactory(full_text=REPORT)
    changelist = reverse("admin:commitments_sourcedocument_changelist")
    response = admin_client.post(changelist, {"action": "extract_again", "_selected_action": [document.pk]}, follow=True)
    assert "Extraction queued for 1 document" in response.content.decode()
    assert wait_for_extraction(document).drafts.count() == TARGETS_PER_REPORT


@pytest.mark.django_db
def test_documents_left_queued_while_the_broker_was_down_are_extracted_by_the_command(admin_client):
    from django.core.management import call_command

    waiting = SourceDocumentFactory(full_text=REPORT, extraction_state=SourceDocument.Extraction.QUEUED)
    untouched = SourceDocumentFactory(full_text=REPORT)  # never queued (like the demo documents)
    call_command("extract_pledges", "--queued")
    waiting.refresh_from_db()
    assert (waiting.extraction_state, waiting.drafts.count()) == (SourceDocument.Extraction.DONE, TARGETS_PER_REPORT)
    assert not untouched.drafts.exists()


# --- The cap ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_document_with_more_targets_than_the_cap_keeps_the_first_and_says_so(admin_client, settings):
    settings.TRACKER_MAX_DRAFTS_PER_DOCUMENT = 5
    settings.LANGUAGE_CODE = "en"  # the job writes its message in the installation's language
    document = SourceDocumentFactory(full_text=reports(4))  # 12 targets

    summary = documents.extract_drafts(document.pk)

    document.refresh_from_db()
    # Reading stops at the first target past the cap: 6 of the 12 are read, 5 kept.
    assert (summary["found"], summary["kept"], document.drafts.count(), document.extraction_drafts) == (6, 5, 5, 5)
    first_five = sorted(draft.start for draft in extract(document.full_text, document.issued_on.year))[:5]
    assert sorted(document.drafts.values_list("position", flat=True)) == first_five
    message = "found more than 5 targets; only the first 5 were kept — is this one document?"
    assert document.extraction_message == message
    assert f"done: 5 drafts ({message})" in document_list(admin_client).content.decode()

    documents.extract_drafts(document.pk)  # again: still the same five
    assert document.drafts.count() == 5


@pytest.mark.django_db
def test_a_number_no_pledge_can_hold_is_not_kept_as_a_draft():
    document = SourceDocumentFactory(full_text="全年新增规上工业企业1234567890123456789012家以上，社会消费品零售总额增长7%。")
    documents.extract_drafts(document.pk)
    assert list(document.drafts.values_list("metric", flat=True)) == ["社会消费品零售总额"]


@pytest.mark.django_db
def test_a_failed_extraction_shows_why_in_the_list(admin_client):
    SourceDocumentFactory(
        extraction_state=SourceDocument.Extraction.FAILED,
        extraction_message="the extractor took longer than 300 seconds and was stopped",
    )
    SourceDocumentFactory(extraction_state=SourceDocument.Extraction.RUNNING)
    page = document_list(admin_client).content.decode()
    assert "failed: the extractor took longer than 300 seconds and was stopped" in page
    assert "extracting…" in page


# --- What an upload may hold -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_nul_byte_after_the_first_8_kb_is_refused_with_the_file_field_named(admin_client):
    text = ("全年新增规上工业企业120家以上。" * 1000).encode()
    content = text + b"\0" + text  # UTF-8 but for one NUL byte (as in a Word file renamed .txt)
    assert content.index(b"\0") > 8192
    response = upload(admin_client, content)
    assert response.status_code == 200
    assert "not plain text" in " ".join(response.context["adminform"].form.errors["file"])
    assert not SourceDocument.objects.exists()


@pytest.mark.django_db
def test_an_upload_over_10_mb_is_refused_with_its_size_without_reading_all_of_it(admin_client):
    response = upload(admin_client, b"x" * (MAX_DOCUMENT_BYTES + 512 * 1024))
    assert response.status_code == 200
    assert "the file has 10.5 MB; at most 10 MB of text is read" in response.context["adminform"].form.errors["file"]
    assert not SourceDocument.objects.exists()


# --- The document list -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_document_list_counts_drafts_without_reading_or_grouping_by_the_text(admin_client):
    def list_queries():
        with CaptureQueriesContext(connection) as captured:
            assert document_list(admin_client).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    def add_documents(count):
        for _ in range(count):
            document = SourceDocumentFactory(full_text=REPORT)
            documents.extract_drafts(document.pk)

    add_documents(2)
    few = list_queries()
    add_documents(10)
    many = list_queries()

    assert len(many) == len(few)  # no query per document
    listing = [sql for sql in many if "commitments_sourcedocument" in sql and "commitments_pledgedraft" in sql]
    assert listing, many
    assert not any("full_text" in sql for sql in many)  # neither selected nor grouped by
    grouped_by = [column for sql in listing for column in re.findall(r"GROUP BY ([\w.\"]+)", sql)]
    assert all(column.endswith('"document_id"') for column in grouped_by), grouped_by  # only the drafts, in a subquery
    page = document_list(admin_client).content.decode()
    assert page.count(f">{TARGETS_PER_REPORT}</a>") == 12  # each document's draft count, linked to its drafts
