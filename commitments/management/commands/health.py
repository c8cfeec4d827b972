"""Operators and cron: is the tracker doing its job? Exits 1 when something stops alerts from going out."""

from django.core.management.base import BaseCommand

from commitments import health


class Command(BaseCommand):
    help = "Check the database, the task queue, the nightly sweep, the notification dispatcher and mail delivery."

    def handle(self, *args, **options):
        checks = health.check_all()
        for check in checks:
            self.stdout.write(f"{check.symbol} {check.label}: {check.detail}")
        state = health.overall(checks)
        self.stdout.write(state)
        if state == health.FAILING:
            raise SystemExit(1)
