"""What is open to the public, and the tokens other systems push progress with (issue 21).

Imported at the end of commitments.models, so these are models of the commitments app like the others.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

TOKEN_PREFIX = "pt_"


class Publication(models.Model):
    """An administrator's decision to open something to the public: an organization with everything under it (the
    pledges they lead), or one pledge. Nothing is public without one (the portal is off by default); deleting the row
    closes it again."""

    organization = models.ForeignKey(
        "commitments.Organization", verbose_name=_("organization and everything under it"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="publications",
    )
    pledge = models.ForeignKey(
        "commitments.Pledge", verbose_name=_("one pledge"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="publications",
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=True, pledge__isnull=False)
                | Q(organization__isnull=False, pledge__isnull=True),
                name="commitments_publication_one_target",
                violation_error_message=_("Open either an organization or one pledge."),
            ),
            models.UniqueConstraint(fields=["organization"], name="commitments_publication_org_once"),
            models.UniqueConstraint(fields=["pledge"], name="commitments_publication_pledge_once"),
        ]

    def __str__(self):
        return str(self.organization or self.pledge)

    def clean(self):
        if (self.organization_id is None) == (self.pledge_id is None):
            raise ValidationError({"organization": _("Open either an organization or one pledge.")})


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A key another system pushes progress with, for the pledges its organization's subtree leads. The secret is
    shown once when issued; only its SHA-256 is kept. Revoked or past its expiry it opens nothing."""

    organization = models.ForeignKey(
        "commitments.Organization", verbose_name=_("organization"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Which system uses it, e.g. the statistics bureau's database."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, so that staff can tell tokens apart without the secret.
    prefix = models.CharField(_("begins with"), max_length=12, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who the audit history names for the pushes: an inactive account that cannot log in.
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, editable=False, related_name="api_token",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    # The per-token rate limit: pushes counted in the current minute.
    window_start = models.DateTimeField(null=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["last_used_at", "window_start", "window_count"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_secret() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    def set_secret(self, secret: str) -> None:
        self.key_hash = hash_token(secret)
        self.prefix = secret[:10]

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ApiPush(models.Model):
    """One push accepted under an idempotency key: a retry with the same key finds this row and stores nothing new
    (the unique key makes two concurrent identical pushes store one update)."""

    organization = models.ForeignKey(
        "commitments.Organization", verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=100)
    token = models.ForeignKey(ApiToken, verbose_name=_("API token"), null=True, on_delete=models.SET_NULL, related_name="pushes")
    # What was sent (a hash of the pledge and body): the same key with another body is refused.
    request_hash = models.CharField(max_length=64)
    update = models.OneToOneField(
        "commitments.ProgressUpdate", verbose_name=_("progress update"), null=True, on_delete=models.SET_NULL,
        related_name="api_push",
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("API push")
        verbose_name_plural = _("API pushes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="commitments_apipush_once_per_key"),
        ]

    def __str__(self):
        return f"{self.organization_id}:{self.key}"


class PublicExplanation(models.Model):
    """An administrator's decision that the cause of the delay and the corrective measures given with one progress
    update may be shown to the public with its pledge; they are private otherwise, as everything else an update says."""

    update = models.OneToOneField(
        "commitments.ProgressUpdate", verbose_name=_("progress update"), on_delete=models.CASCADE,
        related_name="public_explanation",
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("public cause and measures")
        verbose_name_plural = _("public causes and measures")
        ordering = ["-published_at", "-id"]

    def __str__(self):
        return str(self.update)
