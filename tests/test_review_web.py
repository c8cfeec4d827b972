"""Findings of the security review (issue 13) on the manager pages and site-wide: bad page sizes, what the pledge
page counts, who sees health details, serving uploaded files, response headers, error pages, settings, filters."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from commitments import actions
from commitments.models import Membership
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(date(2025, 10, 10), tick=False):
        yield


def member(role, organization, username=None):
    """A staff user with one role in one organization (and so in everything under it)."""
    user = UserFactory(username=username or f"{role}-{organization.pk}", is_staff=True)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


# --- 1. A bad ?per_page= is the page's default, never a 500 --------------------------------------------


@pytest.mark.parametrize("per_page", ["-1", "0", "abc", "", "1e3"])
@pytest.mark.parametrize("page", ["tracker-pledges", "tracker-organization"])
def test_a_page_size_below_one_or_not_a_number_shows_the_default_page(client, staff, district, page, per_page):
    PledgeFactory.create_batch(3, lead_organization=district)
    client.force_login(staff)
    url = reverse(page, args=[district.pk] if page == "tracker-organization" else [])
    response = client.get(url, {"per_page": per_page})
    assert response.status_code == 200
    assert response.context["table"].paginator.per_page == (25 if page == "tracker-pledges" else 50)
    assert len(response.context["table"].page.object_list) == 3


@pytest.mark.parametrize("page", ["tracker-pledges", "tracker-organization"])
def test_a_huge_page_size_is_bounded_and_keeps_the_page_asked_for(client, staff, district, page):
    PledgeFactory.create_batch(3, lead_organization=district)
    client.force_login(staff)
    url = reverse(page, args=[district.pk] if page == "tracker-organization" else [])
    response = client.get(url, {"per_page": str(10**30)})
    assert response.status_code == 200 and response.context["table"].paginator.per_page == 500
    response = client.get(url, {"per_page": "2", "page": "2"})
    assert response.context["table"].page.number == 2 and len(response.context["table"].page.object_list) == 1


# --- 2. The pledge page counts and plots only approved updates ------------------------------------------


@pytest.fixture
def under_review(district):
    """A pledge whose organization needs approval: an approved 20 (June), a pending 45 (September), a returned 40
    (August, with the reviewer's comment), and a pending correction of the June value (to 25)."""
    district.requires_approval = True
    district.save()
    pledge = PledgeFactory(lead_organization=district)
    reporter, reviewer = member("reporter", district), member("reviewer", district)
    june = actions.do_record_progress(pledge, acting_user=reporter, as_of=date(2025, 6, 30), value=Decimal(20))
    actions.do_review_update(june, acting_user=reviewer, approve=True)
    august = actions.do_record_progress(pledge, acting_user=reporter, as_of=date(2025, 8, 31), value=Decimal(40))
    actions.do_review_update(august, acting_user=reviewer, approve=False, comment="附件与数值不符")
    september = actions.do_record_progress(pledge, acting_user=reporter, as_of=date(2025, 9, 30), value=Decimal(45))
    correction = actions.do_record_progress(
        pledge, acting_user=reporter, as_of=date(2025, 6, 30), value=Decimal(25), supersedes=june
    )
    return {"pledge": pledge, "june": june, "august": august, "september": september, "correction": correction,
            "reviewer": reviewer, "reporter": reporter}


def standing_by_value(response):
    return {row["value"]: (row["standing"], row["counts"]) for row in response.context["update_rows"]}


def test_pending_and_returned_updates_are_listed_as_such_and_do_not_count(client, staff, under_review):
    client.force_login(staff)
    response = client.get(reverse("tracker-pledge", args=[under_review["pledge"].pk]))
    assert standing_by_value(response) == {
        "45个": ("待审核", False),
        "40个": ("已退回：附件与数值不符", False),
        "25个": ("待审核", False),
        "20个": ("计入（更正待审核）", True),
    }
    page = response.content.decode()
    assert page.count('class="pending"') == 2 and page.count('class="superseded"') == 1


def test_the_chart_plots_only_the_updates_that_count(client, staff, under_review):
    client.force_login(staff)
    chart = client.get(reverse("tracker-pledge", args=[under_review["pledge"].pk])).context["chart"]
    assert [label for _, _, label in chart.dots] == ["2025-06-30: 20个"]


def test_once_approved_a_correction_counts_and_the_original_reads_corrected(client, staff, under_review):
    actions.do_review_update(under_review["correction"], acting_user=under_review["reviewer"], approve=True)
    actions.do_review_update(under_review["september"], acting_user=under_review["reviewer"], approve=True)
    client.force_login(staff)
    response = client.get(reverse("tracker-pledge", args=[under_review["pledge"].pk]))
    standing = standing_by_value(response)
    assert standing["25个"][1] and standing["25个"][0].startswith("更正")
    assert not standing["20个"][1] and standing["20个"][0].startswith("已于")
    assert [label for _, _, label in response.context["chart"].dots] == ["2025-06-30: 25个", "2025-09-30: 45个"]



# --- 3. Health details are for administrators only ----------------------------------------------------


@pytest.fixture
def roles(district):
    return {role: member(role, district) for role in ("reporter", "reviewer", "manager", "administrator")}


@pytest.mark.parametrize("role", ["reporter", "reviewer", "manager", "administrator"])
def test_health_details_and_the_admin_panel_are_for_administrators_only(client, roles, role, broker_url):
    client.force_login(roles[role])
    checks = client.get(reverse("tracker-health")).json()["checks"]
    index = client.get(reverse("admin:index")).content.decode()
    if role == "administrator":
        assert all(check["detail"] for check in checks.values())
        assert "系统运行状况" in index
    else:
        assert all(set(check) == {"state"} for check in checks.values())
        assert "系统运行状况" not in index


# --- 4. Uploaded files are served to those who may see what they belong to ------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def uploads(media, city, district):
    """Evidence of a 通州区 pledge (an image, a PDF, an HTML page) and a source document's file; 如皋市 is elsewhere."""
    from django.core.files.base import ContentFile

    from tests.factories import ProgressUpdateFactory, SourceDocumentFactory

    elsewhere = OrganizationFactory(name="如皋市", level="city")
    document = SourceDocumentFactory(title="通州区2025年目标")
    own = PledgeFactory(lead_organization=district, source_document=document)
    other = PledgeFactory(lead_organization=elsewhere, metric="外地指标")
    files = {}
    for key, pledge, name, content in [
        ("image", own, "照片.png", b"\x89PNG\r\n\x1a\n"),
        ("pdf", own, "证明.pdf", b"%PDF-1.4"),
        ("html", own, "page.html", b"<script>alert(1)</script>"),
        ("other", other, "外地.txt", b"elsewhere"),
    ]:
        files[key] = ProgressUpdateFactory(pledge=pledge, evidence_file=ContentFile(content, name=name)).evidence_file
    document.file.save("报告.docx", ContentFile(b"PK"))
    files["document"] = document.file
    unowned = SourceDocumentFactory(title="尚无目标的文件", file=ContentFile(b"no pledges yet", name="新文件.txt"))
    files["unowned_document"] = unowned.file
    return files


def fetch(client, stored):
    return client.get(stored.url)


def test_a_user_gets_the_files_of_what_they_may_see(client, district, uploads):
    client.force_login(member("manager", district))
    image = fetch(client, uploads["image"])
    assert image.status_code == 200 and b"".join(image.streaming_content) == b"\x89PNG\r\n\x1a\n"
    assert image["Content-Type"] == "image/png" and image["Content-Disposition"].startswith("inline")
    assert image["X-Content-Type-Options"] == "nosniff"
    for key in ("pdf", "html", "document"):
        response = fetch(client, uploads[key])
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment"), key


def test_files_of_what_a_user_may_not_see_answer_404_like_unknown_names(client, district, uploads):
    client.force_login(member("reporter", district))
    for key in ("other", "unowned_document"):
        assert fetch(client, uploads[key]).status_code == 404, key
    missing = fetch(client, uploads["image"]).wsgi_request.path.replace("照片", "没有")
    assert client.get(missing).status_code == 404


def test_an_administrator_gets_every_file(client, district, uploads):
    client.force_login(member("administrator", district))
    assert all(fetch(client, stored).status_code == 200 for stored in uploads.values())


def test_no_path_leaves_the_media_folder(client, staff, media, uploads):
    (media.parent / "secret.txt").write_text("outside")
    client.force_login(staff)
    for path in ("/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/evidence/../../secret.txt",
                 "/media/..%5csecret.txt", "/media//etc/passwd", "/media/"):
        assert client.get(path).status_code == 404, path


def test_a_file_needs_a_login(client, uploads):
    response = fetch(client, uploads["image"])
    assert response.status_code == 302 and reverse("tracker-login") in response["Location"]
