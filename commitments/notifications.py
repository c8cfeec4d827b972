"""In-app notifications (issue 19): a user's own alerts, listed, opened (which marks them read), all marked read.

They are rows of the same outbox as the emails (Notification, channel "in_app"), delivered as they are written; the
to-do page lists the unread ones and the header counts them (todo.unread_notifications)."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from . import access


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "commitments/notifications.html"
    paginate_by = 50

    def get_queryset(self):
        return access.notifications_for(self.request.user).select_related("pledge").order_by("-created_at", "-id")


@login_required
def notification_view(request, pk: int):
    """One notification, in full; opening it marks it read (only the first opening is recorded)."""
    notification = get_object_or_404(access.notifications_for(request.user).select_related("pledge"), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        access.notifications_for(request.user).filter(pk=pk, read_at__isnull=True).update(read_at=notification.read_at)
    return render(request, "commitments/notification_detail.html", {"notification": notification})


@login_required
@require_POST
def mark_all_read(request):
    access.notifications_for(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("tracker-notifications")
