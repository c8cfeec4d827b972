"""Group robots: WeCom (企业微信) and DingTalk (钉钉) webhooks, as their public documentation describes them.

Pure functions build what is posted (the markdown, the JSON body, DingTalk's signed address) and read what the robot
answers; `post` does the one HTTP request (urllib, no extra package); `WebhookLimiter` keeps every worker under a
robot's rate limit through the Redis the workers share. jobs.py decides what to send and records the outcome.

- WeCom: POST <webhook>?key=… {"msgtype": "markdown", "markdown": {"content": …}}; at most 4096 bytes of content,
  20 messages a minute (errcode 45009 over that).
- DingTalk: POST <webhook>?access_token=…[&timestamp=…&sign=…] {"msgtype": "markdown", "markdown": {"title", "text"}};
  with a signing secret, sign = urlencode(base64(HMAC-SHA256(key=secret, "<timestamp ms>\\n<secret>"))); with a
  keyword, every message must contain it; 20 messages a minute (errcode 130101 over that).
Both answer {"errcode": 0, "errmsg": "ok"} when they took the message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from django.utils.translation import gettext as _

from .models import ROBOT_TOKEN_PARAMETER as TOKEN_PARAMETER

WECOM, DINGTALK = "wecom", "dingtalk"
# Bytes of markdown one message may carry (WeCom documents 4096; DingTalk takes more, but a long post is not read).
MESSAGE_BYTES = {WECOM: 4096, DINGTALK: 8000}
# "Too many messages": wait for the minute to pass and send again.
RATE_LIMITED = {WECOM: {45009}, DINGTALK: {130101, 410100}}
# "System busy, try again later": the robot's own transient error.
BUSY = {-1}


# --- Showing an address -----------------------------------------------------------------------------


def masked(url: str) -> str:
    """The address with its token hidden but for its last 4 characters: what the admin and logs may show."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    shown = []
    for name, values in query.items():
        value = values[0] if values else ""
        if name in TOKEN_PARAMETER.values() or name == "sign":
            value = "…" + value[-4:] if len(value) > 8 else "…"
        shown.append(f"{name}={value}")
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{'&'.join(shown)}" if shown else "")


# --- What is posted ---------------------------------------------------------------------------------


def signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64 of HMAC-SHA256 keyed with the secret over "<timestamp>\\n<secret>" (not yet
    URL-encoded: `signed_url` encodes it as a query parameter)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """The address to post to: DingTalk's with `timestamp` and `sign` added when the robot has a signing secret."""
    if not secret:
        return url
    joiner = "&" if urlsplit(url).query else "?"
    return url + joiner + urlencode({"timestamp": timestamp_ms, "sign": signature(secret, timestamp_ms)})


def body(kind: str, title: str, text: str, keyword: str = "") -> dict:
    """The JSON body of a markdown message. A DingTalk robot guarded by a keyword drops a message without it, so the
    keyword leads the title and text when they do not contain it already."""
    if keyword and keyword not in text:
        text = f"【{keyword}】{text}"
    if keyword and keyword not in title:
        title = f"【{keyword}】{title}"
    if kind == WECOM:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def escape(text: str) -> str:
    """Plain text inside markdown: the characters that would start a link, emphasis or a heading are escaped."""
    for character in "\\[]*_#`<>":
        text = text.replace(character, "\\" + character)
    return " ".join(str(text).split())


def item(subject: str, pledge_name: str, url: str, owner: str, status: str, reason: str) -> str:
    """One alert as a group reads it: what happened, the pledge (a link to its page), its owner, status and reason."""
    lines = [f"**{escape(subject)}**"]
    if pledge_name:
        lines.append(f"> {_('Pledge')}: [{escape(pledge_name)}]({url})")
    if owner:
        lines.append(f"> {_('Lead organization')}: {escape(owner)}")
    if status:
        lines.append(f"> {_('Status')}: {escape(status)}" + (f" — {escape(reason)}" if reason else ""))
    return "\n".join(lines)


@dataclass(frozen=True)
class Message:
    """One post: its title and markdown, and the notifications it carries."""

    title: str
    text: str
    notification_ids: tuple[int, ...]


def combine(kind: str, alerts: list[tuple[int, str, str]], keyword: str = "") -> list[Message]:
    """The alerts for one group, (id, subject, markdown item) each, in as few messages as the robot takes: one alert
    alone as it is; several under "N alerts: …", as many per message as fit its size limit."""
    if len(alerts) == 1:
        notification_id, subject, text = alerts[0]
        return [Message(subject, _fit(kind, text, keyword), (notification_id,))]
    limit = MESSAGE_BYTES[kind] - 200 - len(keyword.encode("utf-8"))  # room for the heading and the keyword
    groups, current, size = [], [], 0
    for alert in alerts:
        length = len(alert[2].encode("utf-8")) + 2
        if current and size + length > limit:
            groups.append(current)
            current, size = [], 0
        current.append(alert)
        size += length
    groups.append(current)
    messages = []
    for group in groups:
        title = _("%(count)d alerts") % {"count": len(group)}
        heading = f"### {title}" + (f" ({len(messages) + 1}/{len(groups)})" if len(groups) > 1 else "")
        text = "\n\n".join([heading] + [_fit(kind, text, keyword) for _id, _subject, text in group])
        messages.append(Message(title, _fit(kind, text, keyword), tuple(alert[0] for alert in group)))
    return messages


def _fit(kind: str, text: str, keyword: str) -> str:
    """Cut a text that is still too long for one message (a single alert with a very long reason)."""
    limit = MESSAGE_BYTES[kind] - 100 - len(keyword.encode("utf-8"))
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore") + "…"


# --- Posting and reading the answer -----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of one post: sent; rate limited (send again after the minute); transient (retry with back-off);
    permanent (the robot refuses for good: a bad key, a removed robot, a wrong signature or keyword)."""

    SENT, RATE_LIMITED, TRANSIENT, PERMANENT = "sent", "rate_limited", "transient", "permanent"

    kind: str
    detail: str = ""


def read_answer(kind: str, status: int, raw: bytes) -> Outcome:
    """The outcome of a post from the robot's HTTP status and JSON answer."""
    if status >= 500 or status == 429:
        return Outcome(Outcome.RATE_LIMITED if status == 429 else Outcome.TRANSIENT, f"HTTP {status}")
    try:
        answer = json.loads(raw.decode("utf-8"))
        errcode, errmsg = int(answer.get("errcode", -1)), str(answer.get("errmsg", ""))
    except (ValueError, AttributeError, UnicodeDecodeError):
        detail = f"HTTP {status}: " + raw[:200].decode("utf-8", errors="replace")
        return Outcome(Outcome.PERMANENT if 400 <= status < 500 else Outcome.TRANSIENT, detail)
    detail = f"errcode {errcode}: {errmsg}"[:500]
    if errcode == 0 and status < 300:
        return Outcome(Outcome.SENT)
    if errcode in RATE_LIMITED[kind]:
        return Outcome(Outcome.RATE_LIMITED, detail)
    if errcode in BUSY:
        return Outcome(Outcome.TRANSIENT, detail)
    return Outcome(Outcome.PERMANENT, detail)


def post(kind: str, url: str, secret: str, payload: dict, timeout: float) -> Outcome:
    """Post one message; network errors and timeouts are transient. Nothing here names the address (its token)."""
    target = signed_url(url, secret, int(time.time() * 1000)) if kind == DINGTALK else url
    try:
        request = urllib.request.Request(
            target, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (an https address an administrator set)
            return read_answer(kind, response.status, response.read(65536))
    except urllib.error.HTTPError as error:
        return read_answer(kind, error.code, error.read(65536) if error.fp else b"")
    except ValueError:  # no address, or not one urllib can post to (a robot restored without its secrets)
        return Outcome(Outcome.PERMANENT, "no usable webhook address")
    except (TimeoutError, socket.timeout):
        return Outcome(Outcome.TRANSIENT, "timed out")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return Outcome(Outcome.TRANSIENT, f"{type(reason).__name__}: {reason}"[:300])


# --- Staying under the rate limit -------------------------------------------------------------------

# A sliding window per webhook in one sorted set: drop what left the window, and take a place if one is free; else
# say how many milliseconds until the oldest place frees. Atomic in Redis, so workers never both take the last place.
_TAKE_A_PLACE = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return blocked end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""


class WebhookLimiter:
    """At most `limit` posts per `window` seconds to one webhook, counted across every worker in Redis.

    Keyed by a hash of the address (never the address: it holds the token), so two robots rows of one webhook share
    their allowance."""

    def __init__(self, redis_client, limit: int, window: float):
        self.redis, self.limit, self.window_ms = redis_client, limit, int(window * 1000)
        self.script = redis_client.register_script(_TAKE_A_PLACE)

    @staticmethod
    def key(url: str) -> str:
        return "tracker:robot-rate:" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]

    def wait_before_posting(self, url: str) -> float:
        """0 when a post may go now (its place is taken), else the seconds to wait."""
        key = self.key(url)
        now_ms = int(time.time() * 1000)
        member = f"{now_ms}:{time.monotonic_ns()}"
        waited = self.script(keys=[key, key + ":blocked"], args=[now_ms, self.window_ms, self.limit, member])
        return int(waited) / 1000

    def hold_off(self, url: str, seconds: float) -> None:
        """The robot said "too fast": nobody posts to it for `seconds`."""
        self.redis.set(self.key(url) + ":blocked", 1, px=max(int(seconds * 1000), 1))
