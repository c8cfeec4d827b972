"""Is the tracker doing its job? The database, the broker, the nightly sweep, the mail dispatcher and the mail queue.

Alerts fail silently when beat or the worker stops, or the mail server refuses for days: the very "nobody noticed in
time" the tracker exists to prevent. So the scheduled jobs record each run (`recorded`), and `check_all` turns those
records into a verdict that monitoring (`/health/`), cron (`manage.py health`) and operators (the admin index) read.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import display
from .models import Channel, JobRun, Notification

log = logging.getLogger(__name__)

OK, WARNING, FAILING = "ok", "warning", "failing"
SEVERITY = {OK: 0, WARNING: 1, FAILING: 2}
SYMBOLS = {OK: "✔", WARNING: "⚠", FAILING: "✖"}  # beside the word: the state never depends on colour alone

# The jobs whose silence means alerts stop; the others are listed but only fail when their last run failed.
SWEEP, DISPATCH = "sweep", "dispatch"
LABELS = {
    "database": gettext_lazy("Database"),
    "broker": gettext_lazy("Task queue (Redis)"),
    SWEEP: gettext_lazy("Nightly status sweep"),
    DISPATCH: gettext_lazy("Sending of notifications"),
    "mail": gettext_lazy("Mail delivery"),
    "robots": gettext_lazy("Group robots (WeCom, DingTalk)"),
}


@dataclass(frozen=True)
class Check:
    name: str  # a stable key for monitoring: database, broker, sweep, dispatch, mail
    state: str
    detail: str  # for staff, in the active language

    @property
    def label(self) -> str:
        return str(LABELS.get(self.name, self.name))

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.state]


# --- Recording runs ---------------------------------------------------------------------------------


@contextmanager
def recorded(name: str):
    """Record the start, success (with the summary the job puts in the yielded dict) or failure of a job run."""
    _store(name, started_at=timezone.now())
    summary: dict = {}
    try:
        yield summary
    except Exception as error:
        try:
            _store(name, failed_at=timezone.now(), last_error=f"{type(error).__name__}: {error}"[:2000])
        except DatabaseError:  # the database is what failed: the missing success will show in the health check
            log.warning("could not record the failure of %s", name)
        raise
    _store(name, succeeded_at=timezone.now(), last_summary=summary, last_error="")


def _store(name: str, **fields) -> None:
    JobRun.objects.update_or_create(name=name, defaults=fields)


# --- Checking ---------------------------------------------------------------------------------------


def check_all() -> list[Check]:
    now = timezone.now()
    database = check_database()
    if database.state != OK:
        unknown = _("unknown: the database cannot be read")
        return [database, check_broker()] + [Check(name, FAILING, unknown) for name in (SWEEP, DISPATCH, "mail", "robots")]
    runs = {run.name: run for run in JobRun.objects.filter(name__in=[SWEEP, DISPATCH])}
    return [
        database,
        check_broker(),
        check_job(SWEEP, runs.get(SWEEP), now, timedelta(hours=settings.TRACKER_HEALTH_SWEEP_HOURS)),
        check_job(DISPATCH, runs.get(DISPATCH), now, timedelta(minutes=settings.TRACKER_HEALTH_DISPATCH_MINUTES)),
        check_mail(now),
        check_robots(now),
    ]


def overall(checks: list[Check]) -> str:
    return max((check.state for check in checks), key=SEVERITY.__getitem__, default=OK)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return Check("database", FAILING, _("cannot be reached: %(error)s") % {"error": error})
    return Check("database", OK, _("reachable"))


def check_broker() -> Check:
    try:
        # The project's Celery app (tracker/celery.py), without the app importing the project package back.
        with current_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
    except Exception as error:  # whatever the transport raises: it is unreachable either way
        return Check("broker", FAILING, _("cannot be reached: %(error)s") % {"error": error})
    return Check("broker", OK, _("reachable"))


def check_job(name: str, run: JobRun | None, now, allowed_age: timedelta) -> Check:
    """A job is healthy when its latest run succeeded within its allowed age."""
    if run is None or (run.succeeded_at is None and run.failed_at is None):
        return Check(name, WARNING, _("has not run yet (a new installation, or beat and the worker are not running)"))
    if run.last_error:  # the latest run failed (a success clears it)
        return Check(name, FAILING, _("failed at %(time)s: %(error)s") % {"time": display.moment(run.failed_at), "error": run.last_error})
    if now - run.succeeded_at > allowed_age:
        return Check(name, FAILING, _(
            "last succeeded at %(time)s, longer ago than expected: are beat and a worker running?"
        ) % {"time": display.moment(run.succeeded_at)})
    return Check(name, OK, _("last succeeded at %(time)s") % {"time": display.moment(run.succeeded_at)})


def _outbox_trouble(now, channel: str) -> tuple[int, str, int]:
    """For one channel of the outbox: how many messages have waited past the backlog limit after a failed attempt, the
    last error among them, and how many were given up in the last 7 days (the mail and robot checks read the same)."""
    backlog_since = now - timedelta(minutes=settings.TRACKER_HEALTH_MAIL_BACKLOG_MINUTES)
    rows = Notification.objects.filter(channel=channel)
    stuck = rows.filter(state=Notification.State.PENDING, attempts__gt=0, created_at__lt=backlog_since)
    waiting = stuck.count()
    if waiting:
        return waiting, stuck.order_by("-next_attempt_at").only("last_error").first().last_error, 0
    return 0, "", rows.filter(state=Notification.State.FAILED, created_at__gte=now - timedelta(days=7)).count()


def check_mail(now) -> Check:
    """Failing when mail has been waiting for the mail server too long; a warning when it refused some lately."""
    waiting, last_error, refused = _outbox_trouble(now, Notification.Via.EMAIL)
    if waiting:
        return Check("mail", FAILING, _(
            "%(count)d emails not delivered for over %(minutes)d minutes; last error: %(error)s"
        ) % {"count": waiting, "minutes": settings.TRACKER_HEALTH_MAIL_BACKLOG_MINUTES, "error": last_error})
    if refused:
        return Check("mail", WARNING, _(
            "%(count)d emails refused by the mail server in the last 7 days (see the notification log)"
        ) % {"count": refused})
    return Check("mail", OK, _("no email waiting for the mail server"))


def check_robots(now) -> Check:
    """Failing when a group robot refuses its messages (a bad key, a robot removed from its group: its errcode and
    errmsg, until a message gets through again), or its alerts have waited too long; a warning when some were given
    up in the last 7 days."""
    refusing = list(Channel.objects.filter(active=True).exclude(last_error="").order_by("-last_error_at")[:5])
    if refusing:
        return Check("robots", FAILING, "; ".join(
            _("%(robot)s refuses messages since %(time)s: %(error)s")
            % {"robot": robot, "time": display.moment(robot.last_error_at), "error": robot.last_error}
            for robot in refusing
        ))
    waiting, last_error, failed = _outbox_trouble(now, Notification.Via.ROBOT)
    if waiting:
        return Check("robots", FAILING, _(
            "%(count)d alerts not posted to their group for over %(minutes)d minutes; last error: %(error)s"
        ) % {"count": waiting, "minutes": settings.TRACKER_HEALTH_MAIL_BACKLOG_MINUTES, "error": last_error})
    if failed:
        return Check("robots", WARNING, _(
            "%(count)d alerts could not be posted to their group in the last 7 days (see the notification log)"
        ) % {"count": failed})
    return Check("robots", OK, _("no alert waiting for a group robot"))
