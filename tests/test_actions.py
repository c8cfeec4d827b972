"""Recording progress and recomputing status through commitments.actions."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from commitments import actions
from commitments.models import ProgressUpdate, StatusChange
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db


@time_machine.travel(date(2025, 10, 10), tick=False)
def test_recording_progress_stores_the_update_and_the_new_status_together(pledge, staff):
    update = actions.do_record_progress(
        pledge, acting_user=staff, as_of=date(2025, 9, 30), value=Decimal(32), **EXPLAINED
    )
    pledge.refresh_from_db()
    assert update.reporter == staff
    assert (pledge.target_status, pledge.latest_value, pledge.latest_as_of) == ("at_risk", Decimal(32), date(2025, 9, 30))
    assert pledge.expected_now == Decimal("38.7363")  # 50 × 282 of 364 days
    assert pledge.reason.code == "progress"
    assert StatusChange.objects.filter(pledge=pledge, to_status="at_risk").count() == 1


@time_machine.travel(date(2025, 10, 10), tick=False)
def test_a_bad_update_is_refused_and_nothing_is_stored(pledge, staff):
    with pytest.raises(ValidationError) as error:
        actions.do_record_progress(pledge, acting_user=staff, as_of=date(2025, 9, 30), value=None)
    assert "value" in error.value.message_dict
    assert not ProgressUpdate.objects.exists() and not StatusChange.objects.exists()


def test_recomputing_without_a_change_records_no_status_change(pledge):
    with time_machine.travel(date(2025, 3, 1), tick=False):
        actions.do_recompute_status(pledge)
        actions.do_recompute_status(pledge)
    assert StatusChange.objects.count() == 1  # the first assessment: "" -> no_data


def test_the_passing_of_the_deadline_is_one_status_change(pledge):
    with time_machine.travel(date(2025, 12, 31), tick=False):
        actions.do_recompute_status(pledge)
    with time_machine.travel(date(2026, 1, 1), tick=False):
        actions.do_recompute_status(pledge)
        actions.do_recompute_status(pledge)
    assert list(StatusChange.objects.order_by("id").values_list("from_status", "to_status")) == [
        ("", "no_data"),
        ("no_data", "overdue"),
    ]
    pledge.refresh_from_db()
    assert pledge.status_assessed_on == date(2026, 1, 1)
