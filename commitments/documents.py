"""Source documents: reading uploads (plain text in the encodings Chinese offices use), and the extraction job that
stores the draft pledges the extractor finds in a document.

The admin only reads and saves the text (bounded by MAX_DOCUMENT_BYTES) and queues the job
(actions.do_queue_extraction); the worker runs `extract_drafts`, which records its progress on the document.
"""

from __future__ import annotations

import math

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .extraction import extract
from .models import VALUE_LIMIT, Organization, PledgeDraft, SourceDocument

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def read_document(file) -> str:
    """The text of an uploaded or opened file; reads at most MAX_DOCUMENT_BYTES + 1 bytes of it, however large."""
    raw = file.read(MAX_DOCUMENT_BYTES + 1)
    return decode_document(raw, size=getattr(file, "size", None))


def decode_document(raw: bytes, *, size: int | None = None) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312). ValueError says what is wrong.

    `size` is the whole file's size when `raw` is only its beginning.
    """
    if len(raw) > MAX_DOCUMENT_BYTES:
        megabytes = math.ceil((size or len(raw)) * 10 / (1024 * 1024)) / 10
        raise ValueError(
            _("the file has %(size)s MB; at most %(limit)s MB of text is read")
            % {"size": megabytes, "limit": MAX_DOCUMENT_BYTES // (1024 * 1024)}
        )
    if b"\0" in raw:  # anywhere in the file: a text file has no NUL byte
        raise ValueError(_("the file is not plain text (save it as .txt first)"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("the file is neither UTF-8 nor GBK text"))


# --- The extraction job ------------------------------------------------------------------------------------------


def extract_drafts(document_id: int) -> dict:
    """Run the extractor on a stored document and keep what it finds as drafts (run by tasks.extract_drafts).

    Keeps at most TRACKER_MAX_DRAFTS_PER_DOCUMENT drafts a run and says so on the document when it found more.
    Safe to run again: drafts already stored are not stored twice. Messages are in the installation's language.
    """
    document = SourceDocument.objects.filter(pk=document_id).first()
    if document is None:
        return {"document": document_id, "deleted": True}
    _record(document, state=SourceDocument.Extraction.RUNNING, message="", finished_at=None)
    limit = settings.TRACKER_MAX_DRAFTS_PER_DOCUMENT
    with translation.override(settings.LANGUAGE_CODE):
        try:
            summary = _store_drafts(document, limit)
        except Exception as error:
            try:
                _record(
                    document, state=SourceDocument.Extraction.FAILED, message=_failure(error), finished_at=timezone.now()
                )
            except DatabaseError:
                pass  # the database is gone too: the task retries, and the next run records its outcome
            raise
        message = ""
        if summary["found"] > limit:
            message = _(
                "found more than %(limit)s targets; only the first %(limit)s were kept — is this one document?"
            ) % {"limit": limit}
    _record(
        document, state=SourceDocument.Extraction.DONE, drafts=summary["kept"], message=message,
        finished_at=timezone.now(),
    )
    return {"document": document_id, **summary, "message": message}


@transaction.atomic
def _store_drafts(document: SourceDocument, limit: int) -> dict:
    year = document.issued_on.year if document.issued_on else timezone.localdate().year
    # A number beyond what a pledge can hold is no target (and PostgreSQL would refuse the whole batch for it).
    # Reading stops just past the cap: a document holding thousands of "targets" is read no further than needed.
    found = [draft for draft in extract(document.full_text, year, stop_after=limit) if _storable(draft)]
    kept = found[:limit]
    organizations = {}  # one lookup per owner named, not per draft
    for draft in kept:
        if draft.owner not in organizations:
            organizations[draft.owner] = match_organization(draft.owner)
    before = document.drafts.count()
    PledgeDraft.objects.bulk_create(
        [
            PledgeDraft(
                document=document, sentence=draft.sentence, position=draft.start, metric=draft.metric[:200],
                kind=draft.kind, comparator=draft.comparator, value=draft.value, low=draft.low, high=draft.high,
                unit=draft.unit[:20], deadline=draft.deadline, owner_text=(draft.owner or "")[:100],
                organization=organizations[draft.owner],
            )
            for draft in kept
        ],
        ignore_conflicts=True,
    )
    return {"found": len(found), "kept": len(kept), "new": document.drafts.count() - before}


def _storable(draft) -> bool:
    return all(number is None or abs(number) <= VALUE_LIMIT for number in (draft.value, draft.low, draft.high))


def _record(document: SourceDocument, *, state: str, message: str, finished_at, drafts: int | None = None) -> None:
    """Write the extraction's progress on the document at once (outside the job's transaction, so the list shows it)."""
    values = {"extraction_state": state, "extraction_message": message, "extraction_finished_at": finished_at}
    if drafts is not None:
        values["extraction_drafts"] = drafts
    SourceDocument.objects.filter(pk=document.pk).update(**values)


def _failure(error: Exception) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return _("the extractor took longer than %(seconds)s seconds and was stopped") % {
            "seconds": settings.CELERY_TASK_SOFT_TIME_LIMIT
        }
    return _("the extractor stopped with an error: %(error)s") % {"error": str(error) or type(error).__name__}


def match_organization(owner: str | None) -> Organization | None:
    """The organization a document names as owner: exact name, then short name, then a unique partial match."""
    if not owner:
        return None
    for lookup in ({"name": owner}, {"short_name": owner}):
        found = Organization.objects.filter(**lookup).first()
        if found:
            return found
    candidates = list(Organization.objects.filter(name__contains=owner)[:2])
    return candidates[0] if len(candidates) == 1 else None
