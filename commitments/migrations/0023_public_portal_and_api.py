"""The public portal, open data and API tokens (issue 21)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0022_scoring_and_bulletins"),
    ]

    operations = [
    ]
