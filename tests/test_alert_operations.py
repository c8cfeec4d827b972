"""What operators and users see of the alerts: schedules, commands, the notification log, preferences."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from commitments import actions
from commitments.apps import DEFAULT_SCHEDULES
from commitments.models import AlertProfile, Notification
from tests.factories import PledgeFactory, ProgressUpdateFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_beat_schedules_exist_with_their_defaults_and_are_kept_when_edited():
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert {name: task for name, task, *_ in DEFAULT_SCHEDULES}.items() <= tasks.items()
    sweep = PeriodicTask.objects.get(name="Nightly status sweep")
    sweep.enabled = False
    sweep.save()
    call_command("migrate", verbosity=0)  # post_migrate runs again
    assert PeriodicTask.objects.get(name="Nightly status sweep").enabled is False


@pytest.fixture
def overdue_pledge(district):
    district.contact_emails = "duban@example.test"
    district.save()
    pledge = PledgeFactory(lead_organization=district)
    ProgressUpdateFactory(pledge=pledge, value=Decimal(45), as_of=date(2025, 11, 30))
    with time_machine.travel(date(2025, 12, 1), tick=False):
        actions.do_recompute_status(pledge)
    return pledge


def test_operators_can_run_the_sweep_and_send_by_hand(overdue_pledge, smtp_server):
    out = StringIO()
    call_command("flag_overdue", "--date", "2026-01-01", "--send", stdout=out)
    assert "1 newly overdue" in out.getvalue() and "1 sent" in out.getvalue()
    call_command("flag_overdue", "--date", "2026-01-01", "--send", stdout=out)
    assert len(smtp_server.messages) == 1


def test_reminder_and_digest_commands_queue_their_mail(overdue_pledge, smtp_server):
    user = UserFactory(username="boss", email="boss@example.test")
    AlertProfile.objects.create(user=user, organization=overdue_pledge.lead_organization, digest_frequency="weekly")
    call_command("flag_overdue", "--date", "2026-01-01", stdout=StringIO())
    call_command("send_reminders", "--date", "2026-01-01", stdout=StringIO())
    call_command("send_digests", "weekly", "--date", "2026-01-05", "--send", stdout=StringIO())
    assert any("每周摘要" in m["Subject"] for m in smtp_server.mailbox.to("boss@example.test"))


def test_the_notification_log_shows_sent_pending_and_failed_with_the_error(client, staff, overdue_pledge):
    for state, error in (("sent", ""), ("pending", "ConnectionRefusedError: [Errno 111]"), ("failed", "SMTPRecipientsRefused")):
        Notification.objects.create(
            recipient=f"{state}@example.test", pledge=overdue_pledge, kind="status_change", period=state,
            subject="s", body_text="t", state=state, last_error=error,
        )
    client.force_login(staff)
    page = client.get(reverse("admin:commitments_notification_changelist"), {"state": "pending"}).content.decode()
    assert "pending@example.test" in page and "ConnectionRefusedError" in page and "sent@example.test" not in page


def test_a_user_chooses_alert_kinds_and_digest_frequency_in_the_admin(client, staff, district):
    user = UserFactory(username="zhang", email="zhang@example.test")
    client.force_login(staff)
    url = reverse("admin:auth_user_change", args=[user.pk])
    page = client.get(url)
    assert page.status_code == 200 and "alert_profile-0-digest_frequency" in page.content.decode()
    data = {
        "username": "zhang", "email": "zhang@example.test", "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "alert_profile-TOTAL_FORMS": "1", "alert_profile-INITIAL_FORMS": "0",
        "alert_profile-MIN_NUM_FORMS": "0", "alert_profile-MAX_NUM_FORMS": "1",
        "alert_profile-0-organization": district.pk, "alert_profile-0-language": "en",
        "alert_profile-0-alert_kinds": ["status_change", "escalation"], "alert_profile-0-digest_frequency": "daily",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    profile = AlertProfile.objects.get(user=user)
    assert (profile.alert_kinds, profile.digest_frequency, profile.language) == (["status_change", "escalation"], "daily", "en")
