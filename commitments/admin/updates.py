"""Progress updates: quick entry of one update, the append-only log, and the reviewers' queue."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import access, actions, measures
from ..display import update_value_text
from ..models import ProgressUpdate
from ..numbers import NumberInput
from ..resources import ProgressUpdateResource
from .common import FORM_FIELDS, HistoryForReading, ImportExportForUser, ReportedAndReviewed, VisibleOrganizationFilter


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
        fields = ["pledge", "as_of", "value", "done", *measures.FIELDS, "note", "evidence_url", "evidence_file",
                  "supersedes", "review_comment"]
        help_texts = dict.fromkeys(measures.FIELDS, measures.HELP_TEXT)

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

    def _post_clean(self):
        super()._post_clean()  # builds the instance and runs the model's own checks
        if self.instance.pk is None and not self.errors:
            for field, messages in actions.missing_cause_and_measures(self.instance).items():
                self.add_error(field, messages)


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ReportedAndReviewed, HistoryForReading, ImportExportForUser, SimpleHistoryAdmin):
    """Quick entry of one update, the append-only log, and the reviewers' queue (filter: awaiting approval)."""

    form = ProgressUpdateForm
    formfield_overrides = FORM_FIELDS
    resource_classes = [ProgressUpdateResource]

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    list_display = ["pledge", "as_of", "value_display", "note", "reporter", "created_at", "review_state", "superseded"]
    list_filter = ["review_state", ("as_of", admin.DateFieldListFilter), ("pledge__lead_organization", VisibleOrganizationFilter)]
    search_fields = ["pledge__metric", "note"]
    list_select_related = ["pledge", "reporter", "superseded_by"]
    autocomplete_fields = ["pledge"]
    raw_id_fields = ["supersedes"]
    entry_fields = ["pledge", "as_of", "value", "done", *measures.FIELDS, "note", "evidence_url", "evidence_file",
                    "supersedes"]

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
