# The kept status counts the summary page reads (commitments.counts), counted once from the pledges already stored;
# and an index for the summary's changes of the last week.

from django.db import migrations, models
from django.db.models import BooleanField, Count, ExpressionWrapper, Q


def count_the_pledges(apps, schema_editor):
    Pledge = apps.get_model("commitments", "Pledge")
    StatusCount = apps.get_model("commitments", "StatusCount")
    database = schema_editor.connection.alias
    top = ExpressionWrapper(Q(parent__isnull=True), output_field=BooleanField())
    rows = (
        Pledge.objects.using(database)
        .values("lead_organization_id", "category_id", "target_status", top_level=top)
        .annotate(n=Count("id"))
        .order_by()
    )
    StatusCount.objects.using(database).bulk_create(
        [
            StatusCount(
                organization_id=row["lead_organization_id"], category_id=row["category_id"] or 0,
                top_level=bool(row["top_level"]), status=row["target_status"], n=row["n"],
            )
            for row in rows
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0014_pledge_parts"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatusCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("organization_id", models.BigIntegerField()),
                ("category_id", models.BigIntegerField()),
                ("top_level", models.BooleanField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("achieved", "achieved"), ("on_track", "on track"), ("at_risk", "at risk"),
                            ("off_track", "off track"), ("overdue", "overdue"), ("no_data", "no data"),
                        ],
                        max_length=20,
                    ),
                ),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization_id", "category_id", "top_level", "status"), name="commitments_statuscount_key"
                    )
                ],
            },
        ),
        migrations.RunPython(count_the_pledges, migrations.RunPython.noop),
        # The summary's changes of the last week (a week without changes no longer scans every change).
        migrations.AddIndex(
            model_name="statuschange",
            index=models.Index(fields=["changed_at"], name="commitments_change_at"),
        ),
    ]
