"""Methods of expected progress wired into the app: the method and the checkpoints of a schedule (分期计划) in the admin
and in the imports, the checkpoints loaded in bulk wherever the engine runs on many pledges, the nightly re-assessment
of pledges whose expected progress is not a straight line, and the help page's thresholds."""

from datetime import date
from decimal import Decimal

import pytest
import tablib
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import translation

from commitments import actions, jobs
from commitments.models import Checkpoint, Membership, Pledge
from commitments.resources import DecompositionResource, PledgeResource, import_all_or_nothing
from commitments.status import Composition, Method
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.test_admin import change_form_data
from tests.test_review_imports import problems

pytestmark = pytest.mark.django_db

QUARTERS = ((date(2025, 3, 31), Decimal(10)), (date(2025, 6, 30), Decimal(25)), (date(2025, 9, 30), Decimal(38)))
PLAN_TEXT = "2025-03-31=10; 2025-06-30=25; 2025-09-30=38"


@pytest.fixture(autouse=True)
def in_july_in_english():
    with time_machine.travel(date(2025, 7, 10), tick=False), translation.override("en"):
        yield


def planned(pledge, schedule=QUARTERS):
    """`pledge` planned by schedule with these checkpoints, re-assessed."""
    pledge.method = Method.SCHEDULE
    pledge.save()
    for day, value in schedule:
        Checkpoint.objects.create(pledge=pledge, as_of=day, planned_value=value)
    actions.do_recompute_status(pledge)
    return pledge


def on_the_line(day):
    """What the straight line from 0 on 1 January to 50 on 31 December expects on `day` (序时进度)."""
    return (Decimal(50) * (day - date(2025, 1, 1)).days / 364).quantize(Decimal("0.0001"))


def stored_schedule(pledge):
    return tuple(pledge.checkpoints.order_by("as_of").values_list("as_of", "planned_value"))


# --- The admin: the method, and the checkpoints inline ------------------------------------------------------------


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    client.cookies.load({"django_language": "en"})
    return client


def change_url(pledge):
    return reverse("admin:commitments_pledge_change", args=[pledge.pk])


def with_checkpoints(data: dict, *rows) -> dict:
    """The change form's data with new checkpoint rows (date, planned value) after the stored ones."""
    first = int(data["checkpoints-INITIAL_FORMS"])
    for offset, (day, value) in enumerate(rows):
        data[f"checkpoints-{first + offset}-as_of"] = day
        data[f"checkpoints-{first + offset}-planned_value"] = value
    data["checkpoints-TOTAL_FORMS"] = first + len(rows)
    return data


def checkpoint_errors(response) -> list[dict]:
    """Each checkpoint row's errors, {field: [messages]}."""
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is Checkpoint)
    return [{name: list(messages) for name, messages in form.errors.items()} for form in formset.forms]


def test_the_method_offers_the_installations_default_as_its_empty_choice(admin_client, pledge):
    page = admin_client.get(change_url(pledge))
    choices = dict(page.context["adminform"].form.fields["method"].choices)
    assert choices[""] == "Default: " + str(Method.LINEAR.label)
    assert set(choices) == {"", *Method.values}


@override_settings(TRACKER_DEFAULT_METHODS={"level": "schedule", "growth": "cagr", "share": "linear",
                                            "reduction": "linear", "milestone": "linear"})
def test_when_kinds_have_different_defaults_the_empty_choice_names_each(admin_client, pledge):
    page = admin_client.get(change_url(pledge))
    blank = dict(page.context["adminform"].form.fields["method"].choices)[""]
    assert blank.startswith("Default for its kind: level → " + str(Method.SCHEDULE.label))
    assert "growth rate → " + str(Method.CAGR.label) in blank


def test_checkpoints_added_in_the_pledge_form_are_stored_and_reach_the_engine(admin_client, pledge):
    data = change_form_data(admin_client.get(change_url(pledge)))
    data["method"] = Method.SCHEDULE
    response = admin_client.post(change_url(pledge), with_checkpoints(data, *(
        ("2025-09-30", "38"), ("2025-03-31", "１０"), ("2025-06-30", "25"),  # any order; full-width digits
    )))

    assert response.status_code == 302, response.context and response.context["errors"]
    pledge.refresh_from_db()
    assert pledge.method == Method.SCHEDULE
    assert pledge.terms().schedule == QUARTERS
    # Re-assessed with them: in July the value planned by the end of June is expected, not the straight line's 26.7.
    assert pledge.expected_now == 25


def test_checkpoints_outside_the_period_or_twice_on_a_date_are_refused_under_their_date(admin_client, pledge):
    data = with_checkpoints(
        change_form_data(admin_client.get(change_url(pledge))),
        ("2025-03-31", "10"), ("2026-01-31", "60"), ("2024-12-31", "0"), ("2025-03-31", "12"), ("2025-06-30", "lots"),
    )
    response = admin_client.post(change_url(pledge), data)

    assert response.status_code == 200
    assert checkpoint_errors(response) == [
        {},
        {"as_of": ["2026-01-31 is after the deadline 2025-12-31"]},
        {"as_of": ["2024-12-31 is before the start date 2025-01-01"]},
        {"as_of": ["2025-03-31 has more than one checkpoint"]},
        {"planned_value": ["Enter a number."]},
    ]
    assert not Checkpoint.objects.exists()


def test_a_deadline_moved_before_a_stored_checkpoint_is_refused_on_that_checkpoint(admin_client, pledge):
    planned(pledge)
    data = change_form_data(admin_client.get(change_url(pledge)))
    data["deadline"] = "2025-08-31"
    response = admin_client.post(change_url(pledge), data)

    assert response.status_code == 200
    assert checkpoint_errors(response)[2] == {"as_of": ["2025-09-30 is after the deadline 2025-08-31"]}
    pledge.refresh_from_db()
    assert pledge.deadline == date(2025, 12, 31)


def test_a_checkpoint_changed_or_deleted_in_the_form_changes_the_schedule(admin_client, pledge):
    planned(pledge)
    data = change_form_data(admin_client.get(change_url(pledge)))
    data["checkpoints-1-planned_value"] = "30"
    data["checkpoints-2-DELETE"] = "on"
    assert admin_client.post(change_url(pledge), data).status_code == 302
    assert stored_schedule(pledge) == ((date(2025, 3, 31), 10), (date(2025, 6, 30), 30))


def test_a_reporter_sees_the_checkpoints_but_cannot_change_them(client, pledge):
    planned(pledge)
    reporter = UserFactory(username="reporter", is_staff=True)
    Membership.objects.create(user=reporter, organization=pledge.lead_organization, role="reporter")
    client.force_login(reporter)
    page = client.get(change_url(pledge))

    inline = next(f for f in page.context["inline_admin_formsets"] if f.formset.model is Checkpoint)
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)
    assert "2025-09-30" in page.content.decode() or "Sept. 30, 2025" in page.content.decode()
    assert "method" not in page.context["adminform"].form.fields  # read-only for a reporter, like every term


# --- Imports: the method and schedule columns ------------------------------------------------------------------


@pytest.fixture
def towns(city):
    return {short: OrganizationFactory(name=name, short_name=short, parent=city)
            for name, short in (("南通高新区", "高新区"), ("川姜镇", "川姜"))}


PLEDGE_COLUMNS = ["id", "metric", "kind", "comparator", "target", "unit", "cumulative", "start_date", "deadline",
                  "cadence", "lead_organization", "method", "schedule"]


def pledge_row(**changes):
    row = {"id": "", "metric": "新注册重大产业项目", "kind": "level", "comparator": ">=", "target": "50", "unit": "个",
           "cumulative": "1", "start_date": "2025-01-01", "deadline": "2025-12-31", "cadence": "quarterly",
           "lead_organization": "南通市", "method": "schedule", "schedule": PLAN_TEXT}
    row.update(changes)
    return [row[column] for column in PLEDGE_COLUMNS]


def replace_column(dataset, column, value):
    del dataset[column]
    dataset.append_col([value] * dataset.height, header=column)


def import_pledges(user, *rows, columns=PLEDGE_COLUMNS, file_format="csv"):
    written = tablib.Dataset(*rows, headers=columns).export(file_format)
    return import_all_or_nothing(PledgeResource, tablib.Dataset().load(written, format=file_format), user)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_pledge_import_stores_the_method_and_the_checkpoints(staff, city, file_format):
    result, stored = import_pledges(
        staff,
        pledge_row(),
        # Full-width separators, as a Chinese input method types them; the method by the name its label gives.
        pledge_row(metric="新增外资企业", method="分期计划", schedule="2025-06-30＝20；2025-12-31＝40、2025-03-31=5"),
        # No method named: a schedule makes it one.
        pledge_row(metric="新增上市企业", method="", schedule="2025-06-30=1"),
        pledge_row(metric="新增高企", method="linear", schedule=""),
        file_format=file_format,
    )

    assert stored, problems(result)
    pledges = {p.metric: p for p in Pledge.objects.all()}
    assert pledges["新注册重大产业项目"].method == Method.SCHEDULE
    assert stored_schedule(pledges["新注册重大产业项目"]) == QUARTERS
    assert stored_schedule(pledges["新增外资企业"]) == (
        (date(2025, 3, 31), 5), (date(2025, 6, 30), 20), (date(2025, 12, 31), 40))
    assert pledges["新增上市企业"].method == Method.SCHEDULE
    assert (pledges["新增高企"].method, stored_schedule(pledges["新增高企"])) == (Method.LINEAR, ())
    # Re-assessed after the checkpoints were stored, on the terms that include them (in July: June's plan).
    expected = {metric: pledge.expected_now for metric, pledge in pledges.items()}
    assert expected == {"新注册重大产业项目": 25, "新增外资企业": 20, "新增上市企业": 1, "新增高企": on_the_line(date(2025, 7, 10))}


def test_a_pledge_export_writes_the_schedule_in_the_same_format_and_reads_back_unchanged(staff, city):
    import_pledges(staff, pledge_row(schedule="2025-09-30=38；2025-03-31=10.0、2025-06-30=25"))
    exported = PledgeResource(user=staff).export()
    (row,) = exported.dict
    assert (row["method"], row["schedule"]) == ("schedule", PLAN_TEXT)

    again = PledgeResource(user=staff).import_data(tablib.Dataset().load(exported.export("csv"), format="csv"))
    assert not again.has_errors() and not again.has_validation_errors()
    assert [r.import_type for r in again.rows] == ["skip"]


def test_a_changed_schedule_alone_is_imported_and_replaces_the_stored_one(staff, city, pledge):
    planned(pledge)
    exported = PledgeResource(user=staff).export()
    replace_column(exported, "schedule", "2025-06-30=20; 2025-12-31=50")
    result, stored = import_all_or_nothing(PledgeResource, exported, staff)

    assert stored, problems(result)
    assert [r.import_type for r in result.rows] == ["update"]
    assert stored_schedule(pledge) == ((date(2025, 6, 30), 20), (date(2025, 12, 31), 50))


def test_bad_schedule_cells_name_the_row_the_column_and_each_problem_and_nothing_is_stored(staff, city):
    result, stored = import_pledges(
        staff,
        pledge_row(metric="好的一行"),
        pledge_row(metric="日期错", schedule="2025-13-01=10; 2025-06-30=abc; 2025-09-30"),
        pledge_row(metric="超出期限", schedule="2024-12-31=0; 2025-03-31=10; 2026-03-31=60"),
        pledge_row(metric="重复日期", schedule="2025-03-31=10；2025-03-31=12"),
        pledge_row(metric="方法不符", method="linear"),
    )

    assert not stored
    assert problems(result) == {
        (2, "schedule"): ["“2025-13-01=10”: “2025-13-01” is not a date (write it as 2025-09-30); "
                          "“2025-06-30=abc”: “abc” is not a number; “2025-09-30” is not date=value (such as 2025-03-31=10)"],
        (3, "schedule"): ["2024-12-31 is before the start date 2025-01-01", "2026-03-31 is after the deadline 2025-12-31"],
        (4, "schedule"): ["2025-03-31 has more than one checkpoint"],
        (5, "schedule"): ["checkpoints count only for the method “schedule”: set the method to schedule, or leave this "
                          "cell empty"],
    }
    assert not Pledge.objects.exists() and not Checkpoint.objects.exists()


def test_a_deadline_imported_before_a_stored_checkpoint_is_refused_under_the_deadline(staff, city, pledge):
    planned(pledge)
    exported = PledgeResource(user=staff).export()
    del exported["schedule"]  # a file without the column keeps the stored checkpoints
    replace_column(exported, "deadline", "2025-08-31")
    result, stored = import_all_or_nothing(PledgeResource, exported, staff)

    assert not stored
    assert problems(result) == {(1, "deadline"): ["2025-09-30 is after the deadline 2025-08-31"]}


def test_a_decomposition_table_gives_each_part_its_method_and_schedule(staff, city, towns):
    whole = PledgeFactory(lead_organization=city, composition=Composition.SUM)
    actions.do_recompute_status(whole)
    columns = ["parent", "organization", "target", "method", "schedule"]
    rows = [
        [whole.pk, "高新区", "20", "schedule", "2025-03-31=4；2025-06-30=10；2025-09-30=15"],
        [whole.pk, "川姜", "30", "", ""],
    ]
    dataset = tablib.Dataset().load(tablib.Dataset(*rows, headers=columns).export("csv"), format="csv")
    result, stored = import_all_or_nothing(DecompositionResource, dataset, staff)

    assert stored, problems(result)
    parts = {part.lead_organization.short_name: part for part in whole.parts.all()}
    assert stored_schedule(parts["高新区"]) == ((date(2025, 3, 31), 4), (date(2025, 6, 30), 10), (date(2025, 9, 30), 15))
    assert (parts["川姜"].method, stored_schedule(parts["川姜"])) == ("", ())

    other = PledgeFactory(lead_organization=city, composition=Composition.SUM)
    bad = [[other.pk, "川姜", "5", "cagr", "2025-06-30=2"], [other.pk, "高新区", "5", "schedule", "2025-06-31=2"]]
    dataset = tablib.Dataset().load(tablib.Dataset(*bad, headers=columns).export("csv"), format="csv")
    result, stored = import_all_or_nothing(DecompositionResource, dataset, staff)
    assert not stored
    assert set(problems(result)) == {(1, "schedule"), (2, "schedule")}
    assert not other.parts.exists()


# --- Checkpoints loaded in bulk wherever the engine runs on many pledges ----------------------------------------


def nightly_queries(today, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        jobs.assess_in_python(Pledge.objects.all(), today, **kwargs)
    return len(queries)


def test_the_recompute_reads_the_checkpoints_of_a_chunk_in_one_query_however_many_pledges_have_them(district):
    for _ in range(3):
        planned(PledgeFactory(lead_organization=district))
    three = nightly_queries(date(2025, 7, 11))
    for _ in range(5):
        planned(PledgeFactory(lead_organization=district))
        actions.do_recompute_status(PledgeFactory(lead_organization=district))
    assert nightly_queries(date(2025, 7, 12)) == three


def test_the_recompute_reads_no_checkpoints_when_no_pledge_of_a_chunk_is_planned_by_schedule(district):
    PledgeFactory.create_batch(3, lead_organization=district)
    with CaptureQueriesContext(connection) as queries:
        jobs.assess_in_python(Pledge.objects.all(), date(2025, 7, 11))
    assert not [q for q in queries if Checkpoint._meta.db_table in q["sql"]]


def test_schedules_are_read_by_the_chunks_id_range_and_only_for_pledges_planned_by_schedule(district):
    first, linear, last = planned(PledgeFactory(lead_organization=district)), PledgeFactory(lead_organization=district), \
        planned(PledgeFactory(lead_organization=district), schedule=QUARTERS[:1])
    Checkpoint.objects.create(pledge=linear, as_of=date(2025, 3, 31), planned_value=1)  # kept, not read: linear
    schedules = jobs.schedules_of([first, linear, last], by_id_range=True)
    assert schedules == {first.pk: list(QUARTERS), last.pk: list(QUARTERS[:1])}
    assert jobs.schedules_of([linear]) == {}


def test_the_recompute_judges_each_pledge_on_its_own_checkpoints(district):
    pledges = [planned(PledgeFactory(lead_organization=district), schedule=QUARTERS[:n]) for n in (1, 2, 3)]
    Pledge.objects.update(status_assessed_on=None)
    jobs.assess_in_python(Pledge.objects.all(), date(2025, 7, 10))
    for pledge in pledges:
        pledge.refresh_from_db()
        assert pledge.expected_now == actions.assess_pledge(pledge).expected_now  # the write path reads them itself
    assert [pledge.expected_now for pledge in pledges] == [10, 25, 25]


def test_the_roll_up_reads_the_checkpoints_of_sums_in_one_query(city, towns):
    sums = []
    for _ in range(4):
        whole = planned(PledgeFactory(lead_organization=city, composition=Composition.SUM))
        part = PledgeFactory(lead_organization=towns["川姜"], parent=whole, target=Decimal(50))
        actions.do_record_progress(part, acting_user=None, as_of=date(2025, 6, 30), value=Decimal(24))
        sums.append(whole)
    with CaptureQueriesContext(connection) as queries:
        jobs.roll_up(date(2025, 7, 11), full=True)
    assert len([q for q in queries if Checkpoint._meta.db_table in q["sql"]]) == 1
    for whole in sums:
        whole.refresh_from_db()
        assert (whole.latest_value, whole.expected_now) == (24, 25)  # June's plan, from the sum of its parts
        assert "分期计划" in whole.status_reason_text


# --- The nightly run: a pledge whose expected progress is not a line goes through the engine ----------------------


DEFAULTS = {"level": "linear", "growth": "linear", "share": "linear", "reduction": "linear", "milestone": "linear"}


def test_pledges_judged_off_the_line_are_those_with_another_method_named_or_a_kind_defaulting_to_one(district):
    linear = PledgeFactory(lead_organization=district)
    named_linear = PledgeFactory(lead_organization=district, method=Method.LINEAR, kind="growth")
    schedule = PledgeFactory(lead_organization=district, method=Method.SCHEDULE)
    cagr = PledgeFactory(lead_organization=district, method=Method.CAGR, kind="growth", cumulative=False)
    growth = PledgeFactory(lead_organization=district, kind="growth", cumulative=False)

    def off_the_line():
        found = set(Pledge.objects.filter(jobs.judged_off_the_line()))
        assert found == {p for p in Pledge.objects.all() if p.method_in_force != Method.LINEAR}  # as the model says
        return found

    assert off_the_line() == {schedule, cagr}
    with override_settings(TRACKER_DEFAULT_METHODS=DEFAULTS | {"growth": "cagr"}):
        assert off_the_line() == {schedule, cagr, growth}
    assert linear not in off_the_line() and named_linear not in off_the_line()


def test_the_nightly_run_reassesses_open_schedule_pledges_in_python_and_moves_linear_ones_in_sql(district):
    on_a_schedule = planned(PledgeFactory(lead_organization=district))
    on_a_line = PledgeFactory(lead_organization=district)
    actions.do_recompute_status(on_a_line)
    # A reason only the engine writes: the statement that moves a line along leaves it as it is.
    Pledge.objects.update(status_reason={"code": "not_assessed", "params": {}})

    jobs.recompute_open(date(2025, 7, 11))

    on_a_schedule.refresh_from_db()
    on_a_line.refresh_from_db()
    assert on_a_schedule.status_reason["code"] != "not_assessed"  # through the engine
    assert on_a_line.status_reason["code"] == "not_assessed"  # moved along its line in SQL
    assert on_a_schedule.status_assessed_on == on_a_line.status_assessed_on == date(2025, 7, 11)


@override_settings(TRACKER_DEFAULT_METHODS=DEFAULTS | {"level": "schedule"})
def test_the_nightly_run_reassesses_pledges_whose_kind_defaults_to_a_schedule(district):
    by_default = PledgeFactory(lead_organization=district)
    Checkpoint.objects.create(pledge=by_default, as_of=date(2025, 6, 30), planned_value=20)
    actions.do_recompute_status(by_default)
    Pledge.objects.update(status_reason={"code": "not_assessed", "params": {}})
    jobs.recompute_open(date(2025, 7, 11))
    by_default.refresh_from_db()
    assert by_default.status_reason["code"] != "not_assessed"


def test_a_schedule_pledges_expected_value_steps_up_on_the_night_a_checkpoint_date_passes(district):
    on_a_schedule = planned(PledgeFactory(lead_organization=district))
    on_a_line = PledgeFactory(lead_organization=district)
    actions.do_recompute_status(on_a_line)

    def night(day):
        with time_machine.travel(day, tick=False):
            jobs.sweep_statuses(day)
        on_a_schedule.refresh_from_db()
        on_a_line.refresh_from_db()
        return on_a_schedule.expected_now, on_a_line.expected_now

    assert night(date(2025, 9, 28)) == (25, on_the_line(date(2025, 9, 28)))
    assert night(date(2025, 9, 29)) == (25, on_the_line(date(2025, 9, 29)))  # the line moves a little every night
    assert night(date(2025, 9, 30)) == (38, on_the_line(date(2025, 9, 30)))  # the schedule steps on the checkpoint
    assert night(date(2025, 10, 1)) == (38, on_the_line(date(2025, 10, 1)))


@override_settings(TRACKER_SCHEDULE_INTERPOLATE=True)
def test_with_interpolation_the_nightly_run_moves_a_schedule_pledge_between_its_checkpoints(district):
    pledge = planned(PledgeFactory(lead_organization=district))
    expected = []
    for day in (date(2025, 7, 31), date(2025, 8, 31)):
        with time_machine.travel(day, tick=False):
            jobs.sweep_statuses(day)
        pledge.refresh_from_db()
        expected.append(pledge.expected_now)
    assert 25 < expected[0] < expected[1] < 38


# --- The pledge page: the method named, the schedule drawn ------------------------------------------------------


def test_the_pledge_page_names_the_method_and_lists_the_checkpoints(admin_client, pledge):
    page = admin_client.get(reverse("tracker-pledge", args=[pledge.pk])).content.decode()
    assert str(Method.LINEAR.label) in page and "default for the kind" in page
    planned(pledge)
    page = admin_client.get(reverse("tracker-pledge", args=[pledge.pk])).content.decode()
    assert str(Method.SCHEDULE.label) in page and "default for the kind" not in page
    assert "planned:" in page and page.count('class="checkpoint"') == 3  # listed, and marked on the chart


def chart_of(pledge, today=date(2025, 7, 10)):
    from commitments import charts
    from commitments.models import ProgressUpdate

    readings = ProgressUpdate.readings_that_count(pledge.updates.all())
    return charts.progress_chart(pledge.terms(), readings, today, pledge.unit)


def test_the_chart_draws_a_schedule_as_steps_with_its_checkpoints_marked(pledge):
    chart = chart_of(planned(pledge))
    points = [tuple(map(float, point.split(","))) for point in chart.expected.split()]
    # From the start, level to each checkpoint's date and up to its value, and to the target at the deadline.
    assert len(points) == 1 + 2 * 4
    assert all(points[i][0] == points[i + 1][0] for i in range(1, len(points), 2))  # up at the same date
    assert all(points[i][1] == points[i + 1][1] for i in range(0, len(points) - 1, 2))  # level in between
    assert len(chart.checkpoints) == 3 and chart.checkpoints[1][1] == "2025-06-30: 25个"


@override_settings(TRACKER_SCHEDULE_INTERPOLATE=True)
def test_an_interpolated_schedule_is_drawn_as_a_line_through_its_checkpoints(pledge):
    chart = chart_of(planned(pledge))
    assert len(chart.expected.split()) == 1 + 3 + 1 and len(chart.checkpoints) == 3


def test_a_schedule_judged_on_the_straight_line_marks_no_checkpoints(pledge):
    chart = chart_of(planned(pledge, schedule=[(date(2025, 12, 31), Decimal(50))]))  # at the deadline: no plan
    assert len(chart.expected.split()) == 2 and chart.checkpoints == []


# --- The help page --------------------------------------------------------------------------------------------------


def test_the_help_page_explains_the_three_methods_with_this_installations_thresholds(admin_client):
    page = admin_client.get(reverse("tracker-help")).content.decode()
    for words in ("Linear", "Schedule", "Open SDG", "95%", "85%", "60%", "latest checkpoint reached"):
        assert words in page


@override_settings(TRACKER_CAGR_ON_TRACK_RATIO=0.9, TRACKER_CAGR_AT_RISK_RATIO=0.5, TRACKER_SCHEDULE_INTERPOLATE=True)
def test_the_help_page_follows_the_settings(admin_client):
    page = admin_client.get(reverse("tracker-help")).content.decode()
    assert "90%" in page and "50%" in page
    assert "interpolated" in page and "latest checkpoint reached" not in page


def test_the_status_table_reads_no_checkpoints_however_many_schedule_pledges_it_lists(admin_client, district):
    def table_queries():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(reverse("tracker-pledges")).status_code == 200
        return len(queries)

    for _ in range(3):
        planned(PledgeFactory(lead_organization=district))
    few = table_queries()
    for _ in range(5):
        planned(PledgeFactory(lead_organization=district))
    assert table_queries() == few
