"""Pledges: the list with status and why, and the change page where progress is recorded (add-only inline) and
the updates and status changes so far are read."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import access, actions, display
from ..display import status_badge, update_standing, update_value_text
from ..models import Pledge, ProgressUpdate, StatusChange
from ..numbers import NumberInput
from ..resources import PledgeResource
from ..status import Kind, TargetStatus
from .common import FORM_FIELDS, HistoryForReading, ImportExportForUser, OrganizationSubtreeFilter, VisibleDocumentFilter


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
class PledgeAdmin(HistoryForReading, ImportExportForUser, SimpleHistoryAdmin):
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
        ("source_document", VisibleDocumentFilter),
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
        return display.latest_cell(obj)

    @admin.display(description=_("expected by now"), ordering="expected_now")
    def expected_display(self, obj):
        return display.expected_cell(obj)

    @admin.display(description=_("status and why"), ordering="target_status")
    def status_display(self, obj):
        return display.status_cell(obj)

    @admin.display(description=_("reporting"), ordering="next_report_due")
    def reporting_display(self, obj):
        return display.reporting_cell(obj)

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
        return access.has_a_role(request.user)

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
