"""Create the demo login that `make run` prints (only when no user of that name exists)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from commitments.models import AlertProfile, Organization

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-pledges-2026"


class Command(BaseCommand):
    help = "Create the demo superuser for a local run, if it does not exist yet."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(f"Demo user '{DEMO_USERNAME}' already exists.")
            return
        user = User.objects.create_superuser(DEMO_USERNAME, "demo@localhost", DEMO_PASSWORD)
        # The demo login follows the whole city: weekly digest of everything under 南通市.
        AlertProfile.objects.create(
            user=user, organization=Organization.objects.filter(parent__isnull=True).order_by("pk").first(),
            digest_frequency=AlertProfile.Frequency.WEEKLY,
        )
        self.stdout.write(f"Created demo user '{DEMO_USERNAME}'.")
