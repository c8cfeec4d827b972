"""Operators: send every pending notification that is due, in this process (no Celery worker needed)."""

from django.core.management.base import BaseCommand

from commitments import health, jobs


class Command(BaseCommand):
    help = "Deliver pending notifications now."

    def handle(self, *args, **options):
        self.stdout.write(send_pending())


def send_pending() -> str:
    """Deliver every due notification here, with the workers' send loop and batches; a line saying what happened."""
    with health.recorded(health.DISPATCH) as summary:
        summary.update(jobs.send_due_notifications(jobs.deliver_notifications))
    stopped = summary.pop("stopped", None)
    summary.pop("due", None)
    counts = ", ".join(f"{count} {outcome}" for outcome, count in summary.items() if count)
    if stopped:
        return f"notifications: {counts}; stopped: {stopped}"
    return f"notifications: {counts or 'none due'}"
