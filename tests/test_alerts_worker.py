"""End to end: a real Redis broker, a real Celery worker and a real SMTP server, with the clock moved by
time-machine. A pledge passing its deadline produces one overdue alert per recipient, however often and
however concurrently the sweep runs; mail queued while the mail server is down goes out once it is back."""

import threading
import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from commitments import actions, jobs, tasks
from commitments.models import Notification, StatusChange
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory

pytestmark = [pytest.mark.slow]

SHANGHAI = ZoneInfo("Asia/Shanghai")
BEFORE_DEADLINE = datetime(2025, 12, 1, 9, 0, tzinfo=SHANGHAI)
AFTER_DEADLINE = datetime(2026, 1, 1, 2, 0, tzinfo=SHANGHAI)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def owned_pledge(transactional_db):
    """An on-track pledge of 通州区 (contact duban@) co-owned by 区商务局 (contact swj@), due 31 Dec 2025."""
    city = OrganizationFactory(name="南通市", level="city", contact_emails="city@example.test")
    district = OrganizationFactory(name="通州区", parent=city, level="district", contact_emails="duban@example.test")
    bureau = OrganizationFactory(name="区商务局", parent=district, contact_emails="swj@example.test")
    pledge = PledgeFactory(lead_organization=district)
    pledge.co_owners.add(bureau)
    ProgressUpdateFactory(pledge=pledge, value=Decimal(45), as_of=date(2025, 11, 30))
    with time_machine.travel(BEFORE_DEADLINE, tick=False):
        actions.do_recompute_status(pledge)
    return pledge


def overdue_mail(smtp_server, address="duban@example.test"):
    return [m for m in smtp_server.mailbox.to(address) if "逾期未完成" in m["Subject"]]


def test_a_pledge_passing_its_deadline_produces_one_overdue_alert(owned_pledge, smtp_server, celery_worker):
    with time_machine.travel(AFTER_DEADLINE, tick=True):
        tasks.sweep_statuses.delay()
        assert wait_for(lambda: len(smtp_server.messages) == 2)
        tasks.sweep_statuses.delay()  # the sweep again, and the dispatcher on top of it
        tasks.dispatch_notifications.delay()
        time.sleep(3)

    assert len(overdue_mail(smtp_server)) == 1
    assert len(overdue_mail(smtp_server, "swj@example.test")) == 1
    assert len(smtp_server.messages) == 2
    assert StatusChange.objects.filter(to_status="overdue").count() == 1
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}


def test_two_sweeps_at_once_still_send_one_alert(owned_pledge, smtp_server, celery_worker):
    barrier = threading.Barrier(2)

    def sweep():
        barrier.wait()
        try:
            jobs.sweep_statuses(date(2026, 1, 1))
        finally:
            connection.close()

    with time_machine.travel(AFTER_DEADLINE, tick=True):
        sweepers = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in sweepers:
            thread.start()
        for thread in sweepers:
            thread.join(timeout=60)
        tasks.dispatch_notifications.delay()
        tasks.dispatch_notifications.delay()
        assert wait_for(lambda: len(smtp_server.messages) >= 2)
        time.sleep(2)

    assert StatusChange.objects.filter(to_status="overdue").count() == 1
    assert Notification.objects.count() == 2
    assert len(smtp_server.messages) == 2


def test_mail_queued_while_the_server_is_down_goes_out_once_when_it_returns(owned_pledge, smtp_server, celery_worker):
    smtp_server.stop()
    with time_machine.travel(AFTER_DEADLINE, tick=True):
        tasks.sweep_statuses.delay()
        assert wait_for(lambda: Notification.objects.filter(attempts__gte=2).count() == 2)
        assert set(Notification.objects.values_list("state", flat=True)) == {"pending"}
        assert "ConnectionRefusedError" in Notification.objects.first().last_error

        smtp_server.start()
        assert wait_for(lambda: Notification.objects.filter(state="sent").count() == 2, timeout=60)
        tasks.dispatch_notifications.delay()  # nothing left to hand out
        time.sleep(2)

    assert len(smtp_server.messages) == 2
    assert len(overdue_mail(smtp_server)) == 1
