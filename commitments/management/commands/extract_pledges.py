"""Read a government document and print the quantified pledges found in it, one per line.

    python manage.py extract_pledges FILE [--year YYYY] [--format jsonl|table]

Relative deadlines (今年, 上半年, 三年…) are resolved against --year (default: this year).

Stored source documents are extracted by a Celery job when they are added in the admin. Without a worker (or while
the broker was down) run that job here instead:

    python manage.py extract_pledges --queued          # every document still waiting for its extraction
    python manage.py extract_pledges --document ID     # one document, again
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commitments import documents
from commitments.extraction import extract
from commitments.models import SourceDocument

FIELDS = ["sentence", "metric", "comparator", "value", "low", "high", "unit", "kind", "deadline", "owner"]


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return documents.read_document(handle)
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
    help = "Print the pledges found in a document (JSON lines or a table), or run the extraction of stored documents."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")
        parser.add_argument("--queued", action="store_true", help="Extract every stored document still queued.")
        parser.add_argument("--document", type=int, action="append", help="Extract this stored document (by id).")
        parser.add_argument("--year", type=int, help="The document's year (default: this year).")
        parser.add_argument("--format", choices=["jsonl", "table"], default="jsonl")

    def handle(self, *args, file=None, year=None, format="jsonl", queued=False, document=None, **options):
        if queued or document:
            return self.extract_stored(queued, document or [])
        if not file:
            raise CommandError("give a FILE to read, or --queued / --document ID to extract stored documents")
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


    def extract_stored(self, queued: bool, ids: list[int]):
        """The job the worker runs after an upload, run here in this process."""
        if queued:
            waiting = SourceDocument.objects.filter(extraction_state=SourceDocument.Extraction.QUEUED)
            ids = ids + list(waiting.values_list("pk", flat=True))
        for document_id in ids:
            summary = documents.extract_drafts(document_id)
            if summary.get("deleted"):
                self.stderr.write(f"document {document_id}: no such document")
                continue
            line = f"document {document_id}: {summary['kept']} drafts ({summary['new']} new)"
            self.stdout.write(line + (f"; {summary['message']}" if summary["message"] else ""))
