"""Replace the database's contents and the uploaded files with a backup made by `python manage.py backup`.

    python manage.py restore FILE [--yes]

The whole file is read and checked before anything is replaced: the compressed stream is complete and intact,
every member is `data.json` or a plain file under `media/` (no links, no devices, no name that climbs out of the
media folder with `..`, a backslash or a drive letter), and every row fits this database's models. A file that
fails any of these is refused in one line, and nothing is touched. Then the rows are loaded in one transaction
(a row that does not save leaves the database as it was), and the files are put back only after that transaction
succeeded. Older backups (`.json.gz`, rows only) load too.
"""

import gzip
import json
import tarfile
import zlib
from pathlib import Path

from django.core import serializers
from django.core.exceptions import FieldDoesNotExist
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError, DeserializedObject
from django.db import connection, transaction
from django.test.utils import override_settings

from commitments import counts
from commitments.models import StatusCount

from .backup import DATA_MEMBER, MEDIA_PREFIX, is_plain_media_name

GZIP_MAGIC = b"\x1f\x8b"
# What reading a damaged or cut-short file can raise, from the gzip, tar and JSON layers.
UNREADABLE = (OSError, EOFError, zlib.error, tarfile.TarError, ValueError, RecursionError)


class NotABackup(Exception):
    """Why a file cannot be restored; raised before anything has been touched."""


class Command(BaseCommand):
    help = "Replace all data and uploaded files with the contents of a backup."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing the data.")

    def handle(self, *args, file, yes=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such backup: {path}")
        try:
            objects, files = read_backup(path)
        except NotABackup as why:
            raise CommandError(f"{path} is not a backup made by `make backup` ({why})") from None
        if not yes and input(f"Replace ALL data with {path}? Type yes: ").strip() != "yes":
            raise CommandError("nothing restored")
        # The rows' own history is in the backup: saving them must not write more of it.
        with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            with connection.constraint_checks_disabled():
                for obj in objects:
                    obj.save()
            tables = {obj.object._meta.db_table for obj in objects}
            connection.check_constraints(table_names=sorted(tables))
            with connection.cursor() as cursor:  # sequences continue after the restored ids (PostgreSQL)
                models = {type(obj.object) for obj in objects}
                for statement in connection.ops.sequence_reset_sql(self.style, list(models)):
                    cursor.execute(statement)
            if not any(isinstance(obj.object, StatusCount) for obj in objects):
                counts.rebuild()  # a backup older than the summary's kept counts: count the pledges as restored
        for name, content in files.items():
            if default_storage.exists(name):
                default_storage.delete(name)
            default_storage.save(name, ContentFile(content))
        self.stdout.write(f"Restored {len(objects)} rows and {len(files)} files from {path}")


def read_backup(path: Path) -> tuple[list[DeserializedObject], dict[str, bytes]]:
    """The rows (ready to save) and {file name: content} of a backup archive or of an older rows-only .json.gz.

    Raises NotABackup unless the whole file reads and checks out."""
    if path.stat().st_size == 0:
        raise NotABackup("the file is empty")
    try:
        check_complete(path)
        if tarfile.is_tarfile(path):
            records, files = read_archive(path)
        else:
            records, files = read_rows_only(path), {}
    except UNREADABLE as error:
        raise NotABackup(f"it cannot be read: {error}") from None
    return parsed_rows(records), files


def check_complete(path: Path) -> None:
    """Read a gzip file to its end: only there does gzip check the length and checksum of everything before.

    Without this, a file cut short at a member boundary, or with a damaged byte inside a member, may read as a
    shorter or different archive."""
    with path.open("rb") as raw:
        if raw.read(2) != GZIP_MAGIC:
            return
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as error:
        raise NotABackup(f"the file is cut short or damaged: {error}") from None


def read_archive(path: Path) -> tuple[object, dict[str, bytes]]:
    """The parsed data.json and {file name: content} of a backup archive, every member checked."""
    records, files, folders = None, {}, set()
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if member.name == DATA_MEMBER and member.isfile():
                if records is not None:
                    raise NotABackup(f"it holds {DATA_MEMBER} twice")
                try:
                    records = json.load(archive.extractfile(member))
                except ValueError as error:
                    raise NotABackup(f"its {DATA_MEMBER} is not JSON: {error}") from None
                continue
            name = media_name(member)
            if member.isdir():
                folders.add(name)
            elif name in files:
                raise NotABackup(f"it holds {member.name!r} twice")
            else:
                files[name] = archive.extractfile(member).read()
    if records is None:
        raise NotABackup(f"it has no {DATA_MEMBER}")
    # A name that is a file in one member and a folder in another would fail half-way through writing.
    for name in files:
        for folder in parent_folders(name):
            if folder in files:
                raise NotABackup(f"{MEDIA_PREFIX + folder!r} is both a file and a folder")
        if name in folders:
            raise NotABackup(f"{MEDIA_PREFIX + name!r} is both a file and a folder")
    return records, files


def media_name(member: tarfile.TarInfo) -> str:
    """The name inside the media folder of an archive member that is a plain file or folder under media/.

    Anything else (another top-level entry, a link, a device, a name that points outside the media folder)
    refuses the whole archive."""
    if not (member.isfile() or member.isdir()):
        raise NotABackup(f"{member.name!r} is a link or a device, not a file")
    if member.isdir() and member.name.rstrip("/") == MEDIA_PREFIX.rstrip("/"):
        return ""
    if not member.name.startswith(MEDIA_PREFIX):
        raise NotABackup(f"{member.name!r} is neither {DATA_MEMBER} nor a file under {MEDIA_PREFIX}")
    name = member.name[len(MEDIA_PREFIX):]
    if member.isdir():
        name = name.rstrip("/")
    if not is_plain_media_name(name):
        raise NotABackup(f"{member.name!r} points outside the media folder")
    return name


def parent_folders(name: str) -> list[str]:
    """'a/b/c.txt' → ['a', 'a/b']."""
    parts = name.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def read_rows_only(path: Path) -> object:
    """The parsed rows of an older backup: JSON, gzip-compressed or not."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rt", encoding="utf-8") as source:
            return json.load(source)
    except ValueError:
        raise NotABackup("it is neither a backup archive nor the rows of an older backup") from None


def parsed_rows(records: object) -> list[DeserializedObject]:
    """Every row, checked against this database's models; nothing is saved yet."""
    if not isinstance(records, list) or not all(
        isinstance(record, dict) and isinstance(record.get("model"), str) and isinstance(record.get("fields"), dict)
        for record in records
    ):
        raise NotABackup("its rows are not a list of {model, pk, fields} records")
    try:
        return list(serializers.deserialize("python", records))
    except (DeserializationError, FieldDoesNotExist) as error:
        raise NotABackup(f"a row does not fit this database: {error}") from None
