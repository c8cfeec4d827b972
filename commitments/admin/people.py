"""Organizations and their members, users and their alert settings, categories."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import access
from ..models import IMMEDIATE_KINDS, AlertKind, AlertProfile, Category, Membership, Organization
from .common import HistoryForReading, PermissionsByRole


class AlertProfileForm(forms.ModelForm):
    alert_kinds = forms.MultipleChoiceField(
        label=_("alerts received at once"),
        choices=[(kind, AlertKind(kind).label) for kind in IMMEDIATE_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    in_app_kinds = forms.MultipleChoiceField(
        label=_("alerts shown in the app"),
        choices=[(kind, AlertKind(kind).label) for kind in IMMEDIATE_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Listed on the to-do page, with the number of unread ones in the header."),
    )

    class Meta:
        model = AlertProfile
        fields = ["organization", "language", "alert_kinds", "in_app_kinds", "digest_frequency"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organization"]
    raw_id_fields = ["user"]


class AlertProfileInline(admin.StackedInline):
    model = AlertProfile
    form = AlertProfileForm
    can_delete = False
    autocomplete_fields = ["organization"]


@admin.register(Organization)
class OrganizationAdmin(PermissionsByRole, HistoryForReading, SimpleHistoryAdmin):
    list_display = ["tree_name", "short_name", "level", "contact_emails", "head", "pledge_count"]
    list_filter = ["level"]
    search_fields = ["name", "short_name"]
    raw_id_fields = ["head"]
    fields = ["name", "short_name", "level", "parent", "contact_emails", "head", "requires_approval"]
    ordering = ["tree_path"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        visible = super().get_queryset(request).filter(pk__in=access.organizations_for(request.user).values("pk"))
        return visible.select_related("head").annotate(pledge_total=Count("led_pledges"))

    @admin.display(description=_("name"), ordering="tree_path")
    def tree_name(self, obj):
        prefix = "│　" * (obj.depth - 1) + "└─ " if obj.depth else ""
        return format_html('<span class="tracker-tree">{}</span>{}', prefix, obj.name)

    @admin.display(description=_("pledges led"), ordering="pledge_total")
    def pledge_count(self, obj):
        return obj.pledge_total


@admin.register(Category)
class CategoryAdmin(PermissionsByRole, admin.ModelAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]
    search_fields = ["name"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    inlines = [MembershipInline, AlertProfileInline]
