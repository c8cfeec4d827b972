"""Login hardening, production settings and the audit trail."""

import os
import secrets
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from commitments import actions
from commitments.models import Membership, Pledge, ProgressUpdate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_repeated_failed_logins_lock_the_account_out(client):
    UserFactory(username="wang", password="the-right-password-1")
    for _ in range(5):
        client.post(reverse("tracker-login"), {"username": "wang", "password": "wrong"})
    response = client.post(reverse("tracker-login"), {"username": "wang", "password": "the-right-password-1"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_administrator_unlocks_a_locked_account_from_the_admin_in_chinese(client, staff):
    from axes.models import AccessAttempt

    UserFactory(username="zhao", password="the-right-password-1")
    for _ in range(5):
        client.post(reverse("tracker-login"), {"username": "zhao", "password": "wrong"})
    client.force_login(staff)
    listing = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "登录尝试" in listing and "zhao" in listing
    attempt = AccessAttempt.objects.get(username="zhao")
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    client.logout()

    response = client.post(reverse("tracker-login"), {"username": "zhao", "password": "the-right-password-1"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_a_right_password_before_the_limit_logs_in(client):
    UserFactory(username="li", password="the-right-password-1")
    client.post(reverse("tracker-login"), {"username": "li", "password": "wrong"})
    response = client.post(reverse("tracker-login"), {"username": "li", "password": "the-right-password-1"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_weak_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678", "password", "abc"):
        with pytest.raises(ValidationError):
            validate_password(weak)


def test_the_deploy_check_is_clean_under_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG",)}
    env |= {
        "DJANGO_SETTINGS_MODULE": "tracker.settings", "DEBUG": "0", "SECURE_SSL": "1",
        "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "tracker.example.gov.cn", "TRACKER_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_changes_to_a_pledge_are_recorded_with_who_made_them(client, staff, pledge):
    client.force_login(staff)
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    from tests.test_admin import change_form_data

    data = change_form_data(client.get(url))
    data["target"] = "60"
    assert client.post(url, data).status_code == 302
    latest = Pledge.history.filter(id=pledge.pk).latest("history_date")
    assert (latest.target, latest.history_user, latest.history_type) == (Decimal(60), staff, "~")
    history_page = client.get(reverse("admin:commitments_pledge_history", args=[pledge.pk])).content.decode()
    assert "alice" in history_page


def test_updates_and_their_review_are_in_the_audit_trail(pledge, district):
    district.requires_approval = True
    district.save()
    reporter, reviewer = UserFactory(username="reporter"), UserFactory(username="reviewer")
    Membership.objects.create(user=reporter, organization=district, role="reporter")
    Membership.objects.create(user=reviewer, organization=district, role="reviewer")
    with time_machine.travel(date(2025, 10, 10), tick=False):
        update = actions.do_record_progress(pledge, acting_user=reporter, as_of=date(2025, 9, 30), value=Decimal(40))
        actions.do_review_update(update, acting_user=reviewer, approve=True)
    trail = ProgressUpdate.history.filter(id=update.pk).order_by("history_date")
    assert [(h.review_state, h.history_user) for h in trail] == [("pending", reporter), ("approved", reviewer)]


def test_status_recomputation_does_not_flood_the_audit_trail(pledge):
    before = Pledge.history.count()
    for _ in range(3):
        actions.do_recompute_status(pledge)
    assert Pledge.history.count() == before


@pytest.mark.parametrize("role, allowed", [("administrator", True), ("reporter", False), ("manager", False)])
def test_only_administrators_reach_the_pledge_import_page(client, district, role, allowed):
    user = UserFactory(username=role, is_staff=True)
    Membership.objects.create(user=user, organization=district, role=role)
    client.force_login(user)
    response = client.get(reverse("admin:commitments_pledge_import"))
    assert (response.status_code == 200) is allowed


@pytest.mark.parametrize(
    "url_name, args",
    [
        ("tracker-login", []),
        ("set_language", []),
        ("tracker-logout", []),
        ("admin:commitments_progressupdate_add", []),
        ("admin:commitments_pledge_add", []),
        ("admin:commitments_sourcedocument_add", []),
    ],
)
def test_every_form_needs_its_csrf_token(url_name, args, staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(reverse(url_name, args=args), {"language": "en", "username": "x", "password": "y"})
    assert response.status_code == 403
