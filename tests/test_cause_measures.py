"""Cause and measures (问题原因 / 整改措施): an update that leaves its pledge at risk, off track or overdue says why, what
the owner will do about it and by when the pledge will be back on track; every entry point refuses it otherwise.

They show on the pledge page, under the reason in the status table, in its export and in the alerts; when the date
passes with the pledge still behind, the owner is reminded once and, after the escalation delay, the organization above.
"""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import tablib
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from commitments import actions, jobs
from commitments.models import AlertKind, AlertProfile, Notification, ProgressUpdate
from commitments.resources import ProgressUpdateResource, import_all_or_nothing
from tests.factories import PledgeFactory, ProgressUpdateFactory, UserFactory
from tests.test_admin import add_inline_update, change_form_data

pytestmark = pytest.mark.django_db

IN_OCTOBER = time_machine.travel(date(2025, 10, 10), tick=False)

MEASURES = {"cause": "项目审批延迟", "measures": "每周调度，专班推进", "back_on_track_by": "2025-11-15"}


# Each entry point records one update and returns the errors by field ({} when it was stored).


def through_the_action(client, user, pledge, as_of, value):
    """do_record_progress, as commands and jobs call it: no way to give cause and measures."""
    try:
        actions.do_record_progress(pledge, acting_user=user, as_of=date.fromisoformat(as_of), value=Decimal(value))
    except ValidationError as error:
        return error.message_dict
    return {}


def through_the_action_with(client, user, pledge, as_of, value, **given):
    day = given.pop("back_on_track_by", None)
    update = ProgressUpdate(
        pledge=pledge, as_of=date.fromisoformat(as_of), value=Decimal(value),
        back_on_track_by=date.fromisoformat(day) if day else None, **given,
    )
    try:
        actions.do_record_updates([update], acting_user=user)
    except ValidationError as error:
        return error.message_dict
    return {}


def through_the_inline(client, user, pledge, as_of, value, **given):
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    data = add_inline_update(change_form_data(client.get(url)), as_of=as_of, value=value, **given)
    response = client.post(url, data)
    if response.status_code == 302:
        return {}
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "updates"]
    return {field: list(messages) for form in formset.forms for field, messages in form.errors.items()}


def through_quick_entry(client, user, pledge, as_of, value, **given):
    response = client.post(
        reverse("admin:commitments_progressupdate_add"), {"pledge": pledge.pk, "as_of": as_of, "value": value, **given}
    )
    if response.status_code == 302:
        return {}
    return {field: list(messages) for field, messages in response.context["adminform"].form.errors.items()}


def through_the_import(client, user, pledge, as_of, value, **given):
    headers = ["id", "pledge", "as_of", "value", *given]
    dataset = tablib.Dataset(["", pledge.pk, as_of, value, *given.values()], headers=headers)
    result, stored = import_all_or_nothing(ProgressUpdateResource, dataset, user)
    if stored:
        return {}
    assert not result.has_errors(), [error.error for row in result.row_errors() for error in row[1]]
    (row,) = result.invalid_rows
    assert row.number == 1
    return {column: list(messages) for column, messages in row.error_dict.items()}


ENTRY_POINTS = [through_the_action_with, through_the_inline, through_quick_entry, through_the_import]


@pytest.fixture
def on_track_pledge(district):
    """Half-way through the year with 25 of 50 projects: on track; 30 by September leaves it off track, 40 does not."""
    district.contact_emails = "duban@example.test"
    district.save()
    district.parent.contact_emails = "ducha@example.test"
    district.parent.save()
    pledge = PledgeFactory(lead_organization=district)
    ProgressUpdateFactory(pledge=pledge, value=Decimal(25), as_of=date(2025, 6, 30))
    with time_machine.travel(date(2025, 7, 5), tick=False):
        actions.do_recompute_status(pledge)
    assert pledge.target_status == "on_track"
    return pledge


@pytest.fixture
def reporter(client, staff):
    client.force_login(staff)
    client.cookies.load({"django_language": "en"})
    return staff


def measures_missing(status):
    return {
        "cause": [f"Give the cause of the delay: this update leaves the pledge {status}."],
        "measures": [f"Give the corrective measures: this update leaves the pledge {status}."],
        "back_on_track_by": [f"Give the date by which the pledge will be back on track: this update leaves the pledge {status}."],
    }


@IN_OCTOBER
@pytest.mark.parametrize("record", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_an_update_leaving_the_pledge_off_track_is_refused_without_cause_measures_and_date(record, client, reporter, on_track_pledge):
    with translation.override("en"):
        errors = record(client, reporter, on_track_pledge, "2025-09-30", "30")

    assert errors == measures_missing("off track")
    assert on_track_pledge.updates.count() == 1
    on_track_pledge.refresh_from_db()
    assert on_track_pledge.target_status == "on_track"


@IN_OCTOBER
def test_the_one_write_path_refuses_it_for_every_caller(reporter, on_track_pledge):
    with translation.override("en"):
        assert through_the_action(None, reporter, on_track_pledge, "2025-09-30", "30") == measures_missing("off track")


@IN_OCTOBER
@pytest.mark.parametrize("record", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_with_cause_measures_and_date_it_is_stored_and_the_pledge_goes_off_track(record, client, reporter, on_track_pledge):
    assert record(client, reporter, on_track_pledge, "2025-09-30", "30", **MEASURES) == {}

    latest = on_track_pledge.updates.order_by("-as_of").first()
    assert (latest.cause, latest.measures, latest.back_on_track_by) == ("项目审批延迟", "每周调度，专班推进", date(2025, 11, 15))
    on_track_pledge.refresh_from_db()
    assert on_track_pledge.target_status == "off_track"


@IN_OCTOBER
@pytest.mark.parametrize("record", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_they_are_not_asked_for_when_the_update_leaves_the_pledge_on_track(record, client, reporter, on_track_pledge):
    assert record(client, reporter, on_track_pledge, "2025-09-30", "40") == {}
    on_track_pledge.refresh_from_db()
    assert on_track_pledge.target_status == "on_track"


@IN_OCTOBER
@pytest.mark.parametrize("record", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_the_date_back_on_track_comes_after_the_period_end(record, client, reporter, on_track_pledge):
    with translation.override("en"):
        errors = record(client, reporter, on_track_pledge, "2025-09-30", "30", **{**MEASURES, "back_on_track_by": "2025-09-30"})
    assert errors == {"back_on_track_by": ["The date back on track must come after the period end."]}


@IN_OCTOBER
def test_an_update_waiting_for_approval_is_judged_as_if_approved(reporter, on_track_pledge):
    on_track_pledge.lead_organization.requires_approval = True
    on_track_pledge.lead_organization.save()
    with translation.override("en"):
        assert through_the_action(None, reporter, on_track_pledge, "2025-09-30", "30") == measures_missing("off track")
    assert through_the_action_with(None, reporter, on_track_pledge, "2025-09-30", "30", **MEASURES) == {}
    assert on_track_pledge.updates.get(as_of=date(2025, 9, 30)).review_state == "pending"


@IN_OCTOBER
def test_in_an_import_each_row_is_judged_after_the_rows_before_it(reporter, on_track_pledge):
    """A weak September followed by a correction that recovers: only the row that leaves the pledge behind is refused."""
    dataset = tablib.Dataset(
        ["", on_track_pledge.pk, "2025-09-30", "30"], ["", on_track_pledge.pk, "2025-10-09", "45"],
        headers=["id", "pledge", "as_of", "value"],
    )
    result, stored = import_all_or_nothing(ProgressUpdateResource, dataset, reporter)
    assert not stored
    assert [(row.number, sorted(row.error_dict)) for row in result.invalid_rows] == [
        (1, ["back_on_track_by", "cause", "measures"])
    ]


# --- Where they show -----------------------------------------------------------------------------------------------


@pytest.fixture
def off_track_with_measures(on_track_pledge, reporter):
    with IN_OCTOBER:
        through_the_action_with(None, reporter, on_track_pledge, "2025-09-30", "30", **MEASURES)
    on_track_pledge.refresh_from_db()
    return on_track_pledge


@IN_OCTOBER
def test_the_pledge_page_shows_the_latest_cause_and_measures_beside_its_status(client, off_track_with_measures):
    page = client.get(reverse("tracker-pledge", args=[off_track_with_measures.pk])).content.decode()
    why = page[page.index('id="why"'):page.index('class="facts"')]
    assert "项目审批延迟" in why and "每周调度，专班推进" in why and "2025-11-15" in why
    updates_table = page[page.index("progress reported"):]
    assert "项目审批延迟" in updates_table


@IN_OCTOBER
def test_the_status_table_row_says_cause_and_measures_under_the_reason(client, off_track_with_measures, on_track_pledge):
    other = PledgeFactory(lead_organization=off_track_with_measures.lead_organization, metric="另一项")
    actions.do_recompute_status(other)
    page = client.get(reverse("tracker-pledges")).content.decode()
    table = page[page.index('<table class="pledges"'):]  # (the phone's blocks above it say the same)
    assert table.count('class="tracker-reason tracker-measures"') == 1
    assert "Cause: 项目审批延迟 Measures: 每周调度，专班推进" in page


@IN_OCTOBER
def test_the_status_table_reads_them_in_one_query_whatever_the_number_of_rows(
    client, reporter, off_track_with_measures, django_assert_max_num_queries
):
    client.get(reverse("tracker-pledges"))  # sessions, caches
    with django_assert_max_num_queries(12) as one_row:
        client.get(reverse("tracker-pledges"))
    for n in range(5):
        pledge = PledgeFactory(lead_organization=off_track_with_measures.lead_organization, metric=f"项目{n}")
        ProgressUpdateFactory(pledge=pledge, value=Decimal(25), as_of=date(2025, 6, 30))
        through_the_action_with(None, reporter, pledge, "2025-09-30", "30", **MEASURES)
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        page = client.get(reverse("tracker-pledges")).content.decode()
    table = page[page.index('<table class="pledges"'):]  # (the phone's blocks above it say the same)
    assert table.count('class="tracker-reason tracker-measures"') == 6


@IN_OCTOBER
def test_the_export_has_cause_measures_and_date_columns(client, off_track_with_measures):
    response = client.get(reverse("tracker-pledges"), {"_export": "csv"})
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")))
    assert (row["cause of the delay"], row["corrective measures"], row["back on track by"]) == (
        "项目审批延迟", "每周调度，专班推进", "2025-11-15"
    )


@IN_OCTOBER
def test_the_status_change_alert_carries_them(off_track_with_measures):
    jobs.queue_status_alerts()
    (alert,) = Notification.objects.filter(kind=AlertKind.STATUS_CHANGE)
    assert "项目审批延迟" in alert.body_text and "每周调度，专班推进" in alert.body_text and "2025-11-15" in alert.body_text
    assert "项目审批延迟" in alert.body_html


def test_the_digests_carry_them_under_the_change_and_the_pledge_needing_attention(off_track_with_measures):
    user = UserFactory(username="duban", email="duban-head@example.test")
    AlertProfile.objects.create(
        user=user, organization=off_track_with_measures.lead_organization, language="en",
        digest_frequency=AlertProfile.Frequency.WEEKLY,
    )
    with time_machine.travel(date(2025, 10, 13), tick=False):
        jobs.queue_digests(AlertProfile.Frequency.WEEKLY, date(2025, 10, 13))
    (digest,) = Notification.objects.filter(kind=AlertKind.DIGEST)
    line = "Cause: 项目审批延迟 Measures: 每周调度，专班推进"
    assert digest.body_text.count(line) == 2 and digest.body_html.count(line) == 2  # the change, and "needs attention"


# --- When the date passes --------------------------------------------------------------------------------------------


def measures_alerts():
    return sorted(
        Notification.objects.filter(period__startswith="measures:").values_list("recipient", "kind", "period")
    )


def test_the_owner_is_reminded_once_the_date_has_passed_and_the_parent_after_the_escalation_delay(off_track_with_measures):
    update_id = off_track_with_measures.updates.get(as_of=date(2025, 9, 30)).pk
    after = settings.TRACKER_ESCALATE_AFTER_DAYS

    with time_machine.travel(date(2025, 11, 15), tick=False):
        jobs.queue_reminders(date(2025, 11, 15))
    assert measures_alerts() == []  # the date itself: not yet

    for day in (date(2025, 11, 16), date(2025, 11, 17)):  # the job runs every day, and twice
        with time_machine.travel(day, tick=False):
            jobs.queue_reminders(day)
            jobs.queue_reminders(day)
    assert measures_alerts() == [("duban@example.test", AlertKind.REPORT_LATE, f"measures:{update_id}")]

    escalate_on = date(2025, 11, 15) + timedelta(days=after + 1)
    with time_machine.travel(escalate_on - timedelta(days=1), tick=False):
        jobs.queue_reminders(escalate_on - timedelta(days=1))
    assert len(measures_alerts()) == 1  # the owner's reminder only, until the delay has passed

    for day in (escalate_on, escalate_on):
        with time_machine.travel(day, tick=False):
            jobs.queue_reminders(day)
    assert measures_alerts() == [
        ("duban@example.test", AlertKind.REPORT_LATE, f"measures:{update_id}"),
        ("ducha@example.test", AlertKind.ESCALATION, f"measures:{update_id}:L1"),
    ]
    reminder = Notification.objects.get(period=f"measures:{update_id}")
    assert "2025-11-15" in reminder.body_text and "每周调度，专班推进" in reminder.body_text


def test_a_pledge_back_on_track_by_then_is_not_chased(off_track_with_measures, reporter):
    with time_machine.travel(date(2025, 11, 10), tick=False):
        assert through_the_action_with(None, reporter, off_track_with_measures, "2025-11-10", "48") == {}
    off_track_with_measures.refresh_from_db()
    assert off_track_with_measures.target_status == "on_track"
    with time_machine.travel(date(2025, 12, 20), tick=False):
        jobs.queue_reminders(date(2025, 12, 20))
    assert measures_alerts() == []
