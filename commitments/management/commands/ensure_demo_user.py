"""Create the demo login that `make run` prints (only when no user of that name exists)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-pledges-2026"


class Command(BaseCommand):
    help = "Create the demo superuser for a local run, if it does not exist yet."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(f"Demo user '{DEMO_USERNAME}' already exists.")
            return
        User.objects.create_superuser(DEMO_USERNAME, "demo@localhost", DEMO_PASSWORD)
        self.stdout.write(f"Created demo user '{DEMO_USERNAME}'.")
