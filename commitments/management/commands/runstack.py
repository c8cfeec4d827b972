"""Run the whole local stack in one terminal: embedded Redis (when REDIS_URL is unset), the web
server, a Celery worker and Celery beat. Ctrl-C (or SIGTERM) stops every child. Used by `make run`."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from tracker import embedded_redis


class Command(BaseCommand):
    help = "Start web + Celery worker + beat (and the embedded Redis) until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("TRACKER_ADDR", "127.0.0.1:8000"))
        parser.add_argument(
            "--no-initial-sweep",
            action="store_true",
            help="Do not queue a status sweep and the reminders at start (beat runs them nightly).",
        )

    def handle(self, *args, addr, no_initial_sweep=False, **options):
        children = []
        redis_process = None
        if settings.EMBEDDED_REDIS:
            redis_process = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
            self.stdout.write(f"Embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}")
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        commands = {
            "web": [python, manage, "runserver", addr, "--noreload"],
            "worker": [python, "-m", "celery", "-A", "tracker", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [python, "-m", "celery", "-A", "tracker", "beat", "--loglevel", "INFO"],
        }
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, command in commands.items():
            # Own process group: the terminal's Ctrl-C reaches us only, and we stop children in order.
            children.append((name, subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)))
        self.stdout.write(self.style.SUCCESS(f"Tracker running at http://{addr}/ (pages) and http://{addr}/admin/ (Ctrl-C stops everything)"))
        if not no_initial_sweep:
            # So that a fresh demo shows alerts at once instead of after the nightly run.
            from commitments.tasks import send_reminders, sweep_statuses

            sweep_statuses.delay()
            send_reminders.delay()
            where = settings.EMAIL_FILE_PATH if not settings.EMAIL_HOST else settings.EMAIL_HOST
            self.stdout.write(f"Queued a status sweep and today's reminders; mail goes to {where}")
        self.stdout.flush()  # children share the terminal: say where to go before their logs start
        exit_code = 0
        try:
            while not stopping:
                for name, process in children:
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping the rest.")
                        stopping, exit_code = True, 1
                time.sleep(0.5)
        finally:
            for name, process in reversed(children):
                if process.poll() is None:
                    process.terminate()
            for name, process in children:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=10)
            self.stdout.write("Stopped web, worker, beat" + (" and Redis." if redis_process else "."))
        sys.exit(exit_code)
