"""The decomposition table (目标任务分解表): one row per part of a pledge, previewed, refused by row and column, stored
all or nothing, each new part re-assessed so its parent rolls up."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import tablib
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from commitments import actions
from commitments.models import Membership, Pledge
from commitments.resources import DecompositionResource, PledgeResource, import_all_or_nothing
from commitments.status import Composition, TargetStatus
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory
from tests.test_review_imports import problems

pytestmark = pytest.mark.django_db

COLUMNS = ["parent", "organization", "target", "unit", "deadline", "cadence"]
SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "decomposition-sample.csv"


@pytest.fixture(autouse=True)
def in_july_in_english():
    with time_machine.travel(date(2025, 7, 10), tick=False), translation.override("en"):
        yield


@pytest.fixture
def towns(city):
    return {
        short: OrganizationFactory(name=name, short_name=short, parent=city)
        for name, short in (("南通高新区", "高新区"), ("川姜镇", "川姜"), ("平潮镇", "平潮"))
    }


@pytest.fixture
def projects(city):
    """全年新注册重大产业项目50个以上: a sum owned by the city, reported on its own so far."""
    parent = PledgeFactory(lead_organization=city, composition=Composition.SUM, cadence="monthly")
    actions.do_record_progress(parent, acting_user=None, as_of=date(2025, 6, 30), value=Decimal(30))
    parent.refresh_from_db()
    return parent


def table(*rows, columns=COLUMNS, file_format="csv"):
    """The rows as a file of `file_format` would bring them in."""
    written = tablib.Dataset(*rows, headers=columns).export(file_format)
    return tablib.Dataset().load(written, format=file_format)


def import_table(user, *rows, **kwargs):
    return import_all_or_nothing(DecompositionResource, table(*rows, **kwargs), user)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_good_table_stores_one_part_per_row_with_the_parents_terms_and_the_parent_rolls_up(
    staff, projects, towns, file_format
):
    result, stored = import_table(
        staff,
        [projects.pk, "南通高新区", "20", "个", "2025-12-31", "quarterly"],
        [projects.pk, "川姜", "15", "", "2025-09-30", "每季度"],  # a short name; the label of a cadence
        [projects.pk, "平潮镇", "15", "", "", ""],  # empty: the parent's unit, deadline and cadence
        file_format=file_format,
    )

    assert stored, problems(result)
    parts = {part.lead_organization.short_name: part for part in projects.parts.all()}
    assert {short: (p.target, p.unit, p.deadline, p.cadence) for short, p in parts.items()} == {
        "高新区": (20, "个", date(2025, 12, 31), "quarterly"),
        "川姜": (15, "个", date(2025, 9, 30), "quarterly"),
        "平潮": (15, "个", date(2025, 12, 31), "monthly"),
    }
    for part in parts.values():
        assert (part.metric, part.kind, part.comparator, part.cumulative, part.start_date) == (
            projects.metric, projects.kind, projects.comparator, True, projects.start_date)
        assert part.tree_path == f"{projects.tree_path}{part.pk}/"
        # Re-assessed once, by the import.
        assert list(part.status_changes.values_list("trigger", flat=True)) == ["import"]
    projects.refresh_from_db()
    assert projects.latest_value is None and projects.parts_series == []  # judged from its parts, not its own 30
    assert projects.target_status == TargetStatus.NO_DATA


def test_the_sample_in_docs_imports(staff, projects, towns):
    sample = tablib.Dataset().load(SAMPLE.read_text(encoding="utf-8"), format="csv")
    rows = [[projects.pk, *row[1:]] for row in sample]  # the sample's parent is pledge 1

    result, stored = import_table(staff, *rows, columns=sample.headers)

    assert stored, problems(result)
    assert sorted(projects.parts.values_list("target", flat=True)) == [15, 15, 20]
    assert projects.breakdown_shortfall() is None  # 20 + 15 + 15 = 50


def test_a_table_with_bad_rows_stores_nothing_and_names_the_row_and_column_of_each_problem(staff, projects, towns):
    result, stored = import_table(
        staff,
        [projects.pk, "南通高新区", "20", "个", "2025-12-31", "quarterly"],
        [99999, "川姜镇", "15", "个", "2025-12-31", "quarterly"],
        [projects.pk, "火星区", "15", "个", "2025-12-31", "quarterly"],
        [projects.pk, "平潮镇", "15", "家", "2025-12-31", "quarterly"],
        [projects.pk, "川姜镇", "15", "个", "2026-06-30", "quarterly"],
        [projects.pk, "川姜镇", "十五", "个", "2025-12-31", "每季"],
    )

    assert not stored and not projects.parts.exists()
    assert problems(result) == {
        (2, "parent"): ["no pledge “99999”"],
        (3, "organization"): ["no organization “火星区”"],
        (4, "unit"): ["The parts of a sum must use the parent's unit “个”."],
        (5, "deadline"): ["A part's deadline (2026-06-30) cannot be later than its parent's (2025-12-31)."],
        (6, "target"): ["“十五” is not a number"],
        (6, "cadence"): [
            "“每季” is not one of: monthly, quarterly, half_yearly (half-yearly), yearly, "
            "at_deadline (once, at the deadline)"
        ],
    }


def test_a_parent_the_user_may_not_edit_is_refused_under_the_parent_column(district, projects):
    reporter = UserFactory(username="reporter")
    Membership.objects.create(user=reporter, organization=district, role="reporter")
    own = PledgeFactory(lead_organization=district)

    result, stored = import_table(
        reporter,
        [own.pk, "通州区", "20", "个", "", ""],
        [projects.pk, "通州区", "25", "个", "", ""],  # the city's, which the reporter does not see
    )

    assert not stored and not Pledge.objects.filter(parent__isnull=False).exists()
    assert problems(result) == {
        (1, "parent"): [f"pledge {own.pk} is not one you may break down: only administrators do"],
        (2, "parent"): [f"no pledge “{projects.pk}”"],
    }


def test_a_row_without_a_parent_says_so_and_nothing_else(staff, towns):
    result, stored = import_table(staff, ["", "川姜镇", "15", "个", "", ""])
    assert not stored
    assert problems(result) == {(1, "parent"): ["Give the id of the pledge this row is a part of."]}


def test_importing_the_same_table_twice_adds_the_parts_once(staff, projects, towns):
    row = [projects.pk, "川姜镇", "15", "个", "", ""]
    assert import_table(staff, row)[1]
    result, stored = import_table(staff, row)
    assert not stored and projects.parts.count() == 1
    ((where, messages),) = problems(result).items()
    assert where == (1, "organization") and "already has a part for 川姜镇 ending 2025-12-31" in messages[0]


def test_a_short_name_two_organizations_share_must_be_written_in_full(staff, projects, city):
    OrganizationFactory(name="通州区", short_name="通州", parent=city)
    OrganizationFactory(name="通州湾示范区", short_name="通州", parent=city)
    result, stored = import_table(staff, [projects.pk, "通州", "15", "个", "", ""])
    assert not stored
    assert problems(result) == {(1, "organization"): ["more than one organization is called “通州”: write its full name"]}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_formula_looking_organization_cell_is_just_text(staff, projects, city, file_format):
    OrganizationFactory(name="2", parent=city)  # what =1+1 would give if it were run
    if file_format == "csv":
        dataset = tablib.Dataset().load(f"parent,organization,target\n{projects.pk},=1+1,15\n", format="csv")
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["parent", "organization", "target"])
        sheet.append([projects.pk, None, 15])
        sheet["B2"].value, sheet["B2"].data_type = "=1+1", "s"  # text that looks like a formula
        content = io.BytesIO()
        book.save(content)
        dataset = tablib.Dataset().load(content.getvalue(), format="xlsx")

    result, stored = import_all_or_nothing(DecompositionResource, dataset, staff)

    assert not stored
    assert problems(result) == {(1, "organization"): ["no organization “=1+1”"]}


def test_the_admin_import_page_offers_the_decomposition_table_previews_it_and_stores_it_on_confirming(
    client, staff, projects, towns
):
    client.force_login(staff)
    client.cookies.load({"django_language": "en"})
    url = reverse("admin:commitments_pledge_import")
    form = client.get(url).context["form"]
    resources = {label: value for value, label in form.fields["resource"].choices}
    formats = {label: value for value, label in form.fields["format"].choices}
    assert list(resources) == ["pledges", "Decomposition table"]
    content = f"parent,organization,target\n{projects.pk},川姜镇,15\n{projects.pk},平潮,35\n".encode()

    preview = client.post(url, {"resource": resources["Decomposition table"], "format": formats["csv"],
                                "import_file": SimpleUploadedFile("分解表.csv", content)})

    assert not preview.context["result"].has_validation_errors(), problems(preview.context["result"])
    assert not projects.parts.exists()  # a preview stores nothing
    confirmed = client.post(reverse("admin:commitments_pledge_process_import"), preview.context["confirm_form"].initial)
    assert confirmed.status_code == 302
    assert sorted(projects.parts.values_list("lead_organization__short_name", "target")) == [("川姜", 15), ("平潮", 35)]


def test_a_pledge_import_cannot_move_a_parents_deadline_before_its_parts(staff, projects, towns):
    assert import_table(staff, [projects.pk, "川姜镇", "15", "个", "", ""])[1]
    exported = PledgeResource(user=staff).export(queryset=Pledge.objects.filter(pk=projects.pk))
    exported[0] = tuple("2025-09-30" if column == "deadline" else cell for column, cell in zip(exported.headers, exported[0]))

    result, stored = import_all_or_nothing(PledgeResource, exported, staff)

    assert not stored
    assert problems(result) == {(1, "deadline"): [
        "Its part “新注册重大产业项目（川姜镇）” ends on 2025-12-31, after this deadline (2025-09-30)."
    ]}
