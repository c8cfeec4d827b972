"""Bulk import and export of pledges and progress updates (CSV, XLSX) with django-import-export, and the import of a
decomposition table (目标任务分解表: one row per part of a pledge).

Imports are previewed first (a dry run), report errors by row and column, and commit all rows or none.
Exporting and importing the same file back changes nothing (unchanged rows are skipped).
A row is checked by what its cells resolve to, never by their text: a pledge id is looked up only among the pledges
the importing user may report on, so that " 7", "+7" or 7.0 cannot reach another organization's pledge.
"""

import re
import unicodedata
from collections import OrderedDict
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, results, widgets

from . import access, actions, checkpoints
from .exports import from_spreadsheet, spreadsheet_safe
from .forms import editable_pledges, errors_from_parts, take_terms_from_parent
from .models import Category, Checkpoint, Organization, Pledge, ProgressUpdate, SourceDocument
from .numbers import normalise_number_text
from .status import Cadence, Method

# Dates outside these are typing mistakes (0001-01-01, 9999-12-31), not plans.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2200, 12, 31)
# How Chinese offices write a date in a spreadsheet (Excel saves 2025/9/30 in a CSV).
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
YES_WORDS = {"1", "true", "t", "yes", "y", "是", "对", "√"}
NO_WORDS = {"0", "false", "f", "no", "n", "否", "错", "×"}
LARGEST_ID = 2**63 - 1  # what every database stores as an id


def listed(names) -> str:
    """“a”、“b” in Chinese, “a”, “b” in English."""
    return str(_(", ")).join(f"“{name}”" for name in names)


def whole_number(value) -> int | None:
    """An id cell, however a spreadsheet wrote it (" 7", "+7", "７", 7.0): a whole number from 1 up; None if empty."""
    if value is None or isinstance(value, str) and not value.strip():
        return None
    try:
        number = Decimal(normalise_number_text(str(value)))
    except ArithmeticError:
        number = Decimal("NaN")
    if isinstance(value, bool) or not number.is_finite() or not 1 <= number <= LARGEST_ID or number % 1:
        raise ValueError(_("“%(value)s” is not an id (a whole number from 1 up)") % {"value": value})
    return int(number)


class NumberWidget(widgets.DecimalWidget):
    """A number, or an error naming the bad cell's text (which then shows under its column)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = normalise_number_text(value)
        try:
            number = super().clean(value, row, **kwargs)
        except (ArithmeticError, ValueError):
            number = Decimal("NaN")
        if number is not None and not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number") % {"value": value})
        return number


class IdWidget(widgets.IntegerWidget):
    """The id column: empty for a new row, else the id of a stored one (see ResourceForUser.get_or_init_instance)."""

    def clean(self, value, row=None, **kwargs):
        return whole_number(value)


class DateWidget(widgets.DateWidget):
    """A date as a Chinese office writes it, between 1900 and 2200, or an error saying how to write it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.formats = DATE_FORMATS

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):  # an XLSX date cell
            value = value.date()
        if isinstance(value, str):
            value = value.strip()
        try:
            day = super().clean(value, row, **kwargs)
        except (TypeError, ValueError):
            raise ValueError(_("“%(value)s” is not a date (write it as 2025-09-30)") % {"value": value})
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValueError(_("%(date)s is not between the years 1900 and 2200") % {"date": day.isoformat()})
        return day


class YesNoWidget(widgets.BooleanWidget):
    """Yes or no in clear words (是/否, yes/no, true/false, y/n, 1/0); anything else is an error, never a silent no."""

    def clean(self, value, row=None, **kwargs):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float, Decimal)) and value in (0, 1):
            return value == 1
        word = unicodedata.normalize("NFKC", str(value)).strip().lower()
        if not word:
            return None
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
        raise ValueError(_("“%(value)s” is neither yes nor no (write 是 or 否)") % {"value": value})


class NamedForeignKeyWidget(widgets.ForeignKeyWidget):
    """Looks a related row up by name; an unknown name is an error of that column, not of the whole row."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        named = {"thing": self.model._meta.verbose_name, "value": value}
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(_("no %(thing)s “%(value)s”") % named)
        except self.model.MultipleObjectsReturned:
            raise ValueError(_("more than one %(thing)s “%(value)s”") % named)


class ReachableWidget(NamedForeignKeyWidget):
    """A related row by its id, looked up only among `reachable(user)`, the rows the importing user may act on. One out
    of reach gets the same error as one that does not exist: a file cannot probe what is stored elsewhere."""

    def __init__(self, model, reachable):
        super().__init__(model, "pk")
        self.reachable = reachable
        self.user = None  # set by ResourceForUser for each import

    def get_queryset(self, value, row, *args, **kwargs):
        return self.reachable(self.user)

    def clean(self, value, row=None, **kwargs):
        return super().clean(whole_number(value), row, **kwargs)


class NamesWidget(widgets.ManyToManyWidget):
    """Several related rows by name, separated by ；or ; (export writes ；). Every name must exist."""

    SEPARATORS = re.compile(r"[；;]")

    def clean(self, value, row=None, **kwargs):
        names = [name.strip() for name in self.SEPARATORS.split(str(value or "")) if name.strip()]
        found = self.model.objects.filter(**{f"{self.field}__in": names})
        known = set(found.values_list(self.field, flat=True))
        unknown = [name for name in names if name not in known]
        if unknown:
            things = self.model._meta.verbose_name_plural
            raise ValueError(_("no %(things)s named %(names)s") % {"things": things, "names": listed(unknown)})
        return found


class ChoiceWidget(widgets.CharWidget):
    """One of a field's choices, by its stored value (quarterly) or its label in any of the site's languages
    (每季度, quarterly); anything else is an error listing them. An empty cell stays empty (the model says whether
    that is allowed)."""

    def __init__(self, choices=(), **kwargs):
        super().__init__(**kwargs)
        self.choices = list(choices)

    def clean(self, value, row=None, **kwargs):
        text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
        if not text:
            return ""
        for stored, label in self.choices:
            if text == stored or text.casefold() in self.labels(label):
                return stored
        offered = str(_(", ")).join(
            stored if str(label) == stored else _("%(value)s (%(label)s)") % {"value": stored, "label": label}
            for stored, label in self.choices
        )
        raise ValueError(_("“%(value)s” is not one of: %(choices)s") % {"value": value, "choices": offered})

    @staticmethod
    def labels(label) -> set[str]:
        found = set()
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                found.add(str(label).casefold())
        return found


class MethodWidget(ChoiceWidget):
    """A method of expected progress by its code (schedule), its label, or the name its label gives in brackets
    (分期计划, Open SDG)."""

    BRACKETED = re.compile(r"[(（]([^)）]+)[)）]")

    def __init__(self, **kwargs):
        super().__init__(Method.choices, **kwargs)

    @classmethod
    def labels(cls, label) -> set[str]:
        found = ChoiceWidget.labels(label)
        return found | {name.strip() for text in found for name in cls.BRACKETED.findall(text)}


class ScheduleWidget(widgets.Widget):
    """A pledge's checkpoints in one cell, "2025-03-31=10; 2025-06-30=25" (；＝ and 、 are read too; see
    commitments.checkpoints), as ((date, value), ...) in date order; an empty cell is no checkpoint. Every entry that
    cannot be read is named in the one message."""

    def clean(self, value, row=None, **kwargs):
        text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
        schedule, problems = [], []
        for day_text, value_text in checkpoints.entries(text):
            entry = day_text if value_text is None else f"{day_text}={value_text}"
            if value_text is None or not day_text or not value_text:
                problems.append(_("“%(entry)s” is not date=value (such as 2025-03-31=10)") % {"entry": entry})
                continue
            try:
                day = DateWidget().clean(day_text)
                planned = NumberWidget().clean(value_text)
                Checkpoint(as_of=day, planned_value=planned).clean_fields(exclude=["pledge"])
            except ValueError as error:
                problems.append(_("“%(entry)s”: %(problem)s") % {"entry": entry, "problem": error})
            except ValidationError as error:
                problems.append(_("“%(entry)s”: %(problem)s") % {"entry": entry, "problem": " ".join(error.messages)})
            else:
                schedule.append((day, planned))
        days = [day for day, _planned in schedule]
        problems += [checkpoints.repeated_date_problem(day) for day in sorted(set(days)) if days.count(day) > 1]
        if problems:
            raise ValueError(str(_("; ")).join(problems))
        return tuple(sorted(schedule))

    def render(self, value, obj=None, **kwargs):
        return checkpoints.as_text(value or ())


class OrganizationWidget(widgets.ForeignKeyWidget):
    """An organization by its name or, failing that, its short name (通州区 or 通州), among those the importing user
    may see."""

    def __init__(self):
        super().__init__(Organization, "name")
        self.user = None  # set by ResourceForUser for each import

    def clean(self, value, row=None, **kwargs):
        name = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
        if not name:
            return None
        visible = access.organizations_for(self.user)
        found = list(visible.filter(name=name)[:1]) or list(visible.filter(short_name=name)[:2])
        if not found:
            raise ValueError(_("no %(thing)s “%(value)s”") % {"thing": Organization._meta.verbose_name, "value": value})
        if len(found) > 1:
            raise ValueError(_("more than one organization is called “%(value)s”: write its full name") % {"value": value})
        return found[0]


class ParentWidget(ReachableWidget):
    """The pledge a part belongs to, by its id: one the importing user may see (else it reads as missing) and may
    edit (else it says so)."""

    def __init__(self):
        super().__init__(Pledge, access.pledges_for)

    def clean(self, value, row=None, **kwargs):
        parent = super().clean(value, row, **kwargs)
        if parent is not None and not editable_pledges(self.user).filter(pk=parent.pk).exists():
            raise ValueError(_("pledge %(id)s is not one you may break down: only administrators do") % {"id": parent.pk})
        return parent


def widget_for(field, default):
    """Widgets that read a cell as a person means it and say in words what is wrong with it."""
    if field.choices:
        return ChoiceWidget
    return {
        "DecimalField": NumberWidget, "AutoField": IdWidget, "BigAutoField": IdWidget, "DateField": DateWidget,
        "BooleanField": YesNoWidget,
        # An empty spreadsheet cell is an empty text, not NULL.
        "CharField": widgets.CharWidget, "TextField": widgets.CharWidget, "URLField": widgets.CharWidget,
        "EmailField": widgets.CharWidget,
    }.get(field.get_internal_type())


class FileProblem(ValueError):
    """What is wrong with an import file as a whole, said in words."""


class ErrorInWords(results.Error):
    """An import error as the admin lists it: a FileProblem without the traceback shown under it."""

    @property
    def traceback(self):
        return "" if isinstance(self.error, FileProblem) else super().traceback


class ResourceForUser(resources.ModelResource):
    """A resource that knows who imports, for the rows they may reach, and that checks a file as a whole: its columns,
    and rows that repeat an earlier one."""

    # The columns a file needs when it adds rows (a tuple of alternatives each); a file of stored rows needs only "id".
    columns_for_new_rows = ()
    # Columns whose value may stand on one row of a file only.
    unique_in_file = ("id",)

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.touched_pledges = set()
        self.earlier_rows = {}
        for field in self.fields.values():  # each resource has its own copy of the fields and their widgets
            if hasattr(field.widget, "user"):
                field.widget.user = user

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        return widget_for(f, default) or super().widget_from_django_field(f, default)

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if django_field.choices:
            kwargs["choices"] = django_field.choices
        return kwargs

    @classmethod
    def get_error_result_class(cls):
        return ErrorInWords

    def export_field(self, field, instance, **kwargs):
        return spreadsheet_safe(super().export_field(field, instance, **kwargs))

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        self.earlier_rows = {}
        if dataset.headers:
            dataset.headers = [str(column).strip() if column is not None else "" for column in dataset.headers]
        problem = self.size_problem(dataset) or self.column_problem(dataset)
        if problem is None:
            return super().import_data_inner(
                dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
            )
        # Rows under wrong columns would all show as "skipped": say what is wrong instead, and read no row.
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        self.handle_import_error(result, FileProblem(problem), raise_errors)
        return result

    def size_problem(self, dataset) -> str | None:
        """A file of more rows than one import reads (each row is checked and stored within the request)."""
        limit = settings.TRACKER_MAX_IMPORT_ROWS
        if len(dataset) <= limit:
            return None
        return _("The file has %(rows)d rows; one import reads at most %(limit)d: split it into several files.") % {
            "rows": len(dataset), "limit": limit,
        }

    def column_problem(self, dataset) -> str | None:
        """What is wrong with the file's columns, in words (unknown, given twice, or missing), or None."""
        columns = [column for column in dataset.headers or [] if column]
        known = [field.column_name for field in self.fields.values()]
        unknown = [column for column in columns if column not in known]
        repeated = sorted({column for column in columns if columns.count(column) > 1})
        adds_rows = "id" not in columns or any(cell is None or not str(cell).strip() for cell in dataset["id"])
        missing = [
            _(" or ").join(listed([name]) for name in alternatives)
            for alternatives in (self.columns_for_new_rows if adds_rows else ())
            if not any(name in columns for name in alternatives)
        ]
        problems = []
        if unknown:
            problems.append(_("unknown columns: %(columns)s") % {"columns": listed(unknown)})
        if repeated:
            problems.append(_("columns given twice: %(columns)s") % {"columns": listed(repeated)})
        if missing:
            problems.append(_("missing columns: %(columns)s") % {"columns": str(_(", ")).join(missing)})
        if not problems:
            return None
        return _("The file's columns do not fit: %(problems)s. The columns are: %(columns)s.") % {
            "problems": _("; ").join(problems), "columns": str(_(", ")).join(known),
        }

    def import_row(self, row, instance_loader, **kwargs):
        # A cell written out with a protecting apostrophe (see exports.spreadsheet_safe) reads back as it was.
        row = OrderedDict((column, from_spreadsheet(value)) for column, value in row.items())
        return super().import_row(row, instance_loader, **kwargs)

    def get_or_init_instance(self, instance_loader, row):
        """The stored row the id names (among those the user may see), or a new one when the id is empty. An id that
        names no such row is refused: it would add a row with that id, and one out of reach must read as missing."""
        try:
            instance, new = super().get_or_init_instance(instance_loader, row)
        except ValueError as error:  # the id cell is not an id
            raise ValidationError({"id": str(error)})
        if new and whole_number(row.get("id")) is not None:
            raise ValidationError({"id": _("no %(thing)s with the id %(id)s (leave the id empty to add one)") % {
                "thing": self._meta.model._meta.verbose_name, "id": whole_number(row["id"])}})
        return instance, new

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self.get_import_fields():  # many-to-many cells are otherwise read only after saving
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = [str(error)]
        for column, message in self.repeats_of_earlier_rows(instance, row, kwargs.get("row_number")):
            errors.setdefault(column, []).append(message)
        if errors:
            raise ValidationError(errors)

    def repeats_of_earlier_rows(self, instance, row, number):
        """[(column, message)] when this row repeats an earlier row of the file: the same value in a column of
        unique_in_file (such as the id), or, for a new row, the same values throughout."""
        claims = [
            (name, getattr(value, "pk", value))
            for name in self.unique_in_file
            if (value := self.fields[name].get_value(instance)) is not None
        ]
        if instance.pk is None:
            claims.append((NON_FIELD_ERRORS, self.row_values(instance, row)))
        repeats = []
        for column, key in claims:
            first = self.earlier_rows.setdefault((column, key), number)
            if first == number:
                continue
            where = {"row": number, "column": column, "first": first}
            if column == NON_FIELD_ERRORS:
                repeats.append((column, _("row %(row)s repeats row %(first)s") % where))
            else:
                repeats.append((column, _("row %(row)s has the same %(column)s as row %(first)s") % where))
        return repeats

    def row_values(self, instance, row) -> tuple:
        """What a new row would store, to compare rows: "32" and "32.0" are the same value."""
        values = []
        for field in self.get_import_fields():
            if field.readonly or field.column_name not in row:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                values.append(str(row[field.column_name] or "").strip())
            else:
                value = field.get_value(instance)
                values.append(getattr(value, "pk", value))
        return tuple(values)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # One message per refused cell: the model's own check of a cell that could not be read adds only noise
        # ("enter the value" under a value that was not a number).
        refused = {column: list(messages) for column, messages in (import_validation_errors or {}).items()}
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)  # extends those lists
        except ValidationError as error:
            raise self.by_column({name: refused.get(name, messages) for name, messages in error.error_dict.items()})

    def by_column(self, errors: dict) -> ValidationError:
        """Errors keyed by model field, keyed instead by the file's column for that field (they may differ)."""
        columns = {field.attribute: field.column_name for field in self.fields.values() if field.attribute}
        return ValidationError({columns.get(name, name): messages for name, messages in errors.items()})


def import_all_or_nothing(resource_class, dataset, user):
    """Preview the whole file; store it only when no row has an error. Returns (result, stored)."""
    preview = resource_class(user=user).import_data(dataset, dry_run=True, raise_errors=False)
    if preview.has_errors() or preview.has_validation_errors():
        return preview, False
    return resource_class(user=user).import_data(dataset, dry_run=False, raise_errors=True), True


class ReassessesWhatItStores:
    """After a successful import, each pledge it stored is re-assessed once (with the pledges above it)."""

    def after_save_instance(self, instance, row, **kwargs):
        if not kwargs.get("dry_run"):
            self.touched_pledges.add(instance.pk)

    def after_import(self, dataset, result, **kwargs):
        if not kwargs.get("dry_run") and not result.has_errors() and not result.has_validation_errors():
            actions.do_recompute_statuses(Pledge.objects.filter(pk__in=self.touched_pledges), trigger="import")


class ScheduleColumns:
    """The `method` and `schedule` columns of a pledge import and of the decomposition table.

    The schedule cell is read into `planned_schedule` on the row's pledge beside the checkpoints stored
    (`stored_schedule`), so that a row whose schedule is unchanged is skipped, the preview shows the change, and the
    checkpoints are replaced once the pledge is saved. A schedule given with no method makes the method `schedule`;
    with another method named it is refused. Each checkpoint must fall within the pledge's period, one per date
    (checkpoints.problems): a new schedule's problems show under its column, the stored one's under the start date or
    deadline that moved away from it.
    """

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        stored = () if new else tuple(instance.checkpoints.order_by("as_of").values_list("as_of", "planned_value"))
        instance.planned_schedule = instance.stored_schedule = stored

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {name: list(messages) for name, messages in (import_validation_errors or {}).items()}
        planned = getattr(instance, "planned_schedule", ())
        from_file = planned != getattr(instance, "stored_schedule", ())
        if "planned_schedule" not in errors:
            if from_file and planned and instance.method_in_force != Method.SCHEDULE:
                if instance.method:
                    errors["planned_schedule"] = [
                        _("checkpoints count only for the method “schedule”: set the method to schedule, or leave "
                          "this cell empty")
                    ]
                else:
                    instance.method = Method.SCHEDULE
            for day in sorted({day for day, _value in planned}):
                problem = checkpoints.date_problem(day, instance.start_date, instance.deadline)
                if problem is not None:
                    if from_file:
                        column = "planned_schedule"
                    else:
                        column = "start_date" if instance.start_date and day < instance.start_date else "deadline"
                    errors.setdefault(column, []).append(problem)
        super().validate_instance(instance, errors, validate_unique)

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        planned = getattr(instance, "planned_schedule", ())
        if planned != getattr(instance, "stored_schedule", ()):
            days = [day for day, _value in planned]
            instance.checkpoints.exclude(as_of__in=days).delete()
            for day, value in planned:
                Checkpoint.objects.update_or_create(pledge=instance, as_of=day, defaults={"planned_value": value})

    def filter_export(self, queryset, **kwargs):
        return super().filter_export(queryset, **kwargs).prefetch_related("checkpoints")

    def dehydrate_schedule(self, pledge):
        if hasattr(pledge, "planned_schedule"):  # a row being imported: what it would store
            return checkpoints.as_text(pledge.planned_schedule)
        return checkpoints.as_text((c.as_of, c.planned_value) for c in pledge.checkpoints.all())


class PledgeResource(ScheduleColumns, ReassessesWhatItStores, ResourceForUser):
    lead_organization = fields.Field(
        attribute="lead_organization", column_name="lead_organization", widget=NamedForeignKeyWidget(Organization, "name")
    )
    co_owners = fields.Field(
        attribute="co_owners", column_name="co_owners", widget=NamesWidget(Organization, separator="；", field="name")
    )
    category = fields.Field(attribute="category", column_name="category", widget=NamedForeignKeyWidget(Category, "name"))
    source_document = fields.Field(
        attribute="source_document", column_name="source_document", widget=NamedForeignKeyWidget(SourceDocument, "title")
    )
    method = fields.Field(attribute="method", column_name="method", widget=MethodWidget())
    schedule = fields.Field(attribute="planned_schedule", column_name="schedule", widget=ScheduleWidget())

    class Meta:
        model = Pledge
        name = Pledge._meta.verbose_name_plural  # on the import page, beside the decomposition table
        fields = [
            "id", "metric", "kind", "comparator", "target", "low", "high", "tolerance", "unit", "cumulative",
            "baseline", "baseline_date", "start_date", "deadline", "cadence", "method", "schedule", "lead_organization",
            "co_owners", "responsible_person", "category", "source_document", "source_sentence", "notes",
        ]
        export_order = fields
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True  # the model's own validation, with the field named
        use_transactions = True

    columns_for_new_rows = (("metric",), ("start_date",), ("deadline",), ("lead_organization",))

    def get_queryset(self):
        return access.pledges_for(self.user)

    def before_import_row(self, row, **kwargs):
        if not access.can_edit_pledges(self.user):
            raise ValueError(_("Only administrators import pledges."))

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # A pledge with parts keeps a deadline and (as a sum) a unit its parts fit, as in the admin's form.
        errors = {name: list(messages) for name, messages in (import_validation_errors or {}).items()}
        for name, message in errors_from_parts(instance).items():
            errors.setdefault(name, []).append(message)
        super().validate_instance(instance, errors, validate_unique)


class ProgressUpdateResource(ResourceForUser):
    """Updates are appended, never changed: a row naming an existing update must match it exactly."""

    # Looked up among the pledges the importing user may report on, and the updates of those: a pledge or update out
    # of reach reads as missing, however its id is written.
    pledge = fields.Field(
        attribute="pledge", column_name="pledge", widget=ReachableWidget(Pledge, access.pledges_to_report_on)
    )
    metric = fields.Field(attribute="pledge__metric", column_name="metric", readonly=True)
    supersedes = fields.Field(
        attribute="supersedes", column_name="supersedes", widget=ReachableWidget(ProgressUpdate, access.updates_to_correct)
    )
    reporter = fields.Field(attribute="reporter__username", column_name="reporter", readonly=True)
    review_state = fields.Field(attribute="review_state", column_name="review_state", readonly=True)
    created_at = fields.Field(
        attribute="created_at", column_name="created_at", readonly=True, widget=widgets.DateTimeWidget()
    )

    class Meta:
        model = ProgressUpdate
        fields = ["id", "pledge", "metric", "as_of", "value", "done", "cause", "measures", "back_on_track_by", "note",
                  "evidence_url", "supersedes", "reporter", "review_state", "created_at"]
        export_order = fields
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    columns_for_new_rows = (("pledge",), ("as_of",), ("value", "done"))
    unique_in_file = ("id", "supersedes")  # one update is corrected once

    def get_queryset(self):
        """The updates the user may see: what the export writes, and the only ones an id column can name."""
        return access.updates_for(self.user).select_related("pledge", "reporter")

    def skip_row(self, instance, original, row, import_validation_errors=None):
        skip = super().skip_row(instance, original, row, import_validation_errors)
        if original.pk and not skip and not import_validation_errors:
            raise ValueError(_("id: update %(id)s is stored and cannot be changed; add a correcting update instead")
                             % {"id": original.pk})
        return skip

    def before_import(self, dataset, **kwargs):
        self.new_updates = []

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        super().validate_instance(instance, import_validation_errors, validate_unique)
        if instance.pk is None:  # a new row that leaves its pledge behind gives the cause and measures (see actions)
            errors = actions.missing_cause_and_measures(instance, earlier=self.new_updates)
            if errors:
                raise self.by_column(errors)

    def do_instance_save(self, instance, is_create):
        # Held until every row has been read, then stored together through the one way progress is recorded
        # (after_import): each pledge is re-assessed once, with all of its new rows.
        self.new_updates.append(instance)

    def after_import(self, dataset, result, **kwargs):
        # Also in the preview (a dry run, rolled back afterwards), so that it shows what the import would store.
        if not result.has_errors() and not result.has_validation_errors():
            try:
                actions.do_record_updates(self.new_updates, acting_user=self.user)
            except ValidationError as error:  # each row passed alone; what only the rows together break, in words
                raise FileProblem(str(_("; ")).join(error.messages)) from error



class DecompositionResource(ScheduleColumns, ReassessesWhatItStores, ResourceForUser):
    """A decomposition table (目标任务分解表): one row per new part, naming the pledge it is a part of (its id), the
    organization that owns the part (name or short name) and the part's target; unit, start date, deadline and
    cadence are the parent's when left empty, and everything else comes from the parent (forms.take_terms_from_parent).
    Each row is checked by the model's rules for parts (deadline, unit of a sum), its errors under the row's columns."""

    parent = fields.Field(attribute="parent", column_name="parent", widget=ParentWidget())
    organization = fields.Field(attribute="lead_organization", column_name="organization", widget=OrganizationWidget())
    # Declared without the model's default, so that an empty cell means the parent's cadence.
    cadence = fields.Field(attribute="cadence", column_name="cadence", widget=ChoiceWidget(Cadence.choices))
    method = fields.Field(attribute="method", column_name="method", widget=MethodWidget())
    schedule = fields.Field(attribute="planned_schedule", column_name="schedule", widget=ScheduleWidget())

    class Meta:
        model = Pledge
        name = gettext_lazy("Decomposition table")
        fields = ["parent", "organization", "target", "unit", "start_date", "deadline", "cadence", "method", "schedule"]
        export_order = fields
        force_init_instance = True  # every row adds a part; none names a stored one
        clean_model_instances = True
        use_transactions = True

    columns_for_new_rows = (("parent",), ("organization",), ("target",))
    unique_in_file = ()

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.parent_id is None:
            errors.setdefault("parent", [_("Give the id of the pledge this row is a part of.")])
        else:
            take_terms_from_parent(instance, instance.parent)
            twin = self.same_part_stored(instance)
            if twin is not None:
                errors.setdefault("lead_organization", []).append(
                    _("pledge %(parent)s already has a part for %(organization)s ending %(deadline)s (id %(id)s)") % {
                        "parent": instance.parent_id, "organization": instance.lead_organization,
                        "deadline": instance.deadline, "id": twin.pk,
                    }
                )
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def same_part_stored(part):
        """A stored part of the same parent, organization and deadline: importing the same table twice adds nothing."""
        if part.lead_organization_id is None or part.deadline is None:
            return None
        return part.parent.parts.filter(lead_organization=part.lead_organization_id, deadline=part.deadline).first()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if instance.parent_id is None:
            # Without its parent a part has no terms yet: only what is wrong with the row's own cells.
            raise self.by_column(import_validation_errors or {})
        super().validate_instance(instance, import_validation_errors, validate_unique)
