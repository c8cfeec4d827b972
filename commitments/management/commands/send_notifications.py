"""Operators: send every pending notification that is due, in this process (no Celery worker needed)."""

from django.core.management.base import BaseCommand

from .flag_overdue import send_pending


class Command(BaseCommand):
    help = "Deliver pending notifications now."

    def handle(self, *args, **options):
        self.stdout.write(send_pending())
