"""Scoring rules (考核评分) and bulletins (情况通报): imported at the end of commitments.models.

A version of the scoring rules is in force from its date until the next version's; once in force it is not changed
(the admin shows it read-only), so the score of a past period stays what it was. A bulletin is stored once, with the
figures it was made from (`figures`, a JSON snapshot) and its two files, and is never changed after.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .status import TargetStatus

# The points a pledge earns for each status when no rules are recorded yet.
DEFAULT_POINTS = {
    TargetStatus.ACHIEVED: Decimal(100),
    TargetStatus.ON_TRACK: Decimal(100),
    TargetStatus.AT_RISK: Decimal(70),
    TargetStatus.OFF_TRACK: Decimal(40),
    TargetStatus.OVERDUE: Decimal(0),
    TargetStatus.NO_DATA: Decimal(60),
}
POINTS = {"max_digits": 6, "decimal_places": 2}


class ScoringRules(models.Model):
    """One version of the scoring rules: points per status, deductions, and the weight of each category."""

    name = models.CharField(_("name"), max_length=100)
    in_force_from = models.DateField(
        _("in force from"), unique=True,
        help_text=_("Periods ending on or after this date are scored with these rules, until the next version's date."),
    )
    points_achieved = models.DecimalField(_("points: achieved"), default=DEFAULT_POINTS["achieved"], **POINTS)
    points_on_track = models.DecimalField(_("points: on track"), default=DEFAULT_POINTS["on_track"], **POINTS)
    points_at_risk = models.DecimalField(_("points: at risk"), default=DEFAULT_POINTS["at_risk"], **POINTS)
    points_off_track = models.DecimalField(_("points: off track"), default=DEFAULT_POINTS["off_track"], **POINTS)
    points_overdue = models.DecimalField(_("points: overdue"), default=DEFAULT_POINTS["overdue"], **POINTS)
    points_no_data = models.DecimalField(_("points: no data"), default=DEFAULT_POINTS["no_data"], **POINTS)
    late_report_deduction = models.DecimalField(
        _("deduction per late report"), default=Decimal(5), **POINTS,
        help_text=_("Taken from a pledge's points when its progress report is late at the period's end."),
    )
    overdue_instruction_deduction = models.DecimalField(
        _("deduction per overdue instruction"), default=Decimal(5), **POINTS,
        help_text=_("Taken from a pledge's points for each instruction (批示) still open past its due date at the period's end."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scoring rules")
        verbose_name_plural = _("scoring rules")
        ordering = ["-in_force_from"]

    def __str__(self):
        return f"{self.name} ({self.in_force_from})"

    def clean(self):
        # A version dated (or moved) into the past would change the scores of periods already scored.
        stored = None if self._state.adding else type(self).objects.filter(pk=self.pk).values_list("in_force_from", flat=True).first()
        if self.in_force_from and self.in_force_from != stored and self.in_force_from < timezone.localdate():
            raise ValidationError({"in_force_from": _("A new version of the rules cannot take effect in the past.")})

    def in_force(self, today: date | None = None) -> bool:
        return self.pk is not None and self.in_force_from <= (today or timezone.localdate())

    def as_json(self) -> dict:
        """The rules as the scoring reads them (commitments.scoring), stored in each bulletin's figures."""
        return {
            "id": self.pk,
            "name": self.name,
            "in_force_from": self.in_force_from.isoformat() if self.in_force_from else None,
            "points": {status.value: str(getattr(self, f"points_{status.value}")) for status in DEFAULT_POINTS},
            "late_report_deduction": str(self.late_report_deduction),
            "overdue_instruction_deduction": str(self.overdue_instruction_deduction),
            "weights": {str(w.category_id): str(w.weight) for w in self.weights.all()} if self.pk else {},
        }

    @classmethod
    def in_force_on(cls, day: date) -> ScoringRules:
        """The version in force on `day`; the defaults (unsaved) when none is."""
        found = cls.objects.filter(in_force_from__lte=day).order_by("-in_force_from").first()
        return found or cls(name=str(_("default rules")))


class CategoryWeight(models.Model):
    """How much a category's pledges weigh in a score (1 when not given)."""

    rules = models.ForeignKey(ScoringRules, verbose_name=_("scoring rules"), on_delete=models.CASCADE, related_name="weights")
    category = models.ForeignKey("commitments.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(_("weight"), default=Decimal(1), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("category weight")
        verbose_name_plural = _("category weights")
        constraints = [
            models.UniqueConstraint(fields=["rules", "category"], name="commitments_categoryweight_once"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="commitments_categoryweight_not_negative"),
        ]

    def __str__(self):
        return f"{self.category_id}: {self.weight}"


class Bulletin(models.Model):
    """A bulletin (情况通报) of one period for one organization's subtree: its figures and its DOCX and PDF files, as
    they were generated. Never changed (generate another for the same period instead)."""

    class Period(models.TextChoices):
        MONTH = "month", _("monthly")
        QUARTER = "quarter", _("quarterly")
        ON_DEMAND = "on_demand", _("on demand")

    scope = models.ForeignKey(
        "commitments.Organization", verbose_name=_("scope"), on_delete=models.PROTECT, related_name="bulletins"
    )
    period_kind = models.CharField(_("kind of period"), max_length=10, choices=Period.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    number = models.CharField(_("number"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    issuer = models.CharField(_("issued by"), max_length=200)
    rules = models.ForeignKey(
        ScoringRules, verbose_name=_("scoring rules"), null=True, blank=True, on_delete=models.PROTECT, related_name="bulletins"
    )
    figures = models.JSONField(_("figures"), default=dict)
    docx = models.FileField(_("Word file"), upload_to="bulletins/%Y/", max_length=300)
    pdf = models.FileField(_("PDF file"), upload_to="bulletins/%Y/", max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("generated by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bulletin (情况通报)")
        verbose_name_plural = _("bulletins (情况通报)")
        ordering = ["-period_end", "-created_at", "-id"]
        constraints = [
            # The scheduled job makes each month's and quarter's bulletin once, however often it runs.
            models.UniqueConstraint(
                fields=["scope", "period_kind", "period_end"], condition=~Q(period_kind="on_demand"),
                name="commitments_bulletin_once_per_period",
            ),
            models.UniqueConstraint(fields=["scope", "number"], name="commitments_bulletin_number_once"),
        ]

    def __str__(self):
        return f"{self.title} {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("A bulletin is kept as it was issued: generate a new one instead."))
        super().save(*args, **kwargs)
