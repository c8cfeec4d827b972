"""Text search at 100,000+ pledges (issue 18): on PostgreSQL, trigram indexes (pg_trgm, GIN) on exactly the expressions
Django's icontains compares, UPPER("column"::text), so that a search for a Chinese substring (新能源, 指标12) reads the
index instead of every row. A search of one or two characters has no whole trigram and still reads every row.
SQLite has no such index: its search stays a scan, which is fine at its sizes. Built CONCURRENTLY, so a large table
keeps taking writes while the index is made (hence a migration that is not one transaction)."""

from django.db import migrations

# (index name, table, column): the columns the status table's search looks in (commitments/filters.py
# PledgeFilter.search), the organization's two names included.
TRIGRAM_INDEXES = [
    ("commitments_pledge_metric_trgm", "commitments_pledge", "metric"),
    ("commitments_pledge_sentence_trgm", "commitments_pledge", "source_sentence"),
    ("commitments_pledge_person_trgm", "commitments_pledge", "responsible_person"),
    ("commitments_org_name_trgm", "commitments_organization", "name"),
    ("commitments_org_short_name_trgm", "commitments_organization", "short_name"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("commitments", "0019_instructions_and_chases"),
    ]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
