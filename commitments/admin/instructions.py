"""Instructions (批示): a pledge's manager or administrator writes one (from the pledge's page: 写批示), the addressee's
reporters answer it here (落实情况), and the writer (or an administrator) accepts the answer or returns it. Every save
goes through commitments.actions, which check who may do what (commitments.access)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import access, actions
from ..models import Instruction
from .common import FORM_FIELDS, HistoryForReading, VisibleOrganizationFilter

WRITE_FIELDS = ["pledge", "addressee", "text", "due"]
ANSWER_FIELDS = ["answer", "answer_evidence_url"]
DECISION_FIELDS = ["decision", "comment"]
SHOWN_AFTER_WRITING = [
    "pledge", "addressee", "text", "due", "written_by", "written_at", "state", "answer", "answer_evidence_url",
    "answered_by", "answered_at", "closed_by", "closed_at",
]


class InstructionForm(forms.ModelForm):
    """Writing an instruction, answering it, or deciding on its answer: each checked by the action's own rules, each
    message on the field it is about."""

    decision = forms.ChoiceField(
        label=_("decision"), required=False,
        choices=[("", "—"), ("close", _("accept the answer: close the instruction")),
                 ("return", _("return the answer: it is not enough"))],
    )
    comment = forms.CharField(
        label=_("why it is returned"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    class Meta:
        model = Instruction
        fields = [*WRITE_FIELDS, *ANSWER_FIELDS]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3, "cols": 60}),
            "answer": forms.Textarea(attrs={"rows": 4, "cols": 60}),
        }

    def clean_pledge(self):
        pledge = self.cleaned_data["pledge"]
        # The chosen object, not the id typed: the field's queryset is already these pledges; said in words here.
        if not access.can_instruct(self.request_user, pledge):
            raise forms.ValidationError(_("You may write instructions only on pledges you manage or administer."))
        return pledge

    def clean(self):
        cleaned = super().clean()
        instruction = self.instance
        try:
            if instruction.pk is None:
                if cleaned.get("pledge") is not None:
                    actions.check_instruction(
                        cleaned["pledge"], text=cleaned.get("text", ""), due=cleaned.get("due"),
                        addressee=cleaned.get("addressee"),
                    )
            elif "answer" in self.fields:
                actions.check_answer(Instruction.objects.get(pk=instruction.pk), answer=cleaned.get("answer", ""))
            elif cleaned.get("decision") == "return" and not cleaned.get("comment", "").strip():
                self.add_error("comment", _("Say why the answer is returned."))
        except ValidationError as error:
            self._add_errors(error)
        return cleaned

    def _add_errors(self, error):
        for name, messages in error.message_dict.items():
            if name in self.errors:
                continue  # already refused by the field itself ("This field is required.")
            if name in self.fields:
                self.add_error(name, messages)
            elif name == NON_FIELD_ERRORS:
                self.add_error(None, messages)
            else:  # a field this form shows read-only: named in words
                label = capfirst(Instruction._meta.get_field(name).verbose_name)
                self.add_error(None, [f"{label}: {message}" for message in messages])


@admin.register(Instruction)
class InstructionAdmin(HistoryForReading, SimpleHistoryAdmin):
    form = InstructionForm
    formfield_overrides = FORM_FIELDS
    list_display = ["pledge", "addressee", "short_text", "written_by", "due", "state", "late"]
    list_filter = ["state", ("due", admin.DateFieldListFilter), ("addressee", VisibleOrganizationFilter)]
    search_fields = ["pledge__metric", "text", "answer"]
    list_select_related = ["pledge__lead_organization", "addressee", "written_by"]
    autocomplete_fields = ["pledge", "addressee"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=access.instructions_for(request.user).values("pk"))

    # Who may do what: commitments.access, not Django's model permissions.

    def has_module_permission(self, request):
        return access.has_a_role(request.user)

    def has_view_permission(self, request, obj=None):
        return access.has_a_role(request.user) and (obj is None or access.can_see(request.user, obj.pledge))

    def has_add_permission(self, request):
        return access.may_instruct_somewhere(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return access.has_a_role(request.user)
        return self._may_answer(request, obj) or self._may_decide(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def _may_answer(self, request, obj) -> bool:
        return obj.state == Instruction.State.OPEN and access.can_answer_instruction(request.user, obj)

    def _may_decide(self, request, obj) -> bool:
        return obj.state == Instruction.State.ANSWERED and access.can_close_instruction(request.user, obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return WRITE_FIELDS
        if self._may_answer(request, obj):
            return SHOWN_AFTER_WRITING
        if self._may_decide(request, obj):
            return [*SHOWN_AFTER_WRITING, *DECISION_FIELDS]
        return SHOWN_AFTER_WRITING

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if self._may_answer(request, obj):
            return [name for name in SHOWN_AFTER_WRITING if name not in ANSWER_FIELDS]
        return SHOWN_AFTER_WRITING

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        if "addressee" in form.base_fields:
            form.base_fields["addressee"].required = False
            form.base_fields["addressee"].help_text = _("Leave empty for the pledge's lead organization.")
        if "due" in form.base_fields:
            form.base_fields["due"].help_text = _("Today or later.")
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "pledge":
            kwargs["queryset"] = access.pledges_to_instruct(request.user)
        elif db_field.name == "addressee":
            kwargs["queryset"] = access.organizations_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("instruction"))
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 40 else f"{obj.text[:40]}…"

    @admin.display(description=_("late?"))
    def late(self, obj):
        if obj.state == Instruction.State.OPEN and obj.due < timezone.localdate():
            return format_html('<strong class="instruction-late">{}</strong>', _("late"))
        return ""

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            written = actions.do_write_instruction(
                data["pledge"], acting_user=request.user, text=data["text"], due=data["due"],
                addressee=data.get("addressee"),
            )
            obj.pk, obj.addressee, obj.written_by = written.pk, written.addressee, written.written_by
            obj._state.adding = False
            return
        if self._may_answer(request, obj) and "answer" in data:
            actions.do_answer_instruction(
                obj, acting_user=request.user, answer=data["answer"], evidence_url=data.get("answer_evidence_url", ""),
            )
        elif data.get("decision") == "close":
            actions.do_close_instruction(obj, acting_user=request.user)
        elif data.get("decision") == "return":
            actions.do_return_instruction(obj, acting_user=request.user, comment=data["comment"])

    def save_related(self, request, form, formsets, change):
        pass  # nothing related is edited here; the actions saved the instruction
