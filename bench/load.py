"""Many users at once: the production server (`make serve`) under a headless locust run, beside each page's time for
one user measured in the same run.

    make load                                                  # quick: 10,000 pledges, 10 users for 60 s
    make load LOAD_ARGS="--full --users 10 30 --seconds 120"   # the issue's figure: 100,000 pledges, 1,000,000
                                                               # updates, 2,000 organizations; 10 then 30 users

The data is built with bench/run.py's builders (COPY) in the database named by DATABASE_URL (default the local
PostgreSQL, database tracker_bench), and reused by the next run when it holds the same size (a table
load_dataset remembers it; `make bench` rebuilds that database without it, so a run after it builds again).
The server listens on 127.0.0.1 only; the users are a provincial manager (summary, filtered status table, search,
a pledge page, an export) and reporters of single offices (to-do list, their pledges, recording an update through
the admin's quick entry). Prints one table per user count: requests/s, median, p95, p99 and errors per page.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tracker_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")  # not make bench's 14: its fan-out empties that one

import run as bench  # noqa: E402  (bench/run.py: the builders, after the environment above)

QUICK = {"pledges": 10_000, "updates": 10, "organizations": 2000}
FULL = {"pledges": 100_000, "updates": 10, "organizations": 2000}
PASSWORD = "load-test-pass-2026"
MANAGER = "load-manager"
REPORTERS = 20  # reporters of as many offices (departments), each seeing its office's pledges
PORT = int(os.environ.get("LOAD_PORT", "8765"))


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- The data ---------------------------------------------------------------------------------------------------


def dataset_in_database() -> dict | None:
    """The size the database was built with by this script, or None (missing, or built by something else)."""
    import psycopg

    try:
        with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5) as conn:
            row = conn.execute("SELECT pledges, updates, organizations FROM load_dataset").fetchone()
    except psycopg.Error:
        return None
    return {"pledges": row[0], "updates": row[1], "organizations": row[2]} if row else None


def ensure_dataset(size: dict, rebuild: bool) -> dict:
    """Build the data (or reuse it), assess every pledge, and make the load test's users; returns the plan the
    locustfile reads (who logs in, which pledges and offices they open)."""
    if rebuild or dataset_in_database() != size:
        say(f"building the load-test data: {size['pledges']:,} pledges, {size['pledges'] * size['updates']:,} updates, "
            f"{size['organizations']:,} organizations (about a minute for every 100,000 pledges) …")
        bench.ensure_database()
        bench.setup_django()
        bench.build_organizations(size["organizations"])
        bench.build(size["pledges"], size["updates"], size["organizations"])
        assess_every_pledge()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE load_dataset (pledges integer, updates integer, organizations integer)")
            cursor.execute("INSERT INTO load_dataset VALUES (%s, %s, %s)",
                           [size["pledges"], size["updates"], size["organizations"]])
            cursor.execute("VACUUM ANALYZE")
    else:
        name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
        say(f"reusing the load-test data in {name} ({size['pledges']:,} pledges)")
        bench.setup_django()  # applies any new migration
    return make_users(size)


def assess_every_pledge() -> None:
    """Statuses as of today, so that the status filters find pledges behind and on track (the builders leave every
    pledge without data)."""
    from django.utils import timezone

    from commitments import counts, jobs

    say("assessing every pledge …")
    started = time.perf_counter()
    jobs.recompute_open(timezone.localdate())
    counts.rebuild()
    say(f"  assessed in {time.perf_counter() - started:.0f} s")


def make_users(size: dict) -> dict:
    """A manager of every city (the whole province) and REPORTERS reporters of single departments."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from commitments.models import Membership, Organization, Pledge

    User = get_user_model()
    password = make_password(PASSWORD)

    def user(name, staff=False):
        found, _ = User.objects.update_or_create(username=name, defaults={
            "password": password, "is_active": True, "is_staff": staff, "email": f"{name}@load.example"})
        return found

    manager = user(MANAGER)
    cities = list(Organization.objects.filter(parent__isnull=True).order_by("pk"))
    for city in cities:
        Membership.objects.get_or_create(user=manager, organization=city, role=Membership.Role.MANAGER)
    departments = list(Organization.objects.filter(parent__isnull=False).order_by("pk").values_list("pk", flat=True))
    step = max(1, len(departments) // REPORTERS)
    reporters = []
    for n, org_id in enumerate(departments[::step][:REPORTERS]):
        reporter = user(f"load-reporter-{n}", staff=True)  # they record progress in the admin
        Membership.objects.get_or_create(user=reporter, organization_id=org_id, role=Membership.Role.REPORTER)
        pledges = Pledge.objects.filter(lead_organization_id=org_id).order_by("pk").values_list("pk", flat=True)
        pledges = list(pledges[:50])
        reporters.append({"username": reporter.username, "organization": org_id, "pledges": pledges})
    return {
        "password": PASSWORD,
        "manager": MANAGER,
        "cities": [city.pk for city in cities],
        "pledges": size["pledges"],
        "organizations": size["organizations"],
        "reporters": [r for r in reporters if r["pledges"]],
    }


# --- The server -------------------------------------------------------------------------------------------------


def start_server() -> subprocess.Popen:
    """`make serve` on 127.0.0.1:PORT, in a session of its own (stopped as a whole at the end)."""
    env = os.environ | {"TRACKER_ADDR": f"127.0.0.1:{PORT}", "ALLOWED_HOSTS": "127.0.0.1,localhost",
                        "LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(tempfile.gettempdir() + f"/tracker-load-serve-{PORT}.log", "w")
    say(f"starting make serve on 127.0.0.1:{PORT} (its output: {log.name}) …")
    server = subprocess.Popen(["make", "--no-print-directory", "serve"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for_health(server)
    return server


def wait_for_health(server: subprocess.Popen, seconds: float = 300) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"make serve exited with {server.returncode}; see its log")
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/health/", timeout=5).status_code in (200, 503):
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit("make serve did not answer /health/ in time")


def stop_server(server: subprocess.Popen) -> None:
    """SIGINT to make's runstack, as a Ctrl-C would: it stops web, beat and the worker in order."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- One user, then many -------------------------------------------------------------------------------------------


def single_user_times(plan: dict, samples: int) -> dict:
    """Median time of each page of the mix for one user alone, through the same server (the journeys' own requests,
    made one at a time)."""
    import journeys

    times = {}
    for journey in (journeys.ManagerJourney, journeys.ReporterJourney):
        session = journeys.logged_in_session(f"http://127.0.0.1:{PORT}", journey.username_for(plan, 0), plan)
        extra = journey.single_user_only(plan) if hasattr(journey, "single_user_only") else []
        for name, request, _weight in journey.pages(plan, 0) + extra:
            response = request(session)  # warm up
            if name == "summary":
                times["_summary_bytes"] = len(response.content)
            taken = []
            for _ in range(samples):
                started = time.perf_counter()
                request(session)
                taken.append(time.perf_counter() - started)
            times[name] = statistics.median(taken) * 1000
    return times


def cpu_seconds(server: int, locust: int) -> dict:
    """CPU seconds used so far by the server (`make serve`'s process and all under it: gunicorn, the worker, beat),
    PostgreSQL's processes, locust's, and the whole machine, from /proc. Each process counts its own time and that of
    its children that ended (cutime, cstime), so a database connection closed during the run still counts."""
    tick = os.sysconf("SC_CLK_TCK")
    processes = {}  # pid -> (parent pid, command, seconds)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        seconds = sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick  # utime stime cutime cstime
        processes[int(stat.parent.name)] = (int(fields[1]), text[text.index("(") + 1: text.rindex(")")], seconds)

    def under(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = processes.get(pid, (0,))[0]
        return False

    used = {"server": 0.0, "web": 0.0, "Celery": 0.0, "PostgreSQL": 0.0, "locust": 0.0}
    for pid, (_parent, command, seconds) in processes.items():
        if under(pid, server):
            used["server"] += seconds
            try:
                line = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                line = b""
            for part, name in ((b"gunicorn", "web"), (b"celery", "Celery")):
                if part in line:
                    used[name] += seconds
        elif under(pid, locust):
            used["locust"] += seconds
        elif command == "postgres":
            used["PostgreSQL"] += seconds
    busy = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    used["machine"] = sum(int(busy[i]) for i in (0, 1, 2, 5, 6, 7)) / tick  # user nice system irq softirq steal
    return used


def cpu_line(before: dict, after: dict, seconds: float) -> str:
    spent = {name: after[name] - before[name] for name in before}
    other = spent["machine"] - spent["server"] - spent["PostgreSQL"] - spent["locust"]
    parts = (f"server {spent['server']:.0f} s (web {spent['web']:.0f} s, Celery {spent['Celery']:.0f} s), "
             f"PostgreSQL {spent['PostgreSQL']:.0f} s, locust {spent['locust']:.0f} s")
    return (f"CPU in {seconds:.0f} s on {os.cpu_count()} cores ({seconds * os.cpu_count():.0f} core-seconds): {parts}, "
            f"anything else {max(other, 0):.0f} s; machine busy {spent['machine']:.0f} s")


def run_locust(users: int, seconds: int, plan_file: str, workdir: str, server: subprocess.Popen) -> tuple[list, str]:
    prefix = f"{workdir}/users{users}"
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
        "--users", str(users), "--spawn-rate", str(max(1, users // 2)), "--run-time", f"{seconds}s",
        "--host", f"http://127.0.0.1:{PORT}", "--csv", prefix, "--stop-timeout", "30", "--loglevel", "WARNING",
    ]
    say(f"locust: {users} users for {seconds} s …")
    locust = subprocess.Popen(command, cwd=ROOT / "bench", env=os.environ | {"LOAD_PLAN": plan_file},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    started, before = time.monotonic(), cpu_seconds(server.pid, locust.pid)
    while locust.poll() is None:  # read the CPU just before locust ends, while its processes are still there
        after = cpu_seconds(server.pid, locust.pid)
        time.sleep(1)
    cpu = cpu_line(before, after, time.monotonic() - started)
    with open(f"{prefix}_stats.csv", newline="") as stats:
        return list(csv.DictReader(stats)), cpu


def table(rows: list[dict], single: dict, users: int, seconds: int, cpu: str = "") -> str:
    lines = [
        f"{users} users, {seconds} s",
        *([cpu] if cpu else []),
        "",
        "| page | requests | requests/s | median | p95 | p99 | errors | one user alone (median) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        name = row["Name"]
        alone = single.get(name)
        lines.append(
            f"| {name} | {int(row['Request Count']):,} | {float(row['Requests/s']):.1f} | {row['50%']} ms | "
            f"{row['95%']} ms | "
            f"{row['99%']} ms | {row['Failure Count']} | {f'{alone:.0f} ms' if alone is not None else '—'} |"
        )
    shown = {row["Name"] for row in rows}
    for name, alone in single.items():
        if name not in shown and not name.startswith("_"):
            lines.append(f"| {name} | — | — | — | — | — | — | {alone:.0f} ms |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="100,000 pledges, 1,000,000 updates, 2,000 organizations")
    parser.add_argument("--pledges", type=int,
                        help=f"pledges (default {QUICK['pledges']:,}; {FULL['pledges']:,} with --full)")
    parser.add_argument("--organizations", type=int)
    parser.add_argument("--updates", type=int, help="updates per pledge (default 10)")
    parser.add_argument("--users", type=int, nargs="+", default=[10],
                        help="concurrent users, one run each (at most 100)")
    parser.add_argument("--seconds", type=int, default=60, help="length of each run (at most 600)")
    parser.add_argument("--single-samples", type=int, default=10, help="requests per page for the one-user times")
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if the database holds it")
    parser.add_argument("--build-only", action="store_true", help="build (or check) the data and stop")
    parser.add_argument("--single-only", action="store_true", help="only the one-user times (no locust run)")
    args = parser.parse_args()
    if any(not 1 <= users <= 100 for users in args.users) or not 1 <= args.seconds <= 600:
        parser.error("the load is bounded: 1–100 users, 1–600 seconds a run")
    size = dict(FULL if args.full else QUICK)
    size.update({k: v for k, v in (("pledges", args.pledges), ("organizations", args.organizations),
                                   ("updates", args.updates)) if v})

    plan = ensure_dataset(size, args.rebuild)
    if args.build_only:
        return
    from django.db import connections

    connections.close_all()
    workdir = tempfile.mkdtemp(prefix="tracker-load-")
    plan_file = f"{workdir}/plan.json"
    Path(plan_file).write_text(json.dumps(plan))
    os.environ["LOAD_PLAN"] = plan_file
    server = start_server()
    try:
        say("timing each page for one user …")
        single = single_user_times(plan, args.single_samples)
        runs = [] if args.single_only else args.users
        tables = []
        for users in runs:
            rows, cpu = run_locust(users, args.seconds, plan_file, workdir, server)
            tables.append(table(rows, single, users, args.seconds, cpu))
    finally:
        stop_server(server)
    summary_size = single.pop("_summary_bytes", None)
    workers = os.environ.get("WEB_CONCURRENCY") or 2 * os.cpu_count() + 1
    print(f"machine: {bench.machine()}; load average {os.getloadavg()[0]:.1f} at the end; "
          f"PostgreSQL at {re.sub(r'^.*@', '', os.environ['DATABASE_URL'])}")
    print(f"dataset: {size['pledges']:,} pledges, {size['pledges'] * size['updates']:,} updates, "
          f"{size['organizations']:,} organizations; server: make serve (gunicorn, {workers} workers)")
    if summary_size:
        print(f"summary page: {summary_size / 1024:.0f} KB")
    print()
    if tables:
        print("\n\n".join(tables))
    else:
        print("| page | one user alone (median) |\n|---|---|")
        print("\n".join(f"| {name} | {ms:.0f} ms |" for name, ms in single.items() if not name.startswith("_")))


if __name__ == "__main__":
    main()
