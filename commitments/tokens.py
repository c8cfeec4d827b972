"""API tokens for other systems (issue 21): issuing one (the secret shown once, its hash kept), finding the token a
request carries, the per-token rate limit, and a push of progress through the one write path
(actions.do_record_updates: the same validation, cause-and-measures rule and approval as in the admin) under an
idempotency key, so that a retried push stores one update."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import access, actions
from .models import ApiPush, ApiToken, Organization, Pledge, ProgressUpdate
from .public_models import hash_token



def pushes_per_minute() -> int:
    """Pushes one token may make in a minute (setting TRACKER_API_PUSHES_PER_MINUTE); more get 429 until the next."""
    return getattr(settings, "TRACKER_API_PUSHES_PER_MINUTE", 60)

DEFAULT_LIFETIME = timedelta(days=365)
KEY_LENGTH = 100


@transaction.atomic
def issue_token(organization: Organization, name: str, *, issued_by=None, expires_at: datetime | None = None):
    """A new token for `organization`; returns (token, secret). The secret is not stored: show it now or never."""
    secret = ApiToken.new_secret()
    token = ApiToken(
        organization=organization, name=name, created_by=issued_by,
        expires_at=expires_at or timezone.now() + DEFAULT_LIFETIME,
    )
    token.set_secret(secret)
    token._history_user = issued_by
    token.save()
    attach_service_user(token)
    return token, secret


def attach_service_user(token: ApiToken) -> None:
    """The account the audit history names for the token's pushes: inactive, without a password, named after the
    organization and the token."""
    if token.service_user_id:
        return
    user = get_user_model().objects.create(
        username=f"api-token-{token.pk}", first_name=f"{token.organization.name} · {token.name}"[:150], is_active=False,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    ApiToken.objects.filter(pk=token.pk).update(service_user=user)
    token.service_user = user


def revoke(token: ApiToken, *, revoked_by=None) -> None:
    token.revoked_at = timezone.now()
    token._history_user = revoked_by
    token.save(update_fields=["revoked_at"])


def token_from_header(header: str) -> ApiToken | None:
    """The usable token an `Authorization: Bearer <secret>` header carries; None for none, an unknown, a revoked or an
    expired one."""
    scheme, _space, secret = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    token = ApiToken.objects.select_related("organization", "service_user").filter(key_hash=hash_token(secret.strip())).first()
    if token is None or not token.is_usable():
        return None
    return token


def within_rate_limit(token: ApiToken, now: datetime | None = None) -> tuple[bool, int]:
    """Count one push against the token's minute; (allowed, seconds until the next minute). The token's row is locked
    while counted, so concurrent pushes are counted one by one (in every web worker: the count is in the database)."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().only("id", "window_start", "window_count").get(pk=token.pk)
        count = row.window_count + 1 if row.window_start == window else 1
        ApiToken.objects.filter(pk=token.pk).update(window_start=window, window_count=count, last_used_at=now)
    return count <= pushes_per_minute(), 60 - now.second


@dataclass
class PushResult:
    update: ProgressUpdate | None
    created: bool  # False: the key was seen before and the update then stored is returned
    conflict: bool = False  # the key was used before for another pledge or body


def request_fingerprint(pledge_id: int, fields: dict) -> str:
    text = json.dumps({"pledge": pledge_id, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def push_progress(token: ApiToken, pledge: Pledge, fields: dict, *, key: str) -> PushResult:
    """Record one progress update on `pledge` (which the caller found through access.pledges_to_push) with `fields`
    (value, done, as_of, note, evidence_url, cause, measures, back_on_track_by), once per idempotency `key` of the
    token's organization. Raises ValidationError (by field) as the admin would.

    The key's row is inserted first, in the update's transaction: a concurrent push with the same key waits on the
    unique key until this one commits, then finds the row and the update (or, if this one failed, inserts its own).
    """
    fingerprint = request_fingerprint(pledge.pk, fields)
    with transaction.atomic():
        try:
            with transaction.atomic():
                push = ApiPush.objects.create(
                    organization=token.organization, key=key, token=token, request_hash=fingerprint
                )
        except IntegrityError:
            earlier = ApiPush.objects.select_related("update").get(organization=token.organization, key=key)
            if earlier.request_hash != fingerprint:
                return PushResult(update=None, created=False, conflict=True)
            return PushResult(update=earlier.update, created=False)
        update = ProgressUpdate(pledge=pledge, **fields)
        update._change_reason = f"API push, token {token.prefix}…, key {key}"[:100]
        [saved] = actions.do_record_updates([update], acting_user=token.service_user)
        push.update = saved
        push.save(update_fields=["update"])
    return PushResult(update=saved, created=True)


def pushable(token: ApiToken, pledge_id: int) -> Pledge | None:
    return access.pledges_to_push(token).select_related("lead_organization").filter(pk=pledge_id).first()
