"""Manager pages: the status table with filters and export, the summary, pledge, organization and document pages."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments import actions, views
from commitments.models import Pledge
from tests.factories import (
    CategoryFactory,
    OrganizationFactory,
    PledgeFactory,
    ProgressUpdateFactory,
    SourceDocumentFactory,
)

pytestmark = pytest.mark.django_db
@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(date(2025, 10, 10), tick=False):
        yield


@pytest.fixture
def manager_client(client, staff):
    client.force_login(staff)
    return client


def with_status(pledge, value=None, as_of=date(2025, 9, 30)):
    if value is not None:
        ProgressUpdateFactory(pledge=pledge, value=Decimal(value), as_of=as_of)
    actions.do_recompute_status(pledge)
    return pledge


@pytest.fixture
def board(city, district):
    """Four pledges across a small tree: at risk, achieved, off track, and one elsewhere with no data."""
    bureau = OrganizationFactory(name="区商务局", short_name="商务局", parent=district)
    elsewhere = OrganizationFactory(name="如皋市", level="city")
    industry = CategoryFactory(name="产业创新")
    document = SourceDocumentFactory(title="通州区2025年目标", full_text="一、全年新注册重大产业项目50个以上。二、进出口总额增长3.1%。")
    growth = dict(kind="growth", comparator="=", target=Decimal("3.1"), unit="%", cumulative=False)
    return {
        "at_risk": with_status(PledgeFactory(lead_organization=district, category=industry, source_document=document), 32),
        "achieved": with_status(PledgeFactory(lead_organization=bureau, metric="新增外资企业", target=Decimal(10)), 12),
        "off_track": with_status(
            PledgeFactory(lead_organization=bureau, metric="进出口总额", source_document=document,
                          source_sentence="进出口总额增长3.1%", **growth),
            "1.2",
        ),
        "no_data": with_status(PledgeFactory(lead_organization=elsewhere, metric="外地指标", deadline=date(2026, 6, 30))),
    }


def rows(response):
    return [row.record.metric for row in response.context["table"].paginated_rows]


def test_every_page_needs_a_login(client, board):
    for url in (reverse("tracker-summary"), reverse("tracker-pledges"), reverse("tracker-pledge", args=[board["achieved"].pk])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("tracker-login") in response["Location"]


class TestStatusTable:
    def test_it_lists_pledges_worst_first_with_status_reason_owner_and_progress(self, manager_client, board):
        response = manager_client.get(reverse("tracker-pledges"))
        assert rows(response) == ["进出口总额", "新注册重大产业项目", "新增外资企业", "外地指标"]
        page = response.content.decode()
        assert "▼" in page and "进度滞后" in page and "截至2025年9月30日" in page
        assert 'class="bar"' in page and "商务局" in page

    def test_days_left_read_as_words_both_before_and_after_the_deadline(self, manager_client, board):
        past = PledgeFactory(metric="已过期指标", deadline=date(2025, 10, 1))
        actions.do_recompute_status(past)
        page = manager_client.get(reverse("tracker-pledges")).content.decode()
        assert "还剩 263 天" in page  # 2026-06-30, seen on 2025-10-10
        assert "已过 9 天" in page

    def test_filters_combine_and_stay_in_the_url(self, manager_client, board, district):
        response = manager_client.get(reverse("tracker-pledges"), {"organization": district.pk, "status": ["off_track", "at_risk"]})
        assert sorted(rows(response)) == ["新注册重大产业项目", "进出口总额"]
        assert response.context["filter"].form["organization"].value() == str(district.pk)

    def test_text_search_category_document_and_deadline_window(self, manager_client, board):
        url = reverse("tracker-pledges")
        assert rows(manager_client.get(url, {"q": "外资"})) == ["新增外资企业"]
        assert rows(manager_client.get(url, {"category": board["at_risk"].category_id})) == ["新注册重大产业项目"]
        assert len(rows(manager_client.get(url, {"document": board["at_risk"].source_document_id}))) == 2
        assert rows(manager_client.get(url, {"due_within": "365", "deadline_after": "2026-01-01"})) == ["外地指标"]

    def test_every_column_sorts(self, manager_client, board):
        for column in ("metric", "owner", "target", "latest", "expected", "progress", "status", "reporting", "deadline", "days_left"):
            for order in (column, f"-{column}"):
                assert manager_client.get(reverse("tracker-pledges"), {"sort": order}).status_code == 200
        by_deadline = rows(manager_client.get(reverse("tracker-pledges"), {"sort": "-deadline"}))
        assert by_deadline[0] == "外地指标"

    def test_the_filtered_view_exports_to_csv_and_reads_back(self, manager_client, board, district):
        response = manager_client.get(reverse("tracker-pledges"), {"organization": district.pk, "_export": "csv"})
        assert response["Content-Type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        header, body = table[0], table[1:]
        assert "指标" in header and len(body) == 3
        metric = header.index("指标")
        assert {row[metric] for row in body} == {"新注册重大产业项目", "新增外资企业", "进出口总额"}
        status = header.index("状态及原因")
        assert any(row[status].startswith("存在风险: 截至") for row in body)

    def test_the_filtered_view_exports_to_xlsx(self, manager_client, board):
        response = manager_client.get(reverse("tracker-pledges"), {"status": "achieved", "_export": "xlsx"})
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert len(values) == 2 and "新增外资企业" in values[1]


class TestPrinting:
    def test_a_long_table_offers_all_rows_on_one_page_keeping_the_filters(self, manager_client, district):
        PledgeFactory.create_batch(30, lead_organization=district)
        response = manager_client.get(reverse("tracker-pledges"), {"organization": district.pk})
        assert len(rows(response)) == 25
        one_page = response.context["one_page_url"]
        assert f"organization={district.pk}" in one_page and "per_page=30" in one_page
        assert len(rows(manager_client.get(reverse("tracker-pledges") + one_page))) == 30
        assert "一页显示全部，便于打印（30 条）" in response.content.decode()

    def test_a_page_never_holds_more_than_500_rows_whatever_the_url_asks(self, manager_client, board):
        response = manager_client.get(reverse("tracker-pledges"), {"per_page": 10**9})
        assert response.context["table"].paginator.per_page == 500

    def test_the_printed_heading_states_the_filters_in_words(self, manager_client, board, district):
        response = manager_client.get(
            reverse("tracker-pledges"), {"status": ["off_track", "at_risk"], "organization": district.pk, "q": "进出口"}
        )
        assert response.context["active_filters"] == [
            ("搜索", "进出口"), ("状态", "进度滞后、存在风险"), ("单位（含下级单位）", "通州区"),
            ("已办结（销号）", "仅在办"),  # closed pledges are left out unless asked for, and the heading says so
        ]
        page = response.content.decode()
        assert 'class="print-only print-heading"' in page and "alice 打印于 2025年10月10日" in page


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["tracker-pledges", "tracker-summary"])
def test_the_number_of_queries_does_not_grow_with_the_number_of_pledges(manager_client, district, page):
    def grow_to(n):
        while Pledge.objects.count() < n:
            PledgeFactory(lead_organization=district, metric=f"指标{Pledge.objects.count()}")

    grow_to(10)
    small = count_queries(manager_client, reverse(page))
    grow_to(200)
    assert count_queries(manager_client, reverse(page)) == small
    assert small <= 12


def test_the_organization_page_query_count_is_flat_too(manager_client, district):
    PledgeFactory.create_batch(10, lead_organization=district)
    url = reverse("tracker-organization", args=[district.pk])
    small = count_queries(manager_client, url)
    PledgeFactory.create_batch(100, lead_organization=district)
    assert count_queries(manager_client, url) == small


class TestSummary:
    def test_counts_by_status_and_matrix_cells_link_to_the_same_rows(self, manager_client, board, city):
        response = manager_client.get(reverse("tracker-summary"))
        context = response.context
        assert {item["status"]: item["count"] for item in context["overall"]}["off_track"] == 1
        city_row = next(row for row in context["org_rows"] if row["label"].pk == city.pk)
        assert city_row["total"] == 3  # the whole tree under 南通市, not 如皋市
        for status, count, url in city_row["cells"]:
            assert len(rows(manager_client.get(url))) == count

    def test_needs_attention_lists_the_worst_twenty_and_links_to_all_of_them(self, manager_client, board, district):

        made = [PledgeFactory(lead_organization=district, metric=f"逾期指标{n:02d}") for n in range(views.ATTENTION_ROWS + 5)]
        Pledge.objects.filter(pk__in=[p.pk for p in made]).update(target_status="overdue")
        response = manager_client.get(reverse("tracker-summary"))
        assert len(response.context["attention"].rows) == views.ATTENTION_ROWS
        every_overdue_or_off_track, every_late_report = response.context["attention_urls"]
        assert every_overdue_or_off_track in response.content.decode().replace("&amp;", "&")
        listed = manager_client.get(every_overdue_or_off_track + "&per_page=100")
        assert {"进出口总额", *(p.metric for p in made)} <= set(rows(listed))  # the off-track one of the board too

    def test_needs_attention_lists_overdue_off_track_and_late_worst_first(self, manager_client, board):
        attention = [row.record.metric for row in manager_client.get(reverse("tracker-summary")).context["attention"].rows]
        assert attention[0] == "进出口总额"
        assert "新增外资企业" not in attention

    def test_status_changes_of_the_last_week_are_listed_newest_first_and_marked_better_or_worse(self, client, staff, board):
        """First assessments (the board's pledges got theirs on 10 October) are not changes."""
        pledge = board["at_risk"]  # 32 of 50 by 2025-09-30: at risk
        with time_machine.travel(date(2025, 10, 12), tick=False):
            with_status(pledge, 45, as_of=date(2025, 10, 11))  # ahead again
        with time_machine.travel(date(2025, 10, 14), tick=False):
            with_status(pledge, 20, as_of=date(2025, 10, 13))  # a lower figure reported
            client.force_login(staff)
            response = client.get(reverse("tracker-summary"))
        changes = response.context["recent_changes"]
        assert [(row["change"].to_status, row["direction"]) for row in changes] == [("off_track", "worse"), ("on_track", "better")]
        page = response.content.decode()
        assert "近 7 天的状态变化" in page and "↘ 变差" in page and "↗ 好转" in page

    def test_changes_older_than_a_week_are_not_listed(self, client, staff, board):
        with time_machine.travel(date(2025, 10, 30), tick=False):
            client.force_login(staff)
            assert client.get(reverse("tracker-summary")).context["recent_changes"] == []

    def test_the_category_matrix(self, manager_client, board):
        rows_ = manager_client.get(reverse("tracker-summary")).context["category_rows"]
        assert [(row["label"].name, row["total"]) for row in rows_] == [("产业创新", 1)]


class TestPledgePage:
    def test_it_explains_the_status_and_draws_the_chart(self, manager_client, board):
        pledge = board["at_risk"]
        page = manager_client.get(reverse("tracker-pledge", args=[pledge.pk])).content.decode()
        assert "<svg" in page and 'class="expected"' in page and 'class="reported"' in page and "<circle" in page
        assert "按序时进度应达 37.36个" in page
        assert "全年新注册重大产业项目50个以上" in page
        assert reverse("tracker-document", args=[pledge.source_document_id]) + f"#pledge-{pledge.pk}" in page
        assert "状态变更记录" in page

    def test_its_query_count_does_not_grow_with_updates(self, manager_client, board):
        pledge = board["at_risk"]
        url = reverse("tracker-pledge", args=[pledge.pk])
        few = count_queries(manager_client, url)
        for month in range(1, 9):
            ProgressUpdateFactory(pledge=pledge, value=Decimal(month * 3), as_of=date(2025, month, 28))
        assert count_queries(manager_client, url) == few


def test_the_organization_page_shows_its_subtree_and_summary(manager_client, board, district):
    response = manager_client.get(reverse("tracker-organization", args=[district.pk]))
    assert sorted(rows(response)) == ["新增外资企业", "新注册重大产业项目", "进出口总额"]
    assert response.context["summary_rows"][0]["total"] == 3


def test_the_document_page_marks_and_links_each_pledge_and_escapes_the_text(manager_client, board):
    document = board["at_risk"].source_document
    document.full_text += "<script>alert(1)</script>"
    document.save()
    page = manager_client.get(reverse("tracker-document", args=[document.pk])).content.decode()
    assert f'<mark id="pledge-{board["at_risk"].pk}"' in page
    assert f'<mark id="pledge-{board["off_track"].pk}" class="status-off_track"' in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page


def test_the_pages_speak_english_when_chosen(manager_client, board):
    manager_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = manager_client.get(reverse("tracker-pledges")).content.decode()
    assert "All pledges" in page and "off track" in page and "Sept. 30, 2025" in page


class TestHelpPage:
    def test_it_explains_every_status_with_this_installations_thresholds(self, manager_client, settings):
        settings.TRACKER_ON_TRACK_RATIO = 0.9
        settings.TRACKER_AT_RISK_RATIO = 0.8
        page = manager_client.get(reverse("tracker-help")).content.decode()
        for word in ("已完成", "进度正常", "存在风险", "进度滞后", "逾期未完成", "暂无数据", "即将到期", "报送逾期"):
            assert word in page, word
        assert "完成进度达到同期应达进度的 90% 及以上" in page
        assert "达到同期应达进度的 80%，但低于 90%" in page
        assert "截止日期前 30、7 天" in page
        assert "达 2.97%" in page and "%%" not in page

    def test_every_page_links_to_it_and_it_reads_in_english_too(self, manager_client):
        summary = manager_client.get(reverse("tracker-summary")).content.decode()
        assert reverse("tracker-help") in summary and "状态说明" in summary
        manager_client.cookies["django_language"] = "en"
        page = manager_client.get(reverse("tracker-help")).content.decode()
        assert "How status works" in page and "Progress is at least 95% of the progress expected by then." in page
        assert "30, 7 days before its deadline" in page


def test_every_status_symbol_is_a_plain_text_character_that_office_fonts_have():
    """Emoji (an alarm clock, say) show as an empty box where no colour-emoji font is installed."""
    from commitments.display import REPORTING_SYMBOLS, STATUS_SYMBOLS

    for symbol in [*STATUS_SYMBOLS.values(), *REPORTING_SYMBOLS.values()]:
        # Geometric Shapes, Miscellaneous Symbols and Dingbats: in DejaVu, Segoe UI Symbol and the CJK fonts.
        assert all(0x25A0 <= ord(ch) <= 0x27BF for ch in symbol), symbol
