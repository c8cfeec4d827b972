"""Rows the system writes: status changes, job runs, the notification log."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import ChaseLog, JobRun, Notification, StatusChange
from ..tasks import deliver_notification, enqueue_safely
from .common import AllPermissionsByOneRule


class ReadOnlyAdmin(AllPermissionsByOneRule, admin.ModelAdmin):
    """Rows the system writes and administrators read (by access.py's role, superuser or not)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["pledge", "from_status", "to_status", "reason_text", "changed_at", "trigger"]
    list_filter = ["to_status", ("changed_at", admin.DateFieldListFilter)]
    search_fields = ["pledge__metric"]
    list_select_related = ["pledge"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """The latest run of each scheduled job, as the jobs recorded it (the health check reads it)."""

    list_display = ["name", "started_at", "succeeded_at", "failed_at", "last_error", "last_summary"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The notification log: what was sent, what is still pending and why, what failed."""

    list_display = ["created_at", "kind", "channel", "recipient", "pledge", "state", "attempts", "sent_at", "last_error_short"]
    list_filter = ["state", "channel", "kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["recipient", "subject", "pledge__metric"]
    list_select_related = ["pledge"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["send_again"]

    @admin.display(description=_("last error"))
    def last_error_short(self, obj):
        return obj.last_error[:80]

    @admin.action(description=_("Queue the selected failed or pending notifications for sending now"))
    def send_again(self, request, queryset):
        ids = list(queryset.exclude(state=Notification.State.SENT).values_list("id", flat=True))
        Notification.objects.filter(pk__in=ids).update(
            state=Notification.State.PENDING, next_attempt_at=timezone.now(), claimed_until=None
        )
        for notification_id in ids:
            enqueue_safely(deliver_notification, notification_id)
        self.message_user(request, _("%(count)d notifications queued.") % {"count": len(ids)})


@admin.register(ChaseLog)
class ChaseLogAdmin(ReadOnlyAdmin):
    """Who chased (催办) which late report, when, and to whom the reminder went (the completeness page writes them)."""

    list_display = ["chased_at", "pledge", "chased_by", "recipients"]
    list_filter = [("day", admin.DateFieldListFilter)]
    search_fields = ["pledge__metric", "chased_by__username", "recipients"]
    list_select_related = ["pledge", "chased_by"]
