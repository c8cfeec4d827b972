"""Backup and restore round-trip every table."""

import gzip
import io
import json
import random
import shutil
import tarfile
from datetime import date

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, ManagementUtility, call_command

from commitments import health, jobs
from commitments.models import AlertProfile, Membership, Organization, ProgressUpdate, SourceDocument, StatusCount
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


def test_a_backup_made_before_the_summary_kept_counts_restores_them_from_the_pledges(tmp_path, staff):
    call_command("load_seeds", verbosity=0)
    counted = sorted(StatusCount.objects.filter(n__gt=0).values_list("organization_id", "category_id", "top_level", "status", "n"))
    call_command("backup", output=str(tmp_path / "new.tar.gz"), verbosity=0)
    with tarfile.open(tmp_path / "new.tar.gz") as archive:
        rows = json.loads(archive.extractfile("data.json").read())
    older = [row for row in rows if row["model"] != "commitments.statuscount"]
    (tmp_path / "old.json.gz").write_bytes(gzip.compress(json.dumps(older).encode()))
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(tmp_path / "old.json.gz"), yes=True, verbosity=0)
    assert sorted(StatusCount.objects.filter(n__gt=0).values_list("organization_id", "category_id", "top_level", "status", "n")) == counted


def write_archive(path, members):
    """A .tar.gz holding (name, content) members exactly as given, the way a hand-made or hostile archive would."""
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


def restore_on_the_command_line(path, capsys):
    """Run restore as `make restore` does; its exit status and what it wrote to stderr."""
    with pytest.raises(SystemExit) as exit:
        ManagementUtility(["manage.py", "restore", str(path), "--yes", "--skip-checks"]).execute()
    return exit.value.code, capsys.readouterr().err


@pytest.mark.parametrize("member", ["media/../../escaped.txt", "media/..\\..\\escaped.txt", "media/C:/escaped.txt"])
def test_an_archive_whose_files_point_outside_the_media_folder_is_refused_whole(tmp_path, staff, media, member):
    ProgressUpdateFactory()
    before = every_table()
    hostile = write_archive(tmp_path / "hostile.tar.gz", [("data.json", b"[]"), (member, b"x")])
    with pytest.raises(CommandError, match="points outside the media folder"):
        call_command("restore", str(hostile), yes=True, verbosity=0)
    assert every_table() == before
    assert not list(tmp_path.rglob("*escaped.txt"))


def test_an_archive_with_a_link_or_an_unexpected_entry_is_refused_whole(tmp_path, staff, media):
    ProgressUpdateFactory()
    before = every_table()
    linked = tmp_path / "linked.tar.gz"
    with tarfile.open(linked, "w:gz") as archive:
        rows = tarfile.TarInfo("data.json")
        rows.size = 2
        archive.addfile(rows, io.BytesIO(b"[]"))
        link = tarfile.TarInfo("media/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    with pytest.raises(CommandError, match="'media/passwd' is a link or a device"):
        call_command("restore", str(linked), yes=True, verbosity=0)
    extra = write_archive(tmp_path / "extra.tar.gz", [("data.json", b"[]"), ("settings.py", b"DEBUG = True")])
    with pytest.raises(CommandError, match="'settings.py' is neither data.json nor a file under media/"):
        call_command("restore", str(extra), yes=True, verbosity=0)
    assert every_table() == before


def truncated(backup, path):
    path.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])


def damaged(backup, path):
    content = bytearray(backup.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))


def garbage(backup, path):
    path.write_bytes(random.Random(13).randbytes(4096))


def empty(backup, path):
    path.write_bytes(b"")


def rows_of_an_unknown_model(backup, path):
    write_archive(path, [("data.json", b'[{"model": "elsewhere.secret", "pk": 1, "fields": {}}]')])


@pytest.mark.parametrize(
    "spoil, why",
    [
        (truncated, "the file is cut short or damaged"),
        (damaged, "the file is cut short or damaged"),
        (garbage, "it is neither a backup archive nor the rows of an older backup"),
        (empty, "the file is empty"),
        (rows_of_an_unknown_model, "a row does not fit this database"),
    ],
)
def test_a_file_that_is_not_a_whole_backup_is_refused_in_one_line_and_changes_nothing(
    tmp_path, staff, media, capsys, spoil, why
):
    ProgressUpdateFactory.create_batch(20, evidence_file=SimpleUploadedFile("统计表.xlsx", b"PK\x03\x04 evidence"))
    backup = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(backup), verbosity=0)
    before = every_table()
    spoiled = tmp_path / "spoiled.tar.gz"
    spoil(backup, spoiled)

    status, stderr = restore_on_the_command_line(spoiled, capsys)
    assert status != 0
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert f"{spoiled} is not a backup made by `make backup` ({why}" in stderr
    assert every_table() == before


def test_a_backup_leaves_out_a_file_its_restore_would_refuse_instead_of_becoming_unrestorable(
    tmp_path, staff, media, capsys
):
    update = ProgressUpdateFactory(evidence_file=SimpleUploadedFile("统计表.xlsx", b"PK\x03\x04 evidence"))
    (media / "evidence" / "C:统计表.xlsx").write_bytes(b"odd name")  # say, copied in by hand from another system
    ProgressUpdate.objects.filter(pk=update.pk).update(evidence_file="evidence/C:统计表.xlsx")
    before = every_table()

    backup = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(backup))
    assert "'evidence/C:统计表.xlsx' is referenced by a row but is not a plain path" in capsys.readouterr().err
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(backup), yes=True, verbosity=0)
    assert every_table() == before
