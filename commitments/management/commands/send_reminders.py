"""Operators: queue deadline warnings, report reminders and escalations for today (and send with --send)."""

from datetime import date

from django.core.management.base import BaseCommand

from commitments import jobs

from .send_notifications import send_pending


class Command(BaseCommand):
    help = "Queue deadline warnings, progress-report reminders and escalations."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="As of this day (default: today).")
        parser.add_argument("--send", action="store_true", help="Also send the queued notifications now.")

    def handle(self, *args, date=None, send=False, **options):
        from django.utils import timezone

        queued = jobs.queue_reminders(date or timezone.localdate())
        self.stdout.write(f"{queued} reminder notifications considered (already-sent ones are skipped)")
        if send:
            self.stdout.write(send_pending())
