"""My to-do page (我的待办): what waits for the signed-in user, each item linking to where it is done.

Each section is a query built from commitments.access's rules, read twice: a COUNT for the total, and the first
LIMIT rows for the list. So the page costs a fixed number of queries however much waits, and the header's count
(`header_count`, a context processor) costs only the COUNTs, and only when a page draws it.

Instructions (批示, issue 16 item 2) are two sections: those to answer, and the answers to accept. The reporting
completeness page (item 4) joins SECTIONS below as one more `Section`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Case, Count, IntegerField, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from . import access
from .display import update_value_text
from .models import CHASED, Instruction, PledgeDraft, ProgressUpdate, Revision
from .status import ReportingStatus

LIMIT = 50  # the most rows a section lists; the rest are counted and linked ("and N more")


def reports_due(user) -> QuerySet:
    """Reports due soon or late on the pledges `user` reports on, late ones first; closed and set-aside pledges are
    not chased."""
    due = access.pledges_to_report_on(user).filter(
        CHASED, reporting_status__in=[ReportingStatus.LATE, ReportingStatus.DUE_SOON]
    )
    late_first = Case(When(reporting_status=ReportingStatus.LATE, then=Value(0)), default=Value(1), output_field=IntegerField())
    return due.select_related("lead_organization").order_by(late_first, "next_report_due", "id")


def updates_returned(user) -> QuerySet:
    """`user`'s own updates a reviewer returned, which no correction has replaced yet."""
    return ProgressUpdate.objects.filter(
        reporter=user, review_state=ProgressUpdate.Review.RETURNED, superseded_by__isnull=True,
        pledge__in=access.pledges_to_report_on(user),
    ).select_related("pledge__lead_organization", "reviewed_by").order_by("-reviewed_at", "-id")


def updates_to_review(user) -> QuerySet:
    """Updates awaiting approval on pledges `user` reviews (access.pledges_to_review), never their own."""
    return (
        ProgressUpdate.objects.filter(review_state=ProgressUpdate.Review.PENDING, pledge__in=access.pledges_to_review(user))
        .exclude(reporter=user)
        .select_related("pledge__lead_organization", "reporter")
        .order_by("created_at", "id")
    )


def revisions_to_decide(user) -> QuerySet:
    """Revision requests awaiting approval on pledges `user` reviews, never their own (access.can_review_revision)."""
    return (
        Revision.objects.filter(state=Revision.State.PENDING, pledge__in=access.pledges_to_review(user))
        .exclude(requested_by=user)
        .select_related("pledge__lead_organization", "requested_by")
        .order_by("requested_at", "id")
    )


def drafts_to_confirm(user) -> QuerySet:
    """Pledges found in documents, not yet accepted or rejected: for administrators, who accept drafts."""
    if not access.can_edit_pledges(user):
        return PledgeDraft.objects.none()
    return PledgeDraft.objects.filter(state=PledgeDraft.State.NEW).select_related("document").order_by("document", "position", "id")


def instructions_to_answer(user) -> QuerySet:
    """Open instructions addressed to an organization `user` reports for (access.instructions_to_answer), the
    earliest due first; never one they wrote themselves."""
    return (
        access.instructions_to_answer(user).exclude(written_by=user)
        .select_related("pledge__lead_organization", "addressee", "written_by")
        .order_by("due", "id")
    )


def answers_to_accept(user) -> QuerySet:
    """Answered instructions `user` wrote: to close, or to return."""
    return (
        access.instructions_to_accept(user)
        .select_related("pledge__lead_organization", "addressee", "answered_by")
        .order_by("answered_at", "id")
    )


def unread_notifications(user) -> QuerySet:
    """The user's in-app notifications not opened yet (issue 19), the newest first."""
    return access.notifications_for(user).filter(read_at__isnull=True).select_related("pledge").order_by("-created_at", "-id")


def _admin_list(name: str, **params) -> str:
    return f"{reverse(f'admin:commitments_{name}_changelist')}?{urlencode(params)}"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    empty: str  # what the section says when nothing waits
    rows: Callable[[object], QuerySet]
    link: Callable[[object], str]  # where one row's work is done
    all_url: Callable[[], str]  # the full list, for "and N more"


SECTIONS = [
    Section(
        "notifications", _("Unread notifications"), _("No unread notification."), unread_notifications,
        lambda notification: reverse("tracker-notification", args=[notification.pk]),
        lambda: reverse("tracker-notifications"),
    ),
    Section(
        "reports", _("Reports due"), _("No report is due soon or late."), reports_due,
        lambda pledge: f"{reverse('admin:commitments_progressupdate_add')}?{urlencode({'pledge': pledge.pk})}",
        lambda: f"{reverse('tracker-pledges')}?{urlencode({'reporting': [ReportingStatus.LATE, ReportingStatus.DUE_SOON], 'level': 'all'}, doseq=True)}",
    ),
    Section(
        "returned", _("Updates returned to you"), _("No update of yours was returned."), updates_returned,
        lambda update: f"{reverse('admin:commitments_progressupdate_add')}?{urlencode({'pledge': update.pledge_id, 'supersedes': update.pk})}",
        lambda: _admin_list("progressupdate", review_state__exact=ProgressUpdate.Review.RETURNED),
    ),
    Section(
        "review", _("Updates waiting for your review"), _("No update waits for your review."), updates_to_review,
        lambda update: reverse("admin:commitments_progressupdate_change", args=[update.pk]),
        lambda: _admin_list("progressupdate", review_state__exact=ProgressUpdate.Review.PENDING),
    ),
    Section(
        "revisions", _("Revision requests waiting for your decision"), _("No revision request waits for your decision."),
        revisions_to_decide,
        lambda revision: reverse("admin:commitments_revision_change", args=[revision.pk]),
        lambda: _admin_list("revision", state__exact=Revision.State.PENDING),
    ),
    Section(
        "instructions", _("Instructions to answer (批示)"), _("No instruction waits for your answer."),
        instructions_to_answer,
        lambda instruction: reverse("admin:commitments_instruction_change", args=[instruction.pk]),
        lambda: _admin_list("instruction", state__exact=Instruction.State.OPEN),
    ),
    Section(
        "answers", _("Answers to your instructions to accept"), _("No answer to your instructions waits."),
        answers_to_accept,
        lambda instruction: reverse("admin:commitments_instruction_change", args=[instruction.pk]),
        lambda: _admin_list("instruction", state__exact=Instruction.State.ANSWERED),
    ),
    Section(
        "drafts", _("Drafts from documents to confirm"), _("No draft waits to be confirmed."), drafts_to_confirm,
        lambda draft: reverse("admin:commitments_pledgedraft_change", args=[draft.pk]),
        lambda: _admin_list("pledgedraft", state__exact=PledgeDraft.State.NEW),
    ),
]


@dataclass
class Listed:
    """One section as the page shows it: up to LIMIT items, each with where it is done, and how many in all."""

    section: Section
    count: int
    items: list[tuple[object, str]]

    @property
    def more(self) -> int:
        return self.count - len(self.items)

    @property
    def all_url(self) -> str:
        return self.section.all_url()


def sections_for(user) -> list[Listed]:
    """Every section for `user`: two queries each (a COUNT and the first LIMIT rows; the COUNT alone when nothing
    waits), plus the user's roles once."""
    listed = []
    for section in SECTIONS:
        rows = section.rows(user)
        count = rows.count()
        items = [(row, section.link(row)) for row in rows[:LIMIT]] if count else []  # nothing to list: no query
        for row, _link in items:
            if isinstance(row, ProgressUpdate):
                row.value_text = update_value_text(row)
        listed.append(Listed(section, count, items))
    return listed


def total_for(user) -> int:
    """How many things wait for `user`, in all sections, in one query (every page's header shows it): each section's
    COUNT as a subquery of one SELECT."""
    counts = {}
    for number, section in enumerate(SECTIONS):
        rows = section.rows(user)
        if rows.query.is_empty():
            continue  # a section this user never has (drafts for a non-administrator)
        counted = rows.order_by().annotate(all_rows=Value(1)).values("all_rows").annotate(n=Count("pk")).values("n")
        counts[f"section_{number}"] = Coalesce(Subquery(counted[:1]), 0)
    if not counts:
        return 0
    return sum(get_user_model().objects.filter(pk=user.pk).annotate(**counts).values_list(*counts).get())


# The header's number is kept in the session for settings.TRACKER_TODO_COUNT_SECONDS: counting cost 4-5 ms of building
# and running its query on every page, the largest cost the pages share. Anything the user sends (a POST: a save, an
# answer, an approval) forgets it, and the to-do page always counts afresh; others' work shows within that delay.
HEADER_COUNT_KEY = "tracker_todo_total"


def header_count(request) -> dict:
    """Context processor: `todo_total`, the number beside "待办" in the header, for a signed-in user. Lazy, so that
    only a page that draws the header (not the admin's, nor an email) counts, and only once."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"todo_total": SimpleLazyObject(lambda: kept_total(request))}


def kept_total(request) -> int:
    """total_for(request.user), or the number the session kept from less than HEADER_COUNT_SECONDS ago."""
    session, now = getattr(request, "session", None), time.time()
    kept = session.get(HEADER_COUNT_KEY) if session is not None else None
    if kept and 0 <= now - kept[1] < settings.TRACKER_TODO_COUNT_SECONDS:
        return kept[0]
    return keep_total(request, total_for(request.user))


def keep_total(request, total: int) -> int:
    if settings.TRACKER_TODO_COUNT_SECONDS > 0 and getattr(request, "session", None) is not None:
        request.session[HEADER_COUNT_KEY] = [total, time.time()]
    return total


class ForgetHeaderCountOnWrite:
    """Middleware: a request that may change something (not GET/HEAD/OPTIONS) forgets the kept header count, so the
    page after a save, an answer or an approval counts again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD", "OPTIONS") and getattr(request, "session", None) is not None:
            request.session.pop(HEADER_COUNT_KEY, None)
        return self.get_response(request)


class TodoView(LoginRequiredMixin, TemplateView):
    template_name = "commitments/todo.html"

    def get_context_data(self, **kwargs):
        sections = sections_for(self.request.user)
        # The header's number too, from the counts just made (the view's context wins over the context processor's),
        # and kept for the next pages.
        total = keep_total(self.request, sum(s.count for s in sections))
        return super().get_context_data(**kwargs, sections=sections, todo_total=total, today=timezone.localdate())
