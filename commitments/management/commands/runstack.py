"""Run the whole local stack in one terminal: embedded Redis (when REDIS_URL is unset), the web
server, a Celery worker and Celery beat. Ctrl-C (or SIGTERM) stops them in order, web and beat first,
the worker once its current task is done, Redis last, with one line each. Used by `make run`."""

import collections
import os
import signal
import subprocess
import sys
import threading
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
        parser.add_argument(
            "--production",
            action="store_true",
            help="Serve with gunicorn (WEB_CONCURRENCY workers, default 2 × cores + 1) instead of the development "
                 "server; `make serve` runs this after migrate and collectstatic.",
        )

    def handle(self, *args, addr, no_initial_sweep=False, production=False, **options):
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
        if production:
            commands["web"] = gunicorn_command(python, addr)
        interrupts = 0

        def stop(signum, frame):
            nonlocal interrupts
            interrupts += 1

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        children = {}
        for name, command in commands.items():
            # Own session, so a terminal's Ctrl-C reaches runstack only and the children stop in order.
            # Their output passes through us, so that what they print while stopping can be held back.
            children[name] = subprocess.Popen(
                command, cwd=settings.BASE_DIR, start_new_session=True, env=os.environ | {"PYTHONUNBUFFERED": "1"},
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
        relays = {name: ChildOutput(name, process.stdout, self.stdout) for name, process in children.items()}
        self.stdout.write(self.style.SUCCESS(f"Tracker running at http://{addr}/ (pages) and http://{addr}/admin/ (Ctrl-C stops everything)"))
        if not no_initial_sweep:
            # So that a fresh demo shows alerts at once instead of after the nightly run.
            from commitments.tasks import send_reminders, sweep_statuses

            sweep_statuses.delay()
            send_reminders.delay()
            where = settings.EMAIL_FILE_PATH if not settings.EMAIL_HOST else settings.EMAIL_HOST
            self.stdout.write(f"Queued a status sweep and today's reminders; mail goes to {where}")
        self.stdout.flush()
        exit_code = 0
        try:
            while not interrupts:
                exited = [name for name, process in children.items() if process.poll() is not None]
                if exited:
                    self.stderr.write(f"{exited[0]} exited with {children[exited[0]].returncode}; stopping the rest.")
                    exit_code = 1
                    break
                time.sleep(0.5)
        finally:
            self.stdout.write("")  # after the terminal's ^C
            for relay in relays.values():
                relay.hold_back()  # shutdown chatter (warm shutdown notices and the like) is not shown
            # The web server and beat first, then the worker, which finishes its current task on SIGTERM
            # (a warm shutdown), then Redis, which everyone else needed until they were gone.
            for name in ("web", "beat", "worker"):
                process = children[name]
                if process.poll() is None:
                    process.terminate()
                self.wait_for(name, process, relays[name], lambda: interrupts > 1)
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=10)
            self.stdout.write("Stopped web, worker, beat" + (" and Redis." if redis_process else "."))
        sys.exit(exit_code)

    def wait_for(self, name, process, relay, in_a_hurry):
        """Wait until the process is gone and say so in one line; a second Ctrl-C (or a minute) kills it. What it
        printed on the way down is shown only when it did not stop cleanly."""
        started, told, killed = time.monotonic(), False, False
        deadline = started + 60
        while process.poll() is None:
            if name == "worker" and not told and time.monotonic() > started + 3:
                self.stdout.write("worker: finishing its current task (Ctrl-C again to stop it now)…")
                told = True
            if in_a_hurry() or time.monotonic() > deadline:
                process.kill()  # acks_late: the task it was running goes back on the queue
                killed = True
            try:
                process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        relay.join(timeout=5)
        if killed:
            self.stdout.write(f"{name} killed.")
        elif process.returncode in (0, -signal.SIGTERM):
            self.stdout.write(f"{name} stopped.")
        else:
            self.stdout.write(f"{name} stopped with exit code {process.returncode}; its last words:")
            self.stdout.write("".join(relay.held), ending="")


def gunicorn_command(python: str, addr: str) -> list[str]:
    """The production web server: gunicorn's sync workers, WEB_CONCURRENCY of them (default 2 × cores + 1, gunicorn's
    own advice), bound to `addr`; GUNICORN_CMD_ARGS adds any other setting (gunicorn reads it itself)."""
    workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
    return [
        python, "-m", "gunicorn", "tracker.wsgi:application", "--bind", addr, "--workers", str(workers),
        "--timeout", "120",  # an export of a whole province's table takes a while
        "--max-requests", "2000", "--max-requests-jitter", "200",  # a worker is renewed now and then: no slow leak
    ]


class ChildOutput(threading.Thread):
    """Copies a child's output to ours, line by line, until told to hold it back."""

    def __init__(self, name, source, target):
        super().__init__(name=f"output of {name}", daemon=True)
        self.source, self.target, self.showing = source, target, True
        self.held = collections.deque(maxlen=40)  # the last lines held back, for a child that fails to stop
        self.start()

    def hold_back(self):
        self.showing = False

    def run(self):
        for line in iter(self.source.readline, b""):
            text = line.decode(errors="replace")
            if self.showing:
                self.target.write(text, ending="")
                self.target.flush()
            else:
                self.held.append(text)
        self.source.close()
