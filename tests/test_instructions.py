"""Instructions (批示, issue 16 item 2).

A manager or administrator of a pledge writes an instruction on it, addressed to its owner, with the date the answer
is due. The owner's reporters answer it (落实情况) by then. Until answered it is reminded as the date nears and once
it has passed, and after the escalation delay the organization above the owner hears of it. The writer accepts the
answer (the instruction is closed) or returns it. Instructions show on the pledge page with their answers, in the
to-do lists of those who must act, and the status table finds the pledges with one still open. Every message goes
through the outbox (one Notification row per recipient and key).
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from commitments import access, actions, jobs, todo
from commitments.actions import NotAllowed
from commitments.models import AlertKind, AlertProfile, Instruction, Membership, Notification, Pledge
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 7, 10)
DUE = date(2025, 7, 20)
TEXT = "请通州区本月内拿出加快项目落地的具体方案。"


@pytest.fixture(autouse=True)
def in_july():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def people(city, district):
    """The city's leader (a manager of 南通市, above 通州区), a reporter and a reviewer of 通州区, a reporter of 如皋市
    elsewhere, and an administrator."""
    city.contact_emails = "ducha@example.test"
    city.save()
    district.contact_emails = "duban@example.test"
    district.save()
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    users = {}
    for name, organization, role in (
        ("leader", city, "manager"),
        ("reporter", district, "reporter"),
        ("reviewer", district, "reviewer"),
        ("outsider", elsewhere, "reporter"),
        ("administrator", elsewhere, "administrator"),
    ):
        users[name] = UserFactory(username=name, is_staff=True)
        Membership.objects.create(user=users[name], organization=organization, role=role)
    # The reporter wants every alert at once (the default), instructions among them.
    AlertProfile.objects.create(user=users["reporter"], organization=district)
    return users


@pytest.fixture
def projects(district):
    return PledgeFactory(lead_organization=district, metric="新注册重大产业项目")


def write(pledge, user, text=TEXT, due=DUE, **more):
    return actions.do_write_instruction(pledge, acting_user=user, text=text, due=due, **more)


def field_errors(call) -> dict:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def instruction_alerts():
    return sorted(
        Notification.objects.filter(period__startswith="instruction:").values_list("recipient", "kind", "period")
    )


# --- Who may write, answer and close ----------------------------------------------------------------------


def test_a_manager_of_the_pledge_writes_an_instruction_to_its_lead_organization(people, projects, district):
    instruction = write(projects, people["leader"])

    assert instruction.addressee == district
    assert instruction.state == Instruction.State.OPEN
    assert instruction.written_by == people["leader"]
    assert instruction.history.get().history_user == people["leader"]  # the audit trail says who


def test_an_administrator_writes_one_anywhere(people, projects):
    assert write(projects, people["administrator"]).written_by == people["administrator"]


@pytest.mark.parametrize("who", ["reporter", "reviewer", "outsider"])
def test_reporters_reviewers_and_outsiders_may_not_write_one(people, projects, who):
    with pytest.raises(NotAllowed):
        write(projects, people[who])
    assert not Instruction.objects.exists()


def test_refusals_name_the_field(people, projects, city):
    assert field_errors(lambda: write(projects, people["leader"], text="  ")) == {"text": ["Write the instruction."]}
    assert field_errors(lambda: write(projects, people["leader"], due=TODAY - timedelta(days=1))) == {
        "due": ["The answer cannot be due before today."]
    }
    assert field_errors(lambda: write(projects, people["leader"], addressee=city)) == {
        "addressee": ["Address the instruction to the pledge's lead organization or a co-owner."]
    }
    Pledge.objects.filter(pk=projects.pk).update(closed=True)
    assert NON_FIELD_ERRORS in field_errors(lambda: write(projects, people["leader"]))
    assert not Instruction.objects.exists()


def test_a_co_owner_may_be_the_addressee(people, projects, city):
    co_owner = OrganizationFactory(name="发改委", parent=city)
    projects.co_owners.add(co_owner)
    assert write(projects, people["leader"], addressee=co_owner).addressee == co_owner


def test_only_the_addressees_reporters_answer(people, projects):
    instruction = write(projects, people["leader"])
    for who in ("outsider", "reviewer", "leader"):
        with pytest.raises(NotAllowed):
            actions.do_answer_instruction(instruction, acting_user=people[who], answer="已落实")

    assert field_errors(
        lambda: actions.do_answer_instruction(instruction, acting_user=people["reporter"], answer=" ")
    ) == {"answer": ["Say what was done (落实情况)."]}

    answered = actions.do_answer_instruction(
        instruction, acting_user=people["reporter"], answer="已召开专题会，明确三项举措。",
        evidence_url="https://example.test/minutes",
    )
    assert answered.state == Instruction.State.ANSWERED
    assert (answered.answered_by, answered.answered_at.date()) == (people["reporter"], TODAY)
    assert NON_FIELD_ERRORS in field_errors(
        lambda: actions.do_answer_instruction(answered, acting_user=people["reporter"], answer="再答一次")
    )


def test_the_writer_accepts_the_answer_and_closes_the_instruction(people, projects):
    instruction = write(projects, people["leader"])
    with pytest.raises(ValidationError):  # nothing to accept yet
        actions.do_close_instruction(instruction, acting_user=people["leader"])
    actions.do_answer_instruction(instruction, acting_user=people["reporter"], answer="已落实")
    with pytest.raises(NotAllowed):
        actions.do_close_instruction(instruction, acting_user=people["reporter"])

    closed = actions.do_close_instruction(instruction, acting_user=people["leader"])

    assert (closed.state, closed.closed_by) == (Instruction.State.CLOSED, people["leader"])


def test_the_writer_returns_an_answer_that_is_not_enough_and_the_owner_answers_again(people, projects):
    instruction = write(projects, people["leader"])
    actions.do_answer_instruction(instruction, acting_user=people["reporter"], answer="正在研究")
    assert field_errors(
        lambda: actions.do_return_instruction(instruction, acting_user=people["leader"], comment="")
    ) == {"comment": ["Say why the answer is returned."]}

    returned = actions.do_return_instruction(instruction, acting_user=people["leader"], comment="请列出具体举措和时间表")

    assert returned.state == Instruction.State.OPEN and returned.answered_by is None
    assert "正在研究" in returned.answer and "请列出具体举措和时间表" in returned.answer  # kept for the next answer
    returns = Notification.objects.filter(period__startswith=f"instruction:{instruction.pk}:returned:")
    assert sorted(returns.values_list("recipient", flat=True)) == ["duban@example.test", "reporter@example.test"]
    assert "请列出具体举措和时间表" in returns.first().body_text

    actions.do_answer_instruction(returned, acting_user=people["reporter"], answer="三项举措：……")
    answers = Notification.objects.filter(period__startswith=f"instruction:{instruction.pk}:answered:")
    assert answers.count() == 2  # the writer heard of each answer


# --- Notifications ------------------------------------------------------------------------------------------


def test_the_addressee_hears_of_a_new_instruction_at_once_through_the_outbox(people, projects):
    instruction = write(projects, people["leader"])

    assert instruction_alerts() == [
        ("duban@example.test", AlertKind.INSTRUCTION, f"instruction:{instruction.pk}"),
        ("reporter@example.test", AlertKind.INSTRUCTION, f"instruction:{instruction.pk}"),
    ]
    alert = Notification.objects.get(recipient="duban@example.test")
    assert alert.language == "zh-hans"
    assert TEXT in alert.body_text and "2025-07-20" in alert.body_text and "2025-07-20" in alert.subject
    assert reverse("tracker-pledge", args=[projects.pk]) in alert.body_text  # a link to the pledge page
    assert reverse("admin:commitments_instruction_change", args=[instruction.pk]) in alert.body_html
    assert "通州区" in alert.body_text  # the pledge's owner


def test_a_member_who_turned_instructions_off_does_not_hear(people, projects):
    AlertProfile.objects.filter(user=people["reporter"]).update(alert_kinds=[AlertKind.REPORT_LATE])
    write(projects, people["leader"])
    assert [recipient for recipient, _kind, _period in instruction_alerts()] == ["duban@example.test"]


def test_the_writer_hears_of_the_answer(people, projects):
    instruction = write(projects, people["leader"])
    actions.do_answer_instruction(instruction, acting_user=people["reporter"], answer="已召开专题会")

    (alert,) = Notification.objects.filter(recipient="leader@example.test")
    assert alert.period.startswith(f"instruction:{instruction.pk}:answered:")
    assert "已召开专题会" in alert.body_text and TEXT in alert.body_text


def reminders_on(*days):
    """Run the nightly reminders on each day (twice, as a retried job would)."""
    for day in days:
        with time_machine.travel(day, tick=False):
            jobs.queue_reminders(day)
            jobs.queue_reminders(day)


def test_an_open_instruction_is_reminded_once_as_it_falls_due_once_late_and_escalated_after_the_delay(people, projects):
    instruction = write(projects, people["leader"])
    key = f"instruction:{instruction.pk}"
    written = instruction_alerts()
    soon = settings.TRACKER_REPORT_DUE_SOON_DAYS
    after = settings.TRACKER_ESCALATE_AFTER_DAYS

    reminders_on(DUE - timedelta(days=soon + 1))
    assert instruction_alerts() == written  # not yet due soon

    reminders_on(DUE - timedelta(days=soon), DUE - timedelta(days=1), DUE)
    due_soon = [(r, AlertKind.INSTRUCTION, f"{key}:due") for r in ("duban@example.test", "reporter@example.test")]
    assert instruction_alerts() == sorted(written + due_soon)

    reminders_on(DUE + timedelta(days=1), DUE + timedelta(days=5), DUE + timedelta(days=after))
    late = [(r, AlertKind.INSTRUCTION, f"{key}:late") for r in ("duban@example.test", "reporter@example.test")]
    assert instruction_alerts() == sorted(written + due_soon + late)  # late once, however often the job runs

    reminders_on(DUE + timedelta(days=after + 1), DUE + timedelta(days=after + 30))
    escalation = [("ducha@example.test", AlertKind.ESCALATION, f"{key}:L1")]  # the organization above 通州区
    assert instruction_alerts() == sorted(written + due_soon + late + escalation)

    late_alert = Notification.objects.get(recipient="duban@example.test", period=f"{key}:late")
    assert TEXT in late_alert.body_text and "2025-07-20" in late_alert.body_text
    up = Notification.objects.get(period=f"{key}:L1")
    assert "通州区" in up.subject and TEXT in up.body_text


def test_no_reminder_for_an_answered_or_closed_instruction_nor_on_a_closed_pledge(people, projects, district):
    answered = write(projects, people["leader"], text="答复过的批示")
    actions.do_answer_instruction(answered, acting_user=people["reporter"], answer="已落实")
    closed = write(projects, people["leader"], text="已办结的批示")
    actions.do_answer_instruction(closed, acting_user=people["reporter"], answer="已落实")
    actions.do_close_instruction(closed, acting_user=people["leader"])
    other = PledgeFactory(lead_organization=district, metric="已销号指标")
    on_closed_pledge = write(other, people["leader"], text="销号前的批示")
    Pledge.objects.filter(pk=other.pk).update(closed=True)
    before = instruction_alerts()

    reminders_on(DUE - timedelta(days=1), DUE + timedelta(days=1), DUE + timedelta(days=60))

    assert instruction_alerts() == before
    assert on_closed_pledge.state == Instruction.State.OPEN


def test_the_reminders_cost_one_query_however_many_instructions_are_late(people, district):
    def queries_for_reminders(day):
        directory = jobs.Directory()
        with CaptureQueriesContext(connection) as queries:
            found = jobs._instruction_reminders(directory, day)
        return len(queries), len(found)

    write(PledgeFactory(lead_organization=district), people["leader"])
    few = queries_for_reminders(DUE + timedelta(days=30))
    for _ in range(5):
        write(PledgeFactory(lead_organization=district), people["leader"])
    many = queries_for_reminders(DUE + timedelta(days=30))

    assert few[0] == many[0] == 1
    assert (few[1], many[1]) == (3, 18)  # the owner's contact, its member, the city's contact: for each


# --- Where they show ----------------------------------------------------------------------------------------


def in_english(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_the_status_table_finds_pledges_with_an_open_instruction(client, people, projects, district):
    quiet = PledgeFactory(lead_organization=district, metric="没有批示的指标")
    answered = PledgeFactory(lead_organization=district, metric="批示已答复的指标")
    write(projects, people["leader"])
    actions.do_answer_instruction(write(answered, people["leader"]), acting_user=people["reporter"], answer="已落实")
    in_english(client, people["leader"])

    response = client.get(reverse("tracker-pledges"), {"instruction": "open"})

    assert [row.record.pk for row in response.context["table"].rows] == [projects.pk]
    assert ("instructions (批示)", "has an open instruction") in response.context["active_filters"]
    everything = client.get(reverse("tracker-pledges")).context["table"].rows
    assert {row.record.pk for row in everything} == {projects.pk, quiet.pk, answered.pk}


def test_the_pledge_page_lists_its_instructions_with_their_answers(client, people, projects):
    first = write(projects, people["leader"], text="第一条批示")
    actions.do_answer_instruction(first, acting_user=people["reporter"], answer="第一条已落实")
    second = write(projects, people["leader"], text="第二条批示")
    url = reverse("tracker-pledge", args=[projects.pk])

    in_english(client, people["reporter"])
    page = client.get(url).content.decode()
    assert "Instructions (批示)" in page
    assert "第一条批示" in page and "第一条已落实" in page and "第二条批示" in page
    assert reverse("admin:commitments_instruction_change", args=[second.pk]) in page  # to answer it
    assert reverse("admin:commitments_instruction_add") not in page  # a reporter writes none

    in_english(client, people["leader"])
    page = client.get(url).content.decode()
    assert f"{reverse('admin:commitments_instruction_add')}?pledge={projects.pk}" in page
    assert reverse("admin:commitments_instruction_change", args=[first.pk]) in page  # to accept or return it

    in_english(client, people["outsider"])
    assert client.get(url).status_code == 404


def test_the_to_do_lists_instructions_to_answer_and_answers_to_accept(client, people, projects):
    instruction = write(projects, people["leader"])
    change = reverse("admin:commitments_instruction_change", args=[instruction.pk])

    in_english(client, people["reporter"])
    sections = {s.section.key: s for s in client.get(reverse("tracker-todo")).context["sections"]}
    assert [(row.pk, link) for row, link in sections["instructions"].items] == [(instruction.pk, change)]
    assert todo.total_for(people["reporter"]) == sum(s.count for s in sections.values())
    assert todo.instructions_to_answer(people["outsider"]).count() == 0
    assert todo.instructions_to_answer(people["leader"]).count() == 0  # the writer does not answer their own

    actions.do_answer_instruction(instruction, acting_user=people["reporter"], answer="已落实")
    in_english(client, people["leader"])
    sections = {s.section.key: s for s in client.get(reverse("tracker-todo")).context["sections"]}
    assert [(row.pk, link) for row, link in sections["answers"].items] == [(instruction.pk, change)]
    assert todo.instructions_to_answer(people["reporter"]).count() == 0


# --- Through the admin --------------------------------------------------------------------------------------


def test_a_manager_writes_an_instruction_in_the_admin_and_the_reporter_answers_it_there(client, people, projects):
    in_english(client, people["leader"])
    add = reverse("admin:commitments_instruction_add")
    assert client.get(f"{add}?pledge={projects.pk}").status_code == 200
    refused = client.post(add, {"pledge": projects.pk, "text": "", "due": "2025-07-01"})
    assert set(refused.context["adminform"].form.errors) == {"text", "due"}

    response = client.post(add, {"pledge": projects.pk, "text": TEXT, "due": "2025-07-20"})

    assert response.status_code == 302
    instruction = Instruction.objects.get()
    assert (instruction.written_by, instruction.addressee, instruction.due) == (people["leader"], projects.lead_organization, DUE)
    assert Notification.objects.filter(period=f"instruction:{instruction.pk}").count() == 2

    change = reverse("admin:commitments_instruction_change", args=[instruction.pk])
    in_english(client, people["reporter"])
    assert client.post(change, {"answer": ""}).context["adminform"].form.errors["answer"]
    assert client.post(change, {"answer": "已召开专题会", "answer_evidence_url": "example.test/minutes"}).status_code == 302
    instruction.refresh_from_db()
    assert (instruction.state, instruction.answered_by) == (Instruction.State.ANSWERED, people["reporter"])
    assert instruction.answer_evidence_url == "https://example.test/minutes"

    in_english(client, people["leader"])
    assert client.post(change, {"decision": "return", "comment": ""}).context["adminform"].form.errors["comment"]
    assert client.post(change, {"decision": "close", "comment": ""}).status_code == 302
    instruction.refresh_from_db()
    assert (instruction.state, instruction.closed_by) == (Instruction.State.CLOSED, people["leader"])


def test_the_admin_offers_and_accepts_only_pledges_the_user_may_instruct(client, people, projects):
    elsewhere = PledgeFactory(lead_organization=Membership.objects.get(user=people["outsider"]).organization)

    def offered_to(user):
        in_english(client, user)
        found = client.get(reverse("admin:autocomplete"), {
            "app_label": "commitments", "model_name": "instruction", "field_name": "pledge", "term": "",
        })
        return [int(result["id"]) for result in found.json()["results"]]

    assert offered_to(people["leader"]) == [projects.pk]
    assert offered_to(people["reporter"]) == []  # sees the pledge, may not instruct on it
    assert set(offered_to(people["administrator"])) == {projects.pk, elsewhere.pk}
    in_english(client, people["leader"])
    refused = client.post(reverse("admin:commitments_instruction_add"), {"pledge": elsewhere.pk, "text": TEXT, "due": "2025-07-20"})
    assert "pledge" in refused.context["adminform"].form.errors
    assert not Instruction.objects.exists()

    in_english(client, people["reporter"])
    assert client.get(reverse("admin:commitments_instruction_add")).status_code == 403


def test_access_lists_what_each_may_see_and_answer(people, projects):
    instruction = write(projects, people["leader"])
    assert list(access.instructions_for(people["reviewer"])) == [instruction]  # sees the pledge, so reads it
    assert not access.instructions_for(people["outsider"]).exists()
    assert access.can_answer_instruction(people["administrator"], instruction)
    assert not access.can_answer_instruction(people["reviewer"], instruction)


def test_the_admin_list_marks_late_instructions_and_others_only_read_them(client, people, projects):
    instruction = write(projects, people["leader"])
    change = reverse("admin:commitments_instruction_change", args=[instruction.pk])
    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        in_english(client, people["reporter"])
        listing = client.get(reverse("admin:commitments_instruction_changelist"))
        assert listing.status_code == 200
        assert 'class="instruction-late">late<' in listing.content.decode()

        in_english(client, people["reviewer"])  # sees the pledge, neither answers nor decides
        page = client.get(change)
        assert page.status_code == 200 and 'name="answer"' not in page.content.decode()
        assert client.post(change, {"answer": "代为答复"}).status_code == 403

        in_english(client, people["outsider"])
        assert client.get(change).status_code == 302  # not among the rows they may open: "no such object"
    instruction.refresh_from_db()
    assert instruction.state == Instruction.State.OPEN


def test_a_recipient_reads_the_alert_in_their_language(people, projects):
    AlertProfile.objects.filter(user=people["reporter"]).update(language="en")
    write(projects, people["leader"])
    alert = Notification.objects.get(recipient="reporter@example.test")
    assert alert.subject == f"[Pledge tracker] Instruction to answer by 2025-07-20: {projects.metric}"
    assert "Answer it (落实情况) by 2025-07-20." in alert.body_text


def test_who_cannot_write_instructions_has_no_answers_to_accept_and_no_query_for_them(people):
    assert access.instructions_to_accept(people["reporter"]).query.is_empty()
    assert not access.instructions_to_accept(people["leader"]).query.is_empty()
