"""Source documents and the draft pledges the extractor finds in them."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import access, actions
from ..documents import decode_document
from ..models import PledgeDraft, SourceDocument
from .common import FORM_FIELDS, URL_FIELDS


class SourceDocumentForm(forms.ModelForm):
    """Paste the text, or upload a .txt file (UTF-8 or GBK) and the text is read from it."""

    class Meta:
        model = SourceDocument
        fields = ["title", "issuing_body", "issued_on", "url", "file", "full_text"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and hasattr(upload, "read") and not cleaned.get("full_text"):
            try:
                cleaned["full_text"] = decode_document(upload.read())
            except ValueError as error:
                self.add_error("file", str(error))
            upload.seek(0)
        if not cleaned.get("full_text") and "file" not in self.errors:
            self.add_error("full_text", _("Paste the document's text or upload it as a .txt file."))
        return cleaned


@admin.register(SourceDocument)
class SourceDocumentAdmin(admin.ModelAdmin):
    """Adding or changing a document's text runs the extractor; its drafts wait under 待审核的目标任务草稿."""

    form = SourceDocumentForm
    formfield_overrides = URL_FIELDS
    list_display = ["title", "issuing_body", "issued_on", "draft_count"]
    search_fields = ["title", "issuing_body", "full_text"]
    date_hierarchy = "issued_on"
    actions = ["extract_again"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(drafts_total=Count("drafts"))

    @admin.display(description=_("draft pledges"), ordering="drafts_total")
    def draft_count(self, obj):
        url = reverse("admin:commitments_pledgedraft_changelist") + f"?document__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.drafts_total)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "full_text" in form.changed_data or not change:
            self._extract(request, obj)

    @admin.action(description=_("Extract the pledges of the selected documents again"))
    def extract_again(self, request, queryset):
        for document in queryset:
            self._extract(request, document)

    def _extract(self, request, document):
        new = actions.do_extract_drafts(document)
        url = reverse("admin:commitments_pledgedraft_changelist") + f"?document__id__exact={document.pk}"
        self.message_user(
            request,
            format_html(_("{} new draft pledges found in “{}”: <a href=\"{}\">review them</a>."), new, document.title, url),
        )


@admin.register(PledgeDraft)
class PledgeDraftAdmin(admin.ModelAdmin):
    """Review what the extractor found: correct it in the list, then accept (it becomes a pledge) or reject."""

    list_display = ["sentence_short", "metric", "comparator", "value", "unit", "kind", "deadline", "organization", "state", "pledge_link"]
    list_editable = ["metric", "comparator", "value", "unit", "kind", "deadline", "organization"]
    list_filter = ["state", "document"]
    search_fields = ["sentence", "metric"]
    list_select_related = ["organization", "pledge"]
    formfield_overrides = FORM_FIELDS
    actions = ["accept", "reject"]
    readonly_fields = ["document", "sentence", "position", "owner_text", "state", "pledge"]
    fields = ["document", "sentence", "owner_text", "metric", "kind", "comparator", "value", "low", "high", "unit", "deadline", "organization", "state", "pledge"]

    def has_module_permission(self, request):
        return access.can_edit_pledges(request.user)

    def has_view_permission(self, request, obj=None):
        return access.can_edit_pledges(request.user)

    def has_change_permission(self, request, obj=None):
        return access.can_edit_pledges(request.user)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("source sentence"))
    def sentence_short(self, obj):
        return obj.sentence[:60]

    @admin.display(description=_("pledge"))
    def pledge_link(self, obj):
        if not obj.pledge_id:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("tracker-pledge", args=[obj.pledge_id]), obj.pledge_id)

    @admin.action(description=_("Accept: track the selected drafts as pledges"))
    def accept(self, request, queryset):
        accepted, problems = 0, []
        for draft in queryset.exclude(state=PledgeDraft.State.REJECTED):
            try:
                actions.do_accept_draft(draft, acting_user=request.user)
                accepted += 1
            except ValidationError as error:
                problems.append(f"{draft.metric}: {'; '.join(error.messages)}")
        self.message_user(request, _("%(count)d drafts accepted.") % {"count": accepted})
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)

    @admin.action(description=_("Reject the selected drafts"))
    def reject(self, request, queryset):
        count = queryset.filter(state=PledgeDraft.State.NEW).update(state=PledgeDraft.State.REJECTED)
        self.message_user(request, _("%(count)d drafts rejected.") % {"count": count})
