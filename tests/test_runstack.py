"""`make run`'s last step: web + Celery worker + beat on the embedded Redis, all stopped by Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tracker import embedded_redis

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_embedded_redis_starts_on_a_socket_and_answers(tmp_path):
    sock = tmp_path / "redis.sock"
    process = embedded_redis.start(sock)
    try:
        assert embedded_redis.is_running(sock)
        assert embedded_redis.start(sock) is None  # a second start reuses the running server
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not embedded_redis.is_running(sock)


@pytest.mark.slow
def test_runstack_serves_the_admin_runs_worker_and_beat_and_ctrl_c_stops_them_all_quietly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {"TRACKER_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "tracker.settings", "PYTHONUNBUFFERED": "1"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = open(tmp_path / "stack.log", "w+")
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--addr", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a shell's foreground job
    )
    try:
        deadline = time.monotonic() + 60
        page = None
        while time.monotonic() < deadline and page is None:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2).read().decode()
            except OSError:
                time.sleep(0.5)
        assert page is not None and "csrfmiddlewaretoken" in page
        while time.monotonic() < deadline and "ready." not in (tmp_path / "stack.log").read_text():
            time.sleep(0.5)
        output = (tmp_path / "stack.log").read_text()
        assert "ready." in output, output  # the Celery worker connected to the embedded Redis
        assert "beat: Starting" in output, output
        children = psutil.Process(stack.pid).children(recursive=True)
        assert len(children) >= 4  # redis-server, web, worker (+ its pool), beat
        # Let the initial sweep's tasks finish and print, so that what follows Ctrl-C is the shutdown alone.
        quiet_since, size = time.monotonic(), len(output)
        while time.monotonic() - quiet_since < 2 and time.monotonic() < deadline + 30:
            time.sleep(0.25)
            if len((tmp_path / "stack.log").read_text()) != size:
                quiet_since, size = time.monotonic(), len((tmp_path / "stack.log").read_text())
        shown_before_ctrl_c = size
    finally:
        # A terminal's Ctrl-C sends SIGINT to the whole foreground process group, not only to runstack.
        os.killpg(stack.pid, signal.SIGINT)
        stack.wait(timeout=40)
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert stack.returncode == 0
    shutdown = (tmp_path / "stack.log").read_text()[shown_before_ctrl_c:]
    # Redis goes last, so nobody loses its connection on the way down: no tracebacks, no retries.
    assert "Traceback" not in shutdown, shutdown
    assert "Error" not in shutdown and "rror 111" not in shutdown, shutdown
    assert "Connection" not in shutdown, shutdown
    # A line for each process, in the order they stop, and nothing else.
    assert shutdown.split() == "web stopped. beat stopped. worker stopped. Stopped web, worker, beat and Redis.".split(), shutdown
    assert not (tmp_path / "redis" / "redis.sock").exists() or not embedded_redis.is_running(tmp_path / "redis" / "redis.sock")
