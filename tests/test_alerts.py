"""The alert jobs step by step: detect, decide who to tell, deliver — each run twice to show it happens once."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from commitments import actions, emails, jobs
from commitments.models import AlertProfile, Notification, Pledge, StatusChange
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory, UserFactory
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db

DEADLINE = date(2025, 12, 31)


def assessed(pledge, day):
    with time_machine.travel(day, tick=False):
        actions.do_recompute_status(pledge)
    pledge.refresh_from_db()
    return pledge


def member(org, username, *, language="zh-hans", kinds=None, digest="never"):
    user = UserFactory(username=username, email=f"{username}@example.test")
    AlertProfile.objects.create(
        user=user, organization=org, language=language, digest_frequency=digest,
        alert_kinds=kinds if kinds is not None else ["status_change", "deadline_warning", "report_due", "report_late", "escalation"],
    )
    return user


def sent_to(address, kind=None):
    notifications = Notification.objects.filter(recipient=address)
    return notifications.filter(kind=kind) if kind else notifications


# --- Detect -----------------------------------------------------------------------------------------


class TestFlagOverdue:
    def test_it_flags_an_open_pledge_past_its_deadline_once(self, pledge):
        ProgressUpdateFactory(pledge=pledge, value=Decimal(45), as_of=date(2025, 11, 30))
        assessed(pledge, date(2025, 12, 1))
        assert pledge.target_status == "on_track"

        assert jobs.flag_overdue(date(2026, 1, 1)) == 1
        assert jobs.flag_overdue(date(2026, 1, 1)) == 0

        pledge.refresh_from_db()
        assert pledge.target_status == "overdue"
        sweep_changes = StatusChange.objects.filter(pledge=pledge, trigger="sweep")
        assert list(sweep_changes.values_list("from_status", "to_status")) == [("on_track", "overdue")]

    def test_it_leaves_achieved_and_future_pledges_alone(self, district):
        done = PledgeFactory(lead_organization=district)
        ProgressUpdateFactory(pledge=done, value=Decimal(55), as_of=date(2025, 11, 30))
        assessed(done, date(2025, 12, 1))
        later = assessed(PledgeFactory(lead_organization=district, deadline=date(2026, 12, 31)), date(2025, 12, 1))

        assert jobs.flag_overdue(date(2026, 1, 1)) == 0
        assert Pledge.objects.get(pk=done.pk).target_status == "achieved"
        assert Pledge.objects.get(pk=later.pk).target_status == later.target_status

    def test_the_swept_reason_reads_in_full(self, pledge):
        ProgressUpdateFactory(pledge=pledge, value=Decimal(45), as_of=date(2025, 11, 30))
        assessed(pledge, date(2025, 12, 1))
        jobs.flag_overdue(date(2026, 1, 1))
        pledge.refresh_from_db()
        with translation.override("zh-hans"):
            assert pledge.status_reason_text == "已过截止日期2025年12月31日；最新值 45个（截至2025年11月30日）未达到目标 ≥ 50个。"
            change = StatusChange.objects.get(trigger="sweep")
            assert change.reason_text == pledge.status_reason_text

    def test_after_the_nightly_run_every_stored_status_agrees_with_the_engine(self, district):
        rng = random.Random(7)
        for n in range(40):
            pledge = PledgeFactory(
                lead_organization=district,
                cumulative=rng.random() < 0.5,
                target=Decimal(rng.randint(1, 100)),
                deadline=date(2025, rng.randint(1, 12), 28) if rng.random() < 0.7 else date(2026, 6, 30),
                kind=rng.choice(["level", "share", "growth"]),
            )
            for _ in range(rng.randint(0, 2)):
                ProgressUpdateFactory(pledge=pledge, value=Decimal(rng.randint(0, 120)), as_of=date(2025, rng.randint(1, 6), 1))
            assessed(pledge, date(2025, 7, 1))  # after every report: an update is never dated in the future
        for day in (date(2025, 9, 17), date(2026, 1, 10)):
            jobs.flag_overdue(day)
            jobs.recompute_open(day)  # expected_now and reporting moved along in SQL, not by the engine
            for pledge in Pledge.objects.all():
                engine = actions.assess_pledge(pledge, today=day)
                assert pledge.target_status == engine.target_status
                if pledge.target_status not in ("achieved", "overdue"):
                    assert pledge.reporting_status == engine.reporting_status, pledge.metric
                    if engine.expected_now is None:
                        assert pledge.expected_now is None
                    else:
                        assert abs(pledge.expected_now - engine.expected_now) <= Decimal("0.0002"), (pledge.pk, day)


class TestRecompute:
    def test_a_second_run_on_the_same_day_has_nothing_to_do(self, pledge):
        assessed(pledge, date(2025, 2, 1))
        assert jobs.recompute_open(date(2025, 3, 1))["assessed"] == 1
        assert jobs.recompute_open(date(2025, 3, 1))["assessed"] == 0

    def test_expected_by_now_moves_with_the_day(self, pledge):
        assessed(pledge, date(2025, 2, 1))
        jobs.recompute_open(date(2025, 7, 2))
        pledge.refresh_from_db()
        assert pledge.expected_now == Decimal("25.0000")  # half of 50, on 2 July

    def test_the_reporting_status_moves_with_the_day(self, pledge):
        assessed(pledge, date(2025, 2, 1))  # no data, not late
        pledge.refresh_from_db()
        assert (pledge.target_status, pledge.reporting_status) == ("no_data", "ok")
        jobs.recompute_open(date(2025, 4, 20))
        pledge.refresh_from_db()
        assert pledge.reporting_status == "late"  # the first quarterly report was due on 1 April


# --- Decide who to tell -----------------------------------------------------------------------------


@pytest.fixture
def owners(city, district):
    bureau = OrganizationFactory(name="区商务局", parent=district, contact_emails="swj@example.test")
    district.contact_emails = "duban@example.test"
    district.save()
    return {"city": city, "district": district, "bureau": bureau}


@pytest.fixture
def slipping(owners):
    """A pledge of 通州区, co-owned by 区商务局, on track in June and overdue after the deadline."""
    pledge = PledgeFactory(lead_organization=owners["district"])
    pledge.co_owners.add(owners["bureau"])
    ProgressUpdateFactory(pledge=pledge, value=Decimal(26), as_of=date(2025, 6, 30))
    return assessed(pledge, date(2025, 7, 1))


class TestStatusAlerts:
    def test_the_owners_contacts_co_owners_and_opted_in_members_are_told_once(self, slipping, owners):
        member(owners["district"], "wang", language="en")
        member(owners["district"], "li", kinds=[])  # digests only
        jobs.queue_status_alerts()  # the first assessment is not news
        assert Notification.objects.count() == 0

        jobs.flag_overdue(date(2026, 1, 1))
        jobs.queue_status_alerts()
        jobs.queue_status_alerts()

        assert sorted(Notification.objects.values_list("recipient", flat=True)) == [
            "duban@example.test", "swj@example.test", "wang@example.test",
        ]
        english = Notification.objects.get(recipient="wang@example.test")
        assert english.subject == "[Pledge tracker] 新注册重大产业项目: now overdue"
        assert "The status of this pledge changed from “on track” to “overdue”." in english.body_text
        chinese = Notification.objects.get(recipient="duban@example.test")
        assert chinese.subject == "【目标任务跟踪】新注册重大产业项目：逾期未完成"
        assert f"http://127.0.0.1:8000/pledges/{slipping.pk}/" in chinese.body_text
        assert "<a href=" in chinese.body_html

    def test_a_recovery_is_news_and_a_move_between_good_states_is_not(self, slipping, owners):
        jobs.queue_status_alerts()
        with time_machine.travel(date(2025, 10, 1), tick=False):
            actions.do_record_progress(
                slipping, acting_user=None, as_of=date(2025, 9, 30), value=Decimal(20), **EXPLAINED
            )
        jobs.queue_status_alerts()
        assert Notification.objects.filter(recipient="duban@example.test").count() == 1  # on track → off track
        with time_machine.travel(date(2025, 10, 2), tick=False):
            actions.do_record_progress(
                slipping, acting_user=None, as_of=date(2025, 9, 30), value=Decimal(45), **EXPLAINED
            )
        jobs.queue_status_alerts()
        assert Notification.objects.filter(recipient="duban@example.test").count() == 2  # off track → on track
        with time_machine.travel(date(2025, 10, 3), tick=False):
            actions.do_record_progress(
                slipping, acting_user=None, as_of=date(2025, 9, 30), value=Decimal(60), **EXPLAINED
            )
        jobs.queue_status_alerts()
        assert Notification.objects.filter(recipient="duban@example.test").count() == 2  # on track → achieved: quiet

    def test_pledge_text_is_escaped_in_html_and_plain_in_text(self, owners):
        pledge = PledgeFactory(lead_organization=owners["district"], metric="<script>alert(1)</script>项目")
        ProgressUpdateFactory(pledge=pledge, value=Decimal(45), as_of=date(2025, 11, 30))
        assessed(pledge, date(2025, 12, 1))
        jobs.flag_overdue(date(2026, 1, 1))
        jobs.queue_status_alerts()
        notification = Notification.objects.get(recipient="duban@example.test")
        assert "<script>" not in notification.body_html and "&lt;script&gt;" in notification.body_html
        assert "<script>alert(1)</script>项目" in notification.body_text


class TestReminders:
    def test_deadline_warnings_go_out_30_and_7_days_before_each_once(self, slipping):
        for day in (date(2025, 11, 30), date(2025, 12, 1), date(2025, 12, 20), date(2025, 12, 24), date(2025, 12, 25)):
            jobs.queue_reminders(day)
        warnings = sent_to("duban@example.test", "deadline_warning")
        assert sorted(warnings.values_list("period", flat=True)) == ["30d", "7d"]

    def test_no_warning_for_an_achieved_pledge(self, slipping):
        ProgressUpdateFactory(pledge=slipping, value=Decimal(60), as_of=date(2025, 11, 30))
        assessed(slipping, date(2025, 12, 1))
        jobs.queue_reminders(date(2025, 12, 1))
        assert not Notification.objects.exists()

    def test_a_report_due_soon_is_announced_once(self, slipping):
        jobs.recompute_open(date(2025, 9, 25))  # next quarterly report due 30 September
        jobs.queue_reminders(date(2025, 9, 25))
        jobs.queue_reminders(date(2025, 9, 26))
        assert list(sent_to("duban@example.test", "report_due").values_list("period", flat=True)) == ["due:2025-09-30"]

    def test_a_late_report_is_chased_every_k_days_at_most_m_times(self, slipping, settings):
        settings.TRACKER_LATE_REMINDER_EVERY_DAYS, settings.TRACKER_LATE_REMINDER_MAX = 7, 3
        day = date(2025, 10, 8)  # due 30 September, late after the 7-day grace
        while day < date(2025, 11, 30):
            jobs.recompute_open(day)
            jobs.queue_reminders(day)
            day += timedelta(days=1)
        periods = sorted(sent_to("duban@example.test", "report_late").values_list("period", flat=True))
        assert periods == ["late:2025-09-30#1", "late:2025-09-30#2", "late:2025-09-30#3"]

    def test_overdue_for_long_escalates_to_the_parent_then_to_the_top(self, owners, settings):
        settings.TRACKER_ESCALATE_AFTER_DAYS = 14
        head = UserFactory(username="mayor", email="mayor@example.test")
        owners["city"].head = head
        owners["city"].contact_emails = "city@example.test"
        owners["city"].save()
        pledge = PledgeFactory(lead_organization=owners["bureau"])
        assessed(pledge, date(2025, 7, 1))
        jobs.flag_overdue(date(2026, 1, 1))
        for day in (date(2026, 1, 10), date(2026, 1, 20), date(2026, 2, 10), date(2026, 2, 11)):
            jobs.queue_reminders(day)
        escalations = Notification.objects.filter(kind="escalation")
        # Level 1 to 通州区 (the bureau's parent) after 14 days; level 2 to 南通市 after 28.
        assert sorted(escalations.values_list("recipient", "period")) == [
            ("city@example.test", "overdue:2025-12-31:L2"),
            ("duban@example.test", "overdue:2025-12-31:L1"),
            ("mayor@example.test", "overdue:2025-12-31:L2"),
        ]


class TestDigests:
    def test_a_daily_digest_lists_yesterdays_changes_and_is_sent_once(self, slipping, owners):
        member(owners["city"], "manager", digest="daily", kinds=[])
        with time_machine.travel(date(2026, 1, 1), tick=False):
            jobs.flag_overdue(date(2026, 1, 1))
        jobs.queue_digests("daily", date(2026, 1, 2))
        jobs.queue_digests("daily", date(2026, 1, 2))
        digest = Notification.objects.get(recipient="manager@example.test")
        assert digest.kind == "digest" and digest.pledge is None
        assert "新注册重大产业项目" in digest.body_text and "逾期未完成" in digest.body_text

    def test_nothing_is_sent_when_there_is_nothing_to_say(self, slipping, owners):
        member(owners["district"], "quiet", digest="daily", kinds=[])
        jobs.queue_digests("daily", date(2025, 8, 15))
        assert not Notification.objects.exists()

    def test_a_weekly_digest_covers_the_subtree_and_what_needs_attention(self, slipping, owners):
        member(owners["city"], "manager", digest="weekly", kinds=[])
        member(owners["bureau"], "clerk", digest="weekly", kinds=[])
        other = PledgeFactory(lead_organization=OrganizationFactory(name="如皋市", level="city"), metric="外地指标")
        assessed(other, date(2025, 7, 1))
        jobs.flag_overdue(date(2026, 1, 1))
        jobs.queue_digests("weekly", date(2026, 1, 5))
        manager = Notification.objects.get(recipient="manager@example.test")
        assert "新注册重大产业项目" in manager.body_text and "外地指标" not in manager.body_text
        clerk = Notification.objects.get(recipient="clerk@example.test")
        assert "新注册重大产业项目" in clerk.body_text  # co-owned by the bureau


# --- Deliver ----------------------------------------------------------------------------------------


@pytest.fixture
def queued(slipping, owners):
    jobs.flag_overdue(date(2026, 1, 1))
    jobs.queue_status_alerts()
    return list(Notification.objects.order_by("id"))


class TestDelivery:
    def test_each_pending_notification_is_sent_once(self, queued, smtp_server):
        for notification in queued:
            assert jobs.deliver_notification(notification.pk) == "sent"
            assert jobs.deliver_notification(notification.pk) == "skipped"
        assert len(smtp_server.messages) == len(queued) == 2
        message = smtp_server.mailbox.to("duban@example.test")[0]
        assert message["Subject"].strip() == Notification.objects.get(recipient="duban@example.test").subject
        assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
        assert Notification.objects.filter(state="sent").count() == 2

    def test_the_message_id_names_the_site_the_links_point_to_and_stays_the_same_for_a_resend(
        self, queued, smtp_server, settings
    ):
        settings.SITE_URL = "https://duban.example.test:8443/"
        settings.DEFAULT_FROM_EMAIL = "tracker@localhost"
        notification = queued[0]
        jobs.deliver_notification(notification.pk)
        [message] = smtp_server.messages
        assert message["Message-ID"] == f"<tracker.notification.{notification.pk}@duban.example.test>"
        assert "localhost" not in message["Message-ID"]
        # Built again (a resend after a crash), it is the same message to a mailbox that drops duplicates.
        assert emails.build_message(notification).extra_headers["Message-ID"] == message["Message-ID"]

    def test_while_the_mail_server_is_down_they_stay_pending_with_the_error(self, queued, smtp_server):
        smtp_server.stop()
        with pytest.raises(ConnectionRefusedError):
            jobs.deliver_notification(queued[0].pk)
        pending = Notification.objects.get(pk=queued[0].pk)
        assert (pending.state, pending.attempts) == ("pending", 1)
        assert "ConnectionRefusedError" in pending.last_error
        assert pending.next_attempt_at > pending.created_at

        smtp_server.start()
        assert jobs.deliver_notification(queued[0].pk) == "sent"
        assert len(smtp_server.messages) == 1

    def test_a_notification_held_by_another_sender_is_not_sent_again(self, queued, smtp_server):
        Notification.objects.filter(pk=queued[0].pk).update(claimed_until=jobs.timezone.now() + timedelta(minutes=5))
        assert jobs.deliver_notification(queued[0].pk) == "skipped"
        assert smtp_server.messages == []

    def test_the_dispatcher_hands_out_each_due_notification_once(self, queued):
        first = jobs.due_notification_ids()
        assert sorted(first) == [n.pk for n in queued]
        assert jobs.due_notification_ids() == []


def test_when_the_parent_is_the_top_organization_it_still_hears_of_a_long_overdue_pledge(owners, settings):
    settings.TRACKER_ESCALATE_AFTER_DAYS = 14
    owners["city"].contact_emails = "city@example.test"
    owners["city"].save()
    pledge = PledgeFactory(lead_organization=owners["district"], cadence="at_deadline")
    assessed(pledge, date(2025, 7, 1))
    jobs.flag_overdue(date(2026, 1, 1))
    jobs.queue_reminders(date(2026, 3, 1))  # 60 days overdue: past both levels at once
    assert list(Notification.objects.filter(kind="escalation").values_list("recipient", "period")) == [
        ("city@example.test", "overdue:2025-12-31:L1"),
    ]


def test_a_sweep_that_flags_many_rows_refreshes_the_planner_statistics(db, monkeypatch):
    """Stale row estimates made the first summary page after a large sweep take over a minute (bench)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's (CI runs this on PostgreSQL)")

    def estimated_rows():
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Pledge._meta.db_table])
            return cursor.fetchone()[0]

    PledgeFactory.create_batch(3, deadline=date(2025, 6, 30))
    monkeypatch.setattr(jobs, "REANALYZE_AFTER_ROWS", 3)
    before = estimated_rows()
    assert jobs.flag_overdue(date(2025, 7, 1)) == 3
    assert estimated_rows() == 3 != before
