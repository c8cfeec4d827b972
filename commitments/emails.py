"""Alert emails: each kind is three templates (subject, plain text, HTML) rendered in the recipient's language."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import Notification, Pledge


def pledge_url(pledge: Pledge | int) -> str:
    pledge_id = pledge if isinstance(pledge, int) else pledge.pk
    return settings.SITE_URL.rstrip("/") + reverse("tracker-pledge", args=[pledge_id])


def render(kind: str, context: dict, language: str) -> tuple[str, str, str]:
    """(subject, text, html) for an alert of `kind`, in `language`."""
    with translation.override(language):
        context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
        subject = " ".join(render_to_string(f"emails/{kind}-subject.txt", context).split())
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
    return subject[:300], text, html


def site_domain() -> str:
    """The host of SITE_URL, the address the emails' links point to: "tracker.example.gov.cn"."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def build_message(notification: Notification, connection=None) -> EmailMultiAlternatives:
    domain = site_domain()
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        connection=connection,
        # A stable Message-ID per notification lets a mail server drop a copy resent after a crash.
        headers={"Message-ID": f"<tracker.notification.{notification.pk}@{domain}>"},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message
