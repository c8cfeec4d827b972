"""Scoring rules (考核评分) and bulletins (情况通报) in the admin, for administrators.

A version of the rules is edited until it takes effect; from its date on it is read-only (add a new version dated
today or later instead), so a past period is always scored with the rules it was scored with. Bulletins are read
here and downloaded from the bulletins page; they are never changed."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import Bulletin, CategoryWeight, ScoringRules
from .common import FORM_FIELDS, AllPermissionsByOneRule
from .system import ReadOnlyAdmin


class CategoryWeightInline(admin.TabularInline):
    model = CategoryWeight
    extra = 1
    formfield_overrides = FORM_FIELDS

    def _editable(self, obj):
        return obj is None or not obj.in_force()

    def has_add_permission(self, request, obj=None):
        return self._editable(obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj)


@admin.register(ScoringRules)
class ScoringRulesAdmin(AllPermissionsByOneRule, admin.ModelAdmin):
    list_display = ["name", "in_force_from", "points_achieved", "points_on_track", "points_at_risk", "points_off_track",
                    "points_overdue", "points_no_data", "late_report_deduction", "overdue_instruction_deduction", "in_force_now"]
    inlines = [CategoryWeightInline]
    formfield_overrides = FORM_FIELDS
    fieldsets = [
        (None, {"fields": ["name", "in_force_from"]}),
        (_("Points per status"), {"fields": ["points_achieved", "points_on_track", "points_at_risk", "points_off_track",
                                              "points_overdue", "points_no_data"]}),
        (_("Deductions"), {"fields": ["late_report_deduction", "overdue_instruction_deduction"]}),
    ]

    @admin.display(description=_("in force"), boolean=True)
    def in_force_now(self, obj):
        return obj.in_force()

    def has_change_permission(self, request, obj=None):
        # In force: kept as it is, so that the scores it gave stay what they were.
        return super().has_change_permission(request, obj) and (obj is None or not obj.in_force())

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.in_force())


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ["title", "number", "scope", "period_kind", "period_start", "period_end", "created_at", "files"]
    list_filter = ["period_kind", "scope"]
    readonly_fields = ["figures"]

    @admin.display(description=_("files"))
    def files(self, obj):
        from django.urls import reverse

        return format_html(
            '<a href="{}">Word</a> · <a href="{}">PDF</a>',
            reverse("tracker-bulletin-file", args=[obj.pk, "docx"]), reverse("tracker-bulletin-file", args=[obj.pk, "pdf"]),
        )


