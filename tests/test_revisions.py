"""Revisions with approval (issue 15, items 3 and 4).

A pledge's target, range, deadline or schedule changes only through a request (延期申请 / 目标调整) that a reviewer
other than the requester approves; its status is then judged on the terms in force, while what was first promised is
kept and shown. A pledge is suspended (暂缓) or marked not applicable (不适用) the same way; so set aside, it leaves
the summary counts, its parent's roll-up, the overdue sweep and the alerts until it is resumed.
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext

from commitments import actions, counts, jobs
from commitments.models import (
    SET_ASIDE,
    AlertKind,
    Checkpoint,
    Membership,
    Notification,
    Pledge,
    Revision,
    StatusChange,
)
from commitments.status import Composition, Method, TargetStatus
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.explained import EXPLAINED

pytestmark = pytest.mark.django_db

TODAY = date(2025, 7, 10)
Change = Revision.Change


@pytest.fixture(autouse=True)
def in_july():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def people(city, district):
    """In 通州区: a reporter, a reviewer, and a section chief who both reports and reviews; a reporter of 如皋市."""
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    users = {}
    for name, organization, roles in (
        ("reporter", district, ["reporter"]),
        ("reviewer", district, ["reviewer"]),
        ("chief", district, ["reporter", "reviewer"]),
        ("outsider", elsewhere, ["reporter"]),
    ):
        users[name] = UserFactory(username=name, is_staff=True)
        for role in roles:
            Membership.objects.create(user=users[name], organization=organization, role=role)
    users["root"] = UserFactory(username="root", is_staff=True, is_superuser=True)
    return users


@pytest.fixture
def projects(district, people):
    """全年新注册重大产业项目50个以上 (2025), 20 registered by the end of June: behind its straight line (off track)."""
    pledge = PledgeFactory(lead_organization=district)
    actions.do_record_progress(
        pledge, acting_user=people["reporter"], as_of=date(2025, 6, 30), value=Decimal(20), **EXPLAINED
    )
    pledge.refresh_from_db()
    assert pledge.target_status == TargetStatus.OFF_TRACK
    return pledge


def request(pledge, user, kind=Change.TERMS, reason="上级下达任务调整", **proposed):
    revision = Revision(pledge=pledge, kind=kind, reason=reason, **{f"proposed_{k}": v for k, v in proposed.items()})
    return actions.do_request_revision(revision, acting_user=user)


def approve(revision, user):
    return actions.do_review_revision(revision, acting_user=user, approve=True)


def fresh(pledge):
    return Pledge.objects.get(pk=pledge.pk)


# --- Asking --------------------------------------------------------------------------------------------------


def test_a_reporter_asks_to_lower_the_target_and_nothing_changes_until_it_is_approved(projects, people):
    revision = request(projects, people["reporter"], target=Decimal(40))
    assert revision.state == Revision.State.PENDING
    assert (revision.requested_by, revision.previous_target, revision.previous_deadline) == (
        people["reporter"], Decimal(50), date(2025, 12, 31))
    pledge = fresh(projects)
    assert pledge.target == 50 and pledge.target_status == TargetStatus.OFF_TRACK and not pledge.revised


def test_a_reporter_of_another_organization_may_not_ask(projects, people):
    with pytest.raises(actions.NotAllowed):
        request(projects, people["outsider"], target=Decimal(40))
    assert not Revision.objects.exists()


def test_a_manager_may_not_ask_either(projects, district):
    manager = UserFactory(username="manager", is_staff=True)
    Membership.objects.create(user=manager, organization=district, role="manager")
    with pytest.raises(actions.NotAllowed):
        request(projects, manager, target=Decimal(40))


def test_a_request_must_say_why_and_change_something(projects, people):
    with pytest.raises(ValidationError) as error:
        request(projects, people["reporter"], reason=" ", target=Decimal(50))
    assert set(error.value.message_dict) == {"reason", "__all__"}  # no reason; 50 is the target already


def test_one_request_at_a_time(projects, people):
    request(projects, people["reporter"], target=Decimal(40))
    with translation.override("en"), pytest.raises(ValidationError) as error:
        request(projects, people["chief"], deadline=date(2026, 6, 30))
    assert "A request for this pledge already awaits approval." in error.value.messages


def test_a_part_may_not_be_given_a_deadline_after_its_parents(projects, people, city):
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM)
    projects.parent = whole
    projects.save()
    with pytest.raises(ValidationError) as error:
        request(projects, people["reporter"], deadline=date(2026, 3, 31))
    assert list(error.value.message_dict) == ["proposed_deadline"]
    assert "2025-12-31" in error.value.message_dict["proposed_deadline"][0]  # the parent's deadline, named


def test_a_parent_may_not_be_given_a_deadline_before_its_parts(projects, people, city):
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM)
    projects.parent = whole
    projects.save()
    with pytest.raises(ValidationError) as error:
        request(whole, people["root"], deadline=date(2025, 9, 30))
    assert list(error.value.message_dict) == ["proposed_deadline"]


def test_a_range_is_revised_by_its_ends_not_by_a_target(district, people):
    band = PledgeFactory(lead_organization=district, comparator="range", target=None, low=Decimal(3), high=Decimal(4))
    with pytest.raises(ValidationError) as error:
        request(band, people["reporter"], target=Decimal(5))
    assert list(error.value.message_dict) == ["proposed_target"]
    with pytest.raises(ValidationError) as error:
        request(band, people["reporter"], low=Decimal(5))  # above its high end
    assert list(error.value.message_dict) == ["proposed_high"]


# --- Deciding ------------------------------------------------------------------------------------------------


def test_nobody_approves_their_own_request(projects, people):
    revision = request(projects, people["chief"], target=Decimal(40))
    with pytest.raises(actions.NotAllowed):
        approve(revision, people["chief"])
    assert Revision.objects.get(pk=revision.pk).state == Revision.State.PENDING
    assert fresh(projects).target == 50


def test_an_administrators_own_request_waits_for_someone_else(projects, people):
    revision = request(projects, people["root"], target=Decimal(40))
    with pytest.raises(actions.NotAllowed):
        approve(revision, people["root"])
    approve(revision, people["reviewer"])
    assert fresh(projects).target == 40


def test_a_reporter_may_not_approve(projects, people):
    revision = request(projects, people["chief"], target=Decimal(40))
    with pytest.raises(actions.NotAllowed):
        approve(revision, people["reporter"])


def test_once_approved_the_status_is_judged_on_the_revised_target(projects, people):
    revision = approve(request(projects, people["reporter"], target=Decimal(40)), people["reviewer"])
    pledge = fresh(projects)
    assert (revision.state, revision.reviewed_by, revision.reviewed_at is not None) == (
        Revision.State.APPROVED, people["reviewer"], True)
    assert pledge.target == 40
    assert pledge.target_status == TargetStatus.ON_TRACK  # 20 by June against 40 for the year is on its line
    change = pledge.status_changes.order_by("-id").first()
    assert (change.from_status, change.to_status, change.trigger) == (
        TargetStatus.OFF_TRACK, TargetStatus.ON_TRACK, f"revision:{revision.pk}")


def test_an_extended_deadline_is_judged_too(projects, people):
    approve(request(projects, people["reporter"], deadline=date(2026, 6, 30)), people["reviewer"])
    pledge = fresh(projects)
    assert pledge.deadline == date(2026, 6, 30) and pledge.target_status == TargetStatus.ON_TRACK


def test_the_pledges_history_says_who_approved_and_why(projects, people):
    approve(request(projects, people["reporter"], target=Decimal(40), reason="省里调减任务"), people["reviewer"])
    latest = projects.history.first()  # newest first (the clock stands still: by id)
    assert latest.target == 40 and latest.history_user == people["reviewer"]
    assert "省里调减任务" in latest.history_change_reason


def test_what_was_first_promised_is_kept_through_every_revision(projects, people):
    approve(request(projects, people["reporter"], target=Decimal(40)), people["reviewer"])
    approve(request(fresh(projects), people["reporter"], target=Decimal(35), deadline=date(2026, 3, 31)), people["reviewer"])
    pledge = fresh(projects)
    assert (pledge.target, pledge.deadline) == (35, date(2026, 3, 31))
    assert (pledge.original_target, pledge.original_deadline, pledge.revised) == (50, date(2025, 12, 31), True)
    first, second = Revision.objects.order_by("id")
    assert (first.previous_target, second.previous_target) == (50, 40)


def test_a_rejected_request_changes_nothing(projects, people):
    revision = request(projects, people["reporter"], target=Decimal(40))
    with pytest.raises(ValidationError) as error:
        actions.do_review_revision(revision, acting_user=people["reviewer"], approve=False)
    assert list(error.value.message_dict) == ["review_comment"]  # a rejection says why
    changes_before = StatusChange.objects.count()
    actions.do_review_revision(revision, acting_user=people["reviewer"], approve=False, comment="任务不得调减")
    pledge = fresh(projects)
    assert Revision.objects.get(pk=revision.pk).state == Revision.State.REJECTED
    assert (pledge.target, pledge.target_status, pledge.revised) == (50, TargetStatus.OFF_TRACK, False)
    assert StatusChange.objects.count() == changes_before
    approve(revision, people["root"])  # already decided: nothing happens
    assert fresh(projects).target == 50


def test_a_request_that_no_longer_fits_is_refused_at_approval(projects, people, city):
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM, deadline=date(2026, 12, 31))
    projects.parent = whole
    projects.save()
    revision = request(projects, people["reporter"], deadline=date(2026, 6, 30))
    Pledge.objects.filter(pk=whole.pk).update(deadline=date(2026, 3, 31))  # the parent's deadline moved meanwhile
    with pytest.raises(ValidationError) as error:
        approve(revision, people["reviewer"])
    assert list(error.value.message_dict) == ["proposed_deadline"]
    assert Revision.objects.get(pk=revision.pk).state == Revision.State.PENDING


def test_a_schedule_is_revised_checkpoint_by_checkpoint(district, people):
    """Planned by quarter 10, 30, 40, 50: 20 by June is behind; re-planned 10, 20, 35, 50 it is on plan."""
    pledge = PledgeFactory(lead_organization=district, method=Method.SCHEDULE)
    for as_of, planned in ((date(2025, 3, 31), 10), (date(2025, 6, 30), 30), (date(2025, 9, 30), 40), (date(2025, 12, 31), 50)):
        Checkpoint.objects.create(pledge=pledge, as_of=as_of, planned_value=Decimal(planned))
    actions.do_record_progress(
        pledge, acting_user=people["reporter"], as_of=date(2025, 6, 30), value=Decimal(20), **EXPLAINED
    )
    assert fresh(pledge).target_status != TargetStatus.ON_TRACK
    new_plan = [(date(2025, 3, 31), Decimal(10)), (date(2025, 6, 30), Decimal(20)), (date(2025, 9, 30), Decimal(35)),
                (date(2025, 12, 31), Decimal(50))]
    revision = request(pledge, people["reporter"], schedule=[["2025-03-31", "10"], ["2025-06-30", "20"],
                                                             ["2025-09-30", "35"], ["2025-12-31", "50"]])
    assert list(pledge.checkpoints.values_list("planned_value", flat=True)) == [10, 30, 40, 50]  # not yet
    approve(revision, people["reviewer"])
    assert list(pledge.checkpoints.order_by("as_of").values_list("as_of", "planned_value")) == new_plan
    revised = fresh(pledge)
    assert revised.target_status == TargetStatus.ON_TRACK and revised.revised and revised.original_target == 50
    assert Revision.objects.get(pk=revision.pk).previous_checkpoints()[1] == (date(2025, 6, 30), Decimal(30))


def test_a_schedule_is_only_for_a_pledge_planned_by_one(projects, people):
    with pytest.raises(ValidationError) as error:
        request(projects, people["reporter"], schedule=[["2025-06-30", "20"]])
    assert list(error.value.message_dict) == ["proposed_schedule"]


def test_a_checkpoint_after_the_new_deadline_is_refused(district, people):
    pledge = PledgeFactory(lead_organization=district, method=Method.SCHEDULE)
    with pytest.raises(ValidationError) as error:
        request(pledge, people["reporter"], deadline=date(2025, 9, 30), schedule=[["2025-12-31", "50"]])
    assert list(error.value.message_dict) == ["proposed_schedule"]


# --- Where a revision shows ----------------------------------------------------------------------------------


def test_the_pledge_page_shows_the_original_and_every_approved_change(client, projects, people):
    approve(request(projects, people["reporter"], target=Decimal(40), reason="省里调减任务"), people["reviewer"])
    request(fresh(projects), people["reporter"], deadline=date(2026, 6, 30), reason="项目落地推迟")
    client.force_login(people["reporter"])
    page = client.get(reverse("tracker-pledge", args=[projects.pk])).content.decode()
    assert 'class="original-terms"' in page and "≥ 50个" in page  # what was first promised
    assert "≥ 50个 → ≥ 40个" in page and "省里调减任务" in page and "reviewer" in page  # the change: what, why, who
    assert 'class="pending-revision"' in page and "2025-12-31 → 2026-06-30" in page and "项目落地推迟" in page
    assert reverse("admin:commitments_revision_add") in page  # the reporter may ask for another


def test_a_rejected_request_is_not_shown_as_a_change(client, projects, people):
    revision = request(projects, people["reporter"], target=Decimal(40), reason="想调低")
    actions.do_review_revision(revision, acting_user=people["reviewer"], approve=False, comment="不同意")
    client.force_login(people["reviewer"])
    page = client.get(reverse("tracker-pledge", args=[projects.pk])).content.decode()
    assert "想调低" not in page and 'class="original-terms"' not in page


def table_rows(response) -> list[str]:
    return [record.metric for record in response.context["table"].page.object_list.data]


def test_the_status_table_marks_revised_pledges_and_filters_on_it(client, projects, people, district):
    PledgeFactory(lead_organization=district, metric="新增外资企业")
    approve(request(projects, people["reporter"], target=Decimal(40)), people["reviewer"])
    client.force_login(people["reviewer"])
    url = reverse("tracker-pledges")
    assert table_rows(client.get(url, {"revised": "yes"})) == ["新注册重大产业项目"]
    assert table_rows(client.get(url, {"revised": "no"})) == ["新增外资企业"]
    page = client.get(url).content.decode()
    assert 'class="revised"' in page and "≥ 50个" in page


def test_exports_carry_the_original_and_the_current_target(client, projects, people, district):
    PledgeFactory(lead_organization=district, metric="新增外资企业", target=Decimal(12), unit="家")
    approve(request(projects, people["reporter"], target=Decimal(40), deadline=date(2026, 6, 30)), people["reviewer"])
    client.force_login(people["reviewer"])
    response = client.get(reverse("tracker-pledges"), {"_export": "csv"})
    header, *body = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    column = {name: header.index(gettext(name)) for name in ("metric", "current target", "original target",
                                                                 "deadline", "original deadline")}
    by_metric = {row[column["metric"]]: row for row in body}
    revised, untouched = by_metric["新注册重大产业项目"], by_metric["新增外资企业"]
    assert (revised[column["current target"]], revised[column["original target"]]) == ("≥ 40个", "≥ 50个")
    assert (revised[column["deadline"]], revised[column["original deadline"]]) == ("2026-06-30", "2025-12-31")
    assert untouched[column["current target"]] == untouched[column["original target"]] == "≥ 12家"


# --- The admin -----------------------------------------------------------------------------------------------


def test_a_reporter_asks_from_the_pledges_page_in_the_admin(client, projects, people):
    client.force_login(people["reporter"])
    page = client.get(reverse("admin:commitments_pledge_change", args=[projects.pk])).content.decode()
    add = reverse("admin:commitments_revision_add")
    assert f"{add}?pledge={projects.pk}" in page
    form = client.get(add, {"pledge": projects.pk})
    assert form.status_code == 200
    response = client.post(add, {"pledge": projects.pk, "kind": "terms", "reason": "上级调整", "proposed_target": "４０"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    revision = Revision.objects.get()
    assert (revision.proposed_target, revision.requested_by) == (40, people["reporter"])


def test_the_admin_puts_a_refused_term_under_its_field(client, projects, people, city):
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM)
    projects.parent = whole
    projects.save()
    client.force_login(people["reporter"])
    response = client.post(
        reverse("admin:commitments_revision_add"),
        {"pledge": projects.pk, "kind": "terms", "reason": "延期", "proposed_deadline": "2026-03-31"},
    )
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["proposed_deadline"]
    assert not Revision.objects.exists()


def test_the_admin_reads_a_schedule_as_a_cell_writes_it(client, district, people):
    pledge = PledgeFactory(lead_organization=district, method=Method.SCHEDULE)
    client.force_login(people["reporter"])
    response = client.post(
        reverse("admin:commitments_revision_add"),
        {"pledge": pledge.pk, "kind": "terms", "reason": "按季度重排", "schedule": "2025-06-30=20；2025-12-31=50"},
    )
    assert response.status_code == 302
    assert Revision.objects.get().proposed_checkpoints() == [(date(2025, 6, 30), 20), (date(2025, 12, 31), 50)]


def test_a_reviewer_decides_in_the_admin_queue(client, projects, people):
    revision = request(projects, people["reporter"], target=Decimal(40))
    client.force_login(people["reviewer"])
    queue = client.get(reverse("admin:commitments_revision_changelist"), {"state__exact": "pending"})
    assert reverse("admin:commitments_revision_change", args=[revision.pk]) in queue.content.decode()
    url = reverse("admin:commitments_revision_change", args=[revision.pk])
    assert client.post(url, {"decision": "reject", "review_comment": ""}).status_code == 200  # says why first
    assert client.post(url, {"decision": "approve", "review_comment": ""}).status_code == 302
    assert fresh(projects).target == 40


def test_the_requester_gets_no_decision_in_the_admin(client, projects, people):
    revision = request(projects, people["chief"], target=Decimal(40))
    client.force_login(people["chief"])
    url = reverse("admin:commitments_revision_change", args=[revision.pk])
    assert 'name="decision"' not in client.get(url).content.decode()
    client.post(url, {"decision": "approve"})
    assert Revision.objects.get(pk=revision.pk).state == Revision.State.PENDING


def test_an_outsider_does_not_see_the_request(client, projects, people):
    revision = request(projects, people["reporter"], target=Decimal(40))
    client.force_login(people["outsider"])
    listing = client.get(reverse("admin:commitments_revision_changelist")).content.decode()
    assert "新注册重大产业项目" not in listing
    assert client.get(reverse("admin:commitments_revision_change", args=[revision.pk])).status_code == 302


# --- Suspended (暂缓) and not applicable (不适用) --------------------------------------------------------------


def suspend(pledge, people, reason="项目用地调整，暂缓实施"):
    return approve(request(pledge, people["reporter"], kind=Change.SUSPEND, reason=reason), people["reviewer"])


def resume(pledge, people):
    return approve(request(fresh(pledge), people["reporter"], kind=Change.RESUME, reason="用地落实"), people["reviewer"])


def test_a_suspended_pledge_is_not_judged_and_says_why(projects, people):
    suspend(projects, people)
    pledge = fresh(projects)
    assert pledge.suspended and pledge.suspended_reason == "项目用地调整，暂缓实施" and pledge.target == 50
    assert pledge.target_status == TargetStatus.NO_DATA and "项目用地调整，暂缓实施" in pledge.status_reason_text
    resume(projects, people)
    pledge = fresh(projects)
    assert not pledge.suspended and pledge.target_status == TargetStatus.OFF_TRACK
    assert not pledge.revised  # a suspension changes no term: what was promised stands


def test_a_pledge_is_suspended_once_and_resumed_only_when_set_aside(projects, people):
    with pytest.raises(ValidationError):
        request(projects, people["reporter"], kind=Change.RESUME)
    suspend(projects, people)
    with pytest.raises(ValidationError):
        request(fresh(projects), people["reporter"], kind=Change.NOT_APPLICABLE)


def test_a_suspended_pledge_says_so_on_its_page_and_in_the_table_and_export(client, projects, people):
    suspend(projects, people)
    client.force_login(people["reviewer"])
    page = client.get(reverse("tracker-pledge", args=[projects.pk])).content.decode()
    assert 'class="notice not-applicable-notice set-aside-notice"' in page and "项目用地调整，暂缓实施" in page
    table = client.get(reverse("tracker-pledges")).content.decode()
    assert "set-aside" in table and "项目用地调整，暂缓实施" in table
    export = client.get(reverse("tracker-pledges"), {"_export": "csv"}).content.decode("utf-8-sig")
    assert "项目用地调整，暂缓实施" in export


def active_pledges() -> int:
    return Pledge.objects.exclude(SET_ASIDE).count()


def test_a_suspended_pledge_leaves_the_summary_counts_until_resumed(projects, people, district):
    PledgeFactory(lead_organization=district, metric="新增外资企业")
    summary = counts.summary_for(people["root"], top_only=False)
    assert sum(summary.by_status.values()) == 2 and summary.by_status[TargetStatus.OFF_TRACK] == 1
    suspend(projects, people)
    assert counts.stored() == counts.counted_live() and sum(counts.stored().values()) == active_pledges() == 1
    summary = counts.summary_for(people["root"], top_only=False)
    assert sum(summary.by_status.values()) == 1 and summary.by_status[TargetStatus.OFF_TRACK] == 0
    counts.rebuild()
    assert counts.stored() == counts.counted_live()
    resume(projects, people)
    assert counts.stored() == counts.counted_live() and sum(counts.stored().values()) == active_pledges() == 2
    assert counts.summary_for(people["root"], top_only=False).by_status[TargetStatus.OFF_TRACK] == 1


def test_a_part_marked_not_applicable_by_an_administrator_leaves_the_counts(city, district):
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM)
    part = PledgeFactory(lead_organization=district, parent=whole, target=Decimal(30))
    part.not_applicable, part.not_applicable_reason = True, "任务划转"
    part.save()
    assert counts.stored() == counts.counted_live() and sum(counts.stored().values()) == active_pledges() == 1


def test_a_top_level_pledge_may_be_marked_not_applicable_by_approval(projects, people):
    approve(request(projects, people["reporter"], kind=Change.NOT_APPLICABLE, reason="政策取消"), people["reviewer"])
    pledge = fresh(projects)
    assert pledge.not_applicable and pledge.not_applicable_reason == "政策取消"
    assert counts.stored() == counts.counted_live() and active_pledges() == 0
    resume(projects, people)
    assert not fresh(projects).not_applicable and active_pledges() == 1


@pytest.fixture
def breakdown(city, district, people):
    """The city's 50 summed from 通州 (30: 18 by June) and 海门 (20: 2 by June)."""
    haimen = OrganizationFactory(name="海门区", short_name="海门", level="district", parent=city)
    Membership.objects.create(user=people["reporter"], organization=haimen, role="reporter")
    Membership.objects.create(user=people["reviewer"], organization=haimen, role="reviewer")
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM)
    parts = {}
    for owner, target, value in ((district, 30, 18), (haimen, 20, 2)):
        parts[owner.short_name] = PledgeFactory(lead_organization=owner, parent=whole, target=Decimal(target))
        actions.do_record_progress(parts[owner.short_name], acting_user=people["reporter"], as_of=date(2025, 6, 30),
                                   value=Decimal(value), **EXPLAINED)
    return {"whole": whole, **parts}


def test_a_suspended_part_leaves_its_parents_roll_up_until_resumed(breakdown, people):
    assert fresh(breakdown["whole"]).latest_value == 20
    suspend(breakdown["海门"], people)
    assert fresh(breakdown["whole"]).latest_value == 18  # 通州 alone
    assert counts.stored() == counts.counted_live()
    jobs.roll_up(TODAY, full=True)  # the nightly roll-up agrees
    assert fresh(breakdown["whole"]).latest_value == 18
    resume(breakdown["海门"], people)
    assert fresh(breakdown["whole"]).latest_value == 20


def test_the_overdue_sweep_passes_over_a_suspended_pledge_until_it_is_resumed(projects, people):
    suspend(projects, people)
    after_the_deadline = date(2026, 1, 5)
    assert jobs.flag_overdue(after_the_deadline) == 0
    assert fresh(projects).target_status == TargetStatus.NO_DATA
    resume(projects, people)
    assert jobs.flag_overdue(after_the_deadline) == 1
    assert fresh(projects).target_status == TargetStatus.OVERDUE
    assert counts.stored() == counts.counted_live()


def notifications_about(pledge, kind):
    return Notification.objects.filter(pledge=pledge, kind=kind)


def test_a_suspended_pledge_gets_no_status_alert_until_it_is_resumed(district, people):
    pledge = PledgeFactory(lead_organization=district)
    actions.do_recompute_status(pledge)  # a first assessment: nobody's news
    actions.do_record_progress(
        pledge, acting_user=people["reporter"], as_of=date(2025, 6, 30), value=Decimal(26), **EXPLAINED
    )
    actions.do_record_progress(
        pledge, acting_user=people["reporter"], as_of=date(2025, 6, 30), value=Decimal(5), **EXPLAINED
    )
    assert fresh(pledge).target_status == TargetStatus.OFF_TRACK  # news, not yet told
    suspend(pledge, people)
    jobs.queue_status_alerts()
    assert not notifications_about(pledge, AlertKind.STATUS_CHANGE).exists()
    resume(pledge, people)
    jobs.queue_status_alerts()
    told = notifications_about(pledge, AlertKind.STATUS_CHANGE)
    assert told.exists() and {n.period for n in told} == {f"change:{fresh(pledge).status_changes.order_by('-id')[0].pk}"}


def test_a_suspended_pledge_gets_no_reminder_until_it_is_resumed(district, people):
    pledge = PledgeFactory(lead_organization=district, deadline=date(2025, 7, 31))  # a deadline warning is due
    actions.do_recompute_status(pledge)
    suspend(pledge, people)
    jobs.queue_reminders(TODAY)
    assert not Notification.objects.filter(pledge=pledge).exists()
    resume(pledge, people)
    jobs.queue_reminders(TODAY)
    assert notifications_about(pledge, AlertKind.DEADLINE_WARNING).exists()


def test_the_owners_of_a_suspended_whole_hear_nothing_of_its_parts(breakdown, people, city):
    city_reviewer = UserFactory(username="city_reviewer", is_staff=True)
    Membership.objects.create(user=city_reviewer, organization=city, role="reviewer")
    whole, haimen = breakdown["whole"], breakdown["海门"]
    approve(request(whole, people["root"], kind=Change.SUSPEND, reason="统筹调整"), city_reviewer)
    jobs.queue_status_alerts()  # what happened so far is told
    actions.do_record_progress(
        haimen, acting_user=people["reporter"], as_of=date(2025, 6, 30), value=Decimal(19), **EXPLAINED
    )
    jobs.queue_status_alerts()  # back on track
    actions.do_record_progress(
        haimen, acting_user=people["reporter"], as_of=date(2025, 6, 30), value=Decimal(1), **EXPLAINED
    )
    jobs.queue_status_alerts()  # and off track again
    assert notifications_about(haimen, AlertKind.STATUS_CHANGE).exists()  # the part itself is followed
    assert not notifications_about(whole, AlertKind.PARTS_WORSE).exists()
