"""Source documents and the draft pledges the extractor finds in them."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import access, actions
from ..documents import read_document
from ..models import PledgeDraft, SourceDocument
from .common import FORM_FIELDS, URL_FIELDS, AllPermissionsByOneRule


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
                cleaned["full_text"] = read_document(upload)
            except ValueError as error:
                self.add_error("file", str(error))
            upload.seek(0)
        if not cleaned.get("full_text") and "file" not in self.errors:
            self.add_error("full_text", _("Paste the document's text or upload it as a .txt file."))
        return cleaned


@admin.register(SourceDocument)
class SourceDocumentAdmin(AllPermissionsByOneRule, admin.ModelAdmin):
    """Adding or changing a document's text queues the extractor (a Celery job); its drafts then wait under
    待审核的目标任务草稿, and the list shows how far it got."""

    form = SourceDocumentForm
    formfield_overrides = URL_FIELDS
    fields = ["title", "issuing_body", "issued_on", "url", "file", "extraction", "full_text"]
    readonly_fields = ["extraction"]
    list_display = ["title", "issuing_body", "issued_on", "extraction", "draft_count"]
    search_fields = ["title", "issuing_body", "full_text"]
    date_hierarchy = "issued_on"
    actions = ["extract_again"]

    # Documents are the work of those who edit pledges, like the drafts read from them (an administrator who is not a
    # superuser picks a pledge's document too).
    rule = staticmethod(access.can_edit_pledges)

    def get_queryset(self, request):
        # Count in a subquery and leave the text out: grouping by every column (full_text included, up to 10 MB a
        # document) made the list run for minutes and lock SQLite.
        drafts = PledgeDraft.objects.filter(document=OuterRef("pk")).order_by().values("document")
        total = Subquery(drafts.annotate(total=Count("pk")).values("total"))
        return super().get_queryset(request).defer("full_text").annotate(drafts_total=Coalesce(total, 0))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj else [name for name in fields if name != "extraction"]

    @admin.display(description=_("extraction"), ordering="extraction_state")
    def extraction(self, obj):
        """Queued, extracting…, done with the drafts kept (and a warning when some were left out), or failed: why."""
        if obj.extraction_state == SourceDocument.Extraction.DONE:
            done = ngettext("done: %(count)d draft", "done: %(count)d drafts", obj.extraction_drafts) % {
                "count": obj.extraction_drafts
            }
            return f"{done} ({obj.extraction_message})" if obj.extraction_message else done
        if obj.extraction_state == SourceDocument.Extraction.FAILED:
            return _("failed: %(reason)s") % {"reason": obj.extraction_message}
        if obj.extraction_state == SourceDocument.Extraction.RUNNING:
            return _("extracting…")
        return obj.get_extraction_state_display() or "—"

    @admin.display(description=_("draft pledges"), ordering="drafts_total")
    def draft_count(self, obj):
        url = reverse("admin:commitments_pledgedraft_changelist") + f"?document__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.drafts_total)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "full_text" in form.changed_data or not change:
            actions.do_queue_extraction(obj)
            self.message_user(
                request,
                _("The pledges of “%(title)s” are being extracted; the document list shows when its drafts are ready.")
                % {"title": obj.title},
            )

    @admin.action(description=_("Extract the pledges of the selected documents again"))
    def extract_again(self, request, queryset):
        count = 0
        for document in queryset:
            actions.do_queue_extraction(document)
            count += 1
        self.message_user(
            request,
            ngettext(
                "Extraction queued for %(count)d document; the list shows when it is done.",
                "Extraction queued for %(count)d documents; the list shows when they are done.",
                count,
            ) % {"count": count},
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
