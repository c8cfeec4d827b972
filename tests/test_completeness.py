"""Reporting completeness (填报完成率) and chasing late reports (催办), issue 16 item 4.

For a reporting period (a month by default, or a quarter), each organization's row counts the reports its subtree's
pledges owe: due, submitted (approved or awaiting approval), approved, late, and the rate submitted ÷ due. A reviewer,
manager or administrator ticks late reports and presses 催办: each one's owners get one reminder through the outbox, at
most once per pledge per day, however often and however simultaneously the button is pressed.
"""

import csv
import io
import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments import completeness
from commitments.completeness import Period, parse_period
from commitments.models import AlertKind, AlertProfile, ChaseLog, Membership, Notification
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory, UserFactory

TODAY = date(2025, 10, 10)  # September's reports (due 30 September) are late after 7 October
SEPTEMBER = {"period": "2025-09"}


@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(TODAY, tick=False):
        yield


def monthly(org, metric, *reports, **fields):
    """A pledge reported monthly, with its updates: (as_of, review state) pairs; August's report was approved."""
    pledge = PledgeFactory(lead_organization=org, metric=metric, cadence="monthly", **fields)
    ProgressUpdateFactory(pledge=pledge, as_of=date(2025, 8, 31), value=Decimal(30))
    for as_of, state in reports:
        ProgressUpdateFactory(pledge=pledge, as_of=as_of, value=Decimal(36), review_state=state)
    return pledge


SEP_30 = date(2025, 9, 30)


@pytest.fixture
def world(db):
    """南通市 with two districts; 通州区 has a bureau under it. Each pledge reports monthly and reported August."""
    city = OrganizationFactory(name="南通市", short_name="南通", level="city", contact_emails="")
    tongzhou = OrganizationFactory(name="通州区", short_name="通州", level="district", parent=city,
                                   contact_emails="tz-office@example.test")
    bureau = OrganizationFactory(name="通州区商务局", short_name="商务局", parent=tongzhou,
                                 contact_emails="tz-commerce@example.test")
    haimen = OrganizationFactory(name="海门区", short_name="海门", level="district", parent=city,
                                 contact_emails="hm-office@example.test")
    pledges = {
        "approved": monthly(tongzhou, "外贸进出口", (SEP_30, "approved")),
        "pending": monthly(tongzhou, "新增市场主体", (SEP_30, "pending")),
        "returned": monthly(tongzhou, "工业技改投入", (SEP_30, "returned")),
        "silent": monthly(bureau, "社会消费品零售额"),
        "haimen": monthly(haimen, "海门新增就业", (SEP_30, "approved")),
        "closed": monthly(haimen, "已销号指标", closed=True),
        "suspended": monthly(haimen, "暂缓指标", suspended=True, suspended_reason="规划调整"),
    }
    users = {}
    for name, org, role in (("city-manager", city, "manager"), ("tz-manager", tongzhou, "manager"),
                            ("tz-reviewer", tongzhou, "reviewer"), ("tz-reporter", tongzhou, "reporter")):
        users[name] = UserFactory(username=name, first_name="", last_name="")
        Membership.objects.create(user=users[name], organization=org, role=role)
    # The district's reporter wants chases by mail (alert profiles name the organization whose alerts they get).
    AlertProfile.objects.create(user=users["tz-reporter"], organization=tongzhou, alert_kinds=[AlertKind.CHASE])
    return {"city": city, "tongzhou": tongzhou, "bureau": bureau, "haimen": haimen, "pledges": pledges, "users": users}


def rows_of(client, user, **params):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("tracker-completeness"), params)
    assert response.status_code == 200
    return response, {row["organization"].short_name: row["tally"] for row in response.context["table"].data.data}


def counts(tally):
    return (tally.due, tally.submitted, tally.approved, tally.late, tally.rate)


# --- The period --------------------------------------------------------------------------------------------


def test_the_period_is_the_current_month_by_default_or_a_month_or_quarter_asked_for():
    assert parse_period("", TODAY) == Period("2025-10", date(2025, 10, 1), date(2025, 10, 31))
    assert parse_period("2025-09", TODAY) == Period("2025-09", date(2025, 9, 1), date(2025, 9, 30))
    assert parse_period("2025-Q3", TODAY) == Period("2025-Q3", date(2025, 7, 1), date(2025, 9, 30))
    assert parse_period("2025-Q1", TODAY).shifted(-1).label == "2024-Q4"
    with pytest.raises(ValueError, match="2025-13"):  # the message quotes what was typed
        parse_period("2025-13", TODAY)


def test_a_period_written_wrongly_is_named_on_the_page_and_the_current_month_shown(client, world):
    response, _rows = rows_of(client, world["users"]["city-manager"], period="九月")
    assert "Reporting period: “九月” is not a month or a quarter" in response.content.decode()
    assert response.context["period"].label == "2025-10"


# --- Counting ----------------------------------------------------------------------------------------------


def test_each_organization_counts_its_subtree_due_submitted_approved_late_and_the_rate(client, world):
    _response, rows = rows_of(client, world["users"]["city-manager"], **SEPTEMBER)

    # 通州: approved, pending (submitted, not approved), returned (not submitted: late), and the bureau's silent one.
    assert counts(rows["通州"]) == (4, 2, 1, 2, Decimal("0.5"))
    assert counts(rows["海门"]) == (1, 1, 1, 0, Decimal(1))  # the closed and the suspended pledge owe nothing
    assert counts(rows["南通"]) == (5, 3, 2, 2, Decimal("0.6"))
    assert "商务局" not in rows  # the city manager sees the city and its districts; the bureau is one level down


def test_a_returned_update_is_not_a_submission_and_its_correction_is(client, world):
    returned = world["pledges"]["returned"]
    _response, rows = rows_of(client, world["users"]["city-manager"], **SEPTEMBER)
    assert rows["通州"].late == 2

    ProgressUpdateFactory(pledge=returned, as_of=SEP_30, value=Decimal(37), review_state="pending")
    _response, rows = rows_of(client, world["users"]["city-manager"], **SEPTEMBER)
    assert (rows["通州"].submitted, rows["通州"].late) == (3, 1)


def test_closed_and_set_aside_pledges_are_not_due(world):
    period = parse_period("2025-09", TODAY)
    found = {r.pledge_id for r in completeness.reports(completeness.chased_pledges(), period, TODAY)}
    assert world["pledges"]["closed"].pk not in found
    assert world["pledges"]["suspended"].pk not in found
    assert world["pledges"]["silent"].pk in found


def test_a_pledge_judged_from_its_parts_owes_no_report_and_its_parts_do(world):
    whole = PledgeFactory(lead_organization=world["city"], metric="全市合计", composition="sum", cadence="monthly")
    part = monthly(world["haimen"], "海门分解", parent=whole)
    found = {r.pledge_id for r in completeness.reports(completeness.chased_pledges(), parse_period("2025-09", TODAY), TODAY)}
    assert part.pk in found and whole.pk not in found


def test_a_report_late_from_an_earlier_month_is_counted_apart_and_still_listed(client, world):
    response, rows = rows_of(client, world["users"]["city-manager"])  # October: due 31 October, not late yet

    assert counts(rows["南通"]) == (2, 0, 0, 0, Decimal(0))  # the two that reported September owe October's
    assert rows["南通"].late_before == 2  # the returned and the silent one, both due 30 September
    listed = [pledge.metric for pledge in response.context["result"].late]
    assert listed == ["工业技改投入", "社会消费品零售额"]


# --- Who sees what -----------------------------------------------------------------------------------------


def test_a_district_manager_sees_their_district_and_its_units_only(client, world):
    _response, rows = rows_of(client, world["users"]["tz-manager"], **SEPTEMBER)
    assert set(rows) == {"通州", "商务局"}
    assert counts(rows["商务局"]) == (1, 0, 0, 1, Decimal(0))


def test_an_organization_outside_ones_subtree_is_not_found(client, world):
    client.force_login(world["users"]["tz-manager"])
    assert client.get(reverse("tracker-completeness"), {"org": world["haimen"].pk}).status_code == 404
    assert client.get(reverse("tracker-completeness"), {"org": world["city"].pk}).status_code == 404
    assert client.get(reverse("tracker-completeness"), {"org": "x"}).status_code == 404


def test_the_city_manager_drills_down_into_a_district(client, world):
    top, _rows = rows_of(client, world["users"]["city-manager"], **SEPTEMBER)
    page = top.content.decode()
    assert f'?period=2025-09&amp;org={world["tongzhou"].pk}"' in page  # 通州 has a unit under it
    assert f'org={world["haimen"].pk}"' not in page  # 海门 has none

    response, rows = rows_of(client, world["users"]["city-manager"], org=world["tongzhou"].pk, **SEPTEMBER)
    assert set(rows) == {"通州", "商务局"}
    page = response.content.decode()
    assert "Back to the organization above" in page


def test_the_page_needs_a_login(client, world):
    response = client.get(reverse("tracker-completeness"))
    assert response.status_code == 302 and reverse("tracker-login") in response["Location"]


# --- Sorting and exporting ---------------------------------------------------------------------------------


def test_every_column_sorts(client, world):
    _response, _rows = rows_of(client, world["users"]["city-manager"], sort="rate", **SEPTEMBER)
    ordered = [row.record["organization"].short_name for row in _response.context["table"].rows]
    assert ordered == ["通州", "南通", "海门"]
    _response, _rows = rows_of(client, world["users"]["city-manager"], sort="-late", **SEPTEMBER)
    assert [row.record["organization"].short_name for row in _response.context["table"].rows][-1] == "海门"


def test_the_csv_export_has_the_counts_and_writes_a_formula_as_text(client, world):
    OrganizationFactory(name="=HYPERLINK(\"http://bad.example\")", short_name="", parent=world["city"])
    client.force_login(world["users"]["city-manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("tracker-completeness"), {"_export": "csv", **SEPTEMBER})
    assert response.status_code == 200
    assert "completeness-2025-09.csv" in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:6] == ["organization", "reports due", "submitted", "approved", "late", "completion rate"]
    assert ["南通市", "5", "3", "2", "2", "60%", "0"] in table
    assert ["'=HYPERLINK(\"http://bad.example\")", "0", "0", "0", "0", "", "0"] in table


def test_the_xlsx_export_opens(client, world):
    client.force_login(world["users"]["city-manager"])
    response = client.get(reverse("tracker-completeness"), {"_export": "xlsx", **SEPTEMBER})
    assert response.status_code == 200 and response.content[:2] == b"PK"


# --- Chasing (催办) ----------------------------------------------------------------------------------------


def chase(client, user, *pledges, **params):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.post(reverse("tracker-chase"), {"pledge": [p.pk for p in pledges], **params}, follow=True)


def test_pressing_chase_twice_logs_once_and_mails_each_owner_once(client, world):
    returned, silent = world["pledges"]["returned"], world["pledges"]["silent"]
    manager = world["users"]["tz-manager"]

    first = chase(client, manager, returned, silent, period="2025-09")
    assert "2 reports chased, 0 already chased today." in first.content.decode()
    second = chase(client, manager, returned, silent)
    assert "0 reports chased, 2 already chased today." in second.content.decode()

    assert ChaseLog.objects.count() == 2
    mail = sorted(Notification.objects.filter(kind="chase").values_list("pledge__metric", "recipient", "period"))
    assert mail == [
        ("工业技改投入", "tz-office@example.test", "chase:2025-10-10"),
        ("工业技改投入", "tz-reporter@example.test", "chase:2025-10-10"),
        ("社会消费品零售额", "tz-commerce@example.test", "chase:2025-10-10"),
    ]


def test_the_owners_receive_one_email_each_however_often_it_is_pressed(client, world, smtp_server):
    from commitments import jobs

    returned = world["pledges"]["returned"]
    for _press in range(3):
        chase(client, world["users"]["tz-manager"], returned)
        jobs.deliver_notifications(jobs.due_notification_ids())

    assert sorted(message["To"] for message in smtp_server.messages) == ["tz-office@example.test", "tz-reporter@example.test"]
    assert "工业技改投入" in smtp_server.messages[0]["Subject"]


def test_the_log_records_who_chased_whom_and_when(client, world):
    returned = world["pledges"]["returned"]
    chase(client, world["users"]["tz-reviewer"], returned)

    log = ChaseLog.objects.get()
    assert (log.pledge, log.day, log.chased_by) == (returned, TODAY, world["users"]["tz-reviewer"])
    assert sorted(log.recipients.split(", ")) == ["tz-office@example.test", "tz-reporter@example.test"]
    email = Notification.objects.get(recipient="tz-reporter@example.test")
    # In the reporter's language (Chinese by default): who chased, the report's due date, the pledge and its link.
    assert "催办" in email.subject and "工业技改投入" in email.subject
    assert "tz-reviewer" in email.body_text and "2025年9月30日" in email.body_text
    assert f"/pledges/{returned.pk}/" in email.body_text
    page = client.get(reverse("tracker-completeness")).content.decode()
    assert "chased by tz-reviewer" in page and "(today)" in page


def test_administrators_read_the_chases_in_the_admin_and_no_one_else(client, world, staff):
    chase(client, world["users"]["tz-manager"], world["pledges"]["returned"])
    client.force_login(staff)
    page = client.get("/admin/commitments/chaselog/").content.decode()
    assert "工业技改投入" in page and "tz-manager" in page and "tz-reporter@example.test" in page
    world["users"]["tz-manager"].is_staff = True
    world["users"]["tz-manager"].save()
    client.force_login(world["users"]["tz-manager"])
    assert client.get("/admin/commitments/chaselog/").status_code == 403


def test_the_next_day_it_can_be_chased_again(client, world):
    returned = world["pledges"]["returned"]
    chase(client, world["users"]["tz-manager"], returned)
    with time_machine.travel(date(2025, 10, 11), tick=False):
        chase(client, world["users"]["tz-manager"], returned)
    assert list(ChaseLog.objects.order_by("day").values_list("day", flat=True)) == [TODAY, date(2025, 10, 11)]
    assert Notification.objects.filter(recipient="tz-reporter@example.test").count() == 2


def test_only_late_reports_the_user_may_chase_are_chased(client, world):
    pledges = world["pledges"]
    response = chase(client, world["users"]["tz-manager"], pledges["returned"], pledges["approved"], pledges["haimen"])
    page = response.content.decode()
    assert "1 reports chased" in page
    assert "2 not chased: not late, or not yours to chase." in page
    assert list(ChaseLog.objects.values_list("pledge", flat=True)) == [pledges["returned"].pk]


def test_a_reporter_cannot_chase(client, world):
    reporter = world["users"]["tz-reporter"]
    client.force_login(reporter)
    response = client.post(reverse("tracker-chase"), {"pledge": [world["pledges"]["returned"].pk]})
    assert response.status_code == 403
    assert not ChaseLog.objects.exists()
    page = client.get(reverse("tracker-completeness")).content.decode()
    assert 'name="pledge"' not in page and "工业技改投入" in page  # listed, without a box to tick nor a button


def test_chasing_asks_for_a_post_with_the_csrf_token(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["users"]["tz-manager"])
    assert strict.get(reverse("tracker-chase")).status_code == 405
    assert strict.post(reverse("tracker-chase"), {"pledge": [world["pledges"]["returned"].pk]}).status_code == 403
    assert not ChaseLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_presses_at_the_same_moment_chase_once(world):
    """Two requests, each on its own database connection, released together: one log row, one reminder each."""
    manager, reviewer = world["users"]["tz-manager"], world["users"]["tz-reviewer"]
    returned = world["pledges"]["returned"]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def press(user):
        try:
            with time_machine.travel(TODAY, tick=False):
                barrier.wait(timeout=10)
                outcomes.append(completeness.do_chase(user, [returned.pk]))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    presses = [threading.Thread(target=press, args=(user,)) for user in (manager, reviewer)]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(len(o.chased) for o in outcomes) == [0, 1]
    assert sorted(len(o.already) for o in outcomes) == [0, 1]
    assert ChaseLog.objects.count() == 1
    assert sorted(Notification.objects.values_list("recipient", flat=True)) == [
        "tz-office@example.test", "tz-reporter@example.test",
    ]


# --- Cost ----------------------------------------------------------------------------------------------------


def queries_for_the_page(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("tracker-completeness"), SEPTEMBER).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_however_many_organizations(client, world):
    manager = world["users"]["city-manager"]
    before = queries_for_the_page(client, manager)
    for number in range(12):
        district = OrganizationFactory(name=f"新设区{number}", parent=world["city"])
        unit = OrganizationFactory(name=f"新设局{number}", parent=district)
        monthly(district, f"区指标{number}")
        monthly(unit, f"局指标{number}")
    assert queries_for_the_page(client, manager) == before


def test_reviewers_managers_and_administrators_may_chase_reporters_may_not(world):
    from commitments import access

    silent = world["pledges"]["silent"]
    users = world["users"]
    assert access.can_chase(users["tz-reviewer"], silent) and access.can_chase(users["tz-manager"], silent)
    assert access.can_chase(users["city-manager"], silent)
    assert not access.can_chase(users["tz-reporter"], silent)
    assert not access.can_chase(users["tz-manager"], world["pledges"]["haimen"])


def test_many_pledges_are_counted_alike_whether_read_by_ids_or_by_their_query(world, monkeypatch):
    """Past ID_LIST_LIMIT pledges the updates are filtered by the pledges' query instead of a list of ids."""
    period = parse_period("2025-09", TODAY)
    by_ids = completeness.reports(completeness.chased_pledges(), period, TODAY)
    monkeypatch.setattr(completeness, "ID_LIST_LIMIT", 2)
    assert completeness.reports(completeness.chased_pledges(), period, TODAY) == by_ids
