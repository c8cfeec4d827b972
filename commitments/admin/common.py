"""Pieces the admin modules share: form field defaults, import/export with the acting user, the subtree filter."""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from ..models import Organization
from ..numbers import NumberField, NumberInput

# Links typed without a scheme are https (Django 6's default, stated now to silence the 5.x warning).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}
FORM_FIELDS = URL_FIELDS | {models.DecimalField: {"form_class": NumberField, "widget": NumberInput}}


class OrganizationSubtreeFilter(admin.SimpleListFilter):
    """Lead organization, including everything under it."""

    title = _("organization (with sub-organizations)")
    parameter_name = "org"

    def lookups(self, request, model_admin):
        return [(org.pk, "　" * org.depth + org.name) for org in Organization.objects.all()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        org = Organization.objects.filter(pk=self.value()).first()
        if org is None:
            return queryset.none()
        return queryset.filter(lead_organization__tree_path__startswith=org.tree_path)


class ImportExportForUser(ImportExportMixin):
    """django-import-export in the admin, with the importing user handed to the resource for row checks."""

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def has_export_permission(self, request):
        return self.has_view_permission(request)
