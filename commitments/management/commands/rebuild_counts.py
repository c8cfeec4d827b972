"""Operators: count every pledge again into the kept status counts the summary page reads.

    python manage.py rebuild_counts

The counts are kept up to date as pledges change, and the nightly sweep rebuilds them at its end; run this after
changing pledges outside the app (SQL by hand, a bulk load) to see the right counts at once.
"""

from django.core.management.base import BaseCommand

from commitments import counts


class Command(BaseCommand):
    help = "Count every pledge again into the status counts the summary page reads."

    def handle(self, *args, **options):
        rows = counts.rebuild()
        self.stdout.write(f"Status counts rebuilt: {rows} rows.")
