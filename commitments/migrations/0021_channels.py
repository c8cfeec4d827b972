"""Alert channels (issue 19): WeCom/DingTalk group robots, in-app notifications, preferences."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0020_search_trigram_indexes"),
    ]

    operations = [
        # For issue 20's bulletins, sent as attachments through the outbox.
        migrations.AddField(
            model_name='notification',
            name='attachment',
            field=models.FileField(blank=True, max_length=300, upload_to='notifications/%Y/%m/', verbose_name='attachment'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('status_change', 'status changed'), ('deadline_warning', 'deadline approaching'), ('report_due', 'progress report due'), ('report_late', 'progress report late'), ('escalation', 'escalation'), ('update_returned', 'update returned'), ('parts_worse', 'parts slipping'), ('instruction', 'instruction (批示)'), ('chase', 'chase (催办)'), ('bulletin', 'bulletin (情况通报)'), ('digest', 'digest')], max_length=20, verbose_name='kind'),
        ),
    ]
