"""Bulk import and export of pledges and progress updates (CSV, XLSX) with django-import-export.

Imports are previewed first (a dry run), report errors by row and column, and commit all rows or none.
Exporting and importing the same file back changes nothing (unchanged rows are skipped).
"""

from import_export import fields, resources, widgets

from . import access, actions
from .models import Category, Organization, Pledge, ProgressUpdate, SourceDocument
from .numbers import normalise_number_text


class NumberWidget(widgets.DecimalWidget):
    """A number, or an error naming the bad cell's text (which then shows under its column)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = normalise_number_text(value)
        try:
            return super().clean(value, row, **kwargs)
        except (ArithmeticError, ValueError):
            raise ValueError(f"“{value}” is not a number")


class NamedForeignKeyWidget(widgets.ForeignKeyWidget):
    """Looks a related row up by name; an unknown name is an error of that column, not of the whole row."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"no {self.model._meta.verbose_name} “{value}”")
        except self.model.MultipleObjectsReturned:
            raise ValueError(f"more than one {self.model._meta.verbose_name} “{value}”")


def widget_for(field, default):
    """Numbers get a clear error; texts read an empty spreadsheet cell as an empty text, not NULL."""
    kind = field.get_internal_type()
    if kind == "DecimalField":
        return NumberWidget
    if kind in ("CharField", "TextField", "URLField", "EmailField"):
        return widgets.CharWidget
    return None


class ResourceForUser(resources.ModelResource):
    """A resource that knows who imports, for row-level permission checks."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.touched_pledges = set()

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        return widget_for(f, default) or super().widget_from_django_field(f, default)


def import_all_or_nothing(resource_class, dataset, user):
    """Preview the whole file; store it only when no row has an error. Returns (result, stored)."""
    preview = resource_class(user=user).import_data(dataset, dry_run=True, raise_errors=False)
    if preview.has_errors() or preview.has_validation_errors():
        return preview, False
    return resource_class(user=user).import_data(dataset, dry_run=False, raise_errors=True), True


class PledgeResource(ResourceForUser):
    lead_organization = fields.Field(
        attribute="lead_organization", column_name="lead_organization", widget=NamedForeignKeyWidget(Organization, "name")
    )
    co_owners = fields.Field(
        attribute="co_owners", column_name="co_owners", widget=widgets.ManyToManyWidget(Organization, separator="；", field="name")
    )
    category = fields.Field(attribute="category", column_name="category", widget=NamedForeignKeyWidget(Category, "name"))
    source_document = fields.Field(
        attribute="source_document", column_name="source_document", widget=NamedForeignKeyWidget(SourceDocument, "title")
    )

    class Meta:
        model = Pledge
        fields = [
            "id", "metric", "kind", "comparator", "target", "low", "high", "tolerance", "unit", "cumulative",
            "baseline", "baseline_date", "start_date", "deadline", "cadence", "lead_organization", "co_owners",
            "responsible_person", "category", "source_document", "source_sentence", "notes",
        ]
        export_order = fields
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True  # the model's own validation, with the field named
        use_transactions = True


    def before_import_row(self, row, **kwargs):
        if not access.can_edit_pledges(self.user):
            raise ValueError("only administrators import pledges")

    def after_save_instance(self, instance, row, **kwargs):
        if not kwargs.get("dry_run"):
            self.touched_pledges.add(instance.pk)

    def after_import(self, dataset, result, **kwargs):
        if not kwargs.get("dry_run") and not result.has_errors() and not result.has_validation_errors():
            for pledge in Pledge.objects.filter(pk__in=self.touched_pledges):
                actions.do_recompute_status(pledge, trigger="import")


class ProgressUpdateResource(ResourceForUser):
    """Updates are appended, never changed: a row naming an existing update must match it exactly."""

    pledge = fields.Field(attribute="pledge", column_name="pledge", widget=NamedForeignKeyWidget(Pledge, "pk"))
    metric = fields.Field(attribute="pledge__metric", column_name="metric", readonly=True)
    supersedes = fields.Field(
        attribute="supersedes", column_name="supersedes", widget=NamedForeignKeyWidget(ProgressUpdate, "pk")
    )
    reporter = fields.Field(attribute="reporter__username", column_name="reporter", readonly=True)
    review_state = fields.Field(attribute="review_state", column_name="review_state", readonly=True)

    class Meta:
        model = ProgressUpdate
        fields = ["id", "pledge", "metric", "as_of", "value", "done", "note", "evidence_url", "supersedes", "reporter",
                  "review_state", "created_at"]
        export_order = fields
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True


    def get_export_queryset(self, request=None, **kwargs):
        return ProgressUpdate.objects.filter(pledge__in=access.pledges_for(self.user)).select_related("pledge", "reporter")

    def before_import_row(self, row, **kwargs):
        pledge_id = row.get("pledge")
        pledge = Pledge.objects.filter(pk=pledge_id).first() if str(pledge_id or "").isdigit() else None
        if pledge is not None and not access.can_report(self.user, pledge):
            raise ValueError(f"pledge {pledge_id}: you may record progress only on pledges of your own organization")

    def skip_row(self, instance, original, row, import_validation_errors=None):
        skip = super().skip_row(instance, original, row, import_validation_errors)
        if original.pk and not skip and not import_validation_errors:
            raise ValueError(f"update {original.pk} exists and cannot be changed: add a correcting update instead")
        return skip

    def before_import(self, dataset, **kwargs):
        self.new_updates = []

    def do_instance_save(self, instance, is_create):
        # Held until every row has been read, then stored together through the one way progress is recorded
        # (after_import): each pledge is re-assessed once, with all of its new rows.
        self.new_updates.append(instance)

    def after_import(self, dataset, result, **kwargs):
        # Also in the preview (a dry run, rolled back afterwards), so that it shows what the import would store.
        if not result.has_errors() and not result.has_validation_errors():
            actions.do_record_updates(self.new_updates, acting_user=self.user)

