"""Revision requests (延期申请 / 目标调整, 暂缓 / 不适用): asked for from a pledge's page, decided in the reviewers'
queue (filter: awaiting approval), like progress updates. Requests and decisions go through commitments.actions."""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import access, actions, checkpoints, display
from ..models import Pledge, Revision, checkpoints_to_json
from ..numbers import NumberInput
from ..resources import ScheduleWidget
from ..status import TargetStatus
from .common import FORM_FIELDS, HistoryForReading, ReportedAndReviewed, VisibleOrganizationFilter

REQUEST_FIELDS = [
    "pledge", "kind", "reason", "proposed_target", "proposed_low", "proposed_high", "proposed_deadline", "schedule",
]
# Closing (办结 / 销号) asks for the final evidence instead of new terms; reopening (an administrator's) only for why.
CLOSE_FIELDS = ["pledge", "kind", "reason", "evidence_url", "evidence_file"]
REOPEN_FIELDS = ["pledge", "kind", "reason"]
REVIEW_FIELDS = ["decision", "review_comment"]
SHOWN_AFTER_REQUEST = ["pledge", "kind", "reason", "change", "requested_by", "requested_at", "state", "reviewed_by",
                       "reviewed_at"]


class RevisionForm(forms.ModelForm):
    """A new request (checked by actions.check_revision, each message on the field it is about), or a decision on
    one (a rejection says why; an approval is checked again on the pledge as it now stands)."""

    schedule = forms.CharField(
        label=_("new schedule"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("For a pledge planned by schedule: every checkpoint as date=planned value, separated by ; "
                    "(2025-03-31=10; 2025-06-30=25). Leave empty to keep the schedule."),
    )
    decision = forms.ChoiceField(
        label=_("decision"), required=False,
        choices=[("", "—"), ("approve", _("approve: the change takes effect")), ("reject", _("reject"))],
    )

    class Meta:
        model = Revision
        fields = [*REQUEST_FIELDS[:-1], "evidence_url", "evidence_file", "review_comment"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def clean_pledge(self):
        pledge = self.cleaned_data["pledge"]
        if self.instance.pk is None and not access.can_request_revision(self.request_user, pledge):
            raise forms.ValidationError(_("You may ask to revise only pledges you report on."))
        return pledge

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if self.instance.pk is None and kind == Revision.Change.REOPEN and not access.can_reopen(
            self.request_user, self.cleaned_data.get("pledge")
        ):
            raise forms.ValidationError(_("Only an administrator may reopen a closed pledge."))
        return kind

    def clean_schedule(self):
        text = self.cleaned_data["schedule"].strip()
        if not text:
            return None
        try:
            return list(ScheduleWidget().clean(text))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("review_comment", "").strip():
            self.add_error("review_comment", _("Say why the request is rejected."))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        revision = self.instance
        if revision.pk is None and revision.pledge_id:
            schedule = self.cleaned_data.get("schedule")
            revision.proposed_schedule = checkpoints_to_json(schedule) if schedule is not None else None
            self._check(revision)
        elif revision.pk is not None and self.cleaned_data.get("decision") == "approve":
            self._check(Revision.objects.get(pk=revision.pk))

    def _check(self, revision):
        try:
            actions.check_revision(revision, Pledge.objects.get(pk=revision.pledge_id))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name == "proposed_schedule":
                    name = "schedule"
                if name in self.fields or name == NON_FIELD_ERRORS:
                    self.add_error(None if name == NON_FIELD_ERRORS else name, messages)
                else:  # a field this form shows read-only (a decision's): named in words
                    label = capfirst(Revision._meta.get_field(name).verbose_name)
                    self.add_error(None, [f"{label}: {message}" for message in messages])


@admin.register(Revision)
class RevisionAdmin(ReportedAndReviewed, HistoryForReading, SimpleHistoryAdmin):
    """Asking to revise a pledge (from its page: 管理 → 目标任务 → the pledge → 申请调整) and deciding on it."""

    form = RevisionForm
    formfield_overrides = FORM_FIELDS
    list_display = ["pledge", "kind", "change", "reason", "requested_by", "requested_at", "state", "reviewed_by"]
    list_filter = ["state", "kind", ("pledge__lead_organization", VisibleOrganizationFilter)]
    search_fields = ["pledge__metric", "reason"]
    list_select_related = ["pledge__lead_organization", "requested_by", "reviewed_by"]
    autocomplete_fields = ["pledge"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        pledge = obj.pledge if obj else None
        if pledge is None and request.GET.get("pledge", "").isdigit():
            pledge = access.pledges_for(request.user).filter(pk=request.GET["pledge"]).first()
        if pledge is not None and obj is None:
            # The terms in force beside the boxes, so the request says what it changes.
            for name in ("proposed_target", "proposed_low", "proposed_high"):
                if name in form.base_fields and pledge.unit:
                    form.base_fields[name].widget = NumberInput(unit=pledge.unit)
            form.base_fields["schedule"].initial = checkpoints.as_text(actions.current_schedule(pledge))
            in_force = {"deadline": pledge.deadline, "target": pledge.target_text}
            if "proposed_deadline" in form.base_fields:  # not on a form to close or reopen
                form.base_fields["proposed_deadline"].help_text = _("In force: %(deadline)s") % in_force
                form.base_fields["proposed_target"].help_text = _("In force: %(target)s") % in_force
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            kind = request.POST.get("kind") or request.GET.get("kind")
            return {Revision.Change.CLOSE: CLOSE_FIELDS, Revision.Change.REOPEN: REOPEN_FIELDS}.get(kind, REQUEST_FIELDS)
        shown = self._shown(obj)
        return [*shown, *REVIEW_FIELDS] if self._may_review(request, obj) else [*shown, "review_comment"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        shown = self._shown(obj)
        return shown if self._may_review(request, obj) else [*shown, "review_comment"]

    @staticmethod
    def _shown(obj):
        """A request as made: with its final evidence, for a request to close."""
        return [*SHOWN_AFTER_REQUEST, "evidence"] if obj.kind == Revision.Change.CLOSE else SHOWN_AFTER_REQUEST

    @admin.display(description=_("final evidence"))
    def evidence(self, obj):
        links = []
        if obj.evidence_file:
            links.append((obj.evidence_file.url, _("file")))
        if obj.evidence_url:
            links.append((obj.evidence_url, _("link")))
        return format_html_join(" ", '<a href="{}" rel="noopener noreferrer">{}</a>', links) or "—"

    def _may_review(self, request, obj):
        return obj.state == Revision.State.PENDING and access.can_review_revision(request.user, obj)

    @admin.display(description=_("what changes"))
    def change(self, obj):
        return changes_html(obj)

    def save_model(self, request, obj, form, change):
        if not change:
            actions.do_request_revision(obj, acting_user=request.user)
            return
        decision = form.cleaned_data.get("decision")
        if decision:
            actions.do_review_revision(
                obj, acting_user=request.user, approve=decision == "approve",
                comment=form.cleaned_data.get("review_comment", ""),
            )


def changes_html(revision: Revision) -> str:
    """'target: ≥ 50个 → ≥ 40个', a line per term (or the standing)."""
    return format_html_join(
        "", "<div>{}: {} → {}</div>", ((what, before, after) for what, before, after in revision.changes())
    )


def request_url(pledge: Pledge, **params) -> str:
    return f"{reverse('admin:commitments_revision_add')}?{urlencode({'pledge': pledge.pk, **params})}"


def object_tools(request, pledge: Pledge) -> dict:
    """What the pledge's change page offers beside its history button (templates/admin/commitments/pledge/
    change_form.html): asking for a change, and to close an achieved pledge, for whoever may ask; reopening a closed
    one, for an administrator."""
    if pledge.closed:
        return {"reopen_url": request_url(pledge, kind=Revision.Change.REOPEN)} if access.can_reopen(
            request.user, pledge) else {}
    if not access.can_request_revision(request.user, pledge):
        return {}
    tools = {"revision_request_url": request_url(pledge)}
    if pledge.target_status == TargetStatus.ACHIEVED:
        tools["close_request_url"] = request_url(pledge, kind=Revision.Change.CLOSE)
    return tools


def panel(pledge: Pledge) -> str:
    """The pledge's revisions on its change page: whether it is set aside and why, what was first promised, the
    request awaiting approval, and the list of them all."""
    rows = []
    if pledge.set_aside:
        rows.append((_("standing"), pledge.set_aside_text))
    if pledge.closed:
        rows.append((_("standing"), format_html(
            "{} {} {}", _("Closed (办结 / 销号)"), pledge.closed_by or "—", display.moment(pledge.closed_at))))
    if pledge.revised:
        rows.append((_("originally promised"), format_html(
            "{}, {} {}", pledge.original_target_text, _("deadline"), display.day(pledge.original_deadline))))
    pending = pledge.revisions.filter(state=Revision.State.PENDING).first()
    if pending is not None:
        link = format_html('<a href="{}">{}</a>', reverse("admin:commitments_revision_change", args=[pending.pk]),
                           pending.get_kind_display())
        rows.append((_("awaiting approval"), format_html("{}: {}", link, changes_html(pending))))
    count = pledge.revisions.filter(state=Revision.State.APPROVED).count()
    listing = f"{reverse('admin:commitments_revision_changelist')}?{urlencode({'pledge__id__exact': pledge.pk})}"
    rows.append((_("approved changes"), format_html('<a href="{}">{}</a>', listing, count)))
    return format_html(
        '<table class="tracker-panel">{}</table>', format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    )
