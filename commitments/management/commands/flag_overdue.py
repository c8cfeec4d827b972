"""Operators: run the nightly status sweep by hand (flag overdue, recompute, queue status alerts).

    python manage.py flag_overdue [--date YYYY-MM-DD] [--send]

The same function runs as the Celery task `commitments.tasks.sweep_statuses` from beat.
"""

from datetime import date

from django.core.management.base import BaseCommand

from commitments import jobs


class Command(BaseCommand):
    help = "Flag overdue pledges, recompute the time-dependent statuses and queue the status alerts."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="Assess as of this day (default: today).")
        parser.add_argument("--send", action="store_true", help="Also send the queued notifications now.")
        parser.add_argument("--full", action="store_true", help="Run the engine on every open pledge (after changing thresholds).")

    def handle(self, *args, date=None, send=False, full=False, **options):
        summary = jobs.run_sweep(date, full=full)
        self.stdout.write(
            f"{summary['overdue']} newly overdue, {summary['assessed']} recomputed, {summary['changed']} changed status, "
            f"{summary['alerts']} alerts queued"
        )
        if send:
            self.stdout.write(send_pending())


def send_pending() -> str:
    """Deliver every due notification in this process (no Celery needed)."""
    outcomes = {}
    for notification_id in jobs.due_notification_ids():
        try:
            outcome = jobs.deliver_notification(notification_id)
        except jobs.TRANSIENT_ERRORS:
            outcome = "postponed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return "notifications: " + (", ".join(f"{n} {k}" for k, n in outcomes.items()) or "none due")
