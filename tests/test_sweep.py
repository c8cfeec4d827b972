"""The overdue sweep when other writers are at work: the promise of jobs.py's docstring that a status change is
recorded only by the statement that made it, from the status it actually replaced. Runs on SQLite (writers take
turns) and, with DATABASE_URL set, on PostgreSQL (the second writer waits on the first one's row locks)."""

import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction

from commitments import jobs
from commitments.models import Pledge, StatusChange
from tests.factories import PledgeFactory

AFTER_DEADLINE = date(2026, 1, 1)


def open_pledges(count, status="on_track"):
    pledges = PledgeFactory.create_batch(count, deadline=date(2025, 12, 31))
    Pledge.objects.update(target_status=status)
    return pledges


class HeldTransaction(threading.Thread):
    """Runs `work` in a transaction on its own connection and keeps it open (its locks held) until released."""

    def __init__(self, work):
        super().__init__()
        self.work, self.result, self.error = work, None, None
        self.done_work, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with transaction.atomic():
                self.result = self.work()
                self.done_work.set()
                self.release.wait(30)
        except Exception as error:  # reported by the test
            self.error = error
            self.done_work.set()
        finally:
            connection.close()


class Sweep(threading.Thread):
    def __init__(self):
        super().__init__()
        self.flagged, self.error = None, None

    def run(self):
        try:
            self.flagged = jobs.flag_overdue(AFTER_DEADLINE)
        except Exception as error:
            self.error = error
        finally:
            connection.close()


def wait_until_blocked():
    """Until a second writer waits for the held transaction: on PostgreSQL seen as a lock wait; SQLite cannot
    show it, so give the sweep time to reach its BEGIN IMMEDIATE, where it waits for the write lock."""
    if connection.vendor != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("the second writer never waited for the first")


def run_against(held_work):
    """Hold a transaction that did `held_work`, start a sweep that must wait for it, then let the first commit."""
    held = HeldTransaction(held_work)
    held.start()
    assert held.done_work.wait(10)
    sweep = Sweep()
    sweep.start()
    wait_until_blocked()
    held.release.set()
    held.join(30)
    sweep.join(30)
    assert held.error is None and sweep.error is None, (held.error, sweep.error)
    return held.result, sweep.flagged


def test_two_sweeps_at_once_record_each_change_once(transactional_db):
    pledges = open_pledges(5)

    first, second = run_against(lambda: jobs.flag_overdue(AFTER_DEADLINE))

    assert (first, second) == (5, 0)
    changes = StatusChange.objects.filter(trigger="sweep")
    assert sorted(changes.values_list("pledge_id", flat=True)) == sorted(p.pk for p in pledges)
    assert set(changes.values_list("from_status", "to_status")) == {("on_track", "overdue")}


def test_the_sweep_records_the_status_it_replaced_when_another_writer_changed_it_meanwhile(transactional_db):
    """A recompute moved the pledge to at risk while the sweep waited: the change says at risk → overdue."""
    moved, untouched = open_pledges(2)

    run_against(lambda: Pledge.objects.filter(pk=moved.pk).update(target_status="at_risk"))

    recorded = dict(StatusChange.objects.filter(trigger="sweep").values_list("pledge_id", "from_status"))
    assert recorded == {moved.pk: "at_risk", untouched.pk: "on_track"}
    assert set(Pledge.objects.values_list("target_status", flat=True)) == {"overdue"}


@pytest.mark.django_db
def test_a_change_left_over_from_a_pledge_deleted_meanwhile_is_passed_over(client, staff, pledge):
    """The status changes have no database constraint (the sweep's speed): a change recorded for a pledge deleted at
    that moment stays behind, and neither the alerts nor the pages trip over it."""
    StatusChange.objects.create(pledge_id=pledge.pk + 1000, from_status="on_track", to_status="overdue", assessed_on=AFTER_DEADLINE)
    assert jobs.queue_status_alerts() == 0
    assert not StatusChange.objects.filter(alerts_queued_at__isnull=True).exists()
    client.force_login(staff)
    assert client.get("/").status_code == 200
    assert client.get("/admin/commitments/statuschange/").status_code == 200


@pytest.mark.django_db
def test_deleting_a_pledge_still_deletes_its_status_changes(pledge):
    from commitments import actions

    actions.do_recompute_status(pledge)
    assert StatusChange.objects.filter(pledge=pledge).exists()
    pledge.delete()
    assert not StatusChange.objects.exists()
