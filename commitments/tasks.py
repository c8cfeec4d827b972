"""Celery tasks: thin entry points onto commitments.jobs. All are idempotent (acks_late is on globally)."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.utils import timezone

from . import documents, health, jobs

log = logging.getLogger(__name__)

# A database that went away mid-run: the job is safe to run again, so retry it.
DATABASE_ERRORS = (DatabaseError,)


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=5)
def sweep_statuses():
    """Nightly: flag overdue pledges, recompute the rest, queue status alerts, then send."""
    with health.recorded(health.SWEEP) as summary:
        summary.update(jobs.sweep_statuses())
    dispatch_notifications.delay()
    return summary


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=5)
def queue_status_alerts():
    """After a status change recorded by a user: queue its alerts and send them."""
    queued = jobs.queue_status_alerts()
    dispatch_notifications.delay()
    return {"alerts": queued}


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=5)
def send_reminders():
    with health.recorded("reminders") as summary:
        summary["reminders"] = jobs.queue_reminders(timezone.localdate())
    dispatch_notifications.delay()
    return summary


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=5)
def send_digests(frequency):
    with health.recorded(f"digests:{frequency}") as summary:
        summary["digests"] = jobs.queue_digests(frequency, timezone.localdate())
    dispatch_notifications.delay()
    return summary


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=5)
def dispatch_notifications():
    """Hand every due pending notification to a sender task, a batch each (also run every few minutes by beat)."""
    with health.recorded(health.DISPATCH) as summary:
        summary.update(jobs.send_due_notifications(_queue_for_a_sender))
    return summary


def _queue_for_a_sender(notification_ids):
    deliver_notifications.delay(notification_ids)


# Sending retries on SMTP, network and database errors, with back-off doubling up to an hour.
SENDING = dict(
    bind=True,
    autoretry_for=jobs.TRANSIENT_ERRORS + DATABASE_ERRORS,
    retry_backoff=settings.TRACKER_SEND_RETRY_BACKOFF,
    retry_backoff_max=3600,
    retry_jitter=False,
    max_retries=settings.TRACKER_SEND_RETRY_MAX,
)


@shared_task(**SENDING)
def deliver_notification(self, notification_id):
    """Send one email. While the mail server is down the task retries with back-off; after the last retry
    the notification simply stays pending and the dispatcher queues it again later."""
    return jobs.deliver_notification(notification_id)


@shared_task(**SENDING)
def deliver_notifications(self, notification_ids):
    """Send a batch of emails over one connection; a retry sends only those still pending. Alerts to a group robot
    held back by its rate limit are sent by another dispatch once the minute has passed."""
    outcomes = jobs.deliver_notifications(notification_ids)
    if outcomes.get("throttled"):
        dispatch_notifications.apply_async(countdown=settings.TRACKER_ROBOT_WINDOW_SECONDS)
    return outcomes


def enqueue_safely(task, *args):
    """Queue a task from a web request without failing the request when the broker is unreachable."""
    try:
        task.delay(*args)
    except Exception as error:  # the broker is down: the periodic dispatcher and the nightly sweep catch up
        log.warning("could not queue %s (%s); the next scheduled run will pick it up", task.name, error)


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=5)
def extract_drafts(document_id):
    """After a document is added, its text changed or "extract again" chosen: store the drafts found in it."""
    return documents.extract_drafts(document_id)


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=5)
def issue_bulletins():
    """Daily: the last whole month's (and quarter's) bulletin of each top organization, made and sent once."""
    from . import bulletins

    with health.recorded("bulletins") as summary:
        summary.update(bulletins.issue_due(timezone.localdate()))
    dispatch_notifications.delay()
    return summary


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=5)
def make_bulletin(scope_id, period_kind, period_start, period_end, user_id=None):
    """On demand, from the bulletins page: make the bulletin of a scope for a period and send it to its managers."""
    from datetime import date

    from . import bulletins
    from .models import Organization

    scope = Organization.objects.get(pk=scope_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    bulletin = bulletins.issue(
        scope, period_kind, date.fromisoformat(period_start), date.fromisoformat(period_end), user=user
    )
    bulletins.send_to_managers(bulletin)
    dispatch_notifications.delay()
    return {"bulletin": bulletin.pk}
