"""Alerts posted to WeCom (企业微信) and DingTalk (钉钉) group robots, and shown in the app (issue 19).

Each robot is a real HTTP server in the test (tests/robot_server.py) that checks every request as the robot's public
documentation describes it, and answers success, "too fast", a refusal, a server error or nothing in time. The alerts
go through the same outbox as the emails: each arrives once, the rate limit is kept, refusals are surfaced.
"""

import base64
import hashlib
import hmac
import io
import json
import logging
import tarfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from commitments import actions, health, jobs, robots
from commitments.models import AlertProfile, Channel, Notification, webhook_problem
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory, UserFactory
from tests.robot_server import FakeRobot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_robots(settings, broker_url):
    """Short waits, so that a test sees a timeout, a back-off and a rate-limit window pass."""
    settings.TRACKER_ROBOT_TIMEOUT = 0.5
    settings.TRACKER_SEND_RETRY_BACKOFF = 0
    settings.TRACKER_ROBOT_WINDOW_SECONDS = 60
    settings.TRACKER_ROBOT_RATE_LIMIT = 18


def token() -> str:
    return uuid.uuid4().hex  # a webhook of its own per test: its own rate-limit count in Redis


def robot_for(server: FakeRobot, organization, **fields) -> Channel:
    return Channel.objects.create(
        name=f"{organization.name}工作群", kind=server.kind, organization=organization, webhook_url=server.webhook_url,
        secret=server.secret, keyword=server.keyword, **fields,
    )


def queue_posts(channel: Channel, count: int, label: str, *, filler: int = 0) -> list[int]:
    """`count` alerts waiting for the robot, each a short markdown item (longer with `filler` characters)."""
    pledge = PledgeFactory(lead_organization=channel.organization)
    rows = Notification.objects.bulk_create([
        Notification(recipient=channel.address, channel="robot", robot=channel, pledge=pledge, kind="status_change",
                     period=f"{label}:{n}", subject=f"{label} {n}", body_text=f"**{label} {n}** " + "进" * filler)
        for n in range(count)
    ])
    return [row.pk for row in rows]


def dispatch() -> dict:
    """What the dispatcher task and its sender tasks do, in this process."""
    return jobs.send_due_notifications(jobs.deliver_notifications)


# --- The pure parts ---------------------------------------------------------------------------------


def test_the_dingtalk_signature_is_the_documented_hmac_of_timestamp_and_secret():
    secret, timestamp = "SEC0123456789abcdef", 1764547200000
    by_hand = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert robots.signature(secret, timestamp) == by_hand

    url = robots.signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", secret, timestamp)
    query = parse_qs(urlsplit(url).query)
    assert query == {"access_token": ["abc"], "timestamp": [str(timestamp)], "sign": [by_hand]}
    assert "+" not in urlsplit(url).query.split("sign=")[1]  # base64's + and / are URL-encoded
    assert robots.signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "", timestamp).endswith("=abc")


def test_the_bodies_are_markdown_as_each_robot_documents_and_carry_the_keyword():
    assert robots.body("wecom", "标题", "**内容**") == {"msgtype": "markdown", "markdown": {"content": "**内容**"}}
    assert robots.body("dingtalk", "标题", "**内容**", keyword="督办") == {
        "msgtype": "markdown", "markdown": {"title": "【督办】标题", "text": "【督办】**内容**"}
    }
    assert robots.body("dingtalk", "督办提醒", "督办：内容", keyword="督办")["markdown"]["text"] == "督办：内容"


def test_many_alerts_for_one_group_become_one_message_and_a_long_run_several_within_the_size_limit():
    five = robots.combine("wecom", [(n, f"s{n}", f"**事项{n}**") for n in range(5)])
    assert len(five) == 1 and five[0].notification_ids == (0, 1, 2, 3, 4)
    assert five[0].text.startswith("### 5") and all(f"**事项{n}**" in five[0].text for n in range(5))

    long_items = [(n, f"s{n}", "很长的原因" * 100) for n in range(12)]  # 1,500 bytes each
    messages = robots.combine("wecom", long_items)
    assert [pk for message in messages for pk in message.notification_ids] == list(range(12))
    assert all(len(message.text.encode()) <= 4096 for message in messages) and len(messages) > 1
    assert robots.combine("wecom", [(1, "s", "x")])[0].text == "x"  # one alert alone, as it is


def test_what_the_robot_answers_is_read_as_sent_too_fast_transient_or_refused():
    def read(kind, status, answer):
        return robots.read_answer(kind, status, json.dumps(answer).encode()).kind

    assert read("wecom", 200, {"errcode": 0, "errmsg": "ok"}) == "sent"
    assert read("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}) == "rate_limited"
    assert read("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast"}) == "rate_limited"
    assert read("dingtalk", 200, {"errcode": -1, "errmsg": "系统繁忙"}) == "transient"
    assert read("wecom", 200, {"errcode": 93000, "errmsg": "invalid webhook url"}) == "permanent"
    assert read("dingtalk", 200, {"errcode": 310000, "errmsg": "sign not match"}) == "permanent"
    assert robots.read_answer("wecom", 502, b"<html>").kind == "transient"
    assert robots.read_answer("wecom", 404, b"not found").kind == "permanent"


def test_an_address_is_checked_and_shown_only_masked():
    assert webhook_problem("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6") == ""
    assert "key=" in webhook_problem("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
    assert "access_token=" in webhook_problem("dingtalk", "https://oapi.dingtalk.com/robot/send?key=1")
    assert "https://" in webhook_problem("dingtalk", "oapi.dingtalk.com/robot/send?access_token=1")
    masked = robots.masked("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef")
    assert masked == "https://oapi.dingtalk.com/robot/send?access_token=…cdef"


def test_the_limiter_is_shared_by_every_worker_through_redis(broker_url):
    def a_worker():  # its own connection, as another process would have
        client = redis.Redis.from_url(broker_url.replace("redis+socket://", "unix://"))
        return robots.WebhookLimiter(client, limit=3, window=60)

    first, second, url = a_worker(), a_worker(), f"https://example.test/send?key={token()}"
    taken = [first.wait_before_posting(url), second.wait_before_posting(url), first.wait_before_posting(url)]
    assert taken == [0, 0, 0]
    assert 59 < second.wait_before_posting(url) <= 60  # the fourth waits for the oldest place to free
    assert first.wait_before_posting(f"https://example.test/send?key={token()}") == 0  # another webhook: its own count
    told_too_fast = f"https://example.test/send?key={token()}"
    second.hold_off(told_too_fast, 5)  # the robot said "too fast" to one worker: the others hold off too
    assert 4 < first.wait_before_posting(told_too_fast) <= 5


# --- End to end: from a status change to the group ------------------------------------------------------


def overdue_changes(organization, count):
    """`count` pledges of `organization` that turn overdue in the sweep of 2026-01-01."""
    pledges = []
    for n in range(count):
        pledge = PledgeFactory(lead_organization=organization, metric=f"新建充电桩{n + 1}号片区")
        ProgressUpdateFactory(pledge=pledge, value=Decimal(45), as_of=date(2025, 11, 30))
        with time_machine.travel(date(2025, 12, 1), tick=False):
            actions.do_recompute_status(pledge)
        pledges.append(pledge)
    jobs.flag_overdue(date(2026, 1, 1))
    return pledges


def test_five_alerts_for_a_wecom_group_arrive_once_in_one_message_with_pledge_owner_status_reason_and_link():
    organization = OrganizationFactory(name="市发展改革委")
    with FakeRobot("wecom", token()) as server:
        channel = robot_for(server, organization)
        pledges = overdue_changes(organization, 5)
        jobs.queue_status_alerts()
        jobs.queue_status_alerts()  # queued once, however often the job runs
        assert Notification.objects.filter(channel="robot", robot=channel).count() == 5

        dispatch()
        dispatch()

    assert server.problems == [] and len(server.accepted) == 1
    text = server.texts()[0]
    assert text.startswith("### 5")
    for pledge in pledges:
        assert f"[{pledge.metric}](http://" in text and f"/pledges/{pledge.pk}/)" in text
    assert text.count("市发展改革委") == 5 and text.count("逾期") >= 5 and "45个" in text
    assert Notification.objects.filter(channel="robot", state="sent").count() == 5
    assert Notification.objects.filter(channel="email").count() == 5  # the contact address still hears by mail


def test_a_signed_dingtalk_robot_with_a_keyword_gets_each_alert_once_as_documented():
    organization = OrganizationFactory(name="市住房城乡建设局")
    with FakeRobot("dingtalk", token(), secret="SEC" + token(), keyword="督办") as server:
        robot_for(server, organization)
        overdue_changes(organization, 1)
        jobs.queue_status_alerts()
        dispatch()
        dispatch()

    assert server.problems == []  # path, access_token, timestamp and sign, JSON body and keyword as documented
    assert len(server.accepted) == 1
    markdown = server.accepted[0]["markdown"]
    assert "督办" in markdown["text"] and "新建充电桩1号片区" in markdown["text"] and markdown["title"]


def test_a_robot_posts_only_the_kinds_it_was_set_to():
    organization = OrganizationFactory()
    with FakeRobot("wecom", token()) as server:
        robot_for(server, organization, alert_kinds=["deadline_warning"])
        overdue_changes(organization, 2)
        jobs.queue_status_alerts()
        dispatch()
    assert server.accepted == [] and not Notification.objects.filter(channel="robot").exists()


# --- Rate limits --------------------------------------------------------------------------------------


def test_the_rate_is_kept_below_the_robots_limit_and_every_alert_still_arrives_once(settings):
    settings.TRACKER_ROBOT_RATE_LIMIT, settings.TRACKER_ROBOT_WINDOW_SECONDS = 3, 1.0
    organization = OrganizationFactory()
    with FakeRobot("wecom", token(), limit=3, window=1.0) as server:
        channel = robot_for(server, organization)
        queue_posts(channel, 12, "长", filler=500)  # 1,500 bytes each: two to a message, six messages
        first = dispatch()
        assert first["sent"] == 6 and first["throttled"] == 6  # three messages now, the rest wait for the window
        deadline = time.monotonic() + 15
        while Notification.objects.filter(state="pending").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
            dispatch()

    assert server.problems == [] and server.too_fast_answers == 0
    arrivals = server.arrivals
    assert all(arrivals[n + 3] - arrivals[n] >= 0.95 for n in range(len(arrivals) - 3))  # never 4 within a second
    items = [line for text in server.texts() for line in text.split("\n\n") if line.startswith("**长")]
    assert sorted(items) == sorted(f"**长 {n}** " + "进" * 500 for n in range(12))  # each once
    assert Notification.objects.filter(state="sent").count() == 12
    assert Notification.objects.filter(attempts__gt=1).count() == 0  # waiting for the window is not an attempt


def test_too_fast_from_the_robot_waits_for_the_minute_and_sends_again_without_a_copy(settings):
    settings.TRACKER_ROBOT_WINDOW_SECONDS = 1.0
    organization = OrganizationFactory()
    with FakeRobot("dingtalk", token()) as server:
        channel = robot_for(server, organization)
        server.answers = ["too_fast"]
        (pk,) = queue_posts(channel, 1, "快")
        assert dispatch()["throttled"] == 1
        waiting = Notification.objects.get(pk=pk)
        assert waiting.state == "pending" and waiting.attempts == 0 and "130101" in waiting.last_error
        assert waiting.next_attempt_at > timezone.now()
        assert dispatch()["due"] == 0 and len(server.arrivals) == 1  # nothing posted before the minute is over
        time.sleep(1.1)
        dispatch()

    assert len(server.arrivals) == 2 and server.texts() == ["**快 0** "]
    assert Notification.objects.get(pk=pk).state == "sent"


# --- Errors -------------------------------------------------------------------------------------------


def test_a_timeout_and_a_server_error_are_retried_and_the_alert_arrives_once(caplog):
    organization = OrganizationFactory()
    with FakeRobot("wecom", token(), slow_seconds=1.5) as server:
        channel = robot_for(server, organization)
        server.answers = ["timeout", "server_error"]
        (pk,) = queue_posts(channel, 1, "慢")
        with caplog.at_level(logging.WARNING):
            assert dispatch()["retrying"] == 1
            assert Notification.objects.get(pk=pk).last_error == "timed out"
            assert dispatch()["retrying"] == 1
            assert Notification.objects.get(pk=pk).last_error == "HTTP 502"
            assert dispatch()["sent"] == 1
        assert dispatch()["due"] == 0

    assert server.texts() == ["**慢 0** "]
    sent = Notification.objects.get(pk=pk)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 3, "")
    assert server.token not in caplog.text and "…" + server.token[-4:] in caplog.text  # the key never in the log


def test_a_robot_that_never_answers_is_given_up_after_the_last_retry(settings):
    settings.TRACKER_SEND_RETRY_MAX = 3
    with FakeRobot("wecom", token()) as server:
        channel = robot_for(server, OrganizationFactory())
        server.answers = ["server_error"] * 10
        (pk,) = queue_posts(channel, 1, "坏")
        for _ in range(5):
            dispatch()

    given_up = Notification.objects.get(pk=pk)
    assert given_up.state == "failed" and given_up.last_error == "gave up after 3 attempts: HTTP 502"
    assert len(server.arrivals) == 3


@pytest.mark.parametrize("kind, errcode", [("wecom", "93000"), ("dingtalk", "300001")])
def test_a_refusal_fails_the_alert_with_the_robots_errcode_and_shows_in_the_admin_and_on_the_health_page(
    kind, errcode, admin_client
):
    with FakeRobot(kind, token()) as server:
        channel = robot_for(server, OrganizationFactory(name="市交通运输局"))
        server.answers = ["refuse"]
        (pk,) = queue_posts(channel, 1, "拒")
        assert dispatch()["failed"] == 1
        assert dispatch()["due"] == 0 and len(server.arrivals) == 1  # not tried again

        failed = Notification.objects.get(pk=pk)
        assert failed.state == "failed" and f"errcode {errcode}" in failed.last_error
        channel.refresh_from_db()
        assert channel.last_error.startswith(f"errcode {errcode}:")
        check = health.check_robots(timezone.now())
        assert check.state == health.FAILING and "市交通运输局工作群" in check.detail and errcode in check.detail
        assert errcode in admin_client.get(reverse("admin:commitments_channel_changelist")).content.decode()
        assert errcode in admin_client.get(
            reverse("admin:commitments_notification_changelist"), {"channel__exact": "robot"}
        ).content.decode()

        queue_posts(channel, 1, "好")  # fixed in the group (the robot added back): the next one clears the error
        dispatch()
    channel.refresh_from_db()
    assert channel.last_error == "" and health.check_robots(timezone.now()).state == health.WARNING


def test_a_robot_switched_off_posts_nothing():
    with FakeRobot("wecom", token()) as server:
        channel = robot_for(server, OrganizationFactory())
        queue_posts(channel, 2, "关")
        Channel.objects.filter(pk=channel.pk).update(active=False)
        dispatch()
    assert server.arrivals == [] and Notification.objects.filter(state="failed").count() == 2


# --- Secrets ------------------------------------------------------------------------------------------


def test_the_admin_form_never_shows_the_webhook_or_the_secret_back_and_keeps_them_when_left_empty(admin_client):
    organization = OrganizationFactory()
    key, secret = token(), "SEC" + token()
    url = f"https://oapi.dingtalk.com/robot/send?access_token={key}"
    response = admin_client.post(reverse("admin:commitments_channel_add"), {
        "name": "督查群", "kind": "dingtalk", "organization": organization.pk, "webhook_url": url, "secret": secret,
        "keyword": "督办", "alert_kinds": ["status_change", "escalation"], "language": "zh-hans", "active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    channel = Channel.objects.get()
    assert (channel.webhook_url, channel.secret) == (url, secret)

    change_url = reverse("admin:commitments_channel_change", args=[channel.pk])
    for page in (admin_client.get(change_url), admin_client.get(reverse("admin:commitments_channel_changelist"))):
        html = page.content.decode()
        assert key not in html and secret not in html and "…" + key[-4:] in html

    admin_client.post(change_url, {
        "name": "督查工作群", "kind": "dingtalk", "organization": organization.pk, "webhook_url": "", "secret": "",
        "keyword": "督办", "alert_kinds": ["status_change"], "language": "zh-hans", "active": "on",
    })
    channel.refresh_from_db()
    assert (channel.name, channel.webhook_url, channel.secret) == ("督查工作群", url, secret)

    admin_client.post(change_url, {
        "name": "督查工作群", "kind": "dingtalk", "organization": organization.pk, "webhook_url": "", "secret": "",
        "forget_secret": "on", "keyword": "", "alert_kinds": [], "language": "zh-hans", "active": "on",
    })
    channel.refresh_from_db()
    assert channel.webhook_url == url and channel.secret == ""


def test_a_webhook_without_its_key_is_refused_naming_the_field(admin_client):
    response = admin_client.post(reverse("admin:commitments_channel_add"), {
        "name": "群", "kind": "wecom", "organization": OrganizationFactory().pk,
        "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "secret": "", "language": "zh-hans",
    })
    assert response.status_code == 200 and not Channel.objects.exists()
    assert "key=" in response.context["adminform"].form.errors["webhook_url"][0]


def test_a_backup_leaves_the_secrets_out_unless_asked(tmp_path):
    key = token()
    channel = Channel.objects.create(
        name="群", kind="wecom", organization=OrganizationFactory(),
        webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}",
    )

    def robot_row(path):
        with tarfile.open(path) as archive:
            data = json.load(io.TextIOWrapper(archive.extractfile("data.json"), encoding="utf-8"))
        return next(r for r in data if r["model"] == "commitments.channel" and r["pk"] == channel.pk)["fields"]

    call_command("backup", output=str(tmp_path / "plain.tar.gz"), stdout=io.StringIO())
    plain = robot_row(tmp_path / "plain.tar.gz")
    assert key not in json.dumps(plain) and plain["webhook_url"] == "" and plain["active"] is False
    call_command("backup", output=str(tmp_path / "full.tar.gz"), with_secrets=True, stdout=io.StringIO())
    assert robot_row(tmp_path / "full.tar.gz")["webhook_url"].endswith(key)


# --- In the app ---------------------------------------------------------------------------------------


def test_a_member_who_chose_the_app_finds_the_alert_on_the_to_do_page_counted_in_the_header_until_opened(client):
    organization = OrganizationFactory()
    reader = UserFactory(username="reader")
    AlertProfile.objects.create(user=reader, organization=organization, alert_kinds=[], in_app_kinds=["status_change"],
                                digest_frequency="never")
    other = UserFactory(username="other")
    (pledge,) = overdue_changes(organization, 1)
    jobs.queue_status_alerts()

    assert not Notification.objects.filter(recipient=reader.email, channel="email").exists()  # not by mail: not chosen
    in_app = Notification.objects.get(user=reader, channel="in_app")
    assert in_app.state == "sent" and in_app.read_at is None  # delivered as it was written
    assert dispatch()["due"] == 1  # the organization's contact address, by mail; the in-app one is not sent again

    client.force_login(reader)
    page = client.get(reverse("tracker-todo")).content.decode()
    assert in_app.subject in page and reverse("tracker-notification", args=[in_app.pk]) in page
    assert client.get(reverse("tracker-todo")).context["todo_total"] == 1

    opened = client.get(reverse("tracker-notification", args=[in_app.pk]))
    assert opened.status_code == 200 and pledge.metric in opened.content.decode()
    in_app.refresh_from_db()
    assert in_app.read_at is not None
    page = client.get(reverse("tracker-todo"))
    assert page.context["todo_total"] == 0 and "todo-notifications" not in page.content.decode()  # no empty section
    assert in_app.subject in client.get(reverse("tracker-notifications")).content.decode()  # still listed, as read

    client.force_login(other)
    assert client.get(reverse("tracker-notification", args=[in_app.pk])).status_code == 404  # nobody else's


def test_one_batch_of_emails_robot_posts_and_in_app_notifications_sends_each_its_own_way(mailoutbox):
    organization = OrganizationFactory()
    pledge = PledgeFactory(lead_organization=organization)
    reader = UserFactory(username="mixed")
    with FakeRobot("dingtalk", token()) as server:
        channel = robot_for(server, organization)
        rows = Notification.objects.bulk_create([
            Notification(recipient="office@example.test", pledge=pledge, kind="status_change", period="mixed",
                         subject="邮件提醒", body_text="正文"),
            Notification(recipient=channel.address, channel="robot", robot=channel, pledge=pledge,
                         kind="status_change", period="mixed", subject="群提醒", body_text="**群提醒**"),
            Notification(recipient=reader.email, user=reader, channel="in_app", pledge=pledge, kind="status_change",
                         period="mixed", subject="站内提醒", body_text="正文", state="pending"),  # put back by "send again"
        ])
        outcomes = jobs.deliver_notifications([row.pk for row in rows])
        assert jobs.deliver_notifications([row.pk for row in rows])["sent"] == 0  # the same batch again: nothing

    assert outcomes == {"sent": 3, "skipped": 0, "failed": 0}
    assert [message.subject for message in mailoutbox] == ["邮件提醒"]
    assert server.texts() == ["**群提醒**"] and server.problems == []
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}


def test_an_escalation_goes_to_the_group_of_the_organization_above():
    city = OrganizationFactory(name="市政府督查室", level="city")
    district = OrganizationFactory(name="海门区", level="district", parent=city)
    with FakeRobot("wecom", token()) as city_group, FakeRobot("wecom", token()) as district_group:
        robot_for(city_group, city, alert_kinds=["escalation"])
        robot_for(district_group, district, alert_kinds=["escalation"])
        (pledge,) = overdue_changes(district, 1)
        jobs.queue_reminders(date(2026, 1, 20))  # overdue for more than 14 days
        jobs.queue_reminders(date(2026, 1, 20))
        dispatch()

    assert district_group.accepted == []  # the escalation is the level above's news
    assert len(city_group.accepted) == 1 and pledge.metric in city_group.texts()[0]
