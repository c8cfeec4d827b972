"""Filters of the status table; every filter lives in the URL so a filtered view can be shared."""

from collections import Counter
from datetime import timedelta

import django_filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Greatest, Length, Replace
from django.urls import reverse
from django.utils import timezone
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import access
from .models import Category, Instruction, Organization, Pledge, SourceDocument
from .status import TargetStatus, ReportingStatus


# A drop-down lists at most this many choices in the page (a province's 2,000 offices made every status table 120 KB
# heavier); the rest are found by typing into the search box beside it (static/commitments/picker.js, /pick/<kind>/),
# and any of them is still accepted from the URL, which the summary's and pages' links use.
PICKER_OPTIONS = 100


def picker_attrs(kind: str) -> dict:
    return {"data-picker": reverse("tracker-pick", args=[kind]), "data-picker-placeholder": _("Type to find more…")}


class OrganizationSelect(forms.Select):
    """A <select> of the organization tree, rendered in one pass (a template per option was slow). With more than
    PICKER_OPTIONS organizations, the top levels that fit and the chosen one; a search box finds the others."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        selected = str(value) if value not in (None, "") else ""
        tree, cut = self.field.tree(selected)
        if cut:
            attrs.update(picker_attrs("organizations"))
        options = "".join(
            f'<option value="{org_id}"{" selected" if str(org_id) == selected else ""}>{"　" * depth}{escape(org_name)}</option>'
            for org_id, org_name, depth in tree
        )
        return format_html(
            '<select name="{}"{}><option value="">---------</option>{}</select>', name, flatatt(attrs), mark_safe(options)
        )


def deepest_level_that_fits(per_depth: dict, most: int = PICKER_OPTIONS) -> int:
    """The deepest level such that it and every level above it fit in `most` options (-1: not even the top)."""
    deepest, shown = -1, 0
    for depth in sorted(per_depth):
        if shown + per_depth[depth] > most:
            break
        deepest, shown = depth, shown + per_depth[depth]
    return deepest


def top_of_tree(tree: list, selected: str, most: int = PICKER_OPTIONS) -> list:
    """The organizations of the levels from the top that fit in `most` options, and the selected one in its place."""
    deepest = deepest_level_that_fits(Counter(depth for _pk, _name, depth in tree), most)
    return [row for row in tree if row[2] <= deepest or str(row[0]) == selected]


class OrganizationChoiceField(forms.ModelChoiceField):
    widget = OrganizationSelect

    def __deepcopy__(self, memo):
        field = super().__deepcopy__(memo)
        field.widget.field = field
        return field

    def tree(self, selected: str = "") -> tuple[list, bool]:
        """(id, name, depth) in tree order, indented by depth so the tree reads in a plain <select>, and whether some
        were left out: beyond PICKER_OPTIONS, the top levels that fit and the selected one (top_of_tree). Two small
        queries — how many organizations at each depth, then the rows shown — not a province's 2,000 rows."""
        depth = Greatest(Length("tree_path") - Length(Replace("tree_path", Value("/"), Value(""))) - 2, 0)
        per_depth = dict(self.queryset.order_by().values_list(depth).annotate(n=Count("pk")))
        deepest = deepest_level_that_fits(per_depth)
        shown = Q(depth__lte=deepest) | (Q(pk=int(selected)) if selected.isdigit() else Q(pk__in=[]))
        tree = list(self.queryset.annotate(depth=depth).filter(shown).order_by("tree_path").values_list("pk", "name", "depth"))
        return tree, sum(per_depth.values()) > len(tree)


class DocumentSelect(forms.Select):
    """The newest PICKER_OPTIONS documents and the chosen one; a search box finds the others."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        selected = str(value) if value not in (None, "") else ""
        rows = list(self.field.queryset.order_by("-id").values_list("pk", "title")[: PICKER_OPTIONS + 1])
        if len(rows) > PICKER_OPTIONS:
            rows = rows[:PICKER_OPTIONS]
            attrs.update(picker_attrs("documents"))
            if selected and all(str(pk) != selected for pk, _title in rows):
                rows += list(self.field.queryset.filter(pk=selected).values_list("pk", "title"))
        options = "".join(
            f'<option value="{pk}"{" selected" if str(pk) == selected else ""}>{escape(title)}</option>' for pk, title in rows
        )
        return format_html(
            '<select name="{}"{}><option value="">---------</option>{}</select>', name, flatatt(attrs), mark_safe(options)
        )


class DocumentChoiceField(forms.ModelChoiceField):
    widget = DocumentSelect

    def __deepcopy__(self, memo):
        field = super().__deepcopy__(memo)
        field.widget.field = field
        return field


TOP_LEVEL, ALL_LEVELS = "top", "all"
# Closed pledges (办结 / 销号) leave the table unless asked for: ACTIVE_ONLY is the default.
ACTIVE_ONLY, CLOSED_ONLY, ACTIVE_AND_CLOSED = "active", "closed", "all"


class PledgeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("search"), method="search")
    status = django_filters.MultipleChoiceFilter(
        field_name="target_status", label=_("status"), choices=TargetStatus.choices, widget=forms.CheckboxSelectMultiple,
        distinct=False,  # a plain column: no duplicate rows to remove, and DISTINCT would defeat the index
    )
    reporting = django_filters.MultipleChoiceFilter(
        field_name="reporting_status", label=_("reporting"), choices=ReportingStatus.choices,
        widget=forms.CheckboxSelectMultiple, distinct=False,
    )
    organization = django_filters.ModelChoiceFilter(
        label=_("organization (with sub-organizations)"), queryset=Organization.objects.all(), method="in_subtree",
    )
    organization.field_class = OrganizationChoiceField
    category = django_filters.ModelChoiceFilter(label=_("category"), queryset=Category.objects.all())
    document = django_filters.ModelChoiceFilter(
        field_name="source_document", label=_("source document"), queryset=SourceDocument.objects.all()
    )
    document.field_class = DocumentChoiceField
    due_within = django_filters.ChoiceFilter(
        label=_("deadline"), method="due_soon",
        choices=[("past", _("already passed")), ("30", _("within 30 days")), ("90", _("within 90 days")),
                 ("365", _("within a year"))],
    )
    deadline = django_filters.DateFromToRangeFilter(
        label=_("deadline between"), widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )
    # Pledges broken down into parts: the summary links with level=top; the status table shows every level unless told.
    level = django_filters.ChoiceFilter(
        label=_("level"), method="at_level", empty_label=None,
        choices=[(ALL_LEVELS, _("all levels")), (TOP_LEVEL, _("top-level pledges only"))],
    )
    # Pledges whose terms an approved revision changed (Pledge.revised: what was first promised is kept).
    revised = django_filters.ChoiceFilter(
        label=_("revised"), method="by_revision", choices=[("yes", _("revised")), ("no", _("as first promised"))],
    )
    # Closed pledges (Pledge.closed): without a choice in the URL, only the active ones (filter_queryset).
    closed = django_filters.ChoiceFilter(
        label=_("closed (办结 / 销号)"), method="by_closing", empty_label=None,
        choices=[(ACTIVE_ONLY, _("active only")), (CLOSED_ONLY, _("closed only")),
                 (ACTIVE_AND_CLOSED, _("active and closed"))],
    )
    # Pledges with an instruction (批示) still waiting for its answer.
    instruction = django_filters.ChoiceFilter(
        label=_("instructions (批示)"), method="by_instruction", choices=[("open", _("has an open instruction"))],
    )
    # The whole breakdown below one pledge (a hidden field: pages link to it, the form keeps it).
    part_of = django_filters.NumberFilter(label=_("breakdown of"), method="below", widget=forms.HiddenInput)
    part_of.field_class = forms.IntegerField

    class Meta:
        model = Pledge
        fields = []

    def __init__(self, data=None, *args, request=None, **kwargs):
        # Always bound, so that the default (active pledges only) applies to a table opened without a filter.
        super().__init__({} if data is None else data, *args, request=request, **kwargs)
        # Offer (and accept) only the organizations and documents the user may open: a choice shows its name.
        self.user = request.user if request is not None else AnonymousUser()
        self.filters["organization"].queryset = access.organizations_for(self.user)
        self.filters["document"].queryset = access.documents_for(self.user)
        self._wholes = {}

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # The organizations so named first, on their own small table, as a list of ids: an OR across a join to them (or
        # with a subquery) made PostgreSQL read every pledge, while `lead_organization_id IN (…)` and each icontains
        # below are served by an index (the trigram indexes of migration 0020 on PostgreSQL), combined by a BitmapOr.
        named = list(Organization.objects.filter(Q(name__icontains=value) | Q(short_name__icontains=value))
                     .values_list("pk", flat=True))
        matches = Q(metric__icontains=value) | Q(source_sentence__icontains=value) | Q(responsible_person__icontains=value)
        if named:
            matches |= Q(lead_organization_id__any_of=named)
        return queryset.filter(matches)

    def in_subtree(self, queryset, name, org):
        if not org:
            return queryset
        # The subtree's organizations' ids first, from their own table, then one array of them: PostgreSQL reads their
        # pledges through the (organization, status) index. Joining every pledge to its organization to compare tree
        # paths read them all; so did a subquery, which it guessed would match most pledges (a city's pledges off
        # track counted in 33 ms that way, 10 ms this way, at 100,000 pledges).
        subtree = list(Organization.objects.filter(tree_path__startswith=org.tree_path).values_list("pk", flat=True))
        return queryset.filter(lead_organization_id__any_of=subtree)

    def at_level(self, queryset, name, value):
        return queryset.filter(parent__isnull=True) if value == TOP_LEVEL else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("closed"):  # no choice made: the method is not called for an empty value
            queryset = self.by_closing(queryset, "closed", ACTIVE_ONLY)
        return queryset

    def by_closing(self, queryset, name, value):
        if value == ACTIVE_AND_CLOSED:
            return queryset
        return queryset.filter(closed=value == CLOSED_ONLY)

    def by_revision(self, queryset, name, value):
        revised = value == "yes"
        return queryset.filter(original_deadline__isnull=not revised)  # kept at the first revision (Pledge.revised)

    def by_instruction(self, queryset, name, value):
        # EXISTS on the open instructions' partial index, not a join: a pledge with two open instructions is one row.
        open_instructions = Instruction.objects.filter(pledge=OuterRef("pk"), state=Instruction.State.OPEN)
        return queryset.filter(Exists(open_instructions))

    def whole(self, pledge_id: int | None) -> Pledge | None:
        """The pledge ?part_of= names, if the user may see it (asked once): the id in the URL is never trusted."""
        if pledge_id is None:
            return None
        if pledge_id not in self._wholes:
            visible = access.pledges_for(self.user, Pledge.objects.select_related("lead_organization"))
            self._wholes[pledge_id] = visible.filter(pk=pledge_id).first()
        return self._wholes[pledge_id]

    @property
    def breakdown_of(self) -> Pledge | None:
        """The pledge whose breakdown the table shows, for the page to name it."""
        return self.whole(self.form.cleaned_data.get("part_of")) if self.form.is_valid() else None

    def below(self, queryset, name, pledge_id):
        """Every part below the pledge, at any depth, not the pledge itself; nothing for a pledge the user may not
        see."""
        whole = self.whole(pledge_id)
        if whole is None:
            return queryset.none()
        return queryset.filter(tree_path__startswith=whole.tree_path).exclude(pk=whole.pk)

    def due_soon(self, queryset, name, value):
        today = timezone.localdate()
        if value == "past":
            return queryset.filter(deadline__lt=today)
        return queryset.filter(deadline__gte=today, deadline__lte=today + timedelta(days=int(value)))

    def described(self) -> list[tuple[str, str]]:
        """(label, value) of every filter in use, in words: printed above the table, where the form is hidden."""
        form = self.form
        if not form.is_valid():
            return []
        described = []
        for name, field in form.fields.items():
            value = form.cleaned_data.get(name)
            if value in (None, "", [], ()) or (isinstance(value, slice) and value.start is None and value.stop is None):
                continue
            if name == "part_of":
                whole = self.whole(value)
                text = str(whole) if whole is not None else str(_("a pledge you may not see"))
            elif isinstance(value, slice):  # a date range
                text = f"{value.start or '…'} – {value.stop or '…'}"
            elif isinstance(value, (list, tuple)):
                labels = dict(field.choices)
                text = str(_(", ")).join(str(labels.get(v, v)) for v in value)  # 、 in Chinese
            elif getattr(field, "choices", None) is not None and not hasattr(value, "pk"):
                text = str(dict(field.choices).get(value, value))
            else:
                text = str(value)
            described.append((str(field.label), text))
        if not form.cleaned_data.get("closed") and "closed" in form.fields:
            # Closed pledges are left out unless asked for: a printed table says so rather than "no filter".
            described.append((str(form.fields["closed"].label), str(dict(form.fields["closed"].choices)[ACTIVE_ONLY])))
        return described
