from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = _("Pledges")

    def ready(self):
        post_migrate.connect(create_default_schedules, sender=self)
        from . import access, counts, lookups  # noqa: F401 (lookups registers field__any_of)

        counts.keep_counting()
        access.connect_signals()


# The schedules beat runs, created once with these defaults; staff edit them under 周期任务 in the admin.
DEFAULT_SCHEDULES = [
    # (name, task, crontab minute, hour, day_of_week, args)
    ("Nightly status sweep", "commitments.tasks.sweep_statuses", "5", "1", "*", []),
    ("Reminders and escalations", "commitments.tasks.send_reminders", "0", "8", "*", []),
    ("Daily digest", "commitments.tasks.send_digests", "30", "7", "*", ["daily"]),
    ("Weekly digest", "commitments.tasks.send_digests", "30", "7", "1", ["weekly"]),
    ("Send pending notifications", "commitments.tasks.dispatch_notifications", "*/10", "*", "*", []),
    # Daily, and makes only what is missing: the last whole month's and quarter's bulletins (情况通报).
    ("Bulletins", "commitments.tasks.issue_bulletins", "15", "6", "*", []),
]


def create_default_schedules(**kwargs):
    import json

    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, task, minute, hour, day_of_week, args in DEFAULT_SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue  # keep whatever staff changed
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week=day_of_week, day_of_month="*", month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab, args=json.dumps(args))
