"""Bulletins (情况通报): figures as of the period's end, the Word and PDF documents, the same figures when made again
after later changes, the scoring and ranking, who may download them, and the mail with the file attached."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from commitments import asof, bulletins, counts, jobs, scoring
from commitments.models import (
    Bulletin, Instruction, Membership, Notification, ProgressUpdate, ScoringRules, StatusChange,
)
from tests.factories import PledgeFactory, UserFactory

MARCH = (date(2025, 3, 1), date(2025, 3, 31))


def at(day: date, hour: int = 10):
    return time_machine.travel(timezone.make_aware(datetime(day.year, day.month, day.day, hour)), tick=False)


def change_status(pledge, status: str, day: date, reason: dict | None = None) -> None:
    """Record a change of status as the engine does: a StatusChange row, and the pledge's column."""
    with at(day):
        StatusChange.objects.create(
            pledge=pledge, from_status=pledge.target_status, to_status=status, assessed_on=day,
            reason=reason or {"code": "not_assessed"}, trigger="test",
        )
    type(pledge).objects.filter(pk=pledge.pk).update(target_status=status)
    pledge.target_status = status


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def march(city, districts, media):
    return build_march(districts)


def build_march(districts):
    """Five pledges of three districts, their statuses at the end of February and of March 2025."""
    with at(date(2025, 1, 5)):
        made = {
            "港口吞吐量": PledgeFactory(metric="港口吞吐量", lead_organization=districts["通州"]),
            "新建保障房": PledgeFactory(metric="新建保障房", lead_organization=districts["通州"], deadline=date(2025, 3, 15)),
            "绿道里程": PledgeFactory(metric="绿道里程", lead_organization=districts["海门"]),
            "污水处理率": PledgeFactory(metric="污水处理率", lead_organization=districts["海门"]),
            "高新企业数": PledgeFactory(metric="高新企业数", lead_organization=districts["开发"]),
        }
    february = {"港口吞吐量": "off_track", "新建保障房": "on_track", "绿道里程": "on_track", "污水处理率": "on_track",
                "高新企业数": "on_track"}
    march = {"港口吞吐量": "on_track", "新建保障房": "overdue", "绿道里程": "at_risk", "污水处理率": "achieved",
             "高新企业数": "off_track"}
    for metric, status in february.items():
        change_status(made[metric], status, date(2025, 2, 20))
    why = {  # the engine's reasons, as it stores them
        "新建保障房": {"code": "overdue_no_data"},
        "高新企业数": {"code": "progress", "params": {"value": "3", "as_of": "2025-03-28", "expected": "12.4", "ratio": "24.2"}},
        "绿道里程": {"code": "progress", "params": {"value": "10", "as_of": "2025-03-20", "expected": "12.3", "ratio": "81.3"}},
    }
    for metric, status in march.items():
        change_status(made[metric], status, date(2025, 3, 25), why.get(metric))
    with at(date(2025, 3, 28)):
        ProgressUpdate.objects.create(
            pledge=made["高新企业数"], value=Decimal(3), as_of=date(2025, 3, 28),
            cause="两家企业认定材料退回补正", measures="安排专人辅导申报，四月底前重新提交",
        )
    with at(date(2025, 3, 10)):
        # Due on 20 March and still open on the 31st: a deduction for 绿道里程.
        Instruction.objects.create(pledge=made["绿道里程"], addressee=districts["海门"], text="请加快推进", due=date(2025, 3, 20))
    return made


def later_changes(made, districts):
    """April: statuses move on, a pledge changes hands, a new one is added, the instruction is answered."""
    change_status(made["新建保障房"], "achieved", date(2025, 4, 10))
    change_status(made["高新企业数"], "on_track", date(2025, 4, 12))
    with at(date(2025, 4, 15)):
        moved = made["绿道里程"]
        moved.lead_organization = districts["开发"]
        moved.save()
        PledgeFactory(metric="四月新增任务", lead_organization=districts["海门"])
        Instruction.objects.filter(pledge=made["绿道里程"]).update(
            state="answered", answer="已完成", answered_at=timezone.now()
        )


def docx_text(bulletin) -> str:
    with bulletin.docx.open("rb") as file:
        document = Document(io.BytesIO(file.read()))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def docx_table(bulletin, index: int) -> list[list[str]]:
    with bulletin.docx.open("rb") as file:
        document = Document(io.BytesIO(file.read()))
    return [[cell.text for cell in row.cells] for row in document.tables[index].rows][1:]


def pdf_text(bulletin) -> str:
    with bulletin.pdf.open("rb") as file:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(file.read())).pages)
    return "".join(text.split())  # table cells wrap their words over lines


class TestFiguresAsOfThePeriodsEnd:
    def test_counts_are_the_statuses_at_the_end_of_march_not_todays(self, march, city, districts):
        later_changes(march, districts)
        figures = bulletins.figures_for(city, "month", *MARCH)
        assert figures["counts"] == {
            "achieved": 1, "on_track": 1, "at_risk": 1, "off_track": 1, "overdue": 1, "no_data": 0,
        }
        assert figures["total"] == 5
        assert figures["previous_counts"]["on_track"] == 4 and figures["previous_counts"]["off_track"] == 1

    def test_ranking_scores_each_district_with_deductions_and_says_how_it_moved(self, march, city):
        figures = bulletins.figures_for(city, "month", *MARCH)
        ranked = [(row["name"], row["score"], row["rank"], row["movement"]) for row in figures["ranking"]]
        # 海门: at risk 70 less 5 for the overdue instruction, and achieved 100; 通州: 100 and 0; 开发: 40.
        # February: 海门 and 开发 100 (both first), 通州 (40 + 100) / 2 = 70, third.
        assert ranked == [("海门区", "82.50", 1, "–"), ("通州区", "50.00", 2, "↑1"), ("开发区", "40.00", 3, "↓2")]

    def test_lagging_pledges_worst_first_with_owner_cause_and_measures_and_the_improved_ones(self, march, city):
        figures = bulletins.figures_for(city, "month", *MARCH)
        assert [(row["metric"], row["owner"], row["status"]) for row in figures["lagging"]] == [
            ("新建保障房", "通州区", "overdue"), ("高新企业数", "开发区", "off_track"), ("绿道里程", "海门区", "at_risk"),
        ]
        behind = figures["lagging"][1]
        assert (behind["cause"], behind["measures"]) == ("两家企业认定材料退回补正", "安排专人辅导申报，四月底前重新提交")
        assert [(row["metric"], row["from"], row["to"]) for row in figures["improved"]] == [("港口吞吐量", "off_track", "on_track")]

    def test_a_scope_counts_only_its_own_subtree(self, march, districts):
        figures = bulletins.figures_for(districts["通州"], "month", *MARCH)
        assert figures["total"] == 2
        assert [row["name"] for row in figures["ranking"]] == ["通州区"]


class TestTheDocuments:
    def test_the_word_file_has_the_counts_the_ranking_and_the_lagging_pledges(self, march, city):
        with at(date(2025, 4, 2)):
            bulletin = bulletins.issue(city, "month", *MARCH)
        text = docx_text(bulletin)
        assert bulletin.title in text and bulletin.number in text and bulletin.issuer in text
        assert docx_table(bulletin, 1) == [
            ["1", "海门区", "82.50", "2", "–"], ["2", "通州区", "50.00", "2", "↑1"], ["3", "开发区", "40.00", "1", "↓2"],
        ]
        lagging = docx_table(bulletin, 2)
        assert [row[1:3] for row in lagging] == [["新建保障房", "通州区"], ["高新企业数", "开发区"], ["绿道里程", "海门区"]]
        assert lagging[1][5:] == ["两家企业认定材料退回补正", "安排专人辅导申报，四月底前重新提交"]
        counts = docx_table(bulletin, 0)
        assert [row[1] for row in counts] == ["1", "1", "1", "1", "1", "0"]  # this period, in status order
        assert [row[2] for row in counts] == ["0", "4", "0", "1", "0", "0"]  # February
        assert "港口吞吐量" in docx_table(bulletin, 3)[0]

    def test_the_word_file_is_a4_with_a_page_number_and_a_chart(self, march, city):
        bulletin = bulletins.issue(city, "month", *MARCH)
        with bulletin.docx.open("rb") as file:
            document = Document(io.BytesIO(file.read()))
        section = document.sections[0]
        assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
        assert 'w:instr="PAGE"' in section.footer._element.xml
        assert len(document.inline_shapes) == 1  # the bar chart

    def test_the_pdf_shows_the_same_figures_in_chinese_on_a4_pages(self, march, city):
        bulletin = bulletins.issue(city, "month", *MARCH)
        text = pdf_text(bulletin)
        for expected in ("海门区", "82.50", "50.00", "40.00", "新建保障房", "两家企业认定材料退回补正", "港口吞吐量", "—1—"):
            assert expected in text
        with bulletin.pdf.open("rb") as file:
            page = PdfReader(io.BytesIO(file.read())).pages[0]
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 in points


class TestMadeAgainLater:
    def test_a_past_months_bulletin_made_again_after_later_changes_has_the_same_figures(self, march, city, districts):
        with at(date(2025, 4, 2)):
            first = bulletins.issue(city, "month", *MARCH)
        later_changes(march, districts)
        with at(date(2025, 5, 6)):
            again = bulletins.issue(city, "on_demand", *MARCH)
            recomputed = bulletins.figures_for(city, "month", *MARCH)
        assert recomputed == first.figures
        for part in ("counts", "previous_counts", "ranking", "lagging", "improved", "total"):
            assert again.figures[part] == first.figures[part], part
        assert docx_table(again, 1) == docx_table(first, 1)
        assert again.number != first.number

    def test_the_scheduled_kind_is_made_once_and_a_bulletin_is_never_changed(self, march, city):
        first = bulletins.issue(city, "month", *MARCH)
        assert bulletins.issue(city, "month", *MARCH) == first
        first.title = "改过的标题"
        with pytest.raises(Exception):
            first.save()

    def test_rules_added_later_do_not_change_a_past_periods_score(self, march, city):
        before = bulletins.figures_for(city, "month", *MARCH)
        ScoringRules.objects.create(name="2025年下半年", in_force_from=date(2025, 7, 1), points_overdue=Decimal(50))
        assert bulletins.figures_for(city, "month", *MARCH)["ranking"] == before["ranking"]
        assert bulletins.figures_for(city, "month", date(2025, 7, 1), date(2025, 7, 31))["rules"]["points"]["overdue"] == "50.00"


class TestScoring:
    def test_points_deductions_never_below_zero(self):
        rules = scoring.default_rules()
        assert scoring.pledge_points("at_risk", late=True, overdue_instructions=2, rules=rules) == Decimal(55)
        assert scoring.pledge_points("overdue", late=True, overdue_instructions=0, rules=rules) == Decimal(0)

    def test_category_weights_count_in_the_mean(self):
        rules = scoring.default_rules() | {"weights": {"7": "3"}}
        pledges = [asof.PledgeThen(1, "甲", 10, 7, None, False, "on_track"), asof.PledgeThen(2, "乙", 10, None, None, False, "overdue")]
        assert scoring.scores(pledges, {10: "/10/"}, [10], rules) == {10: (Decimal("75.00"), 2)}

    def test_equal_scores_share_a_rank_and_a_newcomer_is_new(self):
        rows = scoring.ranking(
            {1: (Decimal(90), 2), 2: (Decimal(90), 1), 3: (Decimal(80), 1)}, {1: (Decimal(50), 1)},
            {1: "甲", 2: "乙", 3: "丙"},
        )
        assert [(row.name, row.rank, row.movement) for row in rows] == [("乙", 1, "new"), ("甲", 1, "–"), ("丙", 3, "new")]


class TestDownloadAndMail:
    def test_managers_of_the_scope_download_others_get_404(self, march, city, districts, client):
        bulletin = bulletins.issue(city, "month", *MARCH)
        manager = UserFactory(username="city-manager")
        Membership.objects.create(user=manager, organization=city, role="manager")
        district_manager = UserFactory(username="district-manager")
        Membership.objects.create(user=district_manager, organization=districts["通州"], role="manager")
        client.force_login(manager)
        page = client.get("/bulletins/")
        assert bulletin.number in page.content.decode()
        response = client.get(f"/bulletins/{bulletin.pk}/pdf/")
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
        client.force_login(district_manager)
        assert bulletin.number not in client.get("/bulletins/").content.decode()
        assert client.get(f"/bulletins/{bulletin.pk}/docx/").status_code == 404

    def test_the_scopes_managers_get_the_word_file_attached_once(self, march, city, districts, smtp_server):
        manager = UserFactory(username="duban", email="duban@example.test")
        Membership.objects.create(user=manager, organization=city, role="manager")
        reporter = UserFactory(username="tianbao", email="tianbao@example.test")
        Membership.objects.create(user=reporter, organization=city, role="reporter")
        bulletin = bulletins.issue(city, "month", *MARCH)
        assert bulletins.send_to_managers(bulletin) == 1
        assert bulletins.send_to_managers(bulletin) == 0
        [notification] = Notification.objects.filter(kind="bulletin")
        assert jobs.deliver_notification(notification.pk) == "sent"
        [message] = smtp_server.mailbox.to("duban@example.test")
        [attached] = [part for part in message.walk() if part.get_filename()]
        assert attached.get_filename().endswith(".docx")
        with bulletin.docx.open("rb") as file:
            assert attached.get_payload(decode=True) == file.read()

    def test_the_daily_job_makes_last_months_and_quarters_bulletins_once(self, march, city):
        with at(date(2025, 4, 1)):
            assert bulletins.issue_due(date(2025, 4, 1)) == {"bulletins": 2}
            assert bulletins.issue_due(date(2025, 4, 1)) == {"bulletins": 0}
        made = sorted(Bulletin.objects.values_list("period_kind", "period_start", "period_end"))
        assert made == [("month", *MARCH), ("quarter", date(2025, 1, 1), date(2025, 3, 31))]


class TestRulesInTheAdmin:
    def test_a_version_in_force_is_read_only_and_a_new_one_cannot_start_in_the_past(self, staff, client):
        with at(date(2025, 6, 1)):
            in_force = ScoringRules.objects.create(name="2025年", in_force_from=date(2025, 1, 1))
            coming = ScoringRules.objects.create(name="2025年下半年", in_force_from=date(2025, 7, 1))
            client.force_login(staff)
            page = client.get(f"/admin/commitments/scoringrules/{in_force.pk}/change/").content.decode()
            assert 'name="points_overdue"' not in page  # shown, not editable
            assert 'name="points_overdue"' in client.get(f"/admin/commitments/scoringrules/{coming.pk}/change/").content.decode()
            response = client.post("/admin/commitments/scoringrules/add/", {
                "name": "补记", "in_force_from": "2025-03-01", "points_achieved": "100", "points_on_track": "100",
                "points_at_risk": "70", "points_off_track": "40", "points_overdue": "0", "points_no_data": "60",
                "late_report_deduction": "5", "overdue_instruction_deduction": "5",
                "weights-TOTAL_FORMS": "0", "weights-INITIAL_FORMS": "0",
            })
            assert "cannot take effect in the past" in response.content.decode() or "不能" in response.content.decode()
            assert not ScoringRules.objects.filter(name="补记").exists()


class TestPagesAsOfADay:
    def test_the_summary_counts_the_statuses_at_the_end_of_march_and_says_so(self, march, districts, staff, client):
        later_changes(march, districts)
        counts.rebuild()  # change_status above writes the columns directly; today's summary reads the kept counts
        client.force_login(staff)
        with at(date(2025, 5, 6)):
            today = client.get("/?level=all")
            then = client.get("/?level=all&as_of=2025-03-31")
        counted = {item["status"]: item["count"] for item in then.context["overall"]}
        assert counted == {"overdue": 1, "off_track": 1, "at_risk": 1, "on_track": 1, "achieved": 1, "no_data": 0}
        assert {item["status"]: item["count"] for item in today.context["overall"]}["achieved"] == 2
        assert "状态历史" in then.content.decode() or "read from the status history" in then.content.decode()
        rows = {row["label"].name: row["total"] for row in then.context["org_rows"] if hasattr(row["label"], "name")}
        assert rows["海门区"] == 2 and rows["开发区"] == 1  # 绿道里程 was 海门's then

    def test_the_status_table_and_its_export_show_and_filter_on_the_status_then(self, march, districts, staff, client):
        later_changes(march, districts)
        client.force_login(staff)
        with at(date(2025, 5, 6)):
            page = client.get("/pledges/?as_of=2025-03-31&status=overdue")
            exported = client.get("/pledges/?as_of=2025-03-31&status=off_track&_export=csv")
            today = client.get("/pledges/?status=overdue")
        assert [row.record.metric for row in page.context["table"].page.object_list] == ["新建保障房"]
        assert list(today.context["table"].data) == []  # achieved since
        text = b"".join(exported.streaming_content if exported.streaming else [exported.content]).decode("utf-8-sig")
        assert "高新企业数" in text and "港口吞吐量" not in text and "四月新增任务" not in text


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed (make browser)")
def test_a_page_of_each_format_renders_to_an_image(march, city, tmp_path):
    """The PDF's first page through poppler; the Word file through LibreOffice when it is installed."""
    from PIL import Image

    bulletin = bulletins.issue(city, "month", *MARCH)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", bulletin.pdf.path, str(tmp_path / "pdf")], check=True)
    pages = [tmp_path / "pdf-1.png"]
    if shutil.which("libreoffice"):
        subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "lo"), bulletin.docx.path],
                       check=True, capture_output=True, timeout=180)
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(tmp_path / "lo" / (Path(bulletin.docx.path).stem + ".pdf")),
                        str(tmp_path / "docx")], check=True)
        pages.append(tmp_path / "docx-1.png")
    for page in pages:
        image = Image.open(page)
        assert image.size[1] / image.size[0] == pytest.approx(297 / 210, rel=0.01)  # A4, upright
        assert len(set(image.convert("L").get_flattened_data())) > 10  # text and a chart, not a blank page


def test_the_daily_bulletin_job_is_on_beats_schedule(db):
    from django_celery_beat.models import PeriodicTask

    from commitments.apps import create_default_schedules

    create_default_schedules()
    job = PeriodicTask.objects.get(name="Bulletins")
    assert job.task == "commitments.tasks.issue_bulletins" and job.enabled
    assert (job.crontab.minute, job.crontab.hour, job.crontab.day_of_week) == ("15", "6", "*")


def wait_until(condition, seconds: float = 60) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_manager_asks_for_one_a_real_worker_makes_it_and_mails_it(march, city, districts, client, smtp_server, celery_worker):
    manager = UserFactory(username="duban", email="duban@example.test")
    Membership.objects.create(user=manager, organization=city, role="manager")
    outsider = UserFactory(username="tongzhou", email="tongzhou@example.test")
    Membership.objects.create(user=outsider, organization=districts["通州"], role="manager")

    client.force_login(outsider)  # manages 通州 only: the city is not among the choices
    refused = client.post("/bulletins/", {"scope": city.pk, "period_kind": "month", "period_end": "2025-04-02"})
    assert "scope" in refused.context["form"].errors

    client.force_login(manager)
    asked = client.post("/bulletins/", {"scope": city.pk, "period_kind": "month", "period_end": "2025-04-02"})
    assert asked.status_code == 302
    assert wait_until(lambda: len(smtp_server.mailbox.to("duban@example.test")) == 1)
    bulletin = Bulletin.objects.get()
    assert (bulletin.period_start, bulletin.period_end, bulletin.created_by) == (*MARCH, manager)
    assert [row["name"] for row in bulletin.figures["ranking"]] == ["海门区", "通州区", "开发区"]
    assert smtp_server.mailbox.to("tongzhou@example.test") == []


class TestPeriods:
    def test_the_last_whole_month_and_quarter_and_the_period_before(self):
        assert bulletins.month_before(date(2025, 3, 1)) == (date(2025, 2, 1), date(2025, 2, 28))
        assert bulletins.month_before(date(2025, 1, 15)) == (date(2024, 12, 1), date(2024, 12, 31))
        assert bulletins.quarter_before(date(2025, 4, 1)) == (date(2025, 1, 1), date(2025, 3, 31))
        assert bulletins.quarter_before(date(2025, 2, 10)) == (date(2024, 10, 1), date(2024, 12, 31))
        assert bulletins.previous_period("quarter", date(2025, 1, 1), date(2025, 3, 31)) == (date(2024, 10, 1), date(2024, 12, 31))
        # On demand: as long a period, ending the day before.
        assert bulletins.previous_period("on_demand", date(2025, 3, 11), date(2025, 3, 20)) == (date(2025, 3, 1), date(2025, 3, 10))

    def test_the_pages_offer_the_ends_of_last_month_and_quarter(self):
        assert asof.period_ends(date(2025, 5, 6)) == [date(2025, 4, 30), date(2025, 3, 31)]
        assert asof.period_ends(date(2025, 4, 6)) == [date(2025, 3, 31)]
