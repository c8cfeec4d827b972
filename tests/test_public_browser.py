"""The public portal in a real headless Chromium (Debian's, driven by Playwright), without logging in: the list with a
filter, a pledge's page with its chart and embeddable card, the English version. Screenshots go to test-artifacts/."""

import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from commitments import actions
from commitments.models import Category, Publication, SourceDocument
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TODAY = date(2025, 7, 15)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)"),
]


@pytest.fixture
def page(transactional_db):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser.new_page(viewport={"width": 1200, "height": 900})
        browser.close()


@pytest.fixture
def portal(settings):
    settings.TRACKER_PUBLIC_CACHE_SECONDS = 0
    city = OrganizationFactory(name="南通市", level="city")
    district = OrganizationFactory(name="通州区", level="district", parent=city)
    Publication.objects.create(organization=city)
    report = SourceDocument.objects.create(title="2025年政府工作报告", issuing_body="市人民政府", url="https://gov.example/report")
    industry = Category.objects.create(name="产业创新")
    with time_machine.travel(TODAY, tick=False):
        projects = PledgeFactory(lead_organization=district, source_document=report, category=industry)
        for value, as_of in ((12, date(2025, 3, 31)), (27, date(2025, 6, 30))):
            ProgressUpdateFactory(pledge=projects, value=Decimal(value), as_of=as_of)
        behind = PledgeFactory(
            lead_organization=city, metric="新增城镇就业", target=Decimal(8), unit="万人", source_sentence="全年新增城镇就业8万人",
        )
        ProgressUpdateFactory(
            pledge=behind, value=Decimal(2), as_of=date(2025, 6, 30), cause="招聘会推迟", measures="增开专场",
            back_on_track_by=date(2025, 9, 30),
        )
        for pledge in (projects, behind):
            actions.do_recompute_status(pledge)
    return {"projects": projects, "behind": behind}


def test_a_visitor_reads_the_list_a_pledge_and_its_card_without_logging_in(live_server, page, portal):
    problems = []
    page.on("requestfailed", lambda request: problems.append(request.url))
    page.on("response", lambda response: problems.append(response.url) if response.status >= 400 and "favicon" not in response.url else None)
    with time_machine.travel(TODAY, tick=True):
        page.goto(f"{live_server.url}/public/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.locator("table.pledges tbody tr").count() == 2
        page.screenshot(path=ARTIFACTS / "public-list.png", full_page=True)

        page.select_option("select[name=status]", portal["behind"].target_status)
        page.click("button[type=submit]")
        rows = page.locator("table.pledges tbody tr")
        assert rows.count() == 1 and "新增城镇就业" in rows.first.inner_text()

        page.goto(f"{live_server.url}/public/pledges/{portal['projects'].pk}/")
        assert page.locator("figure.chart svg").count() == 1
        card = page.locator("img[src$='card.svg']")
        assert card.evaluate("img => img.complete && img.naturalWidth") == 360
        page.screenshot(path=ARTIFACTS / "public-pledge.png", full_page=True)

        page.click("header .tools a")  # to English
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_text("Approved values").count() == 1
        page.screenshot(path=ARTIFACTS / "public-pledge-en.png", full_page=True)

        page.goto(f"{live_server.url}/public/pledges/{portal['behind'].pk}/card.svg")
        page.screenshot(path=ARTIFACTS / "public-card.png")
    assert problems == []  # no style, image or page missing
