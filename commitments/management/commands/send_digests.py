"""Operators: queue the daily or weekly digests (exception-only) and send them with --send."""

from datetime import date

from django.core.management.base import BaseCommand

from commitments import jobs
from commitments.models import AlertProfile

from .send_notifications import send_pending


class Command(BaseCommand):
    help = "Queue the daily or weekly digest for every subscriber who has something to read."

    def add_arguments(self, parser):
        parser.add_argument("frequency", choices=[AlertProfile.Frequency.DAILY, AlertProfile.Frequency.WEEKLY])
        parser.add_argument("--date", type=date.fromisoformat, help="The digest's day (default: today).")
        parser.add_argument("--send", action="store_true", help="Also send the queued notifications now.")

    def handle(self, *args, frequency, date=None, send=False, **options):
        from django.utils import timezone

        queued = jobs.queue_digests(frequency, date or timezone.localdate())
        self.stdout.write(f"{queued} digests considered")
        if send:
            self.stdout.write(send_pending())
