"""From an uploaded document, through review, to tracked pledges."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments import actions, documents
from commitments.models import Pledge, PledgeDraft, SourceDocument
from tests.factories import OrganizationFactory

# Transactional: the extraction job the admin queues is handed to Celery when the request's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

REPORT = (
    "如东县2026年重点工作\n\n"
    "如东县县长王明表示，今年如东将全力以赴抓项目，全年新增规上工业企业120家以上，"
    "社会消费品零售总额增长7%，全社会研发投入占比达3.2%。\n"
    "去年，如东新开工重大项目41个。\n"
)


@pytest.fixture
def county(city):
    return OrganizationFactory(name="如东县", short_name="如东", parent=city, level="district")


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture(autouse=True)
def jobs_run_at_once():
    """The extraction job the admin queues runs inline as soon as it is queued, as a worker would run it."""
    from tracker.celery import app

    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(task_always_eager=False, task_eager_propagates=False)


def upload(admin_client, text=REPORT, encoding="gbk", title="如东县2026年重点工作"):
    return admin_client.post(
        reverse("admin:commitments_sourcedocument_add"),
        {"title": title, "issuing_body": "如东县", "issued_on": "2026-02-10", "url": "", "full_text": "",
         "file": SimpleUploadedFile("report.txt", text.encode(encoding), content_type="text/plain")},
    )


@time_machine.travel(date(2026, 3, 1), tick=False)
def test_an_uploaded_document_goes_through_review_to_tracked_pledges(admin_client, county):
    response = upload(admin_client)
    assert response.status_code == 302
    document = SourceDocument.objects.get()
    assert "全年新增规上工业企业120家以上" in document.full_text  # read from a GBK file

    drafts = {draft.metric: draft for draft in document.drafts.all()}
    assert {"规上工业企业", "社会消费品零售总额", "全社会研发投入占比"} <= {m.removeprefix("新增") for m in drafts} | set(drafts)
    assert not any("41" in draft.sentence for draft in drafts.values())  # last year's result is not a pledge
    firms = next(d for m, d in drafts.items() if "规上工业企业" in m)
    assert (firms.comparator, firms.value, firms.unit, firms.kind, firms.deadline) == (">=", Decimal(120), "家", "level", date(2026, 12, 31))
    assert firms.organization == county

    # Staff edit one draft, reject one and accept the rest.
    retail = next(d for m, d in drafts.items() if "零售" in m)
    change = admin_client.post(
        reverse("admin:commitments_pledgedraft_change", args=[retail.pk]),
        {"metric": "社零总额", "kind": "growth", "comparator": ">=", "value": "7", "low": "", "high": "", "unit": "%",
         "deadline": "2026-12-31", "organization": county.pk},
    )
    assert change.status_code == 302
    research = next(d for m, d in drafts.items() if "研发" in m)
    changelist = reverse("admin:commitments_pledgedraft_changelist")
    admin_client.post(changelist, {"action": "reject", "_selected_action": [research.pk]})
    admin_client.post(changelist, {"action": "accept", "_selected_action": [d.pk for d in drafts.values()]})

    assert set(Pledge.objects.values_list("metric", flat=True)) == {firms.metric, "社零总额"}
    pledge = Pledge.objects.get(metric="社零总额")
    assert (pledge.comparator, pledge.kind, pledge.source_document, pledge.lead_organization) == (">=", "growth", document, county)
    assert pledge.source_sentence in document.full_text
    assert PledgeDraft.objects.get(pk=research.pk).state == "rejected"


@time_machine.travel(date(2026, 3, 1), tick=False)
def test_extracting_the_same_document_again_creates_no_duplicates(admin_client, county):
    upload(admin_client)
    document = SourceDocument.objects.get()
    first = document.drafts.count()
    assert first >= 3
    draft = document.drafts.first()
    actions.do_accept_draft(draft, acting_user=None) if draft.organization else None
    assert documents.extract_drafts(document.pk)["new"] == 0
    admin_client.post(reverse("admin:commitments_sourcedocument_changelist"), {"action": "extract_again", "_selected_action": [document.pk]})
    assert document.drafts.count() == first
    assert Pledge.objects.count() == (1 if draft.organization else 0)


def test_a_binary_upload_is_refused_with_the_field_named(admin_client):
    response = upload(admin_client, text="\0\0\0PNG", encoding="latin-1")
    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not SourceDocument.objects.exists()


def test_accepting_needs_an_organization_and_says_so(admin_client):
    admin_client.cookies.load({"django_language": "en"})
    upload(admin_client, title="无主文件")  # no organization called 如东县 exists: drafts have none
    document = SourceDocument.objects.get()
    draft = document.drafts.first()
    changelist = reverse("admin:commitments_pledgedraft_changelist")
    response = admin_client.post(changelist, {"action": "accept", "_selected_action": [draft.pk]}, follow=True)
    assert not Pledge.objects.exists()
    assert "choose the lead organization before accepting" in response.content.decode()
