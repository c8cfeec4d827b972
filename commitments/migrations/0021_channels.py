"""Alert channels (issue 19): WeCom/DingTalk group robots, in-app notifications, preferences."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import commitments.models


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0020_search_trigram_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
        migrations.CreateModel(
            name='Channel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('kind', models.CharField(choices=[('wecom', 'WeCom group robot (企业微信)'), ('dingtalk', 'DingTalk custom robot (钉钉)')], max_length=10, verbose_name='kind')),
                ('webhook_url', models.CharField(max_length=500, verbose_name='webhook address')),
                ('secret', models.CharField(blank=True, max_length=200, verbose_name='signing secret')),
                ('keyword', models.CharField(blank=True, max_length=50, verbose_name='keyword')),
                ('alert_kinds', models.JSONField(blank=True, default=commitments.models.all_immediate_kinds, verbose_name='alerts posted')),
                ('language', models.CharField(choices=[('zh-hans', '简体中文'), ('en', 'English')], default='zh-hans', max_length=10, verbose_name='language')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('last_error_at', models.DateTimeField(blank=True, null=True, verbose_name='last error at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
            ],
            options={
                'verbose_name': 'group robot',
                'verbose_name_plural': 'group robots',
                'ordering': ['organization__tree_path', 'name'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='notification',
            name='commitments_notification_once_per_pledge',
        ),
        migrations.RemoveConstraint(
            model_name='notification',
            name='commitments_notification_once_per_digest',
        ),
        migrations.AddField(
            model_name='alertprofile',
            name='in_app_kinds',
            field=models.JSONField(blank=True, default=list, verbose_name='alerts shown in the app'),
        ),
        migrations.AddField(
            model_name='notification',
            name='channel',
            field=models.CharField(choices=[('email', 'email'), ('in_app', 'in the app'), ('robot', 'group robot')], default='email', max_length=10, verbose_name='channel'),
        ),
        migrations.AddField(
            model_name='notification',
            name='read_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='read at'),
        ),
        migrations.AddField(
            model_name='channel',
            name='organization',
            field=models.ForeignKey(help_text="The group hears of this organization's pledges, as its contact addresses do.", on_delete=django.db.models.deletion.CASCADE, related_name='channels', to='commitments.organization', verbose_name='organization'),
        ),
        migrations.AddField(
            model_name='notification',
            name='robot',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='commitments.channel', verbose_name='group robot'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('channel', 'in_app')), fields=['user', 'read_at'], name='commitments_notif_in_app'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(condition=models.Q(('pledge__isnull', False)), fields=('recipient', 'channel', 'pledge', 'kind', 'period'), name='commitments_notification_once_per_pledge'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(condition=models.Q(('pledge__isnull', True)), fields=('recipient', 'channel', 'kind', 'period'), name='commitments_notification_once_per_digest'),
        ),
    ]
