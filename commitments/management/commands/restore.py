"""Replace the database's contents and the uploaded files with a backup made by `python manage.py backup`.

    python manage.py restore FILE [--yes]

The rows are loaded in one transaction: a backup that does not load leaves the database as it was. Files are put
back only after that transaction succeeded. Older backups (`.json.gz`, rows only) load too.
"""

import gzip
import json
import tarfile
from pathlib import Path, PurePosixPath

from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings

from .backup import DATA_MEMBER, MEDIA_PREFIX


class Command(BaseCommand):
    help = "Replace all data and uploaded files with the contents of a backup."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing the data.")

    def handle(self, *args, file, yes=False, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"no such backup: {path}")
        records, files = read_backup(path)
        if not yes and input(f"Replace ALL data with {path}? Type yes: ").strip() != "yes":
            raise CommandError("nothing restored")
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
        for name, content in files.items():
            if default_storage.exists(name):
                default_storage.delete(name)
            default_storage.save(name, ContentFile(content))
        self.stdout.write(f"Restored {len(objects)} rows and {len(files)} files from {path}")


def read_backup(path: Path) -> tuple[list, dict[str, bytes]]:
    """The rows and {file name: content} of a backup archive (or of an older rows-only .json.gz)."""
    try:
        if tarfile.is_tarfile(path):
            with tarfile.open(path, "r:gz") as archive:
                records, files = None, {}
                for member in archive.getmembers():
                    if not member.isfile():
                        continue
                    if member.name == DATA_MEMBER:
                        records = json.load(archive.extractfile(member))
                    elif member.name.startswith(MEDIA_PREFIX):
                        files[safe_media_name(member.name, path)] = archive.extractfile(member).read()
                if records is None:
                    raise CommandError(f"{path} is not a backup: it has no {DATA_MEMBER}")
                return records, files
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as source:
            return json.load(source), {}
    except (OSError, ValueError, tarfile.TarError) as error:
        raise CommandError(f"{path} is not a backup: {error}")


def safe_media_name(member: str, path: Path) -> str:
    """A file name inside the media folder; an archive that points anywhere else is refused whole."""
    name = PurePosixPath(member[len(MEDIA_PREFIX):])
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise CommandError(f"{path} is not a backup this command will restore: {member!r} points outside the media folder")
    return str(name)
