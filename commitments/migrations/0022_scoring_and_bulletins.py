"""Scoring rules and bulletins (issue 20)."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0021_channels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ScoringRules',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('in_force_from', models.DateField(help_text="Periods ending on or after this date are scored with these rules, until the next version's date.", unique=True, verbose_name='in force from')),
                ('points_achieved', models.DecimalField(decimal_places=2, default=Decimal('100'), max_digits=6, verbose_name='points: achieved')),
                ('points_on_track', models.DecimalField(decimal_places=2, default=Decimal('100'), max_digits=6, verbose_name='points: on track')),
                ('points_at_risk', models.DecimalField(decimal_places=2, default=Decimal('70'), max_digits=6, verbose_name='points: at risk')),
                ('points_off_track', models.DecimalField(decimal_places=2, default=Decimal('40'), max_digits=6, verbose_name='points: off track')),
                ('points_overdue', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=6, verbose_name='points: overdue')),
                ('points_no_data', models.DecimalField(decimal_places=2, default=Decimal('60'), max_digits=6, verbose_name='points: no data')),
                ('late_report_deduction', models.DecimalField(decimal_places=2, default=Decimal('5'), help_text="Taken from a pledge's points when its progress report is late at the period's end.", max_digits=6, verbose_name='deduction per late report')),
                ('overdue_instruction_deduction', models.DecimalField(decimal_places=2, default=Decimal('5'), help_text="Taken from a pledge's points for each instruction (批示) still open past its due date at the period's end.", max_digits=6, verbose_name='deduction per overdue instruction')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
            ],
            options={
                'verbose_name': 'scoring rules',
                'verbose_name_plural': 'scoring rules',
                'ordering': ['-in_force_from'],
            },
        ),
        migrations.CreateModel(
            name='CategoryWeight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('weight', models.DecimalField(decimal_places=2, default=Decimal('1'), max_digits=6, verbose_name='weight')),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='commitments.category', verbose_name='category')),
                ('rules', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='weights', to='commitments.scoringrules', verbose_name='scoring rules')),
            ],
            options={
                'verbose_name': 'category weight',
                'verbose_name_plural': 'category weights',
                'constraints': [models.UniqueConstraint(fields=('rules', 'category'), name='commitments_categoryweight_once'), models.CheckConstraint(condition=models.Q(('weight__gte', 0)), name='commitments_categoryweight_not_negative')],
            },
        ),
        migrations.CreateModel(
            name='Bulletin',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_kind', models.CharField(choices=[('month', 'monthly'), ('quarter', 'quarterly'), ('on_demand', 'on demand')], max_length=10, verbose_name='kind of period')),
                ('period_start', models.DateField(verbose_name='period start')),
                ('period_end', models.DateField(verbose_name='period end')),
                ('number', models.CharField(max_length=50, verbose_name='number')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('issuer', models.CharField(max_length=200, verbose_name='issued by')),
                ('figures', models.JSONField(default=dict, verbose_name='figures')),
                ('docx', models.FileField(max_length=300, upload_to='bulletins/%Y/', verbose_name='Word file')),
                ('pdf', models.FileField(max_length=300, upload_to='bulletins/%Y/', verbose_name='PDF file')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='generated by')),
                ('scope', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bulletins', to='commitments.organization', verbose_name='scope')),
                ('rules', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bulletins', to='commitments.scoringrules', verbose_name='scoring rules')),
            ],
            options={
                'verbose_name': 'bulletin (情况通报)',
                'verbose_name_plural': 'bulletins (情况通报)',
                'ordering': ['-period_end', '-created_at', '-id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('period_kind', 'on_demand'), _negated=True), fields=('scope', 'period_kind', 'period_end'), name='commitments_bulletin_once_per_period'), models.UniqueConstraint(fields=('scope', 'number'), name='commitments_bulletin_number_once')],
            },
        ),
    ]
