"""Progress has one way in: whichever entry point records it, the same rows, status, history and alerts result.

The entry points are the action itself (commands, jobs), the admin's inline on a pledge, the admin's quick entry and the
update import. Each hands new updates to `actions.do_record_updates`.
"""

from datetime import date
from decimal import Decimal

import pytest
import tablib
import time_machine
from django.urls import reverse

from commitments import actions, jobs
from commitments.models import Notification, ProgressUpdate, StatusChange
from commitments.resources import ProgressUpdateResource, import_all_or_nothing
from tests.factories import PledgeFactory, ProgressUpdateFactory
from tests.test_admin import add_inline_update, change_form_data
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db

IN_OCTOBER = time_machine.travel(date(2025, 10, 10), tick=False)


def through_the_action(client, user, pledge, as_of, value):
    actions.do_record_progress(pledge, acting_user=user, as_of=date.fromisoformat(as_of), value=Decimal(value), note="报送",
                               **EXPLAINED)


def through_the_inline(client, user, pledge, as_of, value):
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    data = add_inline_update(change_form_data(client.get(url)), as_of=as_of, value=value, note="报送", **EXPLAINED)
    assert client.post(url, data).status_code == 302


def through_quick_entry(client, user, pledge, as_of, value):
    response = client.post(
        reverse("admin:commitments_progressupdate_add"), {"pledge": pledge.pk, "as_of": as_of, "value": value, "note": "报送", **EXPLAINED}
    )
    assert response.status_code == 302


def through_the_import(client, user, pledge, as_of, value):
    dataset = tablib.Dataset(
        ["", pledge.pk, as_of, value, "报送", *EXPLAINED.values()], headers=["id", "pledge", "as_of", "value", "note", *EXPLAINED]
    )
    result, stored = import_all_or_nothing(ProgressUpdateResource, dataset, user)
    assert stored, [error.error for row in result.row_errors() for error in row[1]]


ENTRY_POINTS = [through_the_action, through_the_inline, through_quick_entry, through_the_import]


def outcome(pledge):
    """What recording progress leaves behind, without ids and times."""
    pledge.refresh_from_db()
    return {
        "updates": list(
            ProgressUpdate.objects.filter(pledge=pledge).order_by("as_of")
            .values_list("as_of", "value", "note", "reporter__username", "review_state")
        ),
        "status": (pledge.target_status, pledge.status_reason, pledge.latest_value, pledge.expected_now),
        "changes": list(StatusChange.objects.filter(pledge=pledge).order_by("id").values_list("from_status", "to_status")),
        "alerts": sorted(Notification.objects.filter(pledge=pledge).values_list("recipient", "kind")),
    }


@pytest.fixture
def on_track_pledge(district):
    """Half-way through the year with 25 of 50 projects: on track, until a weak third quarter is reported."""
    district.contact_emails = "duban@example.test"
    district.save()
    pledge = PledgeFactory(lead_organization=district)
    ProgressUpdateFactory(pledge=pledge, value=Decimal(25), as_of=date(2025, 6, 30))
    with time_machine.travel(date(2025, 7, 5), tick=False):
        actions.do_recompute_status(pledge)
    assert pledge.target_status == "on_track"
    return pledge


@IN_OCTOBER
@pytest.mark.parametrize("record", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_every_entry_point_stores_the_same_update_status_history_and_alerts(record, client, staff, on_track_pledge):
    client.force_login(staff)
    record(client, staff, on_track_pledge, "2025-09-30", "30")
    jobs.queue_status_alerts()  # what the task queued on commit does

    assert outcome(on_track_pledge) == {
        "updates": [
            (date(2025, 6, 30), Decimal(25), "", None, "approved"),
            (date(2025, 9, 30), Decimal(30), "报送", "alice", "approved"),
        ],
        "status": ("off_track", on_track_pledge.status_reason, Decimal(30), on_track_pledge.expected_now),
        "changes": [("", "on_track"), ("on_track", "off_track")],
        "alerts": [("duban@example.test", "status_change")],
    }
    assert on_track_pledge.status_reason["code"] == "progress"


@IN_OCTOBER
@pytest.mark.parametrize("record", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_with_approval_on_every_entry_point_leaves_the_update_pending_and_the_status_alone(
    record, client, staff, on_track_pledge
):
    on_track_pledge.lead_organization.requires_approval = True
    on_track_pledge.lead_organization.save()
    client.force_login(staff)
    record(client, staff, on_track_pledge, "2025-09-30", "30")
    jobs.queue_status_alerts()

    result = outcome(on_track_pledge)
    assert result["updates"][-1] == (date(2025, 9, 30), Decimal(30), "报送", "alice", "pending")
    assert result["status"][0] == "on_track" and result["changes"] == [("", "on_track")] and result["alerts"] == []


@IN_OCTOBER
def test_an_import_of_several_quarters_reassesses_the_pledge_once(staff, district):
    pledge = PledgeFactory(lead_organization=district)
    actions.do_recompute_status(pledge)
    rows = [["", pledge.pk, as_of, value, "", *EXPLAINED.values()]
            for as_of, value in (("2025-03-31", "12"), ("2025-06-30", "14"), ("2025-09-30", "16"))]
    result, stored = import_all_or_nothing(
        ProgressUpdateResource, tablib.Dataset(*rows, headers=["id", "pledge", "as_of", "value", "note", *EXPLAINED]), staff
    )
    assert stored
    # From "no data" straight to where the three quarters leave it: no passing states in the history, no alerts for them.
    assert list(StatusChange.objects.filter(pledge=pledge).order_by("id").values_list("from_status", "to_status")) == [
        ("", "no_data"), ("no_data", "off_track"),
    ]


def test_an_update_is_never_changed_through_the_write_path(pledge, staff):
    update = ProgressUpdateFactory(pledge=pledge)
    with pytest.raises(ValueError):
        actions.do_record_updates([update], acting_user=staff)


@IN_OCTOBER
def test_a_returned_correction_lets_go_of_the_update_it_meant_to_correct(on_track_pledge, staff):
    from tests.factories import UserFactory

    on_track_pledge.lead_organization.requires_approval = True
    on_track_pledge.lead_organization.save()
    original = on_track_pledge.updates.get()
    correction = actions.do_record_progress(
        on_track_pledge, acting_user=staff, as_of=original.as_of, value=Decimal(5), supersedes=original, **EXPLAINED
    )
    reviewer = UserFactory(username="reviewer", is_staff=True, is_superuser=True)
    actions.do_review_update(correction, acting_user=reviewer, approve=False, comment="数据有误")

    correction.refresh_from_db()
    original.refresh_from_db()
    assert correction.review_state == "returned" and correction.supersedes is None
    assert not hasattr(original, "superseded_by")  # it counts again, and can be corrected anew
    again = actions.do_record_progress(
        on_track_pledge, acting_user=staff, as_of=original.as_of, value=Decimal(24), supersedes=original, **EXPLAINED
    )
    assert again.supersedes == original
