"""Pledges, who owns them, the documents they come from, and the progress reported on them.

The status columns on `Pledge` are written only by `commitments.actions` from `commitments.status`;
they are stored so that tables and jobs can filter and sort on them in SQL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import status as engine
from .status import Cadence, Comparator, Composition, Kind, Method, ReportingStatus, TargetStatus

# Values up to a thousand trillion in the pledge's unit: far beyond any real target, and small enough that
# every database (SQLite keeps decimals as floating point) stores and reads them back exactly.
VALUE_LIMIT = Decimal(10) ** 15
VALUE_DIGITS = {
    "max_digits": 20,
    "decimal_places": 4,
    "validators": [MinValueValidator(-VALUE_LIMIT), MaxValueValidator(VALUE_LIMIT)],
}


def rules_from_settings() -> engine.Rules:
    return engine.Rules(
        on_track_ratio=Decimal(str(settings.TRACKER_ON_TRACK_RATIO)),
        at_risk_ratio=Decimal(str(settings.TRACKER_AT_RISK_RATIO)),
        report_grace_days=settings.TRACKER_REPORT_GRACE_DAYS,
        report_due_soon_days=settings.TRACKER_REPORT_DUE_SOON_DAYS,
        interpolate_schedule=settings.TRACKER_SCHEDULE_INTERPOLATE,
        cagr_on_track_ratio=Decimal(str(settings.TRACKER_CAGR_ON_TRACK_RATIO)),
        cagr_at_risk_ratio=Decimal(str(settings.TRACKER_CAGR_AT_RISK_RATIO)),
    )


# The Pledge columns that mirror an engine Assessment (written by Pledge.apply_assessment, stored in one statement by
# actions.do_recompute_status and jobs.write_assessments). Engine output, not promises: kept out of the audit history.
ASSESSED_FIELDS = (
    "target_status",
    "reporting_status",
    "expected_now",
    "progress_ratio",
    "latest_value",
    "latest_as_of",
    "next_report_due",
    "status_reason",
    "status_changed_at",
    "status_assessed_on",
    "line_start",
    "line_start_value",
    "line_end_value",
    "parts_series",
)


# Pledges suspended (暂缓) or not applicable (不适用): not judged, left out of the summary counts, the roll-ups, the
# overdue sweep and the alerts until resumed (Pledge.set_aside is the same test on one row).
SET_ASIDE = Q(suspended=True) | Q(not_applicable=True)
# Pledges still chased by the sweep and the reminders: neither set aside nor closed (办结 / 销号).
CHASED = ~SET_ASIDE & Q(closed=False)


def split_emails(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


class TreePosition:
    """Where a row with a `tree_path` "/<root id>/<child id>/.../<own id>/" sits in its tree."""

    @property
    def depth(self) -> int:
        """0 at the top of the tree, 1 for what is directly under it, and so on."""
        return max(self.tree_path.count("/") - 2, 0)

    def ancestor_ids(self) -> list[int]:
        """The ids above this one, the top first."""
        return [int(part) for part in self.tree_path.strip("/").split("/") if part][:-1]


class KeptTreePath(TreePosition):
    """For a model in a tree by `parent`: its `tree_path` "/<root id>/<child id>/.../<own id>/" is kept by save(), so
    a whole subtree is `tree_path__startswith` (organizations under an organization, the parts under a pledge)."""

    def save(self, *args, **kwargs):
        old_path = self.tree_path
        super().save(*args, **kwargs)
        rows = type(self)._default_manager
        parent_path = rows.values_list("tree_path", flat=True).get(pk=self.parent_id) if self.parent_id else "/"
        new_path = f"{parent_path}{self.pk}/"
        if new_path == old_path:
            return
        rows.filter(pk=self.pk).update(tree_path=new_path)
        self.tree_path = new_path
        if old_path:
            # Moved: rewrite the paths of everything under it in one statement.
            rows.filter(tree_path__startswith=old_path).exclude(pk=self.pk).update(
                tree_path=Concat(Value(new_path), Substr("tree_path", len(old_path) + 1))
            )



class Organization(KeptTreePath, models.Model):
    """A city, district or department. The tree is kept in `tree_path` for subtree queries."""

    class Level(models.TextChoices):
        CITY = "city", _("city")
        DISTRICT = "district", _("district / zone")
        DEPARTMENT = "department", _("department")

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.DEPARTMENT)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    contact_emails = models.TextField(
        _("contact emails"), blank=True, help_text=_("One or more addresses, separated by commas or new lines.")
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_organizations",
    )
    requires_approval = models.BooleanField(
        _("progress needs approval"),
        default=False,
        help_text=_("Updates on this organization's pledges count only once a reviewer other than the reporter approves them."),
    )
    # "/<root id>/<child id>/.../<own id>/": a subtree is `tree_path__startswith`. Kept by save().
    tree_path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    history = HistoricalRecords(excluded_fields=["tree_path"])

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["tree_path"]

    def __str__(self):
        return self.name

    def contact_email_list(self) -> list[str]:
        return split_emails(self.contact_emails)

    def clean(self):
        errors = {}
        for address in self.contact_email_list():
            try:
                validate_email(address)
            except ValidationError:
                errors["contact_emails"] = _("“%(address)s” is not an email address.") % {"address": address}
                break
        ancestor = self.parent
        while ancestor is not None and self.pk:
            if ancestor.pk == self.pk:
                errors["parent"] = _("An organization cannot be placed under itself or its own sub-organization.")
                break
            ancestor = ancestor.parent
        if errors:
            raise ValidationError(errors)

    def subtree(self):
        return Organization.objects.filter(tree_path__startswith=self.tree_path)



class Membership(models.Model):
    """A user's role in an organization; it reaches the organization and everything under it."""

    class Role(models.TextChoices):
        REPORTER = "reporter", _("reporter")
        REVIEWER = "reviewer", _("reviewer")
        MANAGER = "manager", _("manager")
        ADMINISTRATOR = "administrator", _("administrator")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="commitments_membership_no_duplicates"),
        ]

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class Category(models.Model):
    """A work area of the source documents (e.g. 产业创新, 项目攻坚); editable."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class SourceDocument(models.Model):
    title = models.CharField(_("title"), max_length=300)
    issuing_body = models.CharField(_("issuing body"), max_length=200, blank=True)
    issued_on = models.DateField(_("date issued"), null=True, blank=True)
    full_text = models.TextField(_("full text"), blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to="documents/%Y/", blank=True)

    class Extraction(models.TextChoices):
        """Where the extractor stands on this document (it runs as a Celery job: documents.extract_drafts)."""

        QUEUED = "queued", _("queued for extraction")
        RUNNING = "running", _("extracting")
        DONE = "done", _("extracted")
        FAILED = "failed", _("extraction failed")

    # Blank until the document is first queued (e.g. documents loaded with the demo data).
    extraction_state = models.CharField(_("extraction"), max_length=10, choices=Extraction.choices, blank=True)
    extraction_drafts = models.PositiveIntegerField(_("drafts found"), default=0)
    extraction_message = models.TextField(_("extraction message"), blank=True)
    extraction_finished_at = models.DateTimeField(_("extraction finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")
        ordering = ["-issued_on", "title"]
        constraints = [
            models.UniqueConstraint(fields=["title", "issued_on"], name="commitments_sourcedocument_unique_title_date"),
        ]

    def __str__(self):
        return self.title


class Standing(models.TextChoices):
    """Whether a pledge is followed: in force, or set aside (SET_ASIDE) by a suspension or as not applicable."""

    IN_FORCE = "in_force", _("in force")
    SUSPENDED = "suspended", _("suspended")
    NOT_APPLICABLE = "not_applicable", _("not applicable")


class Pledge(KeptTreePath, models.Model):
    """One quantified commitment, with its stored, engine-computed status."""

    metric = models.CharField(_("metric"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LEVEL)
    comparator = models.CharField(_("comparator"), max_length=10, choices=Comparator.choices, default=Comparator.REACH)
    target = models.DecimalField(_("target value"), null=True, blank=True, **VALUE_DIGITS)
    low = models.DecimalField(_("range low"), null=True, blank=True, **VALUE_DIGITS)
    high = models.DecimalField(_("range high"), null=True, blank=True, **VALUE_DIGITS)
    tolerance = models.DecimalField(
        _("tolerance"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.05"),
        help_text=_("For “about” targets: the accepted deviation as a fraction of the target (0.05 = ±5%)."),
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    cumulative = models.BooleanField(
        _("accumulates over the period"),
        default=False,
        help_text=_(
            "Tick when the value counts up from 0 during the period (e.g. new projects registered this year); "
            "leave clear for a level measured at a point in time (e.g. R&D spending as a share of GDP)."
        ),
    )
    baseline = models.DecimalField(_("baseline value"), null=True, blank=True, **VALUE_DIGITS)
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    start_date = models.DateField(_("start date"))
    deadline = models.DateField(_("deadline"))
    cadence = models.CharField(_("reporting cadence"), max_length=20, choices=Cadence.choices, default=Cadence.QUARTERLY)

    lead_organization = models.ForeignKey(
        Organization, verbose_name=_("lead organization"), on_delete=models.PROTECT, related_name="led_pledges"
    )
    co_owners = models.ManyToManyField(
        Organization, verbose_name=_("co-owners"), blank=True, related_name="co_owned_pledges"
    )
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="pledges"
    )
    source_document = models.ForeignKey(
        SourceDocument,
        verbose_name=_("source document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    source_sentence = models.TextField(_("source sentence"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    method = models.CharField(
        _("method"), max_length=10, choices=Method.choices, blank=True,
        help_text=_("How the progress expected by now is worked out; leave blank for this installation's default for the kind."),
    )

    # Breakdown into parts (目标分解): a part is a pledge of its own, with its own owner, target and deadline.
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.PROTECT, related_name="parts",
        help_text=_("The pledge this one is a part of (a share for a district or department, or one year of several)."),
    )
    composition = models.CharField(
        _("how its parts make it up"), max_length=10, choices=Composition.choices, default=Composition.OWN,
        help_text=_(
            "Read only when the pledge has parts. Sum: its value is the sum of its parts' values. Each: every part "
            "must reach its own target. Own: it reports its own figure; the parts are supporting tasks."
        ),
    )
    not_applicable = models.BooleanField(
        _("not applicable"), default=False,
        help_text=_(
            "A pledge that does not apply (不适用) is not judged, leaves the summary counts, the alerts and its "
            "parent's roll-up; give the reason."
        ),
    )
    not_applicable_reason = models.CharField(_("why not applicable"), max_length=300, blank=True)
    # Suspended (暂缓) by an approved request (a Revision), with why: like a pledge not applicable, until resumed.
    # Closed (办结 / 销号) by an approved request: out of the active tables and of every reminder until reopened.
    closed = models.BooleanField(_("closed"), default=False, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.SET_NULL,
        editable=False, related_name="closed_pledges",
    )
    suspended = models.BooleanField(_("suspended"), default=False, editable=False)
    suspended_reason = models.CharField(_("why suspended"), max_length=300, blank=True, editable=False)
    # What was first promised, kept by the first approved revision of the terms; null while never revised.
    original_target = models.DecimalField(_("original target"), null=True, editable=False, **VALUE_DIGITS)
    original_low = models.DecimalField(_("original range low"), null=True, editable=False, **VALUE_DIGITS)
    original_high = models.DecimalField(_("original range high"), null=True, editable=False, **VALUE_DIGITS)
    original_deadline = models.DateField(_("original deadline"), null=True, editable=False)
    # "/<root id>/.../<own id>/", as for organizations: a pledge's whole breakdown is `tree_path__startswith`. Kept by save().
    tree_path = models.CharField(max_length=255, editable=False, db_index=True, default="")

    # Written by the status engine (commitments.actions.do_recompute_status), never by a form.
    target_status = models.CharField(
        _("status"), max_length=20, choices=TargetStatus.choices, default=TargetStatus.NO_DATA, editable=False
    )
    reporting_status = models.CharField(
        _("reporting"), max_length=20, choices=ReportingStatus.choices, default=ReportingStatus.OK, editable=False
    )
    expected_now = models.DecimalField(_("expected by now"), null=True, editable=False, **VALUE_DIGITS)
    progress_ratio = models.DecimalField(
        _("progress ratio"), max_digits=14, decimal_places=4, null=True, editable=False
    )
    latest_value = models.DecimalField(_("latest value"), null=True, editable=False, **VALUE_DIGITS)
    latest_as_of = models.DateField(_("latest as of"), null=True, editable=False)
    next_report_due = models.DateField(_("next report due"), null=True, editable=False)
    status_reason = models.JSONField(_("status reason"), default=dict, editable=False)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, editable=False)
    status_assessed_on = models.DateField(_("status assessed on"), null=True, editable=False)
    # The line expected_now lies on (see status.Assessment.line), moved along nightly in SQL.
    line_start = models.DateField(null=True, editable=False)
    line_start_value = models.DecimalField(null=True, editable=False, **VALUE_DIGITS)
    line_end_value = models.DecimalField(null=True, editable=False, **VALUE_DIGITS)
    # For a pledge whose value is the sum of its parts: that value at each date a part reported, [[iso date, "value"]],
    # which its own parent sums in turn (so a roll-up reads one level, never the whole subtree). None otherwise.
    parts_series = models.JSONField(null=True, editable=False)
    # Set by the overdue sweep's single UPDATE so that it can tell which rows it changed (and from what).
    previous_status = models.CharField(max_length=20, blank=True, editable=False)
    status_batch = models.UUIDField(null=True, editable=False)

    # Every change to what is promised and who owns it, with who made it. The engine's output columns are
    # left out: their changes are the StatusChange rows.
    history = HistoricalRecords(
        m2m_fields=[co_owners],
        excluded_fields=[*ASSESSED_FIELDS, "previous_status", "status_batch", "tree_path"],
    )

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(comparator=Comparator.RANGE) | Q(low__isnull=False, high__isnull=False, low__lte=models.F("high")),
                name="commitments_pledge_range_low_le_high",
                violation_error_message=_("A range needs both ends, with the low end not above the high end."),
            ),
            models.CheckConstraint(
                condition=Q(kind=Kind.MILESTONE) | Q(comparator=Comparator.RANGE) | Q(target__isnull=False),
                name="commitments_pledge_numeric_has_target",
                violation_error_message=_("A numeric pledge needs a target value."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("start_date")),
                name="commitments_pledge_deadline_after_start",
                violation_error_message=_("The deadline cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(tolerance__gte=0, tolerance__lte=1),
                name="commitments_pledge_tolerance_fraction",
                violation_error_message=_("The tolerance is a fraction between 0 and 1."),
            ),
        ]
        indexes = [
            # Status tables filter by status and sort by deadline.
            models.Index(fields=["target_status", "deadline"], name="commitments_pledge_status_dl"),
            # "Pledges of this organization (subtree)" with a status filter.
            models.Index(fields=["lead_organization", "target_status"], name="commitments_pledge_org_status"),
            models.Index(fields=["deadline"], name="commitments_pledge_deadline"),
            # The public list pages through pledges by deadline (issue 21): a page is an index walk, not a sort of them all.
            models.Index(fields=["deadline", "id"], name="commitments_pledge_dl_id"),
            # The overdue sweep scans only open pledges whose deadline has passed.
            models.Index(
                fields=["deadline"],
                name="commitments_pledge_open_dl",
                condition=~Q(target_status__in=[TargetStatus.ACHIEVED, TargetStatus.OVERDUE]),
            ),
        ]

    def __str__(self):
        return f"{self.metric}（{self.lead_organization}）" if self.lead_organization_id else self.metric

    def clean(self):
        errors = {}
        if self.kind != Kind.MILESTONE and self.comparator != Comparator.RANGE and self.target is None:
            errors["target"] = _("A numeric pledge needs a target value.")
        if self.comparator == Comparator.RANGE:
            if self.low is None:
                errors["low"] = _("A range needs its low end.")
            if self.high is None:
                errors["high"] = _("A range needs its high end.")
            if self.low is not None and self.high is not None and self.low > self.high:
                errors["high"] = _("The high end must not be below the low end.")
        if self.start_date and self.deadline and self.deadline < self.start_date:
            errors["deadline"] = _("The deadline cannot be before the start date.")
        if self.kind == Kind.REDUCTION and not self.cumulative and self.baseline is None:
            errors["baseline"] = _("A reduction is measured against a baseline: enter the baseline value.")
        if self.kind == Kind.REDUCTION and self.unit.strip() == "%" and self.baseline == 0:
            errors["baseline"] = _("A percentage reduction cannot start from a baseline of 0.")
        if self.tolerance is not None and not (0 <= self.tolerance <= 1):
            errors["tolerance"] = _("The tolerance is a fraction between 0 and 1.")
        errors.update(self._part_errors())
        if errors:
            raise ValidationError(errors)

    def _part_errors(self) -> dict:
        """The rules of a breakdown: a part ends no later than its parent, speaks the unit of a parent that sums it,
        and is not placed under itself; "not applicable" says why."""
        errors = {}
        if self.not_applicable and not self.not_applicable_reason.strip():
            errors["not_applicable_reason"] = _("Say why this part does not apply.")
        parent = self.parent if self.parent_id else None
        if parent is None:
            return errors
        if self.pk and (parent.pk == self.pk or f"/{self.pk}/" in parent.tree_path):
            errors["parent"] = _("A pledge cannot be a part of itself or of one of its own parts.")
        if self.deadline and parent.deadline and self.deadline > parent.deadline:
            errors["deadline"] = _("A part's deadline (%(part)s) cannot be later than its parent's (%(parent)s).") % {
                "part": self.deadline, "parent": parent.deadline,
            }
        if parent.composition == Composition.SUM and self.unit.strip() != parent.unit.strip():
            errors["unit"] = _("The parts of a sum must use the parent's unit “%(unit)s”.") % {"unit": parent.unit}
        return errors

    def breakdown_shortfall(self, parts=None) -> str | None:
        """For a `sum`: what the admin and the pledge page say when the parts' targets do not add up to the target
        ("分解合计 48，少于目标 50"); None when they do, or when they cannot be added (a part without a target).
        Pass `parts` to reuse rows already loaded; parts set aside (not applicable, suspended) do not count."""
        if self.composition != Composition.SUM or self.pk is None:
            return None
        parts = [part for part in (self.parts.all() if parts is None else parts) if not part.set_aside]
        gap = engine.breakdown_gap(self.target, [part.target for part in parts])
        if gap is None:
            return None
        numbers = {
            "total": f"{engine.format_number(self.target - gap)}{self.unit}",
            "target": f"{engine.format_number(self.target)}{self.unit}",
            "gap": f"{engine.format_number(abs(gap))}{self.unit}",
        }
        if gap > 0:
            return _("The parts add up to %(total)s, %(gap)s short of the target %(target)s.") % numbers
        return _("The parts add up to %(total)s, %(gap)s more than the target %(target)s.") % numbers

    @property
    def method_in_force(self) -> str:
        return self.method or settings.TRACKER_DEFAULT_METHODS.get(self.kind, Method.LINEAR)

    def terms(self, schedule=None) -> engine.Terms:
        """What the engine reads. A `schedule` pledge's checkpoints are read from the database unless `schedule`
        ((date, value) pairs) is given, as the nightly job does for many pledges at once."""
        method = self.method_in_force
        if method == Method.SCHEDULE and schedule is None:
            schedule = [(c.as_of, c.planned_value) for c in self.checkpoints.all()] if self.pk else []
        return engine.Terms(
            method=method,
            schedule=tuple(sorted(schedule or ())),
            kind=self.kind,
            comparator=self.comparator,
            deadline=self.deadline,
            target=self.target,
            low=self.low,
            high=self.high,
            tolerance=self.tolerance if self.tolerance is not None else Decimal("0.05"),
            unit=self.unit,
            cumulative=self.cumulative,
            baseline=self.baseline,
            baseline_date=self.baseline_date,
            start_date=self.start_date,
            cadence=self.cadence,
            not_applicable=self.not_applicable_reason if self.not_applicable else None,
            suspended=self.suspended_reason if self.suspended else None,
        )

    @property
    def set_aside(self) -> bool:
        """Suspended or not applicable: not judged, counted, rolled up or chased (SET_ASIDE is the same in SQL)."""
        return self.suspended or self.not_applicable

    @property
    def standing(self) -> str:
        if self.not_applicable:
            return Standing.NOT_APPLICABLE
        return Standing.SUSPENDED if self.suspended else Standing.IN_FORCE

    @property
    def set_aside_text(self) -> str:
        """'Suspended: why' or 'Not applicable: why' (the engine's words for why it is not judged); empty for a pledge
        in force."""
        if not self.set_aside:
            return ""
        terms = self.terms(schedule=())
        return engine.assess(terms, [], self.deadline).reason.text()

    @property
    def revised(self) -> bool:
        """Whether an approved revision changed what was promised (the original is then kept: original_*)."""
        return self.original_deadline is not None

    @property
    def original_target_text(self) -> str:
        """The target as first promised ('≥ 50个'): the current one while never revised."""
        if not self.revised:
            return self.target_text
        return self.target_text_of(self.original_target, self.original_low, self.original_high)

    def target_text_of(self, target, low, high) -> str:
        """This pledge's target written with other values (a revision's before and after)."""
        params = engine.target_params(self.terms(schedule=()))
        values = {"target": target, "low": low, "high": high}
        return engine.target_text(params | {name: engine.format_number(value) for name, value in values.items()})

    def apply_assessment(self, assessment: engine.Assessment, *, today: date, trigger: str) -> StatusChange | None:
        """Copy an assessment onto this pledge (unsaved) and return the StatusChange to record, if the status moved."""
        change = None
        if self.target_status != assessment.target_status or self.status_assessed_on is None:
            change = StatusChange(
                pledge=self,
                from_status=self.target_status if self.status_assessed_on else "",
                to_status=assessment.target_status,
                assessed_on=today,
                reason=assessment.reason.as_json(),
                trigger=trigger[:100],
            )
            self.status_changed_at = timezone.now()
        self.target_status = assessment.target_status
        self.reporting_status = assessment.reporting_status
        self.expected_now = assessment.expected_now
        self.progress_ratio = assessment.progress_ratio
        self.latest_value = assessment.latest_value
        self.latest_as_of = assessment.latest_as_of
        self.next_report_due = assessment.next_report_due
        self.status_reason = assessment.reason.as_json()
        self.status_assessed_on = today
        # The line ends at the deadline, which the pledge itself holds.
        self.line_start, self.line_start_value, _end, self.line_end_value = assessment.line or (None, None, None, None)
        return change

    def assessed_values(self) -> dict:
        return {name: getattr(self, name) for name in ASSESSED_FIELDS}

    @property
    def reason(self) -> engine.Reason:
        return self.explain(self.status_reason)

    def explain(self, reason_json: dict | None) -> engine.Reason:
        """A stored reason, its missing parameters filled from the pledge (the overdue sweep stores only a code)."""
        stored = engine.Reason.from_json(reason_json)
        defaults = {
            "unit": self.unit,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "target_terms": engine.target_params(self.terms(schedule=())),  # the target only: no checkpoints to read
            "value": engine.format_number(self.latest_value),
            "as_of": self.latest_as_of.isoformat() if self.latest_as_of else None,
        }
        return engine.Reason(stored.code, defaults | stored.params)

    @property
    def status_reason_text(self) -> str:
        return self.reason.text()

    @property
    def target_text(self) -> str:
        return engine.target_text(engine.target_params(self.terms(schedule=())))


class Checkpoint(models.Model):
    """A planned value at a date, for a pledge planned by quarter or year (method `schedule`, 分期计划):
    一季度 10 个、上半年 25 个、三季度 38 个、全年 50 个."""

    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="checkpoints")
    as_of = models.DateField(_("date"))
    planned_value = models.DecimalField(_("planned value"), **VALUE_DIGITS)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["pledge", "as_of"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "as_of"], name="commitments_checkpoint_one_per_date"),
        ]

    def __str__(self):
        return f"{self.as_of}: {engine.format_number(self.planned_value)}"


class Revision(models.Model):
    """A request to change what a pledge promises (延期申请 / 目标调整: its target, range, deadline or schedule), to
    set it aside (暂缓 / 不适用) or to resume it, with why. Nothing changes until a reviewer other than the requester
    approves it (actions.do_review_revision, the rules in access.can_review_revision); the values in force before are
    kept here, so the pledge's page shows every change, and the pledge keeps what was first promised (original_*)."""

    class Change(models.TextChoices):
        TERMS = "terms", _("change the target, deadline or schedule")
        SUSPEND = "suspend", _("suspend")
        RESUME = "resume", _("resume")
        NOT_APPLICABLE = "not_applicable", _("mark not applicable")
        # Closing (办结 / 销号): the owner of an achieved pledge applies with final evidence; reopening is an
        # administrator's, with a reason.
        CLOSE = "close", _("close (办结 / 销号)")
        REOPEN = "reopen", _("reopen")

    class State(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(_("request"), max_length=20, choices=Change.choices, default=Change.TERMS)
    reason = models.CharField(_("why"), max_length=300)
    # For a request to close: the final evidence.
    evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="evidence/%Y/%m/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="requested_revisions",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    # What is asked for (a change of terms): blank leaves that term as it is. A schedule is [[iso date, "value"], ...].
    proposed_target = models.DecimalField(_("new target"), null=True, blank=True, **VALUE_DIGITS)
    proposed_low = models.DecimalField(_("new range low"), null=True, blank=True, **VALUE_DIGITS)
    proposed_high = models.DecimalField(_("new range high"), null=True, blank=True, **VALUE_DIGITS)
    proposed_deadline = models.DateField(_("new deadline"), null=True, blank=True)
    proposed_schedule = models.JSONField(_("new schedule"), null=True, blank=True)
    # The terms in force before: when requested, and again when approved (what the approval really changed).
    previous_target = models.DecimalField(_("target before"), null=True, blank=True, **VALUE_DIGITS)
    previous_low = models.DecimalField(_("range low before"), null=True, blank=True, **VALUE_DIGITS)
    previous_high = models.DecimalField(_("range high before"), null=True, blank=True, **VALUE_DIGITS)
    previous_deadline = models.DateField(_("deadline before"), null=True, blank=True)
    previous_schedule = models.JSONField(_("schedule before"), null=True, blank=True)
    previous_standing = models.CharField(_("standing before"), max_length=20, choices=Standing.choices, blank=True)

    state = models.CharField(_("review"), max_length=10, choices=State.choices, default=State.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="reviewed_revisions",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    history = HistoricalRecords()

    # The pledge's fields a change of terms may set, each with the revision's field that proposes it.
    TERMS = {
        "target": "proposed_target", "low": "proposed_low", "high": "proposed_high", "deadline": "proposed_deadline",
    }

    class Meta:
        verbose_name = _("revision request")
        verbose_name_plural = _("revision requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One request at a time: a reviewer decides on terms that no other pending request is about to change.
            models.UniqueConstraint(
                fields=["pledge"], condition=Q(state="pending"), name="commitments_revision_one_pending",
                violation_error_message=_("A request for this pledge already awaits approval."),
            ),
        ]
        indexes = [
            models.Index(fields=["state"], name="commitments_revision_pending", condition=Q(state="pending")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.pledge}" if self.pledge_id else str(self.get_kind_display())

    def proposed_checkpoints(self) -> list[tuple[date, Decimal]] | None:
        return _checkpoints_from_json(self.proposed_schedule)

    def previous_checkpoints(self) -> list[tuple[date, Decimal]] | None:
        return _checkpoints_from_json(self.previous_schedule)

    def keep_previous(self, pledge: Pledge, schedule) -> None:
        """Note the terms in force (`schedule`: the pledge's checkpoints as (date, value) pairs)."""
        self.previous_target, self.previous_low, self.previous_high = pledge.target, pledge.low, pledge.high
        self.previous_deadline = pledge.deadline
        self.previous_schedule = checkpoints_to_json(schedule) if self.proposed_schedule is not None else None
        self.previous_standing = pledge.standing

    def clean(self):
        super().clean()
        if self.kind == self.Change.CLOSE and not (self.evidence_url or self.evidence_file):
            raise ValidationError(
                {"evidence_file": _("A request to close needs the final evidence: a file or a link.")}
            )

    def apply_to(self, pledge: Pledge) -> list[str]:
        """Set the requested terms or standing on `pledge` (unsaved; a schedule is the checkpoints' rows, stored by
        the action); returns the names of the fields set. Closing records the decision's reviewer and moment (set
        before this is called); reopening clears them."""
        if self.kind in (self.Change.CLOSE, self.Change.REOPEN):
            closing = self.kind == self.Change.CLOSE
            pledge.closed = closing
            pledge.closed_at = self.reviewed_at if closing else None
            pledge.closed_by = self.reviewed_by if closing else None
            return ["closed", "closed_at", "closed_by"]
        if self.kind == self.Change.TERMS:
            changed = [name for name, proposed in self.TERMS.items() if getattr(self, proposed) is not None]
            for name in changed:
                setattr(pledge, name, getattr(self, self.TERMS[name]))
            return changed
        if self.kind == self.Change.SUSPEND:
            pledge.suspended, pledge.suspended_reason = True, self.reason
            return ["suspended", "suspended_reason"]
        if self.kind == self.Change.NOT_APPLICABLE:
            pledge.not_applicable, pledge.not_applicable_reason = True, self.reason
            return ["not_applicable", "not_applicable_reason"]
        pledge.suspended, pledge.suspended_reason = False, ""  # resume: whichever of the two set it aside
        pledge.not_applicable, pledge.not_applicable_reason = False, ""
        return ["suspended", "suspended_reason", "not_applicable", "not_applicable_reason"]

    def changes(self) -> list[tuple[str, str, str]]:
        """(what, before, after) in words, for the pages: the terms asked to change, or the standing."""
        pledge = self.pledge
        if self.kind in (self.Change.CLOSE, self.Change.REOPEN):
            states = [str(_("not closed")), str(_("closed (办结 / 销号)"))]
            before, after = states if self.kind == self.Change.CLOSE else reversed(states)
            return [(str(_("closing")), before, after)]
        if self.kind != self.Change.TERMS:
            after = {
                self.Change.SUSPEND: Standing.SUSPENDED, self.Change.NOT_APPLICABLE: Standing.NOT_APPLICABLE,
            }.get(self.kind, Standing.IN_FORCE)
            before = Standing(self.previous_standing).label if self.previous_standing else "—"
            return [(str(_("standing")), str(before), str(Standing(after).label))]
        rows = []
        before = (self.previous_target, self.previous_low, self.previous_high)
        proposed = (self.proposed_target, self.proposed_low, self.proposed_high)
        if any(value is not None for value in proposed):
            after = [new if new is not None else old for new, old in zip(proposed, before)]
            rows.append((str(_("target")), pledge.target_text_of(*before), pledge.target_text_of(*after)))
        if self.proposed_deadline is not None:
            rows.append((str(_("deadline")), str(self.previous_deadline or "—"), str(self.proposed_deadline)))
        if self.proposed_schedule is not None:
            rows.append((
                str(_("schedule")),
                schedule_text(self.previous_checkpoints() or [], pledge.unit),
                schedule_text(self.proposed_checkpoints(), pledge.unit),
            ))
        return rows


class Instruction(models.Model):
    """A leader's instruction (批示) on a pledge: written by a manager or administrator of the pledge, addressed to an
    organization (the pledge's owner by default) with a due date. The addressee's reporters answer it (落实情况) by
    then; until answered it is open, reminded, and escalated when late (jobs.queue_reminders). The writer (or an
    administrator) closes it once the answer is accepted."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="instructions")
    addressee = models.ForeignKey(
        Organization, verbose_name=_("addressed to"), on_delete=models.PROTECT, related_name="instructions",
    )
    text = models.TextField(_("instruction"))
    due = models.DateField(_("answer due by"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="instructions_written",
    )
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # The answer (落实情况).
    answer = models.TextField(_("answer (落实情况)"), blank=True)
    answer_evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="instructions_answered",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="instructions_closed",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("instruction (批示)")
        verbose_name_plural = _("instructions (批示)")
        ordering = ["-written_at", "-id"]
        indexes = [
            # Open instructions: the status table's filter, the reminders and the to-do page look for them.
            models.Index(fields=["pledge"], name="commitments_instr_open", condition=Q(state="open")),
        ]

    def __str__(self):
        return f"{self.pledge_id}: {self.text[:40]}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class ChaseLog(models.Model):
    """One chase (催办) of a late report: who pressed the button for which pledge, and when. At most one per pledge
    per day (the unique key; concurrent presses insert once), and the reminder it sends goes through the outbox
    with the period `chase:<day>`."""

    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="chases")
    day = models.DateField(_("day"))
    chased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("chased by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="chases",
    )
    chased_at = models.DateTimeField(_("chased at"), default=timezone.now)
    # Whom the reminder went to (addresses, comma-separated), for the record of who chased whom.
    recipients = models.TextField(_("sent to"), blank=True)

    class Meta:
        verbose_name = _("chase (催办)")
        verbose_name_plural = _("chases (催办)")
        ordering = ["-chased_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "day"], name="commitments_chase_once_a_day"),
        ]

    def __str__(self):
        return f"{self.pledge_id} {self.day}"


def checkpoints_to_json(schedule) -> list:
    return [[day.isoformat(), engine.format_number(Decimal(value))] for day, value in sorted(schedule)]


def _checkpoints_from_json(stored) -> list[tuple[date, Decimal]] | None:
    if stored is None:
        return None
    return [(date.fromisoformat(day), Decimal(value)) for day, value in stored]


def schedule_text(schedule, unit: str) -> str:
    """'2025-03-31 10个, 2025-06-30 25个' ("、" in Chinese); '—' for none."""
    if not schedule:
        return "—"
    return str(_(", ")).join(f"{day.isoformat()} {engine.format_number(value)}{unit}" for day, value in schedule)


class ProgressUpdate(models.Model):
    """A reported value for the period ending `as_of`. Append-only: a correction is a new row that supersedes."""

    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="updates")
    value = models.DecimalField(
        _("value"), null=True, blank=True, **VALUE_DIGITS,
        help_text=_("In the pledge's unit, without the unit; for a growth target the growth rate (7.2 for 7.2%)."),
    )
    done = models.BooleanField(_("done"), null=True, blank=True, help_text=_("For milestones: done or not yet."))
    # Required when the update leaves the pledge at risk, off track or overdue (问题原因 / 整改措施).
    cause = models.TextField(_("cause of the delay"), blank=True)
    measures = models.TextField(_("corrective measures"), blank=True)
    back_on_track_by = models.DateField(_("back on track by"), null=True, blank=True)
    as_of = models.DateField(_("as of (period end)"))
    note = models.TextField(_("note"), blank=True)
    evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="evidence/%Y/%m/", blank=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text=_("The earlier update this one corrects; the earlier one then no longer counts."),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="progress_updates",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Review(models.TextChoices):
        APPROVED = "approved", _("approved")
        PENDING = "pending", _("awaiting approval")
        RETURNED = "returned", _("returned")

    # Only approved updates count towards the status. Reviews are the one change an update may receive.
    review_state = models.CharField(_("review"), max_length=10, choices=Review.choices, default=Review.APPROVED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="reviewed_updates",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)

    REVIEW_FIELDS = ["review_state", "reviewed_by", "reviewed_at", "review_comment"]
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-as_of", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=False) | Q(done__isnull=False),
                name="commitments_progressupdate_has_value",
                violation_error_message=_("An update needs a value (or done / not done for a milestone)."),
            ),
        ]
        indexes = [
            models.Index(fields=["pledge", "as_of"], name="commitments_update_pledge_asof"),
            models.Index(fields=["review_state"], name="commitments_update_pending", condition=Q(review_state="pending")),
            # The latest cause and measures of a pledge behind (commitments.measures, a subquery per table row): only
            # the counted updates that give them, so that each lookup does not read all of its pledge's updates.
            models.Index(fields=["pledge", "-as_of", "-created_at", "-id"], name="commitments_update_measures",
                         condition=Q(review_state="approved") & (~Q(cause="") | ~Q(measures=""))),
        ]

    def __str__(self):
        if self.value is not None:
            shown = f"{format(self.value.normalize(), 'f')}{self.pledge.unit if self.pledge_id else ''}"
        else:
            shown = str(_("done") if self.done else _("not done"))
        return _("%(value)s as of %(date)s") % {"value": shown, "date": self.as_of}

    def clean(self):
        errors = {}
        try:
            pledge = self.pledge
        except Pledge.DoesNotExist:
            pledge = None
        if pledge is not None:
            if pledge.kind == Kind.MILESTONE:
                if self.done is None and self.value is None:
                    errors["done"] = _("Say whether the milestone is done.")
            elif self.value is None:
                errors["value"] = _("Enter the value reached by the end of the period.")
            if self.supersedes_id and self.supersedes.pledge_id != pledge.pk:
                errors["supersedes"] = _("An update can only correct an update of the same pledge.")
        if self.as_of and self.as_of > timezone.localdate():
            errors["as_of"] = _("The period end cannot be in the future.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        allowed = set(self.REVIEW_FIELDS)
        if self.review_state == self.Review.RETURNED and self.supersedes_id is None:
            allowed.add("supersedes")  # a returned correction lets go of the update it meant to correct
        if self.pk is not None and not set(kwargs.get("update_fields") or ["*"]) <= allowed:
            raise ValidationError(_("Progress updates cannot be changed: record a correcting update instead."))
        super().save(*args, **kwargs)

    def reading(self) -> engine.Reading:
        return engine.Reading(
            as_of=self.as_of,
            value=self.value,
            done=self.done,
            recorded_at=self.created_at,
            id=self.pk,
            supersedes_id=self.supersedes_id,
        )

    @classmethod
    def readings_that_count(cls, updates) -> list[engine.Reading]:
        """What the status engine reads of a pledge's updates: the approved ones (pending and returned ones wait for a
        reviewer); among them a correction replaces the update it corrects."""
        return [update.reading() for update in updates if update.review_state == cls.Review.APPROVED]


class StatusChange(models.Model):
    """One row per change of a pledge's target status, with why. Never edited."""

    # No index of its own: the (pledge, changed_at) index below serves every lookup by pledge, and the overdue
    # sweep inserts these rows by the hundred thousand. No database constraint either, as for the audit history's
    # rows (django-simple-history does the same): checking it cost the sweep 0.3× a bare UPDATE of the pledges
    # (bench/README.md). Deleting a pledge still deletes its changes (Django cascades); a change recorded for a pledge
    # deleted at that very moment is left over, and the jobs and pages pass over it (they join to the pledge).
    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="status_changes", db_index=False,
        db_constraint=False,
    )
    from_status = models.CharField(_("from"), max_length=20, choices=TargetStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=TargetStatus.choices)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    assessed_on = models.DateField(_("assessed on"))
    reason = models.JSONField(_("reason"), default=dict)
    trigger = models.CharField(_("trigger"), max_length=100, blank=True)
    # Stamped when the alerts for this change have been queued (the outbox pattern: detect, then deliver).
    alerts_queued_at = models.DateTimeField(_("alerts queued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["pledge", "-changed_at"], name="commitments_change_pledge_at"),
            # The summary's changes of the last week: without it, a week with no change scanned every change (0.3 s
            # at 666,667 changes); it costs the overdue sweep one more index entry per change (bench/README.md).
            models.Index(fields=["changed_at"], name="commitments_change_at"),
            # The alert job scans changes whose alerts are not queued yet.
            models.Index(fields=["id"], name="commitments_change_unqueued", condition=Q(alerts_queued_at__isnull=True)),
            # The summary's newest changes, first assessments left out: after 100,000 pledges were first assessed in a
            # week, walking the id index skipped all of them (23 ms for 8 real changes; 0.2 ms with this).
            models.Index(fields=["id"], name="commitments_change_real", condition=~Q(from_status="")),
        ]

    def __str__(self):
        return f"{self.pledge_id}: {self.from_status} → {self.to_status}"

    @property
    def reason_text(self) -> str:
        return self.pledge.explain(self.reason).text()


class StatusCount(models.Model):
    """How many pledges have each status, by lead organization, category and level: what the summary page reads
    instead of counting every pledge. Kept up to date by commitments.counts as statuses, owners, categories and
    parents change, and rebuilt by the nightly sweep. Plain ids, no foreign keys: a count is not a reference."""

    organization_id = models.BigIntegerField()
    category_id = models.BigIntegerField()  # 0 for pledges without a category
    top_level = models.BooleanField()  # nobody's part
    status = models.CharField(max_length=20, choices=TargetStatus.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The key every change is added to (INSERT … ON CONFLICT on this key).
            models.UniqueConstraint(
                fields=["organization_id", "category_id", "top_level", "status"], name="commitments_statuscount_key"
            ),
        ]

    def __str__(self):
        return f"{self.organization_id}/{self.category_id}/{'top' if self.top_level else 'part'}/{self.status}: {self.n}"


class AlertKind(models.TextChoices):
    STATUS_CHANGE = "status_change", _("status changed")
    DEADLINE_WARNING = "deadline_warning", _("deadline approaching")
    REPORT_DUE = "report_due", _("progress report due")
    REPORT_LATE = "report_late", _("progress report late")
    ESCALATION = "escalation", _("escalation")
    UPDATE_RETURNED = "update_returned", _("update returned")
    # To a parent pledge's owner: its parts that changed for the worse in one run, in one message.
    PARTS_WORSE = "parts_worse", _("parts slipping")
    # A leader's instruction (批示) to answer, and a reminder of it; a chase (催办) of a late report by a person.
    INSTRUCTION = "instruction", _("instruction (批示)")
    CHASE = "chase", _("chase (催办)")
    # A bulletin (情况通报) sent to the managers of its scope, as an attachment.
    BULLETIN = "bulletin", _("bulletin (情况通报)")
    DIGEST = "digest", _("digest")


# The alerts a user can choose to receive at once (a returned update always goes to its reporter).
IMMEDIATE_KINDS = [
    kind for kind in AlertKind.values if kind not in (AlertKind.DIGEST, AlertKind.UPDATE_RETURNED, AlertKind.BULLETIN)
]


def all_immediate_kinds() -> list[str]:
    return list(IMMEDIATE_KINDS)


class AlertProfile(models.Model):
    """A user's organization and what mail they want: which alerts at once, and how often a digest."""

    class Frequency(models.TextChoices):
        NEVER = "never", _("no digest")
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="alert_profile"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    alert_kinds = models.JSONField(
        _("alerts received at once"), default=all_immediate_kinds, blank=True, help_text=_("Leave empty to receive digests only.")
    )
    digest_frequency = models.CharField(
        _("digest"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    # The same kinds, in the app (the to-do page's notifications and the header's count) rather than, or as well as, by mail.
    in_app_kinds = models.JSONField(_("alerts shown in the app"), default=list, blank=True)

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self):
        return str(self.user)

    def clean(self):
        unknown = sorted((set(self.alert_kinds or []) | set(self.in_app_kinds or [])) - set(IMMEDIATE_KINDS))
        if unknown:
            raise ValidationError({"alert_kinds": _("Unknown alert kinds: %(kinds)s") % {"kinds": ", ".join(unknown)}})


# The query parameter of each robot's webhook address that holds its token: what the address must have, and what the
# admin and logs never show (commitments.robots masks it).
ROBOT_TOKEN_PARAMETER = {"wecom": "key", "dingtalk": "access_token"}


def webhook_problem(kind: str, url: str) -> str:
    """What is wrong with a robot's webhook address, in words for the admin form ("" when nothing is)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Paste the robot's whole webhook address, starting with https://.")
    parameter = ROBOT_TOKEN_PARAMETER[kind]
    if not parse_qs(parts.query).get(parameter, [""])[0]:
        return _("The webhook address has no “%(parameter)s=” part: copy it again from the group's robot settings.") % {
            "parameter": parameter
        }
    return ""


class Channel(models.Model):
    """A group robot an organization's alerts are posted to: a WeCom (企业微信) or DingTalk (钉钉) group chat.

    The webhook address (it holds the robot's key or access token) and the signing secret are secrets: the admin
    never shows them back, and backups leave them out unless the operator asks (commitments/robots.py posts)."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk custom robot (钉钉)")

    SECRET_FIELDS = ("webhook_url", "secret")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="channels",
        help_text=_("The group hears of this organization's pledges, as its contact addresses do."),
    )
    webhook_url = models.CharField(_("webhook address"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    keyword = models.CharField(_("keyword"), max_length=50, blank=True)
    alert_kinds = models.JSONField(_("alerts posted"), default=all_immediate_kinds, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    active = models.BooleanField(_("active"), default=True)
    # The robot's last permanent refusal (its errcode and errmsg), until a message gets through again.
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["organization__tree_path", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def address(self) -> str:
        """What a notification to this robot names as its recipient (never the webhook: it holds the token)."""
        return f"robot:{self.pk}"

    def clean(self):
        unknown = sorted(set(self.alert_kinds or []) - set(IMMEDIATE_KINDS))
        errors = {}
        if unknown:
            errors["alert_kinds"] = _("Unknown alert kinds: %(kinds)s") % {"kinds": ", ".join(unknown)}
        if self.webhook_url and self.kind in ROBOT_TOKEN_PARAMETER:
            problem = webhook_problem(self.kind, self.webhook_url)
            if problem:
                errors["webhook_url"] = problem
        if self.secret and self.kind != self.Kind.DINGTALK:
            errors["secret"] = _("Only a DingTalk robot signs its messages: leave the signing secret empty.")
        if errors:
            raise ValidationError(errors)


class Notification(models.Model):
    """One alert to one recipient by one channel, written before it is sent. The unique key makes every alert go out
    once: an email to an address, an in-app notification to a user (delivered as it is written), or a post to a
    group robot."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    class Via(models.TextChoices):
        EMAIL = "email", _("email")
        IN_APP = "in_app", _("in the app")
        ROBOT = "robot", _("group robot")

    # An email address; for an in-app notification its user's, for a robot "robot:<id>" (Channel.address).
    recipient = models.EmailField(_("recipient"))
    channel = models.CharField(_("channel"), max_length=10, choices=Via.choices, default=Via.EMAIL)
    robot = models.ForeignKey(
        Channel, verbose_name=_("group robot"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL
    )
    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    # What makes this alert distinct within (recipient, pledge, kind): the status change, the deadline
    # warning's day count, the reminder's number, the digest's day or week.
    period = models.CharField(_("period"), max_length=64)
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # A file sent with the message (a bulletin's DOCX or PDF), kept as it was sent.
    attachment = models.FileField(_("attachment"), upload_to="notifications/%Y/%m/", blank=True, max_length=300)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # A sender holds the row until then; a crashed sender's claim simply expires.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Which claim took it, so a sender that claims a batch in one statement knows which rows it got.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "channel", "pledge", "kind", "period"],
                condition=Q(pledge__isnull=False),
                name="commitments_notification_once_per_pledge",
            ),
            models.UniqueConstraint(
                fields=["recipient", "channel", "kind", "period"],
                condition=Q(pledge__isnull=True),
                name="commitments_notification_once_per_digest",
            ),
        ]
        indexes = [
            # The dispatcher picks pending rows that are due.
            models.Index(fields=["next_attempt_at"], name="commitments_notif_pending", condition=Q(state="pending")),
            # A user's unread in-app notifications: the header's count.
            models.Index(fields=["user", "read_at"], name="commitments_notif_in_app", condition=Q(channel="in_app")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"


class PledgeDraft(models.Model):
    """A pledge the extractor found in a source document, waiting for staff to accept, edit or reject it."""

    class State(models.TextChoices):
        NEW = "new", _("to review")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    document = models.ForeignKey(SourceDocument, verbose_name=_("source document"), on_delete=models.CASCADE, related_name="drafts")
    sentence = models.TextField(_("source sentence"))
    position = models.PositiveIntegerField(_("position in the text"))
    metric = models.CharField(_("metric"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=[c for c in Kind.choices if c[0] != Kind.MILESTONE])
    comparator = models.CharField(_("comparator"), max_length=10, choices=Comparator.choices)
    value = models.DecimalField(_("target value"), null=True, blank=True, **VALUE_DIGITS)
    low = models.DecimalField(_("range low"), null=True, blank=True, **VALUE_DIGITS)
    high = models.DecimalField(_("range high"), null=True, blank=True, **VALUE_DIGITS)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    owner_text = models.CharField(_("owner as written"), max_length=100, blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("lead organization"), null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    pledge = models.OneToOneField(
        Pledge, verbose_name=_("pledge"), null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("draft pledge")
        verbose_name_plural = _("draft pledges")
        ordering = ["document", "position", "id"]
        constraints = [
            # Extracting the same document again finds the same drafts: they are not stored twice.
            models.UniqueConstraint(
                fields=["document", "position", "metric", "comparator", "value", "unit"],
                name="commitments_pledgedraft_once_per_document",
            ),
        ]

    def __str__(self):
        return f"{self.metric}（{self.sentence[:30]}）"


class JobRun(models.Model):
    """The latest run of each scheduled job, written by the job itself, so the health check can tell whether the
    nightly sweep and the mail dispatcher really ran (beat and a worker alive, the job not failing)."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("last succeeded"), null=True, blank=True)
    failed_at = models.DateTimeField(_("last failed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_summary = models.JSONField(_("last result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["name"]

    def __str__(self):
        return self.name


# The public portal's openings and the API tokens (issue 21), in a module of their own.
from .public_models import ApiPush, ApiToken, PublicExplanation, Publication  # noqa: E402,F401


# Scoring rules and bulletins (issue 20) live in their own module; imported here so that Django registers them.
from .models_bulletins import Bulletin, CategoryWeight, ScoringRules  # noqa: E402,F401
