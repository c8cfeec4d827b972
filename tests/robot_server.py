"""A group robot on localhost for the tests: it checks every request as the robot's public documentation describes
it, and answers as the test tells it to (success, too fast, a refusal, a server error, no answer in time).

WeCom (企业微信) group robot: POST /cgi-bin/webhook/send?key=KEY, JSON {"msgtype": "markdown", "markdown": {"content"}},
content at most 4096 bytes. DingTalk (钉钉) custom robot: POST /robot/send?access_token=TOKEN, and with signing
&timestamp=<ms>&sign=<url-encoded base64 HMAC-SHA256 of "<timestamp>\\n<secret>" keyed with the secret>, accepted
within an hour of the robot's clock; JSON {"msgtype": "markdown", "markdown": {"title", "text"}}; with a keyword,
the message must contain it. Both take about 20 messages a minute and answer {"errcode": 0, "errmsg": "ok"}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ANSWERS = {
    "wecom": {
        "too_fast": {"errcode": 45009, "errmsg": "api freq out of limit"},
        "refuse": {"errcode": 93000, "errmsg": "invalid webhook url, hint: robot removed from the group"},
        "bad_request": {"errcode": 40008, "errmsg": "invalid message type"},
    },
    "dingtalk": {
        "too_fast": {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
        "refuse": {"errcode": 300001, "errmsg": "token is not exist"},
        "bad_request": {"errcode": 310000, "errmsg": "sign not match / keywords not in content"},
    },
}


class FakeRobot:
    """`answers`: what to answer to the next requests, in order ("ok" when empty): "ok", "too_fast", "refuse",
    "server_error" (HTTP 502), "timeout" (answers after `slow_seconds`, the message lost). `limit` per `window`
    seconds: over it the robot answers "too fast", as the real ones do."""

    def __init__(self, kind: str, token: str, *, secret: str = "", keyword: str = "", limit: int = 20,
                 window: float = 60.0, slow_seconds: float = 2.0, hold_at: int | None = None, hold_keeps: bool = False):
        self.kind, self.token, self.secret, self.keyword = kind, token, secret, keyword
        self.limit, self.window, self.slow_seconds = limit, window, slow_seconds
        self.answers: list[str] = []
        self.accepted: list[dict] = []  # the markdown bodies the robot posted to its group
        self.arrivals: list[float] = []  # when each request arrived (time.monotonic())
        self.problems: list[str] = []  # what a request got wrong against the documentation
        self.too_fast_answers = 0
        # The drill: hold request number `hold_at` (1-based) until released; `holding` is set when it arrives. Released,
        # the robot posts it to the group when `hold_keeps` (it had the message when the sender died), else drops it.
        self.hold_at, self.holding, self.released = hold_at, threading.Event(), threading.Event()
        self.hold_keeps = hold_keeps
        self.lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                robot._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def webhook_url(self) -> str:
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.kind == "wecom":
            return f"{host}/cgi-bin/webhook/send?key={self.token}"
        return f"{host}/robot/send?access_token={self.token}"

    def texts(self) -> list[str]:
        field = "content" if self.kind == "wecom" else "text"
        return [body["markdown"][field] for body in self.accepted]

    # --- checking a request -------------------------------------------------------------------------

    def _check(self, handler, raw: bytes) -> list[str]:
        problems = []
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        expected_path = "/cgi-bin/webhook/send" if self.kind == "wecom" else "/robot/send"
        if parts.path != expected_path:
            problems.append(f"path {parts.path}")
        token_name = "key" if self.kind == "wecom" else "access_token"
        if query.get(token_name) != [self.token]:
            problems.append(f"{token_name} {query.get(token_name)}")
        if not handler.headers.get("Content-Type", "").startswith("application/json"):
            problems.append(f"content type {handler.headers.get('Content-Type')}")
        if self.kind == "dingtalk" and self.secret:
            problems += self._check_signature(query)
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return problems + ["body is not JSON"]
        if self.kind == "wecom":
            if set(body) != {"msgtype", "markdown"} or body["msgtype"] != "markdown" or set(body["markdown"]) != {"content"}:
                problems.append(f"body {sorted(body)}")
            elif len(body["markdown"]["content"].encode("utf-8")) > 4096:
                problems.append("content over 4096 bytes")
        else:
            markdown = body.get("markdown", {})
            if body.get("msgtype") != "markdown" or set(markdown) != {"title", "text"}:
                problems.append(f"body {body}")
            elif self.keyword and self.keyword not in markdown["text"]:
                problems.append("keyword missing")
        return problems

    def _check_signature(self, query) -> list[str]:
        timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
        if not timestamp.isdigit():
            return ["no timestamp"]
        if abs(int(timestamp) - time.time() * 1000) > 3600 * 1000:
            return ["timestamp more than an hour off"]
        to_sign = f"{timestamp}\n{self.secret}".encode()
        expected = base64.b64encode(hmac.new(self.secret.encode(), to_sign, hashlib.sha256).digest()).decode()
        return [] if hmac.compare_digest(sign, expected) else ["sign does not match"]

    # --- answering ----------------------------------------------------------------------------------

    def _handle(self, handler):
        raw = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        now = time.monotonic()
        with self.lock:
            self.arrivals.append(now)
            number = len(self.arrivals)
            recent = [t for t in self.arrivals if t > now - self.window]
            problems = self._check(handler, raw)
            answer = self.answers.pop(0) if self.answers else "ok"
            if len(recent) > self.limit:
                answer = "too_fast"
                self.too_fast_answers += 1
        if number == self.hold_at:
            self.holding.set()
            self.released.wait(120)
            if not self.hold_keeps:
                return None
        if problems:
            self.problems += problems
            return self._json(handler, 200, ANSWERS[self.kind]["bad_request"])
        if answer == "timeout":
            time.sleep(self.slow_seconds)
            return self._json(handler, 200, {"errcode": 0, "errmsg": "ok"})
        if answer == "server_error":
            return self._reply(handler, 502, b"<html>Bad Gateway</html>", "text/html")
        if answer in ("too_fast", "refuse"):
            return self._json(handler, 200, ANSWERS[self.kind][answer])
        with self.lock:
            self.accepted.append(json.loads(raw.decode("utf-8")))
        return self._json(handler, 200, {"errcode": 0, "errmsg": "ok"})

    def _json(self, handler, status, answer):
        self._reply(handler, status, json.dumps(answer).encode(), "application/json")

    @staticmethod
    def _reply(handler, status, content, content_type):
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
        except OSError:
            pass  # the sender gave up waiting (a timeout) or died (the drill)
