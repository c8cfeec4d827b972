"""Connecting a group robot in the admin, in a real headless Chromium (Debian's, driven by Playwright): the form, the
write-only webhook and secret, and the test post. The change form's screenshot is the README's."""

import os
import uuid

import pytest

from commitments.models import IMMEDIATE_KINDS, Channel
from tests.factories import OrganizationFactory, UserFactory
from tests.robot_server import FakeRobot
from tests.test_browser import ARTIFACTS, CHROMIUM, SCREENSHOTS, browser  # noqa: F401  (the browser fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)"),
]


@pytest.fixture
def admin_page(browser, live_server, transactional_db, broker_url):  # noqa: F811
    UserFactory(username="root", password="root-pass-1", is_staff=True, is_superuser=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "root-pass-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    context.close()


def test_an_administrator_connects_a_dingtalk_robot_and_never_sees_its_token_again(admin_page, live_server):
    page = admin_page
    OrganizationFactory(name="南通市通州区发展改革委")
    token, secret = "5e2b9d04c7a1" * 5 + "3f6a", "SEC" + "a47c0e19" * 8  # fixed: the README's screenshot stays the same
    page.goto(f"{live_server.url}/admin/commitments/channel/add/")
    page.fill("#id_name", "通州区督查督办工作群")
    page.select_option("#id_kind", "dingtalk")
    page.click(".field-organization .select2-selection")  # the admin's autocomplete box
    page.fill(".select2-search__field", "通州区发展")
    page.click(".select2-results__option >> text=南通市通州区发展改革委")
    page.fill("#id_webhook_url", f"https://oapi.dingtalk.com/robot/send?access_token={token}")
    page.fill("#id_secret", secret)
    page.fill("#id_keyword", "督办")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")

    channel = Channel.objects.get()
    assert channel.secret == secret and channel.webhook_url.endswith(token)
    assert channel.alert_kinds == IMMEDIATE_KINDS  # every kind unless unticked
    assert page.locator("input[name=alert_kinds]:checked").count() == len(IMMEDIATE_KINDS)
    html = page.content()
    assert token not in html and secret not in html and "…" + token[-4:] in html
    assert page.input_value("#id_webhook_url") == "" and page.input_value("#id_secret") == ""
    page.locator("#content").screenshot(path=str(SCREENSHOTS / "robot-admin-form.png"))  # the README's


def test_the_test_post_reaches_the_group(admin_page, live_server):
    page = admin_page
    organization = OrganizationFactory(name="市数据局")
    with FakeRobot("wecom", uuid.uuid4().hex) as robot:
        Channel.objects.create(name="数据局群", kind="wecom", organization=organization, webhook_url=robot.webhook_url)
        page.goto(f"{live_server.url}/admin/commitments/channel/")
        page.check("input.action-select")
        page.select_option("select[name=action]", "post_a_test_message")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist")
        page.screenshot(path=str(ARTIFACTS / "robot-test-post.png"), full_page=True)
    assert robot.problems == [] and len(robot.accepted) == 1 and "市数据局" in robot.texts()[0]
