"""Admin: where staff record progress. Saving a pledge or an update recomputes its status in the same
transaction (the admin's change view is atomic) through `commitments.actions`."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.db.models import Count
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import access, actions, display
from ..resources import PledgeResource, ProgressUpdateResource
from ..numbers import NumberInput
from ..display import reporting_badge, status_badge, update_standing, update_value_text
from ..models import (
    JobRun,
    IMMEDIATE_KINDS,
    Membership,
    AlertKind,
    AlertProfile,
    Category,
    Notification,
    Organization,
    Pledge,
    PledgeDraft,
    ProgressUpdate,
    SourceDocument,
    StatusChange,
)
from ..status import Kind, ReportingStatus, TargetStatus
from .common import FORM_FIELDS, ImportExportForUser, OrganizationSubtreeFilter



class ProgressUpdateInline(admin.TabularInline):
    """The form for new updates (add-only). Earlier updates are listed read-only by ProgressUpdateHistoryInline;
    a correction is a new row that names the update it corrects."""

    model = ProgressUpdate
    fk_name = "pledge"
    formfield_overrides = FORM_FIELDS | {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}
    extra = 1
    can_delete = False
    verbose_name = _("new progress update")
    verbose_name_plural = _("record progress")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_add_permission(self, request, obj=None):
        return obj is not None and access.can_report(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True

    def get_fields(self, request, obj=None):
        fields = ["as_of", "value", "note", "evidence_url", "evidence_file", "supersedes"]
        if obj is not None and obj.kind == Kind.MILESTONE:
            fields.insert(1, "done")
        return fields

    def get_formset(self, request, obj=None, **kwargs):
        base = super().get_formset(request, obj, **kwargs)

        class CorrectionsOfThisPledge(base):
            """Only the pledge's own, still-counting updates can be corrected."""

            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "value" in form.fields and self.instance.unit:
                    form.fields["value"].widget = NumberInput(unit=self.instance.unit)
                if "supersedes" in form.fields:
                    form.fields["supersedes"].queryset = (
                        ProgressUpdate.objects.filter(pledge=self.instance, superseded_by__isnull=True)
                        if self.instance.pk  # a pledge being added has no updates to correct yet
                        else ProgressUpdate.objects.none()
                    )

        return CorrectionsOfThisPledge


class ProgressUpdateHistoryInline(admin.TabularInline):
    """Every update reported so far, newest period first; nothing here can be changed."""

    def has_view_permission(self, request, obj=None):
        return True

    model = ProgressUpdate
    fk_name = "pledge"
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("progress reported")
    fields = ["as_of_display", "value_display", "note", "evidence", "reporter", "recorded", "standing", "review_state"]
    readonly_fields = fields
    ordering = ["-as_of", "-created_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reporter", "pledge", "superseded_by", "supersedes")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("as of (period end)"))
    def as_of_display(self, obj):
        return display.day(obj.as_of)

    @admin.display(description=_("value"))
    def value_display(self, obj):
        return update_value_text(obj)

    @admin.display(description=_("evidence"))
    def evidence(self, obj):
        links = []
        if obj.evidence_url:
            links.append(format_html('<a href="{}" rel="noopener noreferrer">{}</a>', obj.evidence_url, _("link")))
        if obj.evidence_file:
            links.append(format_html('<a href="{}">{}</a>', obj.evidence_file.url, _("file")))
        return format_html_join(" ", "{}", ((link,) for link in links)) if links else "—"

    @admin.display(description=_("recorded at"))
    def recorded(self, obj):
        return display.moment(obj.created_at)

    @admin.display(description=_("counts?"))
    def standing(self, obj):
        return update_standing(obj)


class StatusChangeInline(admin.TabularInline):
    model = StatusChange

    def has_view_permission(self, request, obj=None):
        return True

    extra = 0
    can_delete = False
    fields = ["changed", "from_status", "to_status", "reason_display", "trigger"]
    readonly_fields = fields
    ordering = ["-changed_at", "-id"]
    max_num = 0
    verbose_name_plural = _("status history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("changed at"))
    def changed(self, obj):
        return display.moment(obj.changed_at)

    @admin.display(description=_("reason"))
    def reason_display(self, obj):
        return obj.reason_text



@admin.register(Pledge)
class PledgeAdmin(ImportExportForUser, SimpleHistoryAdmin):
    list_display = [
        "metric",
        "owner",
        "target_display",
        "latest_display",
        "expected_display",
        "status_display",
        "reporting_display",
        "deadline",
    ]
    list_display_links = ["metric"]
    list_filter = [
        "target_status",
        "reporting_status",
        OrganizationSubtreeFilter,
        "category",
        ("deadline", admin.DateFieldListFilter),
        "kind",
        "source_document",
    ]
    search_fields = ["metric", "source_sentence", "lead_organization__name", "lead_organization__short_name", "notes"]
    list_select_related = ["lead_organization"]
    list_per_page = 50
    autocomplete_fields = ["lead_organization", "co_owners", "source_document"]
    formfield_overrides = FORM_FIELDS
    inlines = [ProgressUpdateInline, ProgressUpdateHistoryInline, StatusChangeInline]
    resource_classes = [PledgeResource]

    def has_import_permission(self, request):
        return access.can_edit_pledges(request.user)
    readonly_fields = ["status_panel"]
    fieldsets = [
        (_("Status"), {"fields": ["status_panel"]}),
        (_("What is promised"), {"fields": ["metric", "kind", "comparator", "target", ("low", "high"), "tolerance", "unit", "cumulative"]}),
        (_("Timeline"), {"fields": [("baseline", "baseline_date"), ("start_date", "deadline"), "cadence"]}),
        (_("Who owns it"), {"fields": ["lead_organization", "co_owners", "responsible_person", "category"]}),
        (_("Source"), {"fields": ["source_document", "source_sentence", "notes"]}),
    ]

    @admin.display(description=_("lead organization"), ordering="lead_organization__name")
    def owner(self, obj):
        org = obj.lead_organization
        return format_html('<span title="{}">{}</span>', org.name, org.short_name or org.name)

    @admin.display(description=_("target"))
    def target_display(self, obj):
        return obj.target_text

    @admin.display(description=_("latest"), ordering="latest_as_of")
    def latest_display(self, obj):
        if obj.latest_value is None:
            return "—"
        return format_html("{} <small>({})</small>", display.amount(obj.latest_value, obj.unit), obj.latest_as_of.isoformat())

    @admin.display(description=_("expected by now"), ordering="expected_now")
    def expected_display(self, obj):
        return display.amount(obj.expected_now, obj.unit)

    @admin.display(description=_("status and why"), ordering="target_status")
    def status_display(self, obj):
        return format_html(
            '{}<div class="tracker-reason">{}</div>',
            status_badge(obj.target_status, obj.get_target_status_display()),
            obj.status_reason_text,
        )

    @admin.display(description=_("reporting"), ordering="next_report_due")
    def reporting_display(self, obj):
        badge = reporting_badge(obj.reporting_status, obj.get_reporting_status_display())
        if obj.next_report_due:
            return format_html("{}<div class='tracker-reason'>{}</div>", badge, _("due %(date)s") % {"date": obj.next_report_due.isoformat()})
        return badge

    @admin.display(description=_("current status"))
    def status_panel(self, obj):
        if obj.pk is None:
            return _("Assessed when saved.")
        rows = [
            (_("status"), status_badge(obj.target_status, obj.get_target_status_display())),
            (_("why"), obj.status_reason_text),
            (_("latest"), self.latest_display(obj)),
            (_("expected by now"), self.expected_display(obj)),
            (_("share of the expected progress"), display.percent(obj.progress_ratio)),
            (_("reporting"), self.reporting_display(obj)),
            (_("status changed at"), display.moment(obj.status_changed_at)),
        ]
        return format_html(
            '<table class="tracker-panel">{}</table>', format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    # Who may do what comes from commitments.access (roles by organization), not from Django's model permissions.
    def get_queryset(self, request):
        return access.pledges_for(request.user, super().get_queryset(request))

    def has_module_permission(self, request):
        return access.is_administrator(request.user) or bool(access.paths(request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or access.can_see(request.user, obj))

    def has_change_permission(self, request, obj=None):
        # Reporters "change" a pledge only to add progress: every pledge field is read-only for them.
        if access.can_edit_pledges(request.user):
            return True
        if obj is None:
            return bool(access.paths(request.user, {access.Role.REPORTER}))
        return access.can_report(request.user, obj)

    def has_add_permission(self, request):
        return access.can_edit_pledges(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.can_edit_pledges(request.user)

    def get_readonly_fields(self, request, obj=None):
        if access.can_edit_pledges(request.user):
            return self.readonly_fields
        return [*self.readonly_fields, *(f for _, opts in self.fieldsets for row in opts["fields"]
                                         for f in (row if isinstance(row, tuple) else (row,)) if f != "status_panel")]

    def save_model(self, request, obj, form, change):
        if access.can_edit_pledges(request.user):
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProgressUpdate:
            return super().save_formset(request, form, formset, change)
        # The inline only adds (no change, no delete): its new rows go through the one way progress is recorded.
        actions.do_record_updates(formset.save(commit=False), acting_user=request.user)

    def save_related(self, request, form, formsets, change):
        pledge = form.instance
        before = pledge.target_status
        super().save_related(request, form, formsets, change)
        # Its terms may have changed too (or it is new): assess it as it now stands.
        actions.do_recompute_status(pledge, trigger=f"admin:{request.user.pk}")
        if change and pledge.target_status != before:
            self.message_user(
                request,
                _("Status changed from %(old)s to %(new)s: %(why)s")
                % {
                    "old": TargetStatus(before).label,
                    "new": pledge.get_target_status_display(),
                    "why": pledge.status_reason_text,
                },
                messages.INFO,
            )


class ProgressUpdateForm(forms.ModelForm):
    """Quick entry and review. The pledge must be one the user reports on; a review decides approve or return."""

    evidence_url = forms.URLField(label=_("evidence link"), max_length=500, required=False, assume_scheme="https")
    decision = forms.ChoiceField(
        label=_("decision"),
        required=False,
        choices=[("", "—"), ("approve", _("approve: the update counts")), ("return", _("return to the reporter"))],
    )

    class Meta:
        model = ProgressUpdate
        fields = ["pledge", "as_of", "value", "done", "note", "evidence_url", "evidence_file", "supersedes", "review_comment"]

    def clean_pledge(self):
        pledge = self.cleaned_data["pledge"]
        if self.instance.pk is None and not access.can_report(self.request_user, pledge):
            raise forms.ValidationError(_("You may record progress only on pledges of your own organization."))
        return pledge

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not cleaned.get("review_comment", "").strip():
            self.add_error("review_comment", _("Say why the update is returned."))
        return cleaned


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ImportExportForUser, SimpleHistoryAdmin):
    """Quick entry of one update, the append-only log, and the reviewers' queue (filter: awaiting approval)."""

    form = ProgressUpdateForm
    formfield_overrides = FORM_FIELDS
    resource_classes = [ProgressUpdateResource]

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    list_display = ["pledge", "as_of", "value_display", "note", "reporter", "created_at", "review_state", "superseded"]
    list_filter = ["review_state", ("as_of", admin.DateFieldListFilter), "pledge__lead_organization"]
    search_fields = ["pledge__metric", "note"]
    list_select_related = ["pledge", "reporter", "superseded_by"]
    autocomplete_fields = ["pledge"]
    raw_id_fields = ["supersedes"]
    entry_fields = ["pledge", "as_of", "value", "done", "note", "evidence_url", "evidence_file", "supersedes"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        # The unit beside the value box, when the pledge is known (an update, or "add" with ?pledge=ID).
        pledge = obj.pledge if obj else None
        if pledge is None and request.GET.get("pledge", "").isdigit():
            pledge = access.pledges_for(request.user).filter(pk=request.GET["pledge"]).first()
        if pledge is not None and pledge.unit and "value" in form.base_fields:
            form.base_fields["value"].widget = NumberInput(unit=pledge.unit)
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.entry_fields
        return [*self.entry_fields, "reporter", "created_at", "review_state", "reviewed_by", "reviewed_at", "decision", "review_comment"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = [*self.entry_fields, "reporter", "created_at", "review_state", "reviewed_by", "reviewed_at"]
        if not self._may_review(request, obj):
            readonly.append("review_comment")
        return readonly

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pledge__in=access.pledges_for(request.user))

    def has_module_permission(self, request):
        return access.is_administrator(request.user) or bool(access.paths(request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or access.can_see(request.user, obj.pledge))

    def has_add_permission(self, request):
        return access.is_administrator(request.user) or bool(access.paths(request.user, {access.Role.REPORTER}))

    def has_change_permission(self, request, obj=None):
        # The only change an update receives is its review.
        if obj is None:
            return access.is_administrator(request.user) or bool(access.paths(request.user, {access.Role.REVIEWER}))
        return self._may_review(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def _may_review(self, request, obj):
        return obj.review_state == ProgressUpdate.Review.PENDING and access.can_review(request.user, obj)

    @admin.display(description=_("value"))
    def value_display(self, obj):
        return update_value_text(obj)

    @admin.display(description=_("superseded"), boolean=True)
    def superseded(self, obj):
        return hasattr(obj, "superseded_by")

    def save_model(self, request, obj, form, change):
        if not change:
            actions.do_record_updates([obj], acting_user=request.user)
            return
        decision = form.cleaned_data.get("decision")
        if decision:
            fresh = ProgressUpdate.objects.get(pk=obj.pk)
            actions.do_review_update(
                fresh, acting_user=request.user, approve=decision == "approve", comment=form.cleaned_data.get("review_comment", "")
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the system writes and people only read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["pledge", "from_status", "to_status", "reason_text", "changed_at", "trigger"]
    list_filter = ["to_status", ("changed_at", admin.DateFieldListFilter)]
    search_fields = ["pledge__metric"]
    list_select_related = ["pledge"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """The latest run of each scheduled job, as the jobs recorded it (the health check reads it)."""

    list_display = ["name", "started_at", "succeeded_at", "failed_at", "last_error", "last_summary"]


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["tree_name", "short_name", "level", "contact_emails", "head", "pledge_count"]
    list_filter = ["level"]
    search_fields = ["name", "short_name"]
    raw_id_fields = ["head"]
    fields = ["name", "short_name", "level", "parent", "contact_emails", "head", "requires_approval"]
    ordering = ["tree_path"]

    def get_inlines(self, request, obj):
        return [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("head").annotate(pledge_total=Count("led_pledges"))

    @admin.display(description=_("name"), ordering="tree_path")
    def tree_name(self, obj):
        prefix = "│　" * (obj.depth - 1) + "└─ " if obj.depth else ""
        return format_html('<span class="tracker-tree">{}</span>{}', prefix, obj.name)

    @admin.display(description=_("pledges led"), ordering="pledge_total")
    def pledge_count(self, obj):
        return obj.pledge_total


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]
    search_fields = ["name"]



@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The notification log: what was sent, what is still pending and why, what failed."""

    list_display = ["created_at", "kind", "recipient", "pledge", "state", "attempts", "sent_at", "last_error_short"]
    list_filter = ["state", "kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["recipient", "subject", "pledge__metric"]
    list_select_related = ["pledge"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("last error"))
    def last_error_short(self, obj):
        return obj.last_error[:80]

    @admin.action(description=_("Queue the selected failed or pending notifications for sending now"))
    def send_again(self, request, queryset):
        from ..tasks import deliver_notification, enqueue_safely

        ids = list(queryset.exclude(state=Notification.State.SENT).values_list("id", flat=True))
        Notification.objects.filter(pk__in=ids).update(
            state=Notification.State.PENDING, next_attempt_at=timezone.now(), claimed_until=None
        )
        for notification_id in ids:
            enqueue_safely(deliver_notification, notification_id)
        self.message_user(request, _("%(count)d notifications queued.") % {"count": len(ids)})


class AlertProfileForm(forms.ModelForm):
    alert_kinds = forms.MultipleChoiceField(
        label=_("alerts received at once"),
        choices=[(kind, AlertKind(kind).label) for kind in IMMEDIATE_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = AlertProfile
        fields = ["organization", "language", "alert_kinds", "digest_frequency"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organization"]
    raw_id_fields = ["user"]


class AlertProfileInline(admin.StackedInline):
    model = AlertProfile
    form = AlertProfileForm
    can_delete = False
    autocomplete_fields = ["organization"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    inlines = [MembershipInline, AlertProfileInline]
