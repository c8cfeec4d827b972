"""Fault drills with real processes: a Celery worker killed with SIGKILL in the middle of a batch."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from commitments.models import Notification
from tests.conftest import SMTPServer
from tests.factories import PledgeFactory

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


class PausingMailbox:
    """Accepts mail at a human pace, and holds one message at a chosen step so the test can kill the worker there.

    `pause_at` is the number of the message to hold; `step` is where: "envelope" (the sender is waiting for the
    reply to MAIL FROM, the previous message is settled) or "accepting" (the server already has the whole message
    and is storing it when the sender dies, the window RFC 1047 describes: a real server delivers it anyway).
    """

    def __init__(self, pause_at: int | None = None, step: str = ""):
        self.messages = []
        self.pause_at, self.step = pause_at, step
        self.holding = threading.Event()
        self.released = False

    async def _hold(self):
        self.holding.set()
        while not self.released:
            await asyncio.sleep(0.05)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.step == "envelope" and len(self.messages) + 1 == self.pause_at and not self.released:
            await self._hold()
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        self.messages.append(envelope.content)
        if self.step == "accepting" and len(self.messages) == self.pause_at and not self.released:
            await self._hold()
        return "250 OK"


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def queue_notifications(count: int, label: str):
    pledge = PledgeFactory()
    Notification.objects.bulk_create(
        [Notification(recipient=f"r{n}@example.test", pledge=pledge, kind="status_change", period=f"{label}:{n}",
                      subject=f"{label} {n}", body_text="drill") for n in range(count)]
    )


def worker_env(redis_url: str, smtp_port: int | None = None) -> dict:
    """The environment of a real worker process: this test database, the given Redis, real SMTP, short timeouts."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {
        "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "TRACKER_VAR_DIR": str(settings.VAR_DIR),
        "CELERY_VISIBILITY_TIMEOUT": "5", "TRACKER_SEND_CLAIM_SECONDS": "5", "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "tracker.settings",  # real SMTP, not the tests' in-memory mail
    }
    if smtp_port:
        env |= {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port)}
    return env


def received_headers(mailbox, name: bytes) -> Counter:
    """How often each value of one header arrived, e.g. Subject or Message-ID."""
    prefix = name + b":"
    return Counter(
        line.split(b":", 1)[1].strip() for message in mailbox.messages for line in message.splitlines()
        if line.startswith(prefix)
    )


def received_subjects(mailbox) -> Counter:
    return received_headers(mailbox, b"Subject")


def start_worker(env):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tracker", "worker", "--loglevel", "WARNING", "--concurrency", "1",
         "--prefetch-multiplier", "1", "-O", "fair"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize(("step", "repeats"), [("envelope", 0), ("accepting", 1)])
def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_a_message_the_server_was_accepting(
    transactional_db, broker_url, step, repeats
):
    """Killed between two messages: each email once. Killed while the server was taking a message in: that one
    message arrives twice (no SMTP client can know whether the server kept it), with the same Message-ID."""
    smtp = SMTPServer()
    smtp.mailbox = PausingMailbox(pause_at=60, step=step)
    smtp.start()
    queue_notifications(200, "drill")
    env = worker_env(broker_url, smtp.port)
    from commitments.tasks import dispatch_notifications

    worker = start_worker(env)
    try:
        dispatch_notifications.delay()
        assert smtp.mailbox.holding.wait(60), len(smtp.mailbox.messages)
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool process, mid-batch
        worker.wait(timeout=10)
        smtp.mailbox.released = True
        assert Notification.objects.filter(state="sent").count() < 200

        worker = start_worker(env)
        time.sleep(6)  # the dead worker's claims and unacknowledged tasks expire
        dispatch_notifications.delay()
        assert wait_for(lambda: Notification.objects.filter(state="sent").count() == 200, 120)
        time.sleep(2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        smtp.stop()

    subjects = received_subjects(smtp.mailbox)
    assert len(subjects) == 200  # nothing lost
    assert sum(subjects.values()) == 200 + repeats, {s: n for s, n in subjects.items() if n > 1}
    # A repeat is the same message: one Message-ID per notification, so a mailbox that drops a copy it already
    # holds shows each alert once.
    assert len(received_headers(smtp.mailbox, b"Message-ID")) == 200


def test_redis_restarted_mid_run_the_jobs_resume_and_each_email_goes_once(transactional_db, tmp_path):
    from tracker import embedded_redis

    socket_path = tmp_path / "redis" / "redis.sock"
    redis_process = embedded_redis.start(socket_path)  # its own Redis, with an append-only file, to restart
    url = f"redis+socket://{socket_path}"
    smtp = SMTPServer()
    smtp.mailbox = PausingMailbox()
    smtp.start()
    queue_notifications(150, "redis")
    env = worker_env(url, smtp.port)
    from tracker.celery import app

    worker = start_worker(env)
    try:
        from commitments.tasks import dispatch_notifications

        dispatch_notifications.apply_async(connection=app.connection_for_write(url))
        assert wait_for(lambda: len(smtp.mailbox.messages) >= 30, 60)
        redis_process.terminate()  # Redis goes away in the middle of the run…
        redis_process.wait(timeout=10)
        time.sleep(2)
        redis_process = embedded_redis.start(socket_path)  # …and comes back with its queue (append-only file)
        time.sleep(6)  # claims and unacknowledged tasks of the interrupted run expire
        dispatch_notifications.apply_async(connection=app.connection_for_write(url))
        assert wait_for(lambda: Notification.objects.filter(state="sent").count() == 150, 120)
        time.sleep(2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        smtp.stop()
        redis_process.terminate()

    subjects = received_subjects(smtp.mailbox)
    assert len(subjects) == 150
    assert all(n == 1 for n in subjects.values()), {s: n for s, n in subjects.items() if n > 1}


def test_a_database_connection_dropped_mid_sweep_makes_the_job_retry_and_finish_once(transactional_db, broker_url):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database server whose connections can be dropped (CI runs it on PostgreSQL)")
    import psycopg
    from datetime import date

    from commitments import actions
    from commitments.models import StatusChange

    pledge = PledgeFactory(deadline=date(2025, 12, 31))
    actions.do_recompute_status(pledge, today=date(2025, 6, 1))
    env = worker_env(broker_url)
    dsn = f"host=127.0.0.1 port={connection.settings_dict['PORT'] or 5432} user={connection.settings_dict['USER']} dbname={connection.settings_dict['NAME']}"
    with psycopg.connect(dsn) as blocker, psycopg.connect(dsn, autocommit=True) as admin:
        blocker.execute("SELECT id FROM commitments_pledge WHERE id = %s FOR UPDATE", [pledge.pk])  # the sweep will wait here
        worker = start_worker(env)
        try:
            from commitments.tasks import sweep_statuses

            sweep_statuses.delay()

            def waiting_sweep():
                row = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'UPDATE %%commitments_pledge%%'"
                ).fetchone()
                return row[0] if row else None

            assert wait_for(lambda: waiting_sweep() is not None, 60)
            admin.execute("SELECT pg_terminate_backend(%s)", [waiting_sweep()])  # the connection drops mid-statement
            blocker.rollback()  # and the way is clear for the retry
            assert wait_for(lambda: StatusChange.objects.filter(pledge=pledge, to_status="overdue").exists(), 60)
            time.sleep(2)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    assert StatusChange.objects.filter(pledge=pledge, to_status="overdue").count() == 1


@pytest.mark.parametrize(("keeps", "repeated"), [(False, 0), (True, 2)])
def test_a_worker_killed_while_posting_to_a_group_robot_loses_nothing_and_repeats_only_the_post_in_flight(
    transactional_db, broker_url, keeps, repeated
):
    """A robot channel in the same drill: 30 alerts for one WeCom group, posted two to a message (each is long). The
    worker dies while the robot holds the 8th post. Dropped by the robot: every alert arrives once. Taken by the
    robot: the two alerts of that one post arrive twice (no robot answer came back to say it was taken)."""
    from commitments.models import Channel, Organization
    from tests.robot_server import FakeRobot

    with FakeRobot("wecom", "drill" + str(os.getpid()) + str(keeps), hold_at=8, hold_keeps=keeps) as robot:
        organization = Organization.objects.create(name="演练单位")
        channel = Channel.objects.create(name="演练群", kind="wecom", organization=organization,
                                         webhook_url=robot.webhook_url)
        pledge = PledgeFactory(lead_organization=organization)
        Notification.objects.bulk_create([
            Notification(recipient=channel.address, channel="robot", robot=channel, pledge=pledge, kind="status_change",
                         period=f"drill:{n}", subject=f"drill {n}", body_text=f"**drill {n}** " + "进" * 500)
            for n in range(30)
        ])
        env = worker_env(broker_url)  # the robots' rate limit as in production: 15 posts (and a repeat) fit in it
        from commitments.tasks import dispatch_notifications

        worker = start_worker(env)
        try:
            dispatch_notifications.delay()
            assert robot.holding.wait(60), len(robot.arrivals)
            os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool process, while the robot holds a post
            worker.wait(timeout=10)
            robot.released.set()
            assert Notification.objects.filter(state="sent").count() == 14  # the 7 posts the robot answered

            worker = start_worker(env)
            time.sleep(6)  # the dead worker's claims and unacknowledged tasks expire
            dispatch_notifications.delay()
            assert wait_for(lambda: Notification.objects.filter(state="sent").count() == 30, 120)
            time.sleep(2)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)

    assert robot.problems == [] and robot.too_fast_answers == 0
    arrived = Counter(line.split("**")[1] for text in robot.texts() for line in text.split("\n\n") if line.startswith("**drill"))
    assert set(arrived) == {f"drill {n}" for n in range(30)}  # nothing lost
    assert sum(arrived.values()) == 30 + repeated, {item: n for item, n in arrived.items() if n > 1}
