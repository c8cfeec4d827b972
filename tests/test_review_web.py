"""Findings of the security review (issue 13) on the manager pages and site-wide: bad page sizes, what the pledge
page counts, who sees health details, serving uploaded files, response headers, error pages, settings, filters."""

import os
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from commitments import actions
from commitments.models import Membership
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.test_browser import browser  # noqa: F401  (the fixture: one headless Chromium for the module)
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(date(2025, 10, 10), tick=False):
        yield


def member(role, organization):
    """A staff user with one role in one organization (and so in everything under it)."""
    user = UserFactory(username=f"{role}-{organization.pk}", is_staff=True)
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
    june = actions.do_record_progress(
        pledge, acting_user=reporter, as_of=date(2025, 6, 30), value=Decimal(20), **EXPLAINED
    )
    actions.do_review_update(june, acting_user=reviewer, approve=True)
    august = actions.do_record_progress(
        pledge, acting_user=reporter, as_of=date(2025, 8, 31), value=Decimal(40), **EXPLAINED
    )
    actions.do_review_update(august, acting_user=reviewer, approve=False, comment="附件与数值不符")
    september = actions.do_record_progress(
        pledge, acting_user=reporter, as_of=date(2025, 9, 30), value=Decimal(45), **EXPLAINED
    )
    correction = actions.do_record_progress(
        pledge, acting_user=reporter, as_of=date(2025, 6, 30), value=Decimal(25), supersedes=june, **EXPLAINED
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


# --- 5. A Content-Security-Policy on every response, Cache-Control: private on pages, exports and files ----


def header_directives(response):
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split(";") if part.strip()
    )


def test_pages_exports_and_the_admin_carry_the_policy_and_are_private(client, staff, pledge):
    client.force_login(staff)
    for url in (reverse("tracker-summary"), reverse("tracker-pledges"), reverse("tracker-pledges") + "?_export=csv",
                reverse("tracker-pledge", args=[pledge.pk]), reverse("admin:index"),
                reverse("admin:commitments_pledge_change", args=[pledge.pk]), reverse("tracker-health")):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = header_directives(response)
        assert policy["script-src"].split(" ")[0] == "'self'" and "'unsafe-inline'" not in policy["script-src"], url
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'", url
        assert "private" in response["Cache-Control"], url
    client.logout()
    assert "private" in client.get(reverse("tracker-login"))["Cache-Control"]


def test_static_files_stay_publicly_cacheable(client):
    response = client.get("/static/commitments/site.css")
    assert response.status_code == 200 and "private" not in response.get("Cache-Control", "")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)")
def test_the_admin_works_under_the_policy_in_a_real_browser(browser, live_server, transactional_db):
    """Autocomplete, the inline formset, the export page's "select all" and the admin's language switch all run
    JavaScript: none of it is refused."""
    district = OrganizationFactory(name="通州区", level="district")
    pledge = PledgeFactory(lead_organization=district)
    UserFactory(username="root", password="root-pass-1", is_staff=True, is_superuser=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "root-pass-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}{reverse('admin:commitments_pledge_change', args=[pledge.pk])}")
    page.click("#select2-id_lead_organization-container")  # the autocomplete asks the server as you type
    page.locator(".select2-container--open .select2-search__field").fill("通州")
    page.locator(".select2-results__option", has_text="通州区").first.wait_for(state="visible")  # the answer arrives
    page.keyboard.press("Escape")
    page.goto(f"{live_server.url}{reverse('admin:commitments_pledge_export')}")
    toggle = page.locator("input.select-toggle").first
    toggle.uncheck()
    assert page.locator(".selectable-field-export-row input[type=checkbox]:checked").count() == 0

    page.goto(f"{live_server.url}/admin/")
    with page.expect_navigation():
        page.select_option("#tracker-language", "en")  # submits the form by itself
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()
    assert refused == []


# --- 7. Production settings refuse to start without a SECRET_KEY ----------------------------------------


def manage_check(tmp_path, **environment):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "SECURE_SSL")}
    env |= {"DJANGO_SETTINGS_MODULE": "tracker.settings", "TRACKER_VAR_DIR": str(tmp_path), **environment}
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)


def test_with_secure_ssl_a_missing_secret_key_stops_the_start_with_a_clear_message(tmp_path):
    refused = manage_check(tmp_path, SECURE_SSL="1")
    assert refused.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set. With SECURE_SSL=1 set SECRET_KEY" in refused.stderr
    assert not (tmp_path / "secret_key").exists()
    assert manage_check(tmp_path, SECURE_SSL="1", SECRET_KEY="k" * 60).returncode == 0


def test_without_secure_ssl_a_key_is_still_generated_for_a_local_run(tmp_path):
    assert manage_check(tmp_path).returncode == 0
    assert len((tmp_path / "secret_key").read_text()) > 50


# --- 6. Error pages in the site's language and look ------------------------------------------------------


def test_an_unknown_page_says_so_in_the_sites_look(client, staff):
    client.force_login(staff)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404 and "<h1>页面不存在</h1>" in page
    assert 'class="site"' in page and "返回总览" in page


def test_an_unknown_page_in_english(client):
    client.cookies["django_language"] = "en"
    page = client.get("/no-such-page/").content.decode()
    assert "<h1>Page not found</h1>" in page


def test_the_error_page_needs_no_request_no_database_and_no_stylesheet(rf, django_assert_num_queries):
    from django.utils import translation
    from django.views.defaults import server_error

    with django_assert_num_queries(0), translation.override("zh-hans"):  # the language middleware chose it earlier
        response = server_error(rf.get("/"))
    page = response.content.decode()
    assert response.status_code == 500 and "<h1>服务器出错</h1>" in page and "请稍后重试" in page
    assert "<link" not in page


# --- 8. The status table's filters offer only what the user may open --------------------------------------


def test_the_filters_offer_only_organizations_and_documents_the_user_may_open(client, city, district):
    from tests.factories import SourceDocumentFactory

    elsewhere = OrganizationFactory(name="如皋市", level="city")
    PledgeFactory(lead_organization=district, source_document=SourceDocumentFactory(title="通州区2025年目标"))
    PledgeFactory(lead_organization=elsewhere, source_document=SourceDocumentFactory(title="如皋市保密文件"))
    SourceDocumentFactory(title="尚无目标的文件")
    client.force_login(member("manager", district))
    response = client.get(reverse("tracker-pledges"))
    form = response.context["filter"].form
    assert [document.title for document in form.fields["document"].queryset] == ["通州区2025年目标"]
    assert [org.name for org in form.fields["organization"].queryset] == ["通州区"]
    page = response.content.decode()
    assert "如皋市" not in page and "尚无目标的文件" not in page and "南通市" not in page

    asked = client.get(reverse("tracker-pledges"), {"organization": elsewhere.pk})
    assert list(asked.context["table"].rows) == [] and "如皋市" not in asked.content.decode()
