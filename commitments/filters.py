"""Filters of the status table; every filter lives in the URL so a filtered view can be shared."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Category, Organization, Pledge, SourceDocument
from .status import TargetStatus, ReportingStatus


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, org):
        return "\u3000" * org.depth + org.name  # indented by depth: the tree reads in a plain <select>


class PledgeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("search"), method="search")
    status = django_filters.MultipleChoiceFilter(
        field_name="target_status", label=_("status"), choices=TargetStatus.choices, widget=forms.CheckboxSelectMultiple
    )
    reporting = django_filters.MultipleChoiceFilter(
        field_name="reporting_status", label=_("reporting"), choices=ReportingStatus.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    organization = django_filters.ModelChoiceFilter(
        label=_("organization (with sub-organizations)"), queryset=Organization.objects.all(), method="in_subtree",
    )
    organization.field_class = OrganizationChoiceField
    category = django_filters.ModelChoiceFilter(label=_("category"), queryset=Category.objects.all())
    document = django_filters.ModelChoiceFilter(
        field_name="source_document", label=_("source document"), queryset=SourceDocument.objects.all()
    )
    due_within = django_filters.ChoiceFilter(
        label=_("deadline"), method="due_soon",
        choices=[("past", _("already passed")), ("30", _("within 30 days")), ("90", _("within 90 days")),
                 ("365", _("within a year"))],
    )
    deadline = django_filters.DateFromToRangeFilter(
        label=_("deadline between"), widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )

    class Meta:
        model = Pledge
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None:  # offer only the organizations the user may see
            from .access import organizations_for

            self.filters["organization"].queryset = organizations_for(request.user)
            self.form.fields["organization"].queryset = organizations_for(request.user)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(metric__icontains=value)
            | Q(source_sentence__icontains=value)
            | Q(lead_organization__name__icontains=value)
            | Q(lead_organization__short_name__icontains=value)
            | Q(responsible_person__icontains=value)
        )

    def in_subtree(self, queryset, name, org):
        return queryset.filter(lead_organization__tree_path__startswith=org.tree_path) if org else queryset

    def due_soon(self, queryset, name, value):
        today = timezone.localdate()
        if value == "past":
            return queryset.filter(deadline__lt=today)
        return queryset.filter(deadline__gte=today, deadline__lte=today + timedelta(days=int(value)))
