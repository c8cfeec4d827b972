"""Forms for breaking a pledge down in the admin, and what a new part takes from its parent (shared with the
decomposition import in resources.py).

Both forms are checked by the model's own rules (Pledge.clean, with `_part_errors` naming the field); a message about
a field the form does not show goes at the top of the form or row, naming that field, rather than nowhere.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import access
from .models import Pledge
from .numbers import NumberInput
from .status import Composition

# A new part measures what its parent measures, from the same source: these always come from the parent.
TAKEN_FROM_PARENT = (
    "metric", "kind", "comparator", "low", "high", "tolerance", "cumulative", "category", "source_document",
    "source_sentence",
)
# These are the part's own when its row gives them; an empty one is the parent's.
DEFAULTS_FROM_PARENT = ("unit", "start_date", "deadline", "cadence")


def take_terms_from_parent(part: Pledge, parent: Pledge) -> None:
    """Fill a new, unsaved part with its parent's terms (see TAKEN_FROM_PARENT and DEFAULTS_FROM_PARENT)."""
    for name in TAKEN_FROM_PARENT:
        setattr(part, name, getattr(parent, name))
    for name in DEFAULTS_FROM_PARENT:
        if getattr(part, name) in (None, ""):
            setattr(part, name, getattr(parent, name))


def errors_from_parts(pledge: Pledge) -> dict[str, str]:
    """The other side of Pledge._part_errors, for a pledge that already has parts: its deadline may not move before
    a part's, and as a sum it keeps its parts' unit. {field: message}."""
    if pledge.pk is None:
        return {}
    errors = {}
    parts = list(pledge.parts.select_related("lead_organization").order_by("-deadline", "id"))
    if parts and pledge.deadline and parts[0].deadline > pledge.deadline:
        errors["deadline"] = _("Its part “%(part)s” ends on %(part_deadline)s, after this deadline (%(deadline)s).") % {
            "part": parts[0], "part_deadline": parts[0].deadline, "deadline": pledge.deadline,
        }
    if pledge.composition == Composition.SUM:
        other = next((part for part in parts if part.unit.strip() != pledge.unit.strip()), None)
        if other is not None:
            errors["unit"] = _("Its part “%(part)s” uses the unit “%(unit)s”: the parts of a sum use its unit.") % {
                "part": other, "unit": other.unit,
            }
    return errors


class ModelErrorsShown(forms.ModelForm):
    """Puts the model's messages about fields this form does not show (a part's row has no unit; a reporter's pledge
    form shows none) at the top of the form, naming the field. Django would raise ValueError for them."""

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            shown, hidden = {}, []
            for name, messages in errors.error_dict.items():
                if name == NON_FIELD_ERRORS or name in self.fields:
                    shown[name] = messages
                else:
                    label = capfirst(self._meta.model._meta.get_field(name).verbose_name)
                    hidden += [f"{label}: {message}" for message in ValidationError(messages).messages]
            if hidden:
                shown[NON_FIELD_ERRORS] = [*shown.get(NON_FIELD_ERRORS, []), *(ValidationError(m) for m in hidden)]
            errors = ValidationError(shown)
        super()._update_errors(errors)


class PledgeForm(ModelErrorsShown):
    """The pledge's own form in the admin; a pledge with parts is also checked against them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "composition" in self.fields:
            self.fields["composition"].required = False  # a form sent without it (most pledges have no parts): own

    def clean_composition(self):
        return self.cleaned_data["composition"] or Composition.OWN

    def _post_clean(self):
        if not self.fields:
            return  # a reporter's form (every field read-only): nothing typed, nothing saved, nothing to check
        super()._post_clean()
        for name, message in errors_from_parts(self.instance).items():
            self.add_error(name if name in self.fields else None, message)


class PartForm(ModelErrorsShown):
    """One part on its parent's page. A new row takes the parent's terms (take_terms_from_parent) before the model
    checks it, and is checked against the parent as the parent's form now stands, not as it was stored."""

    def attach_to(self, parent: Pledge) -> None:
        self.instance.parent = parent
        if "target" in self.fields and parent.unit:
            self.fields["target"].widget = NumberInput(unit=parent.unit)
        if self.instance.pk is None:
            for name in ("start_date", "deadline", "cadence"):
                if name in self.fields:
                    self.fields[name].initial = getattr(parent, name)
                    # Compared with the value the page was shown with, so that a row left empty stays empty even when
                    # the same form changes the parent's deadline.
                    self.fields[name].show_hidden_initial = True

    def _post_clean(self):
        if self.instance.pk is None and self.instance.parent is not None:
            take_terms_from_parent(self.instance, self.instance.parent)
        super()._post_clean()


class PartFormSet(forms.BaseInlineFormSet):
    """The parts on their parent's page, each row attached to the parent as its form now stands. (Deleting a part
    that has parts of its own is refused by the admin's inline form, which names them.)"""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.attach_to(self.instance)

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            # Progress once reported stays, as in the rest of the admin: a part that no longer applies says so.
            if form.instance.pk is not None and form.instance.updates.exists():
                raise ValidationError(
                    _("“%(part)s” has progress reported: mark it not applicable instead of deleting it.")
                    % {"part": form.instance}
                )


def editable_pledges(user, queryset=None):
    """The pledges `user` may edit, and so break down or put parts under (access.can_edit_pledges: administrators)."""
    queryset = Pledge.objects.all() if queryset is None else queryset
    return access.pledges_for(user, queryset) if access.can_edit_pledges(user) else queryset.none()
