"""Write every table and every uploaded file (documents, evidence) to one archive.

    python manage.py backup [--output FILE]        # default var/backups/tracker-YYYYmmdd-HHMMSS.tar.gz
    python manage.py backup --with-secrets          # also the group robots' webhook addresses and signing secrets

The archive holds `data.json` (every row; portable between SQLite and PostgreSQL) and `media/<name>` for each file
a row refers to. Restore with `python manage.py restore FILE`. Unlike `dumpdata`, times keep their microseconds and
texts their exact whitespace, so a restore gives back every row as it was. For a very large PostgreSQL database
pg_dump is faster; this archive can also move data between the two databases.
"""

import io
import json
import tarfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import models
from django.utils import timezone

DATA_MEMBER = "data.json"
MEDIA_PREFIX = "media/"


def exact(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__}")


def models_in_order():
    """Every stored model (content types and permissions too: rows refer to them by id)."""
    return [model for model in apps.get_models() if not model._meta.proxy and model._meta.managed]


def is_plain_media_name(name: str) -> bool:
    """Whether a stored file's name is a plain path inside the media folder: "/" between parts, no empty, "." or
    ".." part, no backslash or colon (another system's separator or drive letter). Restore refuses an archive
    holding any other name, so backup leaves such a file out rather than write an archive that cannot be restored."""
    return "\\" not in name and ":" not in name and all(part not in ("", ".", "..") for part in name.split("/"))


def referenced_files() -> list[str]:
    """The names of the stored files that rows refer to (history rows included), each once."""
    names = set()
    for model in models_in_order():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True))
    return sorted(name for name in names if name)


class Command(BaseCommand):
    help = "Back up every table and every uploaded file to one archive."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write (default: var/backups/tracker-<time>.tar.gz).")
        parser.add_argument(
            "--with-secrets", action="store_true",
            help="Keep the group robots' webhook addresses and signing secrets (left out by default: restored robots "
                 "are switched off until their addresses are entered again).",
        )

    def handle(self, *args, output=None, with_secrets=False, **options):
        path = Path(output) if output else settings.VAR_DIR / "backups" / f"tracker-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        records = []
        for model in models_in_order():
            rows = serializers.serialize("python", model._default_manager.order_by("pk"))
            if not with_secrets:
                rows = [without_secrets(model, row) for row in rows]
            records += rows
        data = json.dumps(records, default=exact, ensure_ascii=False).encode("utf-8")
        names, missing, refused = referenced_files(), [], []
        with tarfile.open(path, "w:gz") as archive:
            add_member(archive, DATA_MEMBER, data)
            for name in names:
                if not is_plain_media_name(name):
                    refused.append(name)
                    continue
                if not default_storage.exists(name):
                    missing.append(name)
                    continue
                with default_storage.open(name, "rb") as stored:
                    add_member(archive, MEDIA_PREFIX + name, stored.read())
        files = len(names) - len(missing) - len(refused)
        self.stdout.write(f"Backup of {len(records)} rows and {files} files written to {path} ({path.stat().st_size // 1024} KB)")
        for name in missing:
            self.stderr.write(f"warning: {name} is referenced by a row but missing from the media folder")
        for name in refused:
            self.stderr.write(f"warning: {name!r} is referenced by a row but is not a plain path in the media folder: "
                              "left out (restore would refuse it)")


def without_secrets(model, row: dict) -> dict:
    """A row with its secrets blanked (a model names them in SECRET_FIELDS), and switched off when it had any: a
    group robot restored without its webhook address posts nothing until an administrator enters it again."""
    secret_fields = getattr(model, "SECRET_FIELDS", ())
    if not secret_fields:
        return row
    fields = dict(row["fields"])
    for name in secret_fields:
        fields[name] = ""
    if "active" in fields:
        fields["active"] = False
    return {**row, "fields": fields}


def add_member(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(content))
