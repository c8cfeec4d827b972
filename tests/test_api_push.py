"""Other systems push progress with an API token (issue 21): issued per organization by an administrator, shown once,
stored hashed, revocable and expiring; a push goes through the same write path as the admin, once per idempotency key,
within a per-token rate limit, and stays in the audit history."""

import json
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commitments import tokens
from commitments.models import ApiPush, ApiToken, Organization, ProgressUpdate
from commitments.public_models import hash_token
from tests.factories import OrganizationFactory, PledgeFactory

TODAY = date(2025, 7, 15)
ON_TRACK = {"as_of": "2025-06-30", "value": "30"}  # 30 of 50 by the end of June: on track


@pytest.fixture
def issued(district, staff):
    token, secret = tokens.issue_token(district, "统计局数据库", issued_by=staff)
    return token, secret


def push(client, pledge, secret, body, key="push-1", **headers):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    if secret is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    with time_machine.travel(TODAY, tick=False):
        return client.post(
            f"/api/v1/pledges/{pledge.pk}/updates", json.dumps(body), content_type="application/json", **extra, **headers
        )


@pytest.mark.django_db
def test_a_token_is_kept_only_as_its_hash(issued):
    token, secret = issued
    assert secret.startswith("pt_") and len(secret) > 40
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert secret not in json.dumps(stored, default=str)
    assert stored["key_hash"] == hash_token(secret)
    assert not token.service_user.is_active and not token.service_user.has_usable_password()


@pytest.mark.django_db
def test_the_admin_shows_a_new_token_once(client, staff, district):
    client.force_login(staff)
    response = client.post(
        reverse("admin:commitments_apitoken_add"),
        {"organization": district.pk, "name": "项目库", "expires_at_0": "2030-01-01", "expires_at_1": "00:00:00"},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    token = ApiToken.objects.get(name="项目库")
    secret = shown[0][shown[0].index("pt_"):].strip()
    assert token.key_hash == hash_token(secret)
    change_page = client.get(reverse("admin:commitments_apitoken_change", args=[token.pk])).content.decode()
    assert secret not in change_page


@pytest.mark.django_db
def test_a_push_records_an_update_as_the_admin_would(client, pledge, issued):
    token, secret = issued
    response = push(client, pledge, secret, ON_TRACK)
    assert response.status_code == 201, response.content
    answer = json.loads(response.content)
    assert answer["review_state"] == "approved" and answer["replayed"] is False
    update = ProgressUpdate.objects.get(pk=answer["id"])
    assert update.value == Decimal(30) and update.reporter == token.service_user
    pledge.refresh_from_db()
    assert pledge.target_status == "on_track" and pledge.latest_value == Decimal(30)
    # The audit history names the token's service account, and the key.
    created = update.history.get(history_type="+")
    assert created.history_user == token.service_user
    assert "push-1" in created.history_change_reason
    assert token.organization.name in token.service_user.first_name


@pytest.mark.django_db
def test_a_push_waits_for_approval_where_the_organization_requires_it(client, pledge, issued, city):
    Organization.objects.filter(pk=city.pk).update(requires_approval=True)
    response = push(client, pledge, issued[1], ON_TRACK)
    assert json.loads(response.content)["review_state"] == "pending"
    pledge.refresh_from_db()
    assert pledge.latest_value is None  # it counts once a reviewer approves it


@pytest.mark.django_db
def test_a_push_that_leaves_the_pledge_behind_needs_cause_and_measures(client, pledge, issued):
    response = push(client, pledge, issued[1], {"as_of": "2025-06-30", "value": "3"})
    assert response.status_code == 422
    assert set(json.loads(response.content)["errors"]) == {"cause", "measures", "back_on_track_by"}
    assert not ProgressUpdate.objects.exists()
    assert not ApiPush.objects.exists()  # the key is free again for the corrected push


@pytest.mark.django_db
def test_bad_values_are_refused_by_field(client, pledge, issued):
    assert push(client, pledge, issued[1], {"as_of": "2025-06-30"}).status_code == 422  # no value
    assert push(client, pledge, issued[1], {"as_of": "not a date", "value": "1"}, key="push-2").status_code == 422
    response = push(client, pledge, issued[1], {"as_of": "2026-01-31", "value": "1"}, key="push-3")  # in the future
    assert "as_of" in json.loads(response.content)["errors"]
    assert push(client, pledge, issued[1], ON_TRACK, key=None).status_code == 422  # no idempotency key


# --- Tokens that open nothing --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_token_or_an_unknown_one_is_refused(client, pledge, issued):
    assert push(client, pledge, None, ON_TRACK).status_code == 401
    assert push(client, pledge, "pt_made-up", ON_TRACK).status_code == 401
    assert not ProgressUpdate.objects.exists()


@pytest.mark.django_db
def test_a_revoked_token_is_refused(client, pledge, issued, staff):
    token, secret = issued
    tokens.revoke(token, revoked_by=staff)
    assert push(client, pledge, secret, ON_TRACK).status_code == 401
    assert token.history.first().history_user == staff


@pytest.mark.django_db
def test_an_expired_token_is_refused(client, pledge, district):
    with time_machine.travel(TODAY - timedelta(days=40), tick=False):
        _token, secret = tokens.issue_token(district, "旧系统", expires_at=timezone.now() + timedelta(days=30))
    assert push(client, pledge, secret, ON_TRACK).status_code == 401


@pytest.mark.django_db
def test_a_token_reaches_only_its_organizations_pledges(client, issued, district):
    elsewhere = PledgeFactory(lead_organization=OrganizationFactory(name="别的区"))
    assert push(client, elsewhere, issued[1], ON_TRACK).status_code == 404
    co_owned = PledgeFactory(lead_organization=OrganizationFactory(name="牵头单位"))
    co_owned.co_owners.add(district)
    assert push(client, co_owned, issued[1], ON_TRACK, key="co").status_code == 201
    assert ProgressUpdate.objects.count() == 1


@pytest.mark.django_db
def test_a_token_is_held_to_its_rate_limit(client, pledge, issued, settings):
    settings.TRACKER_API_PUSHES_PER_MINUTE = 2
    assert push(client, pledge, issued[1], ON_TRACK, key="a").status_code == 201
    assert push(client, pledge, issued[1], ON_TRACK, key="b").status_code == 201
    refused = push(client, pledge, issued[1], ON_TRACK, key="c")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # Another token of the same organization has its own allowance; the next minute this one has again.
    _other, other_secret = tokens.issue_token(issued[0].organization, "另一系统")
    assert push(client, pledge, other_secret, ON_TRACK, key="d").status_code == 201
    token = ApiToken.objects.get(pk=issued[0].pk)
    assert tokens.within_rate_limit(token, now=token.window_start + timedelta(minutes=1))[0]


# --- Idempotency --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_retried_push_stores_one_update(client, pledge, issued):
    first = push(client, pledge, issued[1], ON_TRACK, key="2025-Q2")
    again = push(client, pledge, issued[1], ON_TRACK, key="2025-Q2")
    assert (first.status_code, again.status_code) == (201, 200)
    assert json.loads(again.content)["id"] == json.loads(first.content)["id"]
    assert json.loads(again.content)["replayed"] is True
    assert ProgressUpdate.objects.count() == 1


@pytest.mark.django_db
def test_a_key_used_again_for_another_update_is_refused(client, pledge, issued):
    push(client, pledge, issued[1], ON_TRACK, key="2025-Q2")
    response = push(client, pledge, issued[1], {"as_of": "2025-06-30", "value": "31"}, key="2025-Q2")
    assert response.status_code == 409
    assert ProgressUpdate.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_identical_pushes_at_the_same_moment_store_one_update(district, staff):
    pledge = PledgeFactory(lead_organization=district)
    _token, secret = tokens.issue_token(district, "统计局数据库", issued_by=staff)
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def send():
        try:
            barrier.wait(timeout=10)
            statuses.append(push(Client(), pledge, secret, ON_TRACK, key="same").status_code)
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    senders = [threading.Thread(target=send) for _ in range(2)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(statuses) == [200, 201]
    assert ProgressUpdate.objects.count() == 1
    assert ApiPush.objects.count() == 1


@pytest.mark.django_db
def test_another_system_pushes_without_a_session_or_csrf_token(pledge, issued):
    """The token is the credential: no cookie, so no CSRF token either (a browser's session opens nothing here)."""
    strict = Client(enforce_csrf_checks=True)
    assert push(strict, pledge, issued[1], ON_TRACK).status_code == 201


@pytest.mark.django_db
def test_a_signed_in_administrator_without_a_token_cannot_push(client, pledge, staff):
    client.force_login(staff)
    assert push(client, pledge, None, ON_TRACK).status_code == 401


@pytest.mark.django_db
def test_only_administrators_open_publications_and_tokens_in_the_admin(client, staff, district, pledge):
    from commitments.models import Membership
    from tests.factories import UserFactory

    names = ["publication", "apitoken", "apipush", "publicexplanation"]
    client.force_login(staff)
    for name in names:
        assert client.get(reverse(f"admin:commitments_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:commitments_publication_add")).status_code == 200
    response = client.post(reverse("admin:commitments_publication_add"), {"pledge": pledge.pk})
    assert response.status_code == 302
    reporter = UserFactory(username="reporter-zhao", is_staff=True)
    Membership.objects.create(user=reporter, organization=district, role=Membership.Role.REPORTER)
    client.force_login(reporter)
    for name in names:
        assert client.get(reverse(f"admin:commitments_{name}_changelist")).status_code == 403
