"""Scoring rules and bulletins (issue 20)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0021_channels"),
    ]

    operations = [
    ]
