"""Many users at once (issue 18): the pages of the load test's mix cost the same number of queries however many
pledges and organizations there are; the search finds Chinese substrings in every field it looks in (served by trigram
indexes on PostgreSQL); the status table counts its rows only up to a cap; `make serve` answers /health/ and serves
the collected static files with DEBUG off."""

import csv
import io
import os
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from commitments import views
from commitments.models import Membership
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def offices_with_pledges(city, offices: int, pledges_each: int) -> list:
    """`offices` offices under the city, each with `pledges_each` pledges that have a report."""
    made = []
    for n in range(offices):
        office = OrganizationFactory(name=f"{city.name}第{n}办公室", parent=city)
        for m in range(pledges_each):
            pledge = PledgeFactory(lead_organization=office, metric=f"清洁能源项目{n}-{m}")
            ProgressUpdateFactory(pledge=pledge, as_of=date(2026, 3, 31), value=10)
            made.append(pledge)
    return made


def manager_of(org):
    user = UserFactory(username=f"manager-of-{org.pk}")
    Membership.objects.create(user=user, organization=org, role=Membership.Role.MANAGER)
    return user


def reporter_of(org):
    user = UserFactory(username=f"reporter-of-{org.pk}")
    Membership.objects.create(user=user, organization=org, role=Membership.Role.REPORTER)
    return user


def queries_of(client, django_assert_max_num_queries, url, most):
    with django_assert_max_num_queries(most) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


class TestQueriesStayFlat:
    """The load test's pages, at 2 and at 12 offices with 1 and 4 pledges each: the same queries (and never more
    than the bound), so 2,000 offices and 100,000 pledges do not multiply them."""

    MOST = 20  # the heaviest page of the mix runs 15 today; a query per row would pass it at once

    def pages(self, city, pledges, reporter_office):
        return {
            "summary": reverse("tracker-summary"),
            "status table by status": reverse("tracker-pledges") + "?status=no_data&status=off_track",
            "status table of a city": reverse("tracker-pledges") + f"?organization={city.pk}",
            "search": reverse("tracker-pledges") + "?q=能源",
            "pledge page": reverse("tracker-pledge", args=[pledges[-1].pk]),
            "export of an office's pledges": reverse("tracker-pledges") + f"?organization={reporter_office.pk}&_export=csv",
            "reporter's to-do list": reverse("tracker-todo"),
            "reporter's pledges": reverse("tracker-pledges") + f"?organization={reporter_office.pk}",
        }

    def count_all(self, client, django_assert_max_num_queries, city, offices, pledges_each):
        pledges = offices_with_pledges(city, offices, pledges_each)
        reporter_office = pledges[0].lead_organization
        manager, reporter = manager_of(city), reporter_of(reporter_office)
        counted = {}
        for name, url in self.pages(city, pledges, reporter_office).items():
            client.force_login(reporter if name.startswith("reporter") else manager)
            counted[name] = queries_of(client, django_assert_max_num_queries, url, self.MOST)
        return counted

    def test_the_same_queries_at_two_and_at_twelve_offices(self, client, django_assert_max_num_queries):
        # Another province's tree, so that neither city's manager sees every organization (access.pledges_for skips
        # its filter for one who does).
        OrganizationFactory(name="邻省")
        small = self.count_all(client, django_assert_max_num_queries, OrganizationFactory(name="小市"), 2, 1)
        large = self.count_all(client, django_assert_max_num_queries, OrganizationFactory(name="大市"), 12, 4)
        assert large == small


class TestRenderingOnce:
    def test_each_row_of_the_status_table_is_rendered_once_for_the_table_and_the_phone_cards_together(
            self, client, city, monkeypatch):
        from collections import Counter

        from commitments.tables import PledgeTable

        pledges = offices_with_pledges(city, 3, 2)
        rendered = Counter()
        render_status = PledgeTable.render_status

        def counting(table, record):
            rendered[record.pk] += 1
            return render_status(table, record)

        monkeypatch.setattr(PledgeTable, "render_status", counting)
        client.force_login(manager_of(city))
        page = client.get(reverse("tracker-pledges")).content.decode()
        assert rendered == {pledge.pk: 1 for pledge in pledges}
        # Both show it: the row's status cell and the card's status block.
        assert page.count('<td class="status">') == 6 and page.count('<div class="status">') == 6


class TestSearch:
    def test_finds_a_chinese_substring_in_the_metric_the_sentence_the_person_and_the_owner_names(self, client, city):
        office = OrganizationFactory(name="市发展和改革委员会", short_name="发改委", parent=city)
        other = OrganizationFactory(name="市生态环境局", parent=city)
        by_metric = PledgeFactory(lead_organization=other, metric="新建充电桩数量")
        by_sentence = PledgeFactory(lead_organization=other, metric="公交线路", source_sentence="年内新建充电桩配套线路20条")
        by_person = PledgeFactory(lead_organization=other, metric="绿地面积", responsible_person="充电桩专班王科长")
        by_owner = PledgeFactory(lead_organization=office, metric="项目投资额")
        unrelated = PledgeFactory(lead_organization=other, metric="空气优良天数")
        client.force_login(manager_of(city))

        def found(q):
            page = client.get(reverse("tracker-pledges"), {"q": q}).content.decode()
            return {p for p in (by_metric, by_sentence, by_person, by_owner, unrelated) if f"/pledges/{p.pk}/" in page}

        assert found("充电桩") == {by_metric, by_sentence, by_person}
        assert found("发展和改革") == {by_owner}  # the owner's full name
        assert found("发改") == {by_owner}  # its short name
        assert found("没有这样的字") == set()

    def test_an_owner_named_in_the_search_does_not_show_pledges_the_user_may_not_see(self, client, city):
        mine = OrganizationFactory(name="甲区水务局", parent=city)
        theirs = OrganizationFactory(name="乙区水务局")  # in another tree
        seen = PledgeFactory(lead_organization=mine, metric="供水管网改造")
        hidden = PledgeFactory(lead_organization=theirs, metric="污水处理率")
        client.force_login(manager_of(mine))
        page = client.get(reverse("tracker-pledges"), {"q": "水务局"}).content.decode()
        assert f"/pledges/{seen.pk}/" in page and f"/pledges/{hidden.pk}/" not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are made on PostgreSQL only")
def test_the_trigram_indexes_exist_after_migrate_and_serve_the_search():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%\\_trgm"])
        indexes = dict(cursor.fetchall())
    assert "commitments_pledge_metric_trgm" in indexes
    assert "gin_trgm_ops" in indexes["commitments_pledge_metric_trgm"]
    assert "upper((metric)::text)" in indexes["commitments_pledge_metric_trgm"]  # what icontains compares
    assert {"commitments_pledge_sentence_trgm", "commitments_pledge_person_trgm", "commitments_org_name_trgm",
            "commitments_org_short_name_trgm"} <= set(indexes)


class TestOrder:
    def test_one_status_is_in_deadline_order_and_several_worst_first(self, client, staff, district):
        """With one status the table tells the database every row's severity is the same (so it can walk the status
        and deadline index); the rows come in the same order as before: worst first, then by deadline."""
        late = PledgeFactory(lead_organization=district, metric="晚", target_status="off_track", deadline=date(2027, 6, 30))
        early = PledgeFactory(lead_organization=district, metric="早", target_status="off_track", deadline=date(2026, 12, 31))
        at_risk = PledgeFactory(lead_organization=district, metric="险", target_status="at_risk", deadline=date(2026, 1, 31))
        client.force_login(staff)

        def order(query):
            page = client.get(reverse("tracker-pledges") + query)
            return [row.record for row in page.context["table"].page.object_list]

        assert order("?status=off_track") == [early, late]
        assert order("?status=off_track&status=at_risk") == [early, late, at_risk]  # off track is worse than at risk
        assert order("?status=off_track&sort=-deadline") == [late, early]


class TestRowCountCap:
    """The status table counts up to a cap (views.COUNT_CAP, 2,000) and then says "more than"; here the cap is 3."""

    @pytest.fixture
    def cap_of_three(self, monkeypatch):
        monkeypatch.setattr(views.CappedCountPaginator, "cap", 3)

    def test_up_to_the_cap_the_count_is_exact(self, client, staff, district, cap_of_three):
        for n in range(3):
            PledgeFactory(lead_organization=district, metric=f"指标{n}")
        client.force_login(staff)
        page = client.get(reverse("tracker-pledges"))
        assert page.context["table"].paginator.count == 3
        assert not page.context["table"].paginator.capped

    def test_past_the_cap_it_says_more_than_and_the_export_still_has_every_row(self, client, staff, district, cap_of_three):
        for n in range(5):
            PledgeFactory(lead_organization=district, metric=f"指标{n}")
        client.force_login(staff)
        page = client.get(reverse("tracker-pledges"), {"per_page": 2})
        paginator = page.context["table"].paginator
        assert paginator.capped and paginator.count == 3
        assert "超过 3 项" in page.content.decode() or "more than 3 pledges" in page.content.decode()
        exported = client.get(reverse("tracker-pledges"), {"_export": "csv"})
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert len(rows) == 1 + 5  # the header and every pledge
        printed = client.get(reverse("tracker-pledges"), {"per_page": views.MAX_ROWS_PER_PAGE})
        assert len(printed.context["table"].page.object_list) == 5  # all on one page, for printing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_serve_answers_health_and_serves_collected_static_files_with_debug_off(tmp_path):
    """`make serve` on a fresh SQLite file and an embedded Redis: migrations applied, static files collected, gunicorn
    answering /health/ on the address from TRACKER_ADDR; Ctrl-C stops it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env |= {"TRACKER_VAR_DIR": str(tmp_path), "TRACKER_ADDR": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    log = open(tmp_path / "serve.log", "w+")
    serve = subprocess.Popen(["make", "--no-print-directory", "serve"], cwd=ROOT, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, health = time.monotonic() + 120, None
        while time.monotonic() < deadline and health is None and serve.poll() is None:
            try:
                health = urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5)
            except urllib.error.HTTPError as answer:  # 503 while beat has not run the jobs yet: still an answer
                health = answer
            except OSError:
                time.sleep(0.5)
        output = (tmp_path / "serve.log").read_text()
        assert health is not None, output
        assert health.headers["Content-Type"] == "application/json"
        assert b'"checks"' in health.read()
        assert "gunicorn" in output.lower() or "Booting worker" in output, output
        assert (tmp_path / "static" / "commitments" / "picker.js").exists()  # collected
        script = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/commitments/picker.js", timeout=5)
        assert script.status == 200
        missing = urllib.request.Request(f"http://127.0.0.1:{port}/no-such-page/")
        with pytest.raises(urllib.error.HTTPError) as not_found:
            urllib.request.urlopen(missing, timeout=5)
        assert b"Traceback" not in not_found.value.read()  # DEBUG off: no debug page
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        serve.wait(timeout=90)
