"""Spreadsheet files out and in: cells a spreadsheet would run as formulas go out as text, and CSV comes in as
UTF-8 or as the GB18030 that Chinese Excel saves.

Used by the status table export (views.py) and by the admin's import and export (resources.py; the file formats
and the reading of CSV are set in the settings).
"""

import os
import re

import tablib
from django_tables2.export.export import TableExport
from import_export.tmp_storages import TempFolderStorage

from django.utils.translation import gettext as _

from .documents import MAX_DOCUMENT_BYTES, decode_document

# A spreadsheet reads a cell starting with one of these as a formula (tab and CR: some strip them first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# "-3.5", "+12", "-1,234.5", "-5%": a number written as text, which a spreadsheet reads as that number, not a formula.
_PLAIN_NUMBER = re.compile(r"[+-]((\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)%?")


def _runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet would run `text`; a text that only its leading apostrophe keeps from running counts too,
    so that writing it out and reading it back gives the same text."""
    if text.startswith(FORMULA_STARTS):
        return not _PLAIN_NUMBER.fullmatch(text)
    return text.startswith("'") and _runs_as_formula(text[1:])


def spreadsheet_safe(value):
    """The value to write into a CSV or XLSX cell: a text a spreadsheet would run as a formula gets a leading
    apostrophe, which makes it text. Numbers, and texts that are plain numbers, stay as they are."""
    if isinstance(value, str) and _runs_as_formula(value):
        return "'" + value
    return value


def from_spreadsheet(value):
    """The inverse of spreadsheet_safe, for a cell read back from an import file."""
    if isinstance(value, str) and value.startswith("'") and _runs_as_formula(value[1:]):
        return value[1:]
    return value


# Excel takes a CSV file for UTF-8 only when it starts with the byte-order mark; without it, Excel on a Chinese
# Windows PC reads it as GBK and every Chinese character comes out garbled. Imports take files with or without it.
# The admin's exports get it from their encoding, "utf-8-sig" (admin/common.py ImportExportForUser.to_encoding).
BYTE_ORDER_MARK = "\ufeff"
EXCEL_CSV_ENCODING = "utf-8-sig"


def with_byte_order_mark(text: str) -> str:
    return text if text.startswith(BYTE_ORDER_MARK) else BYTE_ORDER_MARK + text


class UnreadableFile(ValueError):
    """An import file that cannot be read as text; the message says why, in words (too large, not text)."""


class ImportFileStorage(TempFolderStorage):
    """Where the admin keeps an uploaded import file between the preview and the confirmation (setting
    IMPORT_EXPORT_TMP_STORAGE_CLASS). The library reads a text file (CSV) back as UTF-8 only, which shows a raw
    UnicodeDecodeError for a CSV saved by Chinese Excel; this reads it as an uploaded document is read: UTF-8 with or
    without BOM, else GB18030 (a superset of GBK)."""

    def read(self):
        if os.path.getsize(self.get_full_path()) > MAX_DOCUMENT_BYTES:
            raise UnreadableFile(
                _("The file is larger than %(limit)d MB: split it into several files.")
                % {"limit": MAX_DOCUMENT_BYTES // (1024 * 1024)}
            )
        if "b" in self.read_mode:  # XLSX: bytes, as they are
            return super().read()
        with open(self.get_full_path(), "rb") as file:
            raw = file.read()
        try:
            return decode_document(raw)
        except ValueError as error:
            raise UnreadableFile(str(error)) from error


class SpreadsheetSafeTableExport(TableExport):
    """The status table's export (django-tables2): CSV and XLSX only, every cell through spreadsheet_safe."""

    OFFERED = (TableExport.CSV, TableExport.XLSX)

    @classmethod
    def is_valid_format(cls, export_format):
        # Any other ?_export= value shows the page instead of a file (some would be a server error, e.g. ods).
        return export_format in cls.OFFERED

    def export(self):
        exported = super().export()
        return with_byte_order_mark(exported) if self.format == self.CSV else exported

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
        for row in dataset:
            safe.append([spreadsheet_safe(cell) for cell in row])
        return safe
