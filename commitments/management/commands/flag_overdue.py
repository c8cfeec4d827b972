"""Operators: run the nightly status sweep by hand (flag overdue, recompute, queue status alerts).

    python manage.py flag_overdue [--date YYYY-MM-DD] [--send]

The same function runs as the Celery task `commitments.tasks.sweep_statuses` from beat.
"""

from contextlib import nullcontext
from datetime import date

from django.core.management.base import BaseCommand

from commitments import health, jobs


class Command(BaseCommand):
    help = "Flag overdue pledges, recompute the time-dependent statuses and queue the status alerts."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="Assess as of this day (default: today).")
        parser.add_argument("--send", action="store_true", help="Also send the queued notifications now.")
        parser.add_argument("--full", action="store_true", help="Run the engine on every open pledge (after changing thresholds).")

    def handle(self, *args, date=None, send=False, full=False, **options):
        # Today's sweep counts for the health check, as the beat-run one does; one "as of" another day does not.
        with health.recorded(health.SWEEP) if date is None else nullcontext({}) as summary:
            summary.update(jobs.run_sweep(date, full=full))
        self.stdout.write(
            f"{summary['overdue']} newly overdue, {summary['assessed']} recomputed, {summary['changed']} changed status, "
            f"{summary['alerts']} alerts queued"
        )
        if send:
            self.stdout.write(send_pending())


def send_pending() -> str:
    """Deliver every due notification in this process (no Celery needed), in the workers' batches."""
    from commitments.tasks import SEND_BATCH

    with health.recorded(health.DISPATCH) as outcomes:
        ids = jobs.due_notification_ids()
        for start in range(0, len(ids), SEND_BATCH):
            try:
                batch = jobs.deliver_notifications(ids[start : start + SEND_BATCH])
            except jobs.TRANSIENT_ERRORS as error:  # the mail server is down: the rest waits for the dispatcher
                outcomes["left pending (this batch may have sent some)"] = len(ids) - start
                return f"notifications: {_summary(outcomes)}; stopped: {error}"
            for outcome, count in batch.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
    return f"notifications: {_summary(outcomes) or 'none due'}"


def _summary(outcomes: dict) -> str:
    return ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items() if count)
