"""Backup and restore round-trip every table."""

from datetime import date

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command

from commitments import health, jobs
from commitments.models import AlertProfile, Membership, Organization

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

    backup = tmp_path / "backup.json.gz"
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
