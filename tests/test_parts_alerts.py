"""Alerts of a pledge broken down into parts: each part's owners hear of their own part; the parent's owners get one
message per run listing the parts that changed for the worse, never one email per part.

南通市's 全年新注册重大产业项目50个以上 is split 20 / 10 / 10 / 10 among 通州, 海门, 开发区 and 如皋. In July 如皋 lags,
the others are on track; in October's report (one import) 通州 and 海门 fall off track, 开发区 to at risk, and 如皋
recovers. Mail goes through the real queue, the real send loop and a real SMTP server.
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from commitments import actions, jobs
from commitments.admin.people import AlertProfileForm
from commitments.models import IMMEDIATE_KINDS, AlertKind, AlertProfile, Notification, ProgressUpdate, StatusChange
from commitments.status import Composition, TargetStatus
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.test_parts import break_down
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db

CITY_OFFICE = "duban@nantong.example"
DISTRICTS = {"通州": "tongzhou", "海门": "haimen", "开发": "kaifa", "如皋": "rugao"}


def address(name):
    return f"{DISTRICTS[name]}@example.test"


def member(org, username, *, language="zh-hans", kinds=IMMEDIATE_KINDS):
    user = UserFactory(username=username, email=f"{username}@example.test")
    AlertProfile.objects.create(
        user=user, organization=org, language=language, alert_kinds=list(kinds), digest_frequency="never"
    )
    return user


def report(day, values):
    """One import: an update per part (as of the end of the month before `day`), recorded together."""
    with time_machine.travel(day, tick=False):
        actions.do_record_updates(
            [ProgressUpdate(pledge=part, as_of=as_of, value=Decimal(value), **EXPLAINED) for part, (as_of, value) in values.items()],
            acting_user=None,
        )


def run_alerts():
    """The alert job and the send loop, as the task and the dispatcher run them."""
    jobs.queue_status_alerts()
    return jobs.send_due_notifications(jobs.deliver_notifications)


def text_of(message):
    return message.get_body(("plain",)).get_content()


def fresh(pledge):
    pledge.refresh_from_db()
    return pledge


@pytest.fixture
def districts(city):
    city.contact_emails = CITY_OFFICE
    city.save()
    return {
        name: OrganizationFactory(
            name=f"{name}区", short_name=name, level="district", parent=city, contact_emails=address(name)
        )
        for name in DISTRICTS
    }


@pytest.fixture
def projects(city, districts, smtp_server):
    """The city target and its four parts as they stand after July's report (its alerts already sent)."""
    with time_machine.travel(date(2025, 7, 10), tick=False):
        parent = PledgeFactory(lead_organization=city, composition=Composition.SUM)
        targets = [(districts[name], target) for name, target in zip(DISTRICTS, (20, 10, 10, 10))]
        parts = dict(zip(DISTRICTS, break_down(parent, targets)))
    report(date(2025, 7, 10), {parts["通州"]: (date(2025, 6, 30), 10), parts["海门"]: (date(2025, 6, 30), 5),
                               parts["开发"]: (date(2025, 6, 30), 5), parts["如皋"]: (date(2025, 6, 30), 2)})
    run_alerts()
    smtp_server.messages.clear()
    assert [fresh(p).target_status for p in parts.values()] == ["on_track", "on_track", "on_track", "off_track"]
    assert fresh(parent).target_status == TargetStatus.AT_RISK
    return parent, parts


def october(parts):
    report(date(2025, 10, 8), {parts["通州"]: (date(2025, 9, 30), 11), parts["海门"]: (date(2025, 9, 30), 6),
                               parts["开发"]: (date(2025, 9, 30), 7), parts["如皋"]: (date(2025, 9, 30), 8)})


def test_three_parts_that_slip_in_one_run_reach_the_parent_owner_in_one_email(projects, smtp_server):
    parent, parts = projects
    october(parts)
    assert [fresh(p).target_status for p in parts.values()] == ["off_track", "off_track", "at_risk", "on_track"]

    run_alerts()

    (message,) = smtp_server.mailbox.to(CITY_OFFICE)
    body = text_of(message)
    for name in ("通州区", "海门区", "开发区"):
        assert name in body
    assert f"/pledges/{parent.pk}/" in body  # the parent at the top, with its link
    for name in ("通州", "海门", "开发"):
        assert f"/pledges/{parts[name].pk}/" in body  # and each part's
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    stored = Notification.objects.filter(recipient=CITY_OFFICE, kind=AlertKind.PARTS_WORSE, pledge=parent).latest("pk")
    assert stored.state == "sent"
    assert message["Subject"].strip() == stored.subject


def test_the_message_says_for_each_part_its_owner_metric_move_and_reason_worst_first(projects, districts, smtp_server):
    parent, parts = projects
    member(parent.lead_organization, "wang", language="en")
    october(parts)
    run_alerts()

    (message,) = smtp_server.mailbox.to("wang@example.test")
    assert message["Subject"].strip() == "[Pledge tracker] 新注册重大产业项目: 3 parts changed for the worse"
    body = text_of(message)
    assert body.startswith("3 parts of “新注册重大产业项目” changed for the worse.")
    with translation.override("en"):
        assert f"Status: at risk — {fresh(parent).status_reason_text}" in body
    lines = [line for line in body.splitlines() if line.startswith("- ")]
    assert lines == [  # off track before at risk
        "- 海门区 — 新注册重大产业项目: on track → off track",
        "- 通州区 — 新注册重大产业项目: on track → off track",
        "- 开发区 — 新注册重大产业项目: on track → at risk",
    ]
    with translation.override("en"):
        assert fresh(parts["通州"]).status_reason_text in body


def test_running_the_alert_job_again_sends_nothing_more(projects, smtp_server):
    _parent, parts = projects
    october(parts)
    run_alerts()
    sent, stored = len(smtp_server.messages), Notification.objects.count()

    run_alerts()
    # Even the same changes queued once more (their claim undone) add nothing: the message's key is theirs.
    StatusChange.objects.filter(assessed_on=date(2025, 10, 8)).update(alerts_queued_at=None)
    run_alerts()

    assert (len(smtp_server.messages), Notification.objects.count()) == (sent, stored)
    assert len(smtp_server.mailbox.to(CITY_OFFICE)) == 1


def test_each_part_owner_gets_their_own_parts_status_change_and_the_parent_owner_none_of_them(projects, smtp_server):
    parent, parts = projects
    before = list(Notification.objects.values_list("pk", flat=True))
    october(parts)
    run_alerts()

    for name in DISTRICTS:  # 如皋's recovery is news too
        (message,) = smtp_server.mailbox.to(address(name))
        stored = Notification.objects.exclude(pk__in=before).get(recipient=address(name))
        assert (stored.kind, stored.pledge_id) == (AlertKind.STATUS_CHANGE, parts[name].pk)
        assert f"/pledges/{parts[name].pk}/" in text_of(message)
    told_the_city = Notification.objects.exclude(pk__in=before).filter(recipient=CITY_OFFICE)
    assert list(told_the_city.values_list("kind", flat=True)) == [AlertKind.PARTS_WORSE]


def test_a_part_that_improves_is_not_listed(projects, smtp_server):
    _parent, parts = projects
    october(parts)
    run_alerts()
    body = text_of(smtp_server.mailbox.to(CITY_OFFICE)[0])
    assert "如皋区" not in body and f"/pledges/{parts['如皋'].pk}/" not in body


def test_a_part_that_slips_and_recovers_within_one_run_is_not_listed(projects, smtp_server):
    _parent, parts = projects
    report(date(2025, 10, 8), {parts["通州"]: (date(2025, 9, 30), 11)})  # off track…
    report(date(2025, 10, 8), {parts["通州"]: (date(2025, 9, 30), 16), parts["海门"]: (date(2025, 9, 30), 6)})  # …and back
    run_alerts()
    body = text_of(smtp_server.mailbox.to(CITY_OFFICE)[0])
    assert "海门区" in body and "通州区" not in body


def test_a_parent_owner_who_switched_parts_worse_off_gets_nothing(projects, smtp_server):
    parent, parts = projects
    member(parent.lead_organization, "quiet", kinds=[kind for kind in IMMEDIATE_KINDS if kind != AlertKind.PARTS_WORSE])
    member(parent.lead_organization, "keen")
    october(parts)
    run_alerts()
    assert smtp_server.mailbox.to("quiet@example.test") == []
    assert len(smtp_server.mailbox.to("keen@example.test")) == 1


def test_parts_worse_is_an_alert_a_user_can_switch_on_and_off_in_their_settings(city):
    assert AlertKind.PARTS_WORSE in IMMEDIATE_KINDS
    assert AlertKind.PARTS_WORSE in dict(AlertProfileForm.base_fields["alert_kinds"].choices)
    profile = AlertProfile(user=UserFactory(username="zhao"))
    for kinds in (["status_change", "parts_worse"], ["status_change"]):
        form = AlertProfileForm(
            data={"organization": city.pk, "language": "zh-hans", "alert_kinds": kinds, "digest_frequency": "weekly"},
            instance=profile,
        )
        assert form.is_valid(), form.errors
        profile = form.save()
        assert AlertProfile.objects.get(pk=profile.pk).alert_kinds == kinds
    new_profile = AlertProfile.objects.create(user=UserFactory(username="new"))
    assert AlertKind.PARTS_WORSE in new_profile.alert_kinds  # on by default


def test_the_parents_own_change_in_the_same_run_is_told_in_that_message_not_in_a_second_one(projects, smtp_server):
    parent, parts = projects
    october(parts)
    run_alerts()
    smtp_server.messages.clear()

    jobs.sweep_statuses(date(2026, 1, 1))  # the nightly run after the deadline: every part and the parent overdue
    jobs.send_due_notifications(jobs.deliver_notifications)

    assert fresh(parent).target_status == TargetStatus.OVERDUE
    (message,) = smtp_server.mailbox.to(CITY_OFFICE)
    body = text_of(message)
    for name in DISTRICTS:
        assert f"{name}区" in body
    assert Notification.objects.filter(recipient=CITY_OFFICE, kind=AlertKind.STATUS_CHANGE).count() == 0
    # Its own move is in the message (in the recipient's language; the catalogue may not have it yet).
    change = StatusChange.objects.get(pledge=parent, to_status=TargetStatus.OVERDUE)
    assert change.get_from_status_display() in body and change.get_to_status_display() in body


def test_only_the_direct_parent_hears_of_a_part(projects, districts, smtp_server):
    """通州's 20 is split between two of its towns: a town that slips is news for 通州, not for the city, as long as
    通州's own part does not change."""
    _parent, parts = projects
    tongzhou = parts["通州"]
    towns = [OrganizationFactory(name=f"{n}镇", parent=districts["通州"], contact_emails=f"{p}@example.test")
             for n, p in (("金沙", "jinsha"), ("石港", "shigang"))]
    with time_machine.travel(date(2025, 7, 10), tick=False):
        tongzhou.composition = Composition.SUM
        tongzhou.save()
        jinsha, shigang = break_down(tongzhou, [(towns[0], 12), (towns[1], 8)])
    report(date(2025, 7, 10), {jinsha: (date(2025, 6, 30), 6), shigang: (date(2025, 6, 30), 4)})
    run_alerts()
    smtp_server.messages.clear()
    status_before = fresh(tongzhou).target_status
    before = list(Notification.objects.values_list("pk", flat=True))

    report(date(2025, 10, 8), {jinsha: (date(2025, 9, 30), 10), shigang: (date(2025, 9, 30), 5)})  # 石港 off track
    run_alerts()

    assert fresh(tongzhou).target_status == status_before
    assert fresh(shigang).target_status == TargetStatus.OFF_TRACK
    (message,) = smtp_server.mailbox.to(address("通州"))
    assert "石港镇" in text_of(message)
    assert not any("石港镇" in text_of(message) for message in smtp_server.mailbox.to(CITY_OFFICE))
    new = Notification.objects.exclude(pk__in=before)
    assert not new.filter(recipient=CITY_OFFICE, kind=AlertKind.PARTS_WORSE).exists()


def test_a_change_left_over_from_a_deleted_part_is_passed_over(projects, smtp_server):
    _parent, parts = projects
    october(parts)
    StatusChange.objects.create(
        pledge_id=10**9, from_status="on_track", to_status="off_track", assessed_on=date(2025, 10, 8)
    )
    run_alerts()
    assert len(smtp_server.mailbox.to(CITY_OFFICE)) == 1
