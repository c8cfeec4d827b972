"""Opening pledges to the public and issuing API tokens (issue 21): administrators only."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import tokens
from ..models import ApiPush, ApiToken, PublicExplanation, Publication
from .common import AllPermissionsByOneRule


@admin.register(Publication)
class PublicationAdmin(AllPermissionsByOneRule, SimpleHistoryAdmin):
    """Each row opens an organization (with its subtree) or one pledge to the public; deleting it closes it again."""

    list_display = ["__str__", "organization", "pledge", "published_at", "published_by", "public_page"]
    autocomplete_fields = ["organization", "pledge"]
    readonly_fields = ["published_at", "published_by"]
    list_select_related = ["organization", "pledge", "published_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.published_by = request.user
            obj.published_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.display(description=_("public page"))
    def public_page(self, obj):
        if obj.pledge_id:
            url = reverse("public-pledge", args=[obj.pledge_id])
        else:
            url = reverse("public-organization", args=[obj.organization_id])
        return format_html('<a href="{}">{}</a>', url, url)


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["organization", "name", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(AllPermissionsByOneRule, SimpleHistoryAdmin):
    """Issuing a token shows its secret once, on the page that follows; only its hash is kept. Revoke it with the
    action; change nothing else (issue a new one instead)."""

    form = ApiTokenForm
    list_display = ["name", "organization", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at", "usable"]
    list_filter = ["organization"]
    autocomplete_fields = ["organization"]
    actions = ["revoke_tokens"]
    list_select_related = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["organization", "name", "prefix", "expires_at", "revoked_at", "created_at", "created_by", "last_used_at"]

    def get_fields(self, request, obj=None):
        return ["organization", "name", "expires_at"] if obj is None else self.get_readonly_fields(request, obj)

    def get_changeform_initial_data(self, request):
        return {"expires_at": timezone.now() + tokens.DEFAULT_LIFETIME, **super().get_changeform_initial_data(request)}

    @admin.display(boolean=True, description=_("usable"))
    def usable(self, obj):
        return obj.is_usable()

    def save_model(self, request, obj, form, change):
        if change:
            return  # a token is never edited: revoke it and issue another
        token, secret = tokens.issue_token(
            obj.organization, obj.name, issued_by=request.user, expires_at=obj.expires_at
        )
        obj.pk = token.pk
        messages.warning(
            request,
            _("The new token, shown this once (only its fingerprint is kept): %(secret)s") % {"secret": secret},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.revoke(token, revoked_by=request.user)


@admin.register(ApiPush)
class ApiPushAdmin(AllPermissionsByOneRule, admin.ModelAdmin):
    """The pushes received, by idempotency key (the updates themselves are in the progress updates)."""

    list_display = ["created_at", "organization", "key", "token", "update"]
    list_select_related = ["organization", "token", "update"]
    search_fields = ["key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PublicExplanation)
class PublicExplanationAdmin(AllPermissionsByOneRule, SimpleHistoryAdmin):
    """Opens the cause of the delay and the corrective measures of one progress update to the public, on its pledge's
    public page (while the pledge is public and the update counts); deleting the row closes them again."""

    list_display = ["update", "published_at", "published_by"]
    raw_id_fields = ["update"]
    readonly_fields = ["published_at", "published_by"]
    list_select_related = ["update__pledge", "published_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.published_by = request.user
            obj.published_at = timezone.now()
        super().save_model(request, obj, form, change)
