"""Pieces the admin modules share: form field defaults, permissions and history pages by access.py's roles, list
filters that offer only what the user may open, import/export with the acting user."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models
from django.http import Http404, HttpResponseNotAllowed
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from .. import access
from ..exports import EXCEL_CSV_ENCODING, UnreadableFile
from ..numbers import NumberField, NumberInput

# Links typed without a scheme are https (Django 6's default, stated now to silence the 5.x warning).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}
FORM_FIELDS = URL_FIELDS | {models.DecimalField: {"form_class": NumberField, "widget": NumberInput}}


class PermissionsByRole:
    """Who may open these rows comes from commitments.access (roles by organization), as for pledges, not from
    Django's model permissions: anyone with a role views them (get_queryset narrows which), an administrator, superuser
    or not, changes them. Without this an administrator could not even pick a pledge's lead organization."""

    def has_module_permission(self, request):
        return access.has_a_role(request.user)

    def has_view_permission(self, request, obj=None):
        return access.has_a_role(request.user)

    def has_add_permission(self, request):
        return access.is_administrator(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_administrator(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.is_administrator(request.user)


class AllPermissionsByOneRule:
    """Every permission of a model admin from one rule of commitments.access (not Django's model permissions), for rows
    only some roles open at all. Administrators by default; an admin may name another rule, or refuse some actions."""

    rule = staticmethod(access.is_administrator)

    def has_module_permission(self, request):
        return self.rule(request.user)

    def has_view_permission(self, request, obj=None):
        return self.rule(request.user)

    def has_add_permission(self, request):
        return self.rule(request.user)

    def has_change_permission(self, request, obj=None):
        return self.rule(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.rule(request.user)


class TermsEditedByAdministrators:
    """An inline of a pledge's terms (its parts, its checkpoints): whoever opens the pledge sees the rows (the pledge's
    own access decided that), administrators alone add, change and delete them."""

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return access.can_edit_pledges(request.user)

    def has_change_permission(self, request, obj=None):
        return access.can_edit_pledges(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.can_edit_pledges(request.user)


class ReportedAndReviewed:
    """The admin of rows that belong to a pledge, are added by its reporters and decided by its reviewers (progress
    updates, revision requests): each user reaches the rows of the pledges they see, and the only change a row ever
    receives is its decision, by a reviewer who may decide it (`_may_review`)."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pledge__in=access.pledges_for(request.user))

    def has_module_permission(self, request):
        return access.has_a_role(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or access.can_see(request.user, obj.pledge))

    def has_add_permission(self, request):
        return access.is_administrator(request.user) or bool(access.paths(request.user, {access.Role.REPORTER}))

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return access.is_administrator(request.user) or bool(access.paths(request.user, {access.Role.REVIEWER}))
        return self._may_review(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def _may_review(self, request, obj) -> bool:
        raise NotImplementedError


class HistoryForReading:
    """SimpleHistoryAdmin's history pages, to read only, and only for an object the user may see.

    Left alone, the library looks an object up in the history when it is not in the user's queryset and then answers
    403, which tells an outsider that another organization's object exists (a missing one answers 404). And its page
    of one version saves a POSTed form after checking only view permission: the status was not assessed again after a
    reverted pledge, and a decision posted on an update went to the review (a server error for a non-reviewer)."""

    def history_view(self, request, object_id, extra_context=None):
        self._not_found_unless_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        self._not_found_unless_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    def _not_found_unless_visible(self, request, object_id):
        # An administrator still reads the history of a deleted object (the library finds it in the history).
        if not access.is_administrator(request.user) and self.get_object(request, unquote(object_id)) is None:
            raise Http404


class OrganizationSubtreeFilter(admin.SimpleListFilter):
    """Lead organization, including everything under it; only organizations the user may see are offered."""

    title = _("organization (with sub-organizations)")
    parameter_name = "org"

    def lookups(self, request, model_admin):
        return [(org.pk, "　" * org.depth + org.name) for org in access.organizations_for(request.user)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        org = access.organizations_for(request.user).filter(pk=self.value()).first()
        if org is None:
            return queryset.none()
        return queryset.filter(lead_organization__tree_path__startswith=org.tree_path)


class VisibleChoicesFilter(admin.RelatedFieldListFilter):
    """A related field's filter offering only the rows the user may open (the stock one names every row of the table)."""

    def visible(self, user):
        raise NotImplementedError

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        visible = {"pk__in": self.visible(request.user).values("pk")}
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=visible)


class VisibleOrganizationFilter(VisibleChoicesFilter):
    def visible(self, user):
        return access.organizations_for(user)


class VisibleDocumentFilter(VisibleChoicesFilter):
    def visible(self, user):
        return access.documents_for(user)


class ImportExportForUser(ImportExportMixin):
    """django-import-export in the admin, with the importing user handed to the resource for row checks."""

    to_encoding = EXCEL_CSV_ENCODING  # CSV exports start with the byte-order mark, so that Excel reads them as UTF-8

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UnreadableFile):  # says why in words (too large, not text), not only the exception's name
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)
