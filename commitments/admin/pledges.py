"""Pledges: the list with status and why, and the change page where progress is recorded (add-only inline), a pledge
is broken down into parts (a row per part), and the updates and status changes so far are read."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import models
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .. import access, actions, checkpoints, display, measures
from ..display import status_badge, update_standing, update_value_text
from ..forms import PartForm, PartFormSet, PledgeForm, editable_pledges
from ..models import Checkpoint, Pledge, ProgressUpdate, StatusChange
from ..numbers import NumberInput
from ..resources import DecompositionResource, PledgeResource
from ..status import Kind, Method, TargetStatus
from .common import (
    FORM_FIELDS, HistoryForReading, ImportExportForUser, OrganizationSubtreeFilter, TermsEditedByAdministrators,
    VisibleDocumentFilter,
)
from .revisions import object_tools as revision_tools
from .revisions import panel as revision_panel


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
        fields = ["as_of", "value", *measures.FIELDS, "note", "evidence_url", "evidence_file", "supersedes"]
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
                for field in measures.FIELDS:
                    if field in form.fields:
                        form.fields[field].help_text = measures.HELP_TEXT

            def clean(self):
                """Each new update that leaves the pledge behind gives its cause and measures (see actions)."""
                super().clean()
                filled = [form for form in self.forms if form.has_changed() and not form.errors]
                if len(filled) < len([form for form in self.forms if form.has_changed()]):
                    return  # the rows' own errors first
                new = [form.instance for form in filled]
                for form, errors in zip(filled, actions.cause_and_measures_errors(new)):
                    for field, messages in errors.items():
                        form.add_error(field, messages)

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


class PartInline(TermsEditedByAdministrators, admin.TabularInline):
    """Break a pledge down in one form: a row per part with its owner, target, period and cadence. A new row takes
    the rest from the parent (forms.take_terms_from_parent); PledgeAdmin.save_formset stores the rows and re-assesses
    each part, which rolls up to the parent."""

    model = Pledge
    fk_name = "parent"
    form = PartForm
    formset = PartFormSet
    fields = ["lead_organization", "target", "start_date", "deadline", "cadence", "not_applicable",
              "not_applicable_reason", "standing"]
    readonly_fields = ["standing"]
    autocomplete_fields = ["lead_organization"]
    formfield_overrides = FORM_FIELDS
    extra = 0
    show_change_link = True
    verbose_name = _("part")
    verbose_name_plural = _("parts (breakdown)")

    def get_queryset(self, request):
        # A part's owner sees the pledge it belongs to, but only the parts their organizations own. Only administrators
        # edit parts (TermsEditedByAdministrators); PledgeAdmin.get_inlines shows them on a stored pledge only.
        return access.pledges_for(request.user, super().get_queryset(request)).select_related("lead_organization")

    @admin.display(description=_("status and why"))
    def standing(self, obj):
        return display.status_cell(obj) if obj.pk else "—"


class CheckpointFormSet(forms.BaseInlineFormSet):
    """The checkpoints of a schedule, checked against the pledge as its form now stands: each date within its start
    date and deadline, one checkpoint per date (checkpoints.problems' rules, under the date they are about)."""

    def clean(self):
        pledge = self.instance
        kept = [
            form for form in self.forms
            if not (self.can_delete and self._should_delete_form(form)) and form.cleaned_data.get("as_of")
        ]
        seen = set()
        for form in kept:
            day = form.cleaned_data["as_of"]
            problem = checkpoints.date_problem(day, pledge.start_date, pledge.deadline)
            if problem:
                form.add_error("as_of", problem)
            if day in seen:
                form.add_error("as_of", checkpoints.repeated_date_problem(day))
            seen.add(day)
        if len(seen) == len(kept):  # else the check of unique dates below would say it again, less clearly
            super().clean()


class CheckpointInline(TermsEditedByAdministrators, admin.TabularInline):
    """The planned values of a pledge planned by schedule (分期计划): a row per checkpoint. Saving them re-assesses the
    pledge (PledgeAdmin.save_related). Checkpoints are terms: only administrators edit them."""

    model = Checkpoint
    formset = CheckpointFormSet
    fields = ["as_of", "planned_value"]
    formfield_overrides = FORM_FIELDS
    extra = 0
    verbose_name = _("checkpoint")
    verbose_name_plural = _("checkpoints (for the method “schedule”: the value planned by each date)")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and obj.unit and "planned_value" in formset.form.base_fields:
            formset.form.base_fields["planned_value"].widget = NumberInput(unit=obj.unit)
        return formset


def method_choices():
    """The method's choices, the empty one saying what it stands for: this installation's default for the kind
    (settings.TRACKER_DEFAULT_METHODS), one for all kinds or each kind's own."""
    defaults = settings.TRACKER_DEFAULT_METHODS
    if len(set(defaults.values())) == 1:
        blank = _("Default: %(method)s") % {"method": Method(next(iter(defaults.values()))).label}
    else:
        each = _("; ").join(f"{Kind(kind).label} → {Method(method).label}" for kind, method in defaults.items())
        blank = _("Default for its kind: %(defaults)s") % {"defaults": each}
    return [("", blank), *Method.choices]


class LevelFilter(admin.SimpleListFilter):
    """Top-level pledges, or parts of others."""

    title = _("level of breakdown")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("top", _("top-level only")), ("parts", _("parts"))]

    def queryset(self, request, queryset):
        if self.value() == "top":
            return queryset.filter(parent__isnull=True)
        if self.value() == "parts":
            return queryset.filter(parent__isnull=False)
        return queryset


def warn_once(request, text: str) -> None:
    """A warning, unless the same one is already waiting to be shown (after a save, the page it leads to)."""
    waiting = messages.get_messages(request)
    already = any(str(message) == text for message in waiting)
    waiting.used = False  # looked at, not shown: keep them for the page
    if not already:
        messages.warning(request, text)


@admin.register(Pledge)
class PledgeAdmin(HistoryForReading, ImportExportForUser, SimpleHistoryAdmin):
    list_display = [
        "metric",
        "part_of",
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
        LevelFilter,
        "target_status",
        "reporting_status",
        OrganizationSubtreeFilter,
        "category",
        ("deadline", admin.DateFieldListFilter),
        "kind",
        ("source_document", VisibleDocumentFilter),
    ]
    search_fields = ["metric", "source_sentence", "lead_organization__name", "lead_organization__short_name", "notes"]
    list_select_related = ["lead_organization", "parent__lead_organization"]
    list_per_page = 50
    # Autocomplete: a pledge's parent is picked among 100,000 pledges (only those the user may edit: see
    # get_search_results and formfield_for_foreignkey).
    autocomplete_fields = ["lead_organization", "co_owners", "source_document", "parent"]
    form = PledgeForm
    formfield_overrides = FORM_FIELDS
    inlines = [ProgressUpdateInline, CheckpointInline, PartInline, ProgressUpdateHistoryInline, StatusChangeInline]
    resource_classes = [PledgeResource]

    def has_import_permission(self, request):
        return access.can_edit_pledges(request.user)

    def get_inlines(self, request, obj):
        # A new pledge is broken down, and given its checkpoints, once it is saved: they are checked against it.
        return [inline for inline in self.inlines if obj is not None or inline not in (PartInline, CheckpointInline)]

    def get_import_resource_classes(self, request):
        # The import page offers the decomposition table as a second kind of file; the export writes pledges only.
        return [PledgeResource, DecompositionResource]

    readonly_fields = ["status_panel", "revisions_panel"]
    fieldsets = [
        (_("Status"), {"fields": ["status_panel", "revisions_panel"]}),
        (_("What is promised"), {"fields": ["metric", "kind", "comparator", "target", ("low", "high"), "tolerance", "unit", "cumulative"]}),
        (_("Timeline"), {"fields": [("baseline", "baseline_date"), ("start_date", "deadline"), "cadence", "method"]}),
        (_("Who owns it"), {"fields": ["lead_organization", "co_owners", "responsible_person", "category"]}),
        (_("Breakdown"), {"fields": ["parent", "composition", ("not_applicable", "not_applicable_reason")]}),
        (_("Source"), {"fields": ["source_document", "source_sentence", "notes"]}),
    ]

    @admin.display(description=_("part of"), ordering="parent__metric")
    def part_of(self, obj):
        if obj.parent is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:commitments_pledge_change", args=[obj.parent_id]), obj.parent)

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

    @admin.display(description=_("revisions"))
    def revisions_panel(self, obj):
        return _("Requested once saved.") if obj.pk is None else revision_panel(obj)

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
                                         for f in (row if isinstance(row, tuple) else (row,))
                                         if f not in self.readonly_fields)]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "pledge" and request.GET.get("field_name") == "parent":  # "part of"
            queryset = editable_pledges(request.user, queryset).select_related("lead_organization")
        if request.GET.get("model_name") == "instruction" and request.GET.get("field_name") == "pledge":
            queryset = access.pledges_to_instruct(request.user, queryset)  # only where the user may write one
        return queryset, may_have_duplicates

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "method":
            kwargs["choices"] = method_choices()
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = editable_pledges(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            pledge = self.get_object(request, unquote(object_id))
            if pledge is not None:
                self.warn_of_shortfall(request, pledge)
                extra_context = {**(extra_context or {}), **revision_tools(request, pledge)}
        return super().change_view(request, object_id, form_url, extra_context)

    def warn_of_shortfall(self, request, pledge):
        shortfall = pledge.breakdown_shortfall()
        if shortfall is not None:
            warn_once(request, shortfall)

    def save_model(self, request, obj, form, change):
        if access.can_edit_pledges(request.user):
            # Where it was a part before this save: moved elsewhere, that parent is re-assessed too (save_related).
            obj._moved_from = Pledge.objects.filter(pk=obj.pk).values_list("parent_id", flat=True).first()
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if isinstance(formset, PartFormSet):
            return self.save_parts(request, formset)
        if formset.model is not ProgressUpdate:
            return super().save_formset(request, form, formset, change)
        # The inline only adds (no change, no delete): its new rows go through the one way progress is recorded.
        actions.do_record_updates(formset.save(commit=False), acting_user=request.user)

    def save_parts(self, request, formset):
        """Store the parts' rows (checked by the model's rules in PartForm) and re-assess each new or changed part,
        which re-assesses the parent above it; a deleted part's parent is this pledge, re-assessed in save_related."""
        parts = formset.save(commit=False)
        for part in parts:
            part.save()
        for part in formset.deleted_objects:
            part.delete()
        actions.do_recompute_statuses(parts, trigger=f"admin:{request.user.pk}")

    def save_related(self, request, form, formsets, change):
        pledge = form.instance
        before = pledge.target_status
        super().save_related(request, form, formsets, change)
        # Its terms may have changed too (or it is new): assess it as it now stands.
        actions.do_recompute_status(pledge, trigger=f"admin:{request.user.pk}")
        moved_from = getattr(pledge, "_moved_from", None)
        if moved_from is not None and moved_from != pledge.parent_id:
            self.reassess(request, [moved_from])
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
        self.warn_of_shortfall(request, pledge)

    def reassess(self, request, pledge_ids):
        """Re-assess pledges that lost a part (moved away or deleted), with the pledges above them."""
        actions.do_recompute_statuses(Pledge.objects.filter(pk__in=pledge_ids), trigger=f"admin:{request.user.pk}")

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Django would list the parts among "protected related objects"; say plainly what to do.
        for pledge in objs:
            count = pledge.parts.count()
            if count:
                messages.error(request, ngettext(
                    "“%(pledge)s” has %(count)d part: delete it or move it to another pledge before deleting this one.",
                    "“%(pledge)s” has %(count)d parts: delete them or move them to another pledge before deleting this one.",
                    count,
                ) % {"pledge": pledge, "count": count})
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        parent_id = obj.parent_id
        super().delete_model(request, obj)
        if parent_id is not None:
            self.reassess(request, [parent_id])

    def delete_queryset(self, request, queryset):
        parent_ids = set(queryset.filter(parent__isnull=False).values_list("parent_id", flat=True))
        deleted_ids = set(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        self.reassess(request, parent_ids - deleted_ids)
