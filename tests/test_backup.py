"""Backup and restore round-trip every table."""

import gzip
import io
import shutil
import tarfile
from datetime import date

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from commitments import health, jobs
from commitments.models import AlertProfile, Membership, Organization, ProgressUpdate, SourceDocument
from tests.factories import ProgressUpdateFactory, SourceDocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def every_table():
    """{model label: sorted rows} for every model whose rows a backup carries."""
    contents = {}
    for model in apps.get_models():
        if model._meta.label == "django_celery_beat.PeriodicTasks":
            continue  # beat's "schedules changed" stamp: loading schedules rightly touches it
        rows = [tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()]
        contents[model._meta.label] = sorted(rows)
    return contents


def test_a_backup_restores_every_table_exactly(tmp_path, staff):
    with time_machine.travel(date(2026, 11, 23), tick=False):
        call_command("load_seeds", verbosity=0)
        with health.recorded("reminders") as summary:
            summary["reminders"] = jobs.queue_reminders(date(2026, 11, 23))
    Membership.objects.create(user=staff, organization=Organization.objects.first(), role="manager")
    AlertProfile.objects.create(user=staff, organization=Organization.objects.first())
    before = every_table()
    assert sum(len(rows) for rows in before.values()) > 200

    backup = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(backup), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    assert every_table() != before

    call_command("restore", str(backup), yes=True, verbosity=0)
    after = every_table()
    for label in before:
        assert after[label] == before[label], label


def test_a_broken_backup_leaves_the_data_as_it_was(tmp_path, staff):
    call_command("load_seeds", verbosity=0)
    before = every_table()
    broken = tmp_path / "broken.json"
    broken.write_text('[{"model": "commitments.pledge", "fields": {"metric": "坏数据"}}]', encoding="utf-8")
    with pytest.raises(Exception):
        call_command("restore", str(broken), yes=True, verbosity=0)
    assert every_table() == before


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_uploaded_evidence_and_documents_travel_with_the_backup(tmp_path, staff, media):
    update = ProgressUpdateFactory(evidence_file=SimpleUploadedFile("统计表.xlsx", b"PK\x03\x04 evidence"))
    document = SourceDocumentFactory(file=SimpleUploadedFile("report.txt", "全年新增企业50家。".encode("gbk")))
    names = (update.evidence_file.name, document.file.name)

    backup = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(backup), verbosity=0)
    shutil.rmtree(media)
    call_command("flush", interactive=False, verbosity=0)

    call_command("restore", str(backup), yes=True, verbosity=0)
    restored_update, restored_document = ProgressUpdate.objects.get(), SourceDocument.objects.get()
    assert (restored_update.evidence_file.name, restored_document.file.name) == names
    assert restored_update.evidence_file.read() == b"PK\x03\x04 evidence"
    assert restored_document.file.read() == "全年新增企业50家。".encode("gbk")


def test_a_backup_made_before_files_were_included_still_restores(tmp_path, staff):
    call_command("load_seeds", verbosity=0)
    before = every_table()
    rows_only = tmp_path / "old.json.gz"
    call_command("backup", output=str(tmp_path / "new.tar.gz"), verbosity=0)
    with tarfile.open(tmp_path / "new.tar.gz") as archive:
        rows_only.write_bytes(gzip.compress(archive.extractfile("data.json").read()))
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(rows_only), yes=True, verbosity=0)
    assert every_table() == before


def test_an_archive_whose_files_point_outside_the_media_folder_is_refused_whole(tmp_path, staff, media):
    call_command("load_seeds", verbosity=0)
    before = every_table()
    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(hostile, "w:gz") as archive:
        for name, content in (("data.json", b"[]"), ("media/../../escaped.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    with pytest.raises(CommandError, match="points outside the media folder"):
        call_command("restore", str(hostile), yes=True, verbosity=0)
    assert every_table() == before
    assert not (tmp_path / "escaped.txt").exists()
