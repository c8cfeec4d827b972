"""Replace the database's contents with a backup made by `python manage.py backup`.

    python manage.py restore FILE [--yes]

Everything happens in one transaction: a backup that does not load leaves the database as it was.
"""

import gzip
import json
from pathlib import Path

from django.core import serializers
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings


class Command(BaseCommand):
    help = "Replace all data with the contents of a backup file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing the data.")

    def handle(self, *args, file, yes=False, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"no such backup: {path}")
        if not yes and input(f"Replace ALL data with {path}? Type yes: ").strip() != "yes":
            raise CommandError("nothing restored")
        opener = gzip.open if path.suffix == ".gz" else open
        try:
            with opener(path, "rt", encoding="utf-8") as source:
                records = json.load(source)
        except (OSError, ValueError) as error:
            raise CommandError(f"{path} is not a backup: {error}")
        # The rows' own history is in the backup: saving them must not write more of it.
        with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            with connection.constraint_checks_disabled():
                objects = list(serializers.deserialize("python", records))
                for obj in objects:
                    obj.save()
            tables = {obj.object._meta.db_table for obj in objects}
            connection.check_constraints(table_names=sorted(tables))
            with connection.cursor() as cursor:  # sequences continue after the restored ids (PostgreSQL)
                models = {type(obj.object) for obj in objects}
                for statement in connection.ops.sequence_reset_sql(self.style, list(models)):
                    cursor.execute(statement)
        self.stdout.write(f"Restored {len(objects)} rows from {path}")
