"""The public portal and the open data (issue 21): off until an administrator opens an organization or a pledge; then
anyone reads its pages, downloads, feed, card and API, which show nothing private."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.cache import cache
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments import actions, tokens
from commitments.models import (
    Category,
    ChaseLog,
    Checkpoint,
    Instruction,
    JobRun,
    Membership,
    Notification,
    Pledge,
    PledgeDraft,
    ProgressUpdate,
    PublicExplanation,
    Publication,
    Revision,
    SourceDocument,
    StatusChange,
)
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory, UserFactory

TODAY = date(2025, 7, 15)


@pytest.fixture(autouse=True)
def rendered_afresh(settings, tmp_path):
    """Each request renders anew (the server-side cache of the public answers has a test of its own); downloads are
    written in this test's own folder."""
    settings.TRACKER_PUBLIC_CACHE_SECONDS = 0
    settings.VAR_DIR = tmp_path
    cache.clear()


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


@pytest.fixture
def opened(city, district):
    """The city opened to the public with everything under it; a pledge of another, unopened organization."""
    Publication.objects.create(organization=city)
    elsewhere = OrganizationFactory(name="未公开单位")
    with time_machine.travel(TODAY, tick=False):
        public = PledgeFactory(lead_organization=district, metric="新注册重大产业项目")
        private = PledgeFactory(lead_organization=elsewhere, metric="内部考核指标")
        for pledge in (public, private):
            ProgressUpdateFactory(pledge=pledge, value=Decimal(20), as_of=date(2025, 6, 30))
            actions.do_recompute_status(pledge)
    return {"public": public, "private": private, "elsewhere": elsewhere}


# --- Off by default, opened per organization subtree or per pledge ------------------------------------------------------


@pytest.mark.django_db
def test_nothing_is_public_until_an_administrator_opens_it(client, pledge):
    assert "新注册重大产业项目" not in body_of(client.get(reverse("public-pledges")))
    assert client.get(reverse("public-pledge", args=[pledge.pk])).status_code == 404
    assert client.get(f"/api/v1/pledges/{pledge.pk}").status_code == 404
    assert json.loads(client.get("/api/v1/pledges").content)["count"] == 0


@pytest.mark.django_db
def test_opening_an_organization_opens_the_pledges_led_in_its_subtree(client, opened):
    public, private = opened["public"], opened["private"]
    listing = body_of(client.get(reverse("public-pledges")))
    assert public.metric in listing and private.metric not in listing
    assert client.get(reverse("public-pledge", args=[public.pk])).status_code == 200
    for name in ("public-pledge", "public-card"):
        assert client.get(reverse(name, args=[private.pk])).status_code == 404
    for suffix in ("", "/values", "/status-changes"):
        assert client.get(f"/api/v1/pledges/{private.pk}{suffix}").status_code == 404
    assert client.get(reverse("public-organization", args=[opened["elsewhere"].pk])).status_code == 404


@pytest.mark.django_db
def test_one_pledge_can_be_opened_alone(client, opened):
    private = opened["private"]
    Publication.objects.create(pledge=private)
    assert client.get(reverse("public-pledge", args=[private.pk])).status_code == 200
    # Its organization gets a page listing just that pledge.
    page = body_of(client.get(reverse("public-organization", args=[opened["elsewhere"].pk])))
    assert private.metric in page


@pytest.mark.django_db
def test_public_pages_are_cacheable_by_anyone_and_staff_pages_stay_private(client, opened, staff):
    response = client.get(reverse("public-pledge", args=[opened["public"].pk]))
    assert "public" in response.headers["Cache-Control"] and "private" not in response.headers["Cache-Control"]
    assert "max-age=300" in response.headers["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie: the same page for everyone
    client.force_login(staff)
    assert "private" in client.get(reverse("tracker-pledge", args=[opened["public"].pk])).headers["Cache-Control"]


@pytest.mark.django_db
def test_the_portal_is_read_only(client, opened):
    assert client.post(reverse("public-pledges")).status_code in (403, 405)
    assert Client(enforce_csrf_checks=False).post(reverse("public-pledge", args=[opened["public"].pk])).status_code == 405
    assert client.head(reverse("public-pledges")).status_code == 200


@pytest.mark.django_db
def test_the_portal_speaks_chinese_and_english(client, opened):
    url = reverse("public-pledge", args=[opened["public"].pk])
    chinese, english = body_of(client.get(url)), body_of(client.get(url + "?lang=en"))
    assert '<html lang="zh-hans">' in chinese and '<html lang="en">' in english
    assert "Approved values" in english
    assert client.get(url + "?lang=en").headers["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_pledge_page_shows_status_target_source_chart_values_and_history(client, opened):
    public = opened["public"]
    public.source_document = SourceDocument.objects.create(title="政府工作报告", url="https://gov.example/report")
    public.save()
    page = body_of(client.get(reverse("public-pledge", args=[public.pk]) + "?lang=en"))
    assert "≥ 50个" in page  # the target
    assert "全年新注册重大产业项目50个以上" in page and "政府工作报告" in page  # the sentence and its document
    assert "<svg" in page  # the chart
    assert "20个" in page  # the approved value
    assert 'id="change-' in page  # the status history


@pytest.mark.django_db
def test_a_bad_filter_is_named_not_guessed(client, opened):
    page = body_of(client.get(reverse("public-pledges") + "?lang=en&status=bogus&organization=999999"))
    assert "Status: “bogus” is not a status." in page
    assert "Organization: no public organization has the number “999999”." in page
    # An organization that exists but is not public is refused in the same words: nothing tells it exists.
    page = body_of(client.get(reverse("public-pledges") + f"?lang=en&organization={opened['elsewhere'].pk}"))
    assert "no public organization has the number" in page


@pytest.mark.django_db
def test_causes_and_measures_show_only_once_an_administrator_opens_them(client, district, city, staff):
    Publication.objects.create(organization=city)
    with time_machine.travel(TODAY, tick=False):
        pledge = PledgeFactory(lead_organization=district)
        behind = actions.do_record_progress(
            pledge, acting_user=None, as_of=date(2025, 6, 30), value=Decimal(3), cause="审批延误", measures="专班推进",
            back_on_track_by=date(2025, 9, 30),
        )
    url = reverse("public-pledge", args=[pledge.pk])
    assert "审批延误" not in body_of(client.get(url))
    assert json.loads(client.get(f"/api/v1/pledges/{pledge.pk}").content)["explanation"] is None
    PublicExplanation.objects.create(update=behind, published_by=staff)
    page = body_of(client.get(url))
    assert "审批延误" in page and "专班推进" in page
    assert json.loads(client.get(f"/api/v1/pledges/{pledge.pk}").content)["explanation"]["cause"] == "审批延误"


# --- The leak test ------------------------------------------------------------------------------------------------------

# Text that anyone may read of a public pledge; every other text column of every model is private.
PUBLIC_TEXT = {
    "commitments.organization": {"name", "short_name"},
    "commitments.pledge": {"metric", "unit", "source_sentence", "suspended_reason", "not_applicable_reason"},
    "commitments.category": {"name"},
    "commitments.sourcedocument": {"title", "issuing_body", "url"},
}
# Columns that keep the data working, not text anyone writes: a marker there would break the test's own set-up.
STRUCTURAL = {"tree_path", "key_hash", "password"}
MARK = "Ⓛ"  # a character none of the pages writes of its own


def text_fields(model):
    for field in model._meta.concrete_fields:
        if field.primary_key or field.choices or field.name in STRUCTURAL:
            continue
        if isinstance(field, (models.CharField, models.TextField, models.FileField)):
            yield field


def plant_markers() -> int:
    """A unique marker in every private text column of every row of every model (and the users'); how many."""
    planted = 0
    models_to_mark = [*apps.get_app_config("commitments").get_models(), get_user_model()]
    for model in models_to_mark:
        public = PUBLIC_TEXT.get(model._meta.label_lower, set())
        fields = [f for f in text_fields(model) if f.name not in public]
        for pk in model._default_manager.values_list("pk", flat=True):
            values = {}
            for field in fields:
                marker = f"{MARK}{planted}"
                if isinstance(field, models.EmailField):
                    marker = f"{marker}@example.test"
                elif isinstance(field, models.URLField):
                    marker = f"https://example.test/{marker}"
                values[field.attname] = marker[: field.max_length] if field.max_length else marker
                planted += 1
            if values:
                model._default_manager.filter(pk=pk).update(**values)
    return planted


@pytest.fixture
def everything(opened, district, staff):
    """Rows in every model around the public pledge: updates approved, pending, returned and corrected, with notes,
    evidence, causes and measures; a revision; an instruction; a chase; a notification; a draft; a token's push."""
    public = opened["public"]
    reporter = UserFactory(username="reporter-li", first_name="李", last_name="明", email="li@example.test")
    Membership.objects.create(user=reporter, organization=district, role=Membership.Role.REPORTER)
    document = SourceDocument.objects.create(title="工作报告", full_text="全文", url="https://gov.example/a")
    public.source_document = document
    public.category = Category.objects.create(name="产业创新")
    public.notes = "内部备注"
    public.responsible_person = "王五"
    public.save()
    with time_machine.travel(TODAY, tick=False):
        first = ProgressUpdateFactory(
            pledge=public, value=Decimal(5), as_of=date(2025, 3, 31), note="n", evidence_url="https://x.example/e",
            evidence_file="evidence/2025/03/a.pdf", cause="c", measures="m", reporter=reporter,
        )
        ProgressUpdateFactory(pledge=public, value=Decimal(6), as_of=date(2025, 3, 31), supersedes=first, reporter=reporter)
        ProgressUpdateFactory(pledge=public, value=Decimal(30), as_of=date(2025, 6, 30), review_state="pending", note="p")
        ProgressUpdateFactory(
            pledge=public, value=Decimal(31), as_of=date(2025, 6, 30), review_state="returned", review_comment="r",
            reviewed_by=staff,
        )
        actions.do_recompute_status(public)
    Revision.objects.create(pledge=public, kind=Revision.Change.SUSPEND, reason="r", requested_by=reporter)
    Instruction.objects.create(pledge=public, addressee=district, text="t", due=TODAY, written_by=staff, answer="a")
    ChaseLog.objects.create(pledge=public, day=TODAY, chased_by=staff, recipients="li@example.test")
    Notification.objects.create(recipient="li@example.test", pledge=public, kind="status_change", period="p", subject="s", body_text="b")
    PledgeDraft.objects.create(document=document, sentence="s", position=1, metric="m", kind="level", comparator=">=")
    Checkpoint.objects.create(pledge=public, as_of=date(2025, 6, 30), planned_value=Decimal(25))
    JobRun.objects.create(name="sweep", last_error="e")
    token, _secret = tokens.issue_token(district, "统计局数据库", issued_by=staff)
    with time_machine.travel(TODAY, tick=False):
        tokens.push_progress(token, public, {
            "as_of": date(2025, 6, 30), "value": Decimal(21), "note": "pushed", "cause": "c", "measures": "m",
            "back_on_track_by": date(2025, 9, 30),
        }, key="k1")
    return opened


def public_urls(opened) -> list[str]:
    public = opened["public"]
    pledge_ids = list(Pledge.objects.values_list("pk", flat=True))
    organizations = [public.lead_organization_id, public.lead_organization.parent_id]
    urls = [
        reverse("public-pledges"), reverse("public-pledges") + "?q=项目&status=overdue",
        reverse("public-download-csv"), reverse("public-download-json"), reverse("public-feed"),
        "/api/v1/pledges", "/api/v1/status-changes", "/api/v1/organizations", "/api/v1/openapi.json",
    ]
    for pk in pledge_ids:
        urls += [
            reverse("public-pledge", args=[pk]), reverse("public-card", args=[pk]),
            f"/api/v1/pledges/{pk}", f"/api/v1/pledges/{pk}/values", f"/api/v1/pledges/{pk}/status-changes",
        ]
    urls += [reverse("public-organization", args=[pk]) for pk in organizations]
    return urls + [f"{url}{'&' if '?' in url else '?'}lang=en" for url in urls]


@pytest.mark.django_db
def test_no_private_field_of_any_model_shows_on_any_public_url(client, everything, staff):
    planted = plant_markers()
    assert planted > 100
    assert ProgressUpdate.objects.filter(note__startswith=MARK).count() == ProgressUpdate.objects.count()
    # The markers are there to be found: the staff's own page of the pledge shows some of them.
    staff_client = Client()
    staff_client.force_login(staff)
    assert MARK in body_of(staff_client.get(reverse("tracker-pledge", args=[everything["public"].pk])))

    seen = 0
    for url in public_urls(everything):
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, url
        body = body_of(response)
        assert MARK not in body, f"{url} shows a private field: …{body[max(body.index(MARK) - 80, 0):body.index(MARK) + 40]}…"
        seen += 1
    assert seen >= 30


# --- The open-data API ---------------------------------------------------------------------------------------------------


@pytest.fixture
def many(city, district):
    Publication.objects.create(organization=city)
    with time_machine.travel(TODAY, tick=False):
        pledges = [PledgeFactory(lead_organization=district, metric=f"指标{n:02d}") for n in range(7)]
        for pledge in pledges[:3]:
            ProgressUpdateFactory(pledge=pledge, value=Decimal(40), as_of=date(2025, 6, 30))
        for pledge in pledges:
            actions.do_recompute_status(pledge)
    return pledges


@pytest.mark.django_db
def test_the_api_pages_through_the_public_pledges(client, many):
    first = json.loads(client.get("/api/v1/pledges?page_size=3").content)
    assert first["count"] == 7 and len(first["results"]) == 3 and first["previous"] is None
    last = json.loads(client.get("/api/v1/pledges?page_size=3&page=3").content)
    assert [p["metric"] for p in last["results"]] == ["指标06"] and last["next"] is None
    assert "page=2" in first["next"]


@pytest.mark.django_db
def test_the_api_filters_by_status_organization_and_words(client, many, district):
    with time_machine.travel(TODAY, tick=False):
        statuses = {p["status"] for p in json.loads(client.get("/api/v1/pledges").content)["results"]}
        assert len(statuses) == 2
        on_track = json.loads(client.get("/api/v1/pledges?status=on_track").content)
    assert on_track["count"] == 3 and {p["status"] for p in on_track["results"]} == {"on_track"}
    assert json.loads(client.get(f"/api/v1/pledges?organization={district.pk}").content)["count"] == 7
    assert json.loads(client.get("/api/v1/pledges?q=指标03").content)["count"] == 1


@pytest.mark.django_db
def test_a_bad_api_filter_is_refused_naming_the_field(client, many):
    response = client.get("/api/v1/pledges?status=bogus&organization=424242")
    assert response.status_code == 422
    errors = json.loads(response.content)["errors"]
    assert set(errors) == {"status", "organization"}


@pytest.mark.django_db
def test_the_api_answers_304_to_a_client_whose_copy_is_current(client, many):
    response = client.get(f"/api/v1/pledges/{many[0].pk}")
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert client.get(f"/api/v1/pledges/{many[0].pk}", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(f"/api/v1/pledges/{many[0].pk}", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert "public" in response.headers["Cache-Control"]
    # A new approved value changes the ETag.
    with time_machine.travel(TODAY, tick=False):
        actions.do_record_progress(many[0], acting_user=None, as_of=date(2025, 7, 1), value=Decimal(45))
    assert client.get(f"/api/v1/pledges/{many[0].pk}", HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_the_api_gives_approved_values_and_status_changes(client, many):
    values = json.loads(client.get(f"/api/v1/pledges/{many[0].pk}/values").content)
    assert values == [{"as_of": "2025-06-30", "value": "40", "done": None, "recorded_at": values[0]["recorded_at"]}]
    changes = json.loads(client.get(f"/api/v1/pledges/{many[0].pk}/status-changes?lang=en").content)
    assert changes[0]["to_status"] == "on_track" and changes[0]["reason"]
    assert json.loads(client.get("/api/v1/status-changes?page_size=2").content)["count"] == 7


@pytest.mark.django_db
def test_the_openapi_schema_describes_every_endpoint(client):
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/pledges", "/api/v1/pledges/{pledge_id}", "/api/v1/pledges/{pledge_id}/values",
        "/api/v1/pledges/{pledge_id}/status-changes", "/api/v1/status-changes", "/api/v1/organizations",
        "/api/v1/pledges/{pledge_id}/updates",
    }
    push = schema["paths"]["/api/v1/pledges/{pledge_id}/updates"]["post"]
    assert push["security"] == [{"TokenAuth": []}]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in push["parameters"])
    pledge = schema["components"]["schemas"]["PledgeOut"]["properties"]
    assert "notes" not in pledge and "responsible_person" not in pledge


# --- Downloads, feed, card --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_csv_download_has_every_public_pledge_and_no_formula(client, opened):
    public = opened["public"]
    Pledge.objects.filter(pk=public.pk).update(metric="=HYPERLINK(\"http://evil.example\")")
    rows = list(csv.reader(io.StringIO(body_of(client.get(reverse("public-download-csv"))).lstrip("\ufeff"))))
    assert rows[0][:2] == ["id", "metric"] and len(rows) == 2
    assert rows[1][1].startswith("'=")


@pytest.mark.django_db
def test_the_json_download_has_every_public_pledge(client, many):
    data = json.loads(body_of(client.get(reverse("public-download-json"))))
    assert sorted(p["metric"] for p in data["pledges"]) == [f"指标{n:02d}" for n in range(7)]


@pytest.mark.django_db
def test_the_atom_feed_lists_status_changes_of_public_pledges_only(client, opened):
    feed = body_of(client.get(reverse("public-feed") + "?lang=en"))
    assert feed.startswith("<?xml") and "http://www.w3.org/2005/Atom" in feed
    assert opened["public"].metric in feed and opened["private"].metric not in feed
    assert StatusChange.objects.filter(pledge=opened["private"]).exists()


@pytest.mark.django_db
def test_the_status_card_is_an_svg_other_sites_may_embed(client, opened):
    response = client.get(reverse("public-card", args=[opened["public"].pk]) + "?lang=en")
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    svg = body_of(response)
    assert svg.startswith("<svg") and opened["public"].get_target_status_display() in svg or "behind" in svg.lower() or "<text" in svg


# --- Cost --------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_and_the_api_page_cost_a_few_queries_whatever_the_number_of_pledges(client, many):
    for url in (reverse("public-pledges"), "/api/v1/pledges", "/api/v1/pledges?status=on_track&organization=%d" % many[0].lead_organization_id):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert len(captured) <= 10, (url, [q["sql"] for q in captured])


@pytest.mark.django_db
def test_public_answers_are_kept_a_minute_for_every_reader(client, many, settings):
    """Many anonymous readers of the same page cost one rendering: the answer is kept per address and language."""
    settings.TRACKER_PUBLIC_CACHE_SECONDS = 60
    for url in (reverse("public-pledges"), "/api/v1/pledges"):
        first = body_of(client.get(url))
        with CaptureQueriesContext(connection) as captured:
            again = client.get(url)
        assert body_of(again) == first and len(captured) == 0
        assert "public" in again.headers["Cache-Control"]
        assert body_of(client.get(url + "?lang=en")) != first  # another language, another answer
    etag = client.get("/api/v1/pledges").headers["ETag"]
    assert client.get("/api/v1/pledges", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.django_db
def test_the_downloads_are_written_once_a_minute_and_served_from_the_file(client, many, settings, tmp_path):
    settings.TRACKER_PUBLIC_CACHE_SECONDS = 60
    first = body_of(client.get(reverse("public-download-csv")))
    Pledge.objects.filter(pk=many[0].pk).update(metric="改过的指标")
    assert body_of(client.get(reverse("public-download-csv"))) == first  # the kept file
    assert (tmp_path / "public" / "pledges-zh-hans.csv").exists()
    assert not list((tmp_path / "public").glob("writing-*"))  # no half-written file left behind
    settings.TRACKER_PUBLIC_CACHE_SECONDS = 0
    assert "改过的指标" in body_of(client.get(reverse("public-download-csv")))


@pytest.mark.django_db
def test_every_page_of_a_list_shares_one_count(client, many, settings):
    settings.TRACKER_PUBLIC_CACHE_SECONDS = 60
    client.get("/api/v1/pledges?page_size=2")
    with CaptureQueriesContext(connection) as captured:
        page_two = json.loads(client.get("/api/v1/pledges?page_size=2&page=2").content)
    assert page_two["count"] == 7
    assert not any("COUNT(" in query["sql"].upper() for query in captured)
