"""The manager pages in a real headless Chromium (Debian's, driven by Playwright): log in, filter, sort,
export, open a pledge and its chart, switch language, use the keyboard and a phone-sized screen.

Screenshots are kept in test-artifacts/ for a person to look at."""

import csv
import io
import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from commitments import actions
from commitments.models import Membership
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory, SourceDocumentFactory, UserFactory
from tests.explained import EXPLAINED

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"  # the README's

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)"),
]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def seeded(transactional_db):
    city = OrganizationFactory(name="南通市", level="city")
    district = OrganizationFactory(name="通州区", short_name="通州", parent=city, level="district")
    bureau = OrganizationFactory(name="区商务局", short_name="商务局", parent=district)
    document = SourceDocumentFactory(title="通州区2025年目标", full_text="全年新注册重大产业项目50个以上，进出口总额增长3.1%。")
    with time_machine.travel(date(2025, 10, 10), tick=False):
        behind = PledgeFactory(lead_organization=district, source_document=document)
        ProgressUpdateFactory(pledge=behind, value=Decimal(20), as_of=date(2025, 6, 30))
        ProgressUpdateFactory(pledge=behind, value=Decimal(32), as_of=date(2025, 9, 30))
        growth = PledgeFactory(lead_organization=bureau, metric="进出口总额", kind="growth", comparator="=", unit="%",
                               target=Decimal("3.1"), cumulative=False, source_document=document,
                               source_sentence="进出口总额增长3.1%")
        ProgressUpdateFactory(pledge=growth, value=Decimal("3.5"), as_of=date(2025, 9, 30))
        done = PledgeFactory(lead_organization=bureau, metric="新增外资企业", target=Decimal(10))
        ProgressUpdateFactory(pledge=done, value=Decimal(12), as_of=date(2025, 9, 30))
        for pledge in (behind, growth, done):
            actions.do_recompute_status(pledge)
    manager = UserFactory(username="manager", password="manager-pass-1")
    Membership.objects.create(user=manager, organization=city, role=Membership.Role.MANAGER)
    return {"behind": behind, "district": district}


@pytest.fixture
def page(browser, live_server, seeded):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "manager-pass-1")
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    yield page
    context.close()


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def table_metrics(page):
    return page.locator("table.pledges tbody td.metric").all_inner_texts()


def test_log_in_filter_sort_and_export(page, live_server, seeded, tmp_path):
    assert page.locator("h1").inner_text() == "总览"
    shot(page, "summary")

    page.click("nav >> text=全部目标任务")
    page.check("input[name=status][value=at_risk]")
    page.select_option("select[name=organization]", str(seeded["district"].pk))
    page.click("form.filters button[type=submit]")
    assert "status=at_risk" in page.url  # the filters live in the URL
    assert table_metrics(page) == ["新注册重大产业项目"]

    page.goto(f"{live_server.url}/pledges/")
    page.click("thead th.metric a")
    first_sorted = table_metrics(page)
    assert first_sorted == sorted(first_sorted)
    page.click("thead th.metric a")
    assert table_metrics(page) == sorted(first_sorted, reverse=True)
    shot(page, "pledge-table")

    with page.expect_download() as download:
        page.click("text=CSV")
    saved = tmp_path / "pledges.csv"
    download.value.save_as(saved)
    exported = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert sorted(row["指标"] for row in exported) == sorted(first_sorted)


def test_a_pledge_page_shows_its_chart_and_why(page, seeded):
    page.click("nav >> text=全部目标任务")
    page.click("table.pledges >> text=新注册重大产业项目")
    chart = page.locator("figure.chart svg")
    assert chart.is_visible()
    assert page.locator("svg polyline.reported").count() == 1 and page.locator("svg circle.dot").count() == 2
    assert "按序时进度应达" in page.locator("section.why").inner_text()
    shot(page, "pledge-page")
    page.locator("main").screenshot(path=str(SCREENSHOTS / "pledge-page.png"))  # the README's
    page.click("blockquote.source a")
    assert page.locator("mark").count() == 2
    shot(page, "document-page")


def test_switching_to_english_and_back(page):
    page.select_option("#language", "en")
    page.click("form.lang button")
    assert page.locator("h1").inner_text() == "Summary"
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "summary-en")
    page.select_option("#language", "zh-hans")
    page.click("form.lang button")
    assert page.locator("h1").inner_text() == "总览"


def test_the_table_works_by_keyboard_with_its_filters_unfolded_on_a_wide_screen(page, live_server):
    page.goto(f"{live_server.url}/pledges/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # On a wide screen the filters are unfolded, though the <details> holding them is closed (it folds on a phone).
    assert page.locator("form.filters").is_visible() and not page.locator("table.pledges").is_hidden()
    assert page.locator("ol.pledge-cards").is_hidden()


def test_on_a_phone_each_pledge_is_a_block_with_its_status_and_the_filters_are_folded(browser, page, live_server):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=page.context.storage_state())
    small = phone.new_page()
    small.goto(f"{live_server.url}/pledges/?status=at_risk")
    assert small.evaluate("document.body.scrollWidth") <= 390  # nothing off-screen to the right

    # The filters: one summary line saying which apply, the form behind it.
    summary = small.locator("details.filter-box > summary")
    assert "存在风险" in summary.inner_text()
    assert small.locator("form.filters").is_hidden()

    # Each pledge: metric, status symbol and word with why, owner, latest against target, deadline; on the first screen.
    assert small.locator("table.pledges").is_hidden()
    [card] = small.locator("li.pledge-card").all()
    text = card.inner_text()
    for expected in ("新注册重大产业项目", "存在风险", "按序时进度应达", "通州", "32个", "50", "2025-12-31"):
        assert expected in text, (expected, text)
    assert card.locator(".tracker-status [aria-hidden=true]").inner_text().strip()  # the symbol, beside the word
    status = card.locator(".status").bounding_box()
    assert status["x"] >= 0 and status["x"] + status["width"] <= 390 and status["y"] + status["height"] <= 844
    small.screenshot(path=str(SCREENSHOTS / "table-phone.png"))
    shot(small, "pledge-table-phone")

    summary.click()  # unfolds without any script
    assert small.locator("form.filters").is_visible()
    shot(small, "pledge-table-phone-filters")

    # The table's headers are not there to sort by: a line of links does it, keeping the filters.
    small.click("p.card-sort >> text=指标")
    assert "sort=metric" in small.url and "status=at_risk" in small.url
    assert small.locator("p.card-sort a[aria-current]").inner_text().startswith("指标")
    phone.close()


def test_a_printed_table_has_no_navigation_or_filter_form_and_says_what_it_shows(page, live_server, seeded):
    page.goto(f"{live_server.url}/pledges/?status=at_risk")
    assert page.locator("details.filter-box").is_visible() and not page.locator(".print-heading").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert not page.locator("details.filter-box").is_visible()
    assert page.locator(".print-heading").is_visible()
    assert "存在风险" in page.locator(".print-heading").inner_text()
    assert table_metrics(page) == ["新注册重大产业项目"]
    page.pdf(path=str(ARTIFACTS / "pledge-table-printed.pdf"), format="A4", landscape=True)
    shot(page, "pledge-table-printed")


# --- A pledge broken down into parts --------------------------------------------------------------------------

PARTS_DAY = date(2025, 10, 15)


@pytest.fixture
def broken_down(transactional_db):
    """The city's 50 new projects split 20 / 15 / 15 among three districts, reported quarter by quarter through the
    write path (invented figures); 海门 falls behind."""
    from commitments.models import Pledge, ProgressUpdate
    from commitments.status import Composition

    city = OrganizationFactory(name="南通市", short_name="南通", level="city")
    clerk = UserFactory(username="city-clerk", is_superuser=True)
    with time_machine.travel(date(2025, 1, 6), tick=False):
        whole = PledgeFactory(lead_organization=city, composition=Composition.SUM)
        parts = {}
        for name, target in (("通州", 20), ("海门", 15), ("开发区", 15)):
            district = OrganizationFactory(name=name if name.endswith("区") else f"{name}区", short_name=name,
                                           parent=city, level="district")
            parts[name] = Pledge(parent=whole, lead_organization=district, metric=whole.metric, unit=whole.unit,
                                 target=Decimal(target), start_date=whole.start_date, deadline=whole.deadline)
            parts[name].save()
            actions.do_recompute_status(parts[name])
    quarters = {date(2025, 3, 31): (5, 3, 4), date(2025, 6, 30): (10, 7, 8), date(2025, 9, 30): (16, 10, 13)}
    for as_of, values in quarters.items():
        with time_machine.travel(date(as_of.year, as_of.month + 1, 8), tick=False):  # reported early the next month
            actions.do_record_updates(
                [ProgressUpdate(pledge=part, as_of=as_of, value=Decimal(v), **EXPLAINED)
                 for part, v in zip(parts.values(), values)],
                acting_user=clerk,
            )
    manager = UserFactory(username="city-manager", password="manager-pass-1")
    Membership.objects.create(user=manager, organization=city, role=Membership.Role.MANAGER)
    return whole


def test_a_broken_down_pledge_shows_its_parts_worst_first_and_stacked(browser, live_server, broken_down):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "city-manager")
    page.fill("#id_password", "manager-pass-1")
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    # The live server runs in this process: the page is read on the day the figures were assessed.
    with time_machine.travel(PARTS_DAY, tick=True):
        page.goto(f"{live_server.url}/pledges/{broken_down.pk}/")
        owners = page.locator("table.parts td.owner").all_inner_texts()
        assert owners == ["海门", "开发区", "通州"]  # at risk first, then the two on track
        assert page.locator("table.parts td.share").all_inner_texts() == ["30%", "30%", "40%"]
        assert page.locator("svg polygon.band").count() == 3
        assert page.locator("figcaption .swatch").all_inner_texts() == ["开发区", "海门", "通州"]  # bottom first
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("main").screenshot(path=str(SCREENSHOTS / "pledge-parts.png"))
    context.close()


# --- A pledge planned by quarter (分期计划) -----------------------------------------------------------------------

SCHEDULE_DAY = date(2025, 8, 20)


@pytest.fixture
def on_a_schedule(transactional_db):
    """全年新注册重大产业项目50个: planned 10 by March, 25 by June, 38 by September (invented figures), reported each
    quarter through the write path; on plan in spring although a straight line would call it slipping."""
    from commitments.models import Checkpoint, ProgressUpdate
    from commitments.status import Method

    city = OrganizationFactory(name="南通市", short_name="南通", level="city")
    clerk = UserFactory(username="city-clerk", is_superuser=True)
    with time_machine.travel(date(2025, 1, 6), tick=False):
        pledge = PledgeFactory(lead_organization=city, method=Method.SCHEDULE)
        for as_of, planned in ((date(2025, 3, 31), 10), (date(2025, 6, 30), 25), (date(2025, 9, 30), 38)):
            Checkpoint.objects.create(pledge=pledge, as_of=as_of, planned_value=Decimal(planned))
        actions.do_recompute_status(pledge)
    for as_of, value in ((date(2025, 3, 31), 10), (date(2025, 6, 30), 24)):
        with time_machine.travel(date(as_of.year, as_of.month + 1, 8), tick=False):
            actions.do_record_updates([ProgressUpdate(pledge=pledge, as_of=as_of, value=Decimal(value))], acting_user=clerk)
    manager = UserFactory(username="city-manager", password="manager-pass-1")
    Membership.objects.create(user=manager, organization=city, role=Membership.Role.MANAGER)
    return pledge


def test_a_pledge_on_a_schedule_draws_its_steps_with_the_checkpoints_marked(browser, live_server, on_a_schedule):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "city-manager")
    page.fill("#id_password", "manager-pass-1")
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    with time_machine.travel(SCHEDULE_DAY, tick=True):
        page.goto(f"{live_server.url}/pledges/{on_a_schedule.pk}/")
        assert page.locator("svg polygon.checkpoint").count() == 3
        # Steps: level from the start to each checkpoint's date, then up to its planned value; the target at the end.
        steps = page.locator("svg polyline.expected").get_attribute("points").split()
        assert len(steps) == 1 + 2 * 4
        assert [point.split(",")[0] for point in steps[1:]] == [x for point in steps[1::2] for x in [point.split(",")[0]] * 2]
        assert "分期计划" in page.locator("dl.facts dd.method").inner_text()
        assert "分期计划" in page.locator("section.why").inner_text()  # the reason names the method
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("main").screenshot(path=str(SCREENSHOTS / "pledge-schedule.png"))
    context.close()


# --- My to-do page (我的待办) ------------------------------------------------------------------------------------

TODO_DAY = date(2025, 10, 10)


@pytest.fixture
def todo_world(transactional_db):
    """通州区 approves its updates. Its reporter is late on one pledge and had another update returned; a third
    update of theirs awaits the reviewer, as does their request to suspend a pledge (invented figures)."""
    from commitments.models import Revision

    city = OrganizationFactory(name="南通市", short_name="南通", level="city")
    district = OrganizationFactory(name="通州区", short_name="通州", level="district", requires_approval=True, parent=city)
    reporter = UserFactory(username="tz-reporter", password="reporter-pass-1", is_staff=True)
    reviewer = UserFactory(username="tz-reviewer", password="reviewer-pass-1", is_staff=True)
    manager = UserFactory(username="nt-manager", password="manager-pass-1", is_staff=True)
    Membership.objects.create(user=reporter, organization=district, role=Membership.Role.REPORTER)
    Membership.objects.create(user=reviewer, organization=district, role=Membership.Role.REVIEWER)
    Membership.objects.create(user=manager, organization=city, role=Membership.Role.MANAGER)
    with time_machine.travel(TODO_DAY, tick=False):
        late = PledgeFactory(lead_organization=district, metric="新注册重大产业项目")
        returned = PledgeFactory(lead_organization=district, metric="新增外资企业", target=Decimal(10))
        pending = PledgeFactory(lead_organization=district, metric="高新技术企业", target=Decimal(80))
        for pledge in (late, returned, pending):
            actions.do_recompute_status(pledge)
        wrong = actions.do_record_progress(returned, acting_user=reporter, as_of=date(2025, 9, 30), value=Decimal(9))
        actions.do_review_update(wrong, acting_user=reviewer, approve=False, comment="请附上登记清单")
        actions.do_record_progress(pending, acting_user=reporter, as_of=date(2025, 9, 30), value=Decimal(64))
        actions.do_request_revision(Revision(pledge=late, kind=Revision.Change.SUSPEND, reason="项目审批政策调整"),
                                    acting_user=reporter)
        # For the completeness page (填报完成率): monthly reports in 通州 on time, and in 海门 one late, one returned,
        # one awaiting approval and one approved, each after an approved August.
        haimen = OrganizationFactory(name="海门区", short_name="海门", level="district", parent=city)
        monthly = [(district, "社会消费品零售额", "approved"), (haimen, "海门外贸进出口", "approved"),
                   (haimen, "海门技改投资", "pending"), (haimen, "海门招商引资", "returned"), (haimen, "海门新增就业", None)]
        for org, metric, september in monthly:
            pledge = PledgeFactory(lead_organization=org, metric=metric, cadence="monthly", target=Decimal(120))
            ProgressUpdateFactory(pledge=pledge, value=Decimal(70), as_of=date(2025, 8, 31))
            if september:
                ProgressUpdateFactory(pledge=pledge, value=Decimal(82), as_of=date(2025, 9, 30), review_state=september)
            actions.do_recompute_status(pledge)


def open_todo(browser, live_server, username, password):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/todo/")  # signing in leads back to it
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{live_server.url}/todo/")
    assert page.locator("header.site a.todo-link").get_attribute("aria-current") == "page"
    return context, page


def test_the_to_do_and_completeness_pages_for_a_reporter_a_reviewer_and_a_manager(browser, live_server, todo_world):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(TODO_DAY, tick=True):
        context, page = open_todo(browser, live_server, "tz-reporter", "reporter-pass-1")
        assert page.locator("section.todo-reports tbody tr").all_inner_texts()[0].startswith("新注册重大产业项目")
        assert "请附上登记清单" in page.locator("section.todo-returned tbody").inner_text()
        assert page.locator("header.site a.todo-link .todo-count").inner_text() == "4"  # three reports late (an update counts once approved), one returned
        page.screenshot(path=str(SCREENSHOTS / "todo-reporter.png"), full_page=True)
        context.close()

        context, page = open_todo(browser, live_server, "tz-reviewer", "reviewer-pass-1")
        assert "高新技术企业" in page.locator("section.todo-review tbody").inner_text()
        assert "项目审批政策调整" in page.locator("section.todo-revisions tbody").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "todo-reviewer.png"), full_page=True)
        context.close()

        # Reporting completeness (填报完成率): the reporter reads it, without a chase button.
        context, page = open_todo(browser, live_server, "tz-reporter", "reporter-pass-1")
        page.click("header.site nav a[href='/completeness/']")
        assert page.locator("h1").inner_text().endswith("2025-10")
        assert page.locator("section.late-reports input[type=checkbox]").count() == 0
        assert page.locator("button.chase").count() == 0
        page.screenshot(path=str(SCREENSHOTS / "completeness-reporter.png"), full_page=True)
        context.close()

        # The reviewer may chase their district's late reports.
        context, page = open_todo(browser, live_server, "tz-reviewer", "reviewer-pass-1")
        page.goto(f"{live_server.url}/completeness/")
        assert page.locator("button.chase").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "completeness-reviewer.png"), full_page=True)
        context.close()

        # The city's manager: nothing to do, the city and its two districts, September's reports, then 催办.
        context, page = open_todo(browser, live_server, "nt-manager", "manager-pass-1")
        assert page.locator("header.site a.todo-link .todo-count").inner_text() == "0"
        page.screenshot(path=str(SCREENSHOTS / "todo-manager.png"), full_page=True)
        page.goto(f"{live_server.url}/completeness/?period=2025-09")
        cells = {row.locator("td.organization .org-name").inner_text(): row.locator("td").all_inner_texts()[1:]
                 for row in page.locator("table.completeness tbody tr").all()}
        assert cells["南通"] == ["5", "3", "2", "2", "60%", "2"]  # due, submitted, approved, late, rate, late before
        assert cells["海门"] == ["4", "2", "1", "2", "50%", "0"]
        late = page.locator("section.late-reports tbody tr").all_inner_texts()
        assert len(late) == 4 and any("海门招商引资" in row for row in late)
        page.click("button.chase")
        assert "4 reports chased, 0 already chased today." in page.locator("ul.messages").inner_text() or \
            "已催办 4 项" in page.locator("ul.messages").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "completeness-manager.png"), full_page=True)
        boxes = page.locator("section.late-reports input[type=checkbox]")
        assert boxes.count() == 4 and not any(box.is_checked() for box in boxes.all())  # chased today: left unticked
        for box in boxes.all():
            box.check()
        page.click("button.chase")  # ticked again and pressed again the same day: nobody is mailed twice
        assert page.locator("ul.messages li").first.inner_text() in (
            "0 reports chased, 4 already chased today.", "已催办 0 项，4 项今天已催办过。")
        context.close()
