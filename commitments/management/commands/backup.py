"""Write every table to one compressed JSON file (portable between SQLite and PostgreSQL).

    python manage.py backup [--output FILE]        # default var/backups/tracker-YYYYmmdd-HHMMSS.json.gz

Restore with `python manage.py restore FILE`. Unlike `dumpdata`, times keep their microseconds and texts their
exact whitespace, so a restore gives back every row as it was. For a very large PostgreSQL database pg_dump is
faster; this file can also move data between the two databases.
"""

import gzip
import json
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand
from django.utils import timezone



def exact(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__}")


def models_in_order():
    """Every stored model (content types and permissions too: rows refer to them by id)."""
    return [model for model in apps.get_models() if not model._meta.proxy and model._meta.managed]


class Command(BaseCommand):
    help = "Back up every table to a compressed JSON file."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write (default: var/backups/tracker-<time>.json.gz).")

    def handle(self, *args, output=None, **options):
        path = Path(output) if output else settings.VAR_DIR / "backups" / f"tracker-{timezone.now():%Y%m%d-%H%M%S}.json.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        records = []
        for model in models_in_order():
            records += serializers.serialize("python", model._default_manager.order_by("pk"))
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump(records, handle, default=exact, ensure_ascii=False)
        self.stdout.write(f"Backup of {len(records)} rows written to {path} ({path.stat().st_size // 1024} KB)")
