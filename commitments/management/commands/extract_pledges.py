"""Read a government document and print the quantified pledges found in it, one per line.

    python manage.py extract_pledges FILE [--year YYYY] [--format jsonl|table]

Relative deadlines (今年, 上半年, 三年…) are resolved against --year (default: this year).
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commitments.documents import decode_document
from commitments.extraction import extract

FIELDS = ["sentence", "metric", "comparator", "value", "low", "high", "unit", "kind", "deadline", "owner"]


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return decode_document(handle.read())
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}")
    except ValueError as error:
        raise CommandError(f"{path}: {error}")


def as_json(draft) -> dict:
    record = {name: getattr(draft, name) for name in FIELDS}
    for name in ("value", "low", "high"):
        if record[name] is not None:
            number = float(record[name])
            record[name] = int(number) if number == int(number) else number
    record["deadline"] = draft.deadline.isoformat() if draft.deadline else None
    return record


class Command(BaseCommand):
    help = "Print the pledges found in a document (JSON lines or a table)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, help="The document's year (default: this year).")
        parser.add_argument("--format", choices=["jsonl", "table"], default="jsonl")

    def handle(self, *args, file, year=None, format="jsonl", **options):
        text = read_text(file)
        started = time.perf_counter()
        drafts = extract(text, year or timezone.localdate().year)
        elapsed = time.perf_counter() - started
        if format == "jsonl":
            for draft in drafts:
                self.stdout.write(json.dumps(as_json(draft), ensure_ascii=False))
        else:
            rows = [[str(v if v is not None else "") for v in as_json(d).values()] for d in drafts]
            headers = FIELDS
            widths = [min(max([len(h)] + [len(r[i]) for r in rows]), 40) for i, h in enumerate(headers)]
            self.stdout.write("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
            for row in rows:
                self.stdout.write("  ".join(cell[:40].ljust(w) for cell, w in zip(row, widths)))
        self.stderr.write(f"{len(drafts)} pledges in {len(text)} characters ({elapsed * 1000:.0f} ms)")
