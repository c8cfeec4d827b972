"""Operators: run the nightly status sweep by hand (flag overdue, recompute, queue status alerts).

    python manage.py sweep_statuses [--date YYYY-MM-DD] [--full] [--send]

`flag_overdue` is the same command under its older name. Beat runs the same job as the Celery task
`commitments.tasks.sweep_statuses`.
"""

from contextlib import nullcontext
from datetime import date

from django.core.management.base import BaseCommand

from commitments import health, jobs

from .send_notifications import send_pending


class Command(BaseCommand):
    help = "Flag overdue pledges, recompute the time-dependent statuses and queue the status alerts."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="Assess as of this day (default: today).")
        parser.add_argument("--send", action="store_true", help="Also send the queued notifications now.")
        parser.add_argument("--full", action="store_true", help="Run the engine on every open pledge (after changing thresholds).")

    def handle(self, *args, date=None, send=False, full=False, **options):
        # Today's sweep counts for the health check, as the beat-run one does; one "as of" another day does not.
        with health.recorded(health.SWEEP) if date is None else nullcontext({}) as summary:
            summary.update(jobs.sweep_statuses(date, full=full))
        self.stdout.write(
            f"{summary['overdue']} newly overdue, {summary['assessed']} recomputed, {summary['changed']} changed status, "
            f"{summary['alerts']} alerts queued"
        )
        if send:
            self.stdout.write(send_pending())
