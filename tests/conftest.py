import socket
import tempfile
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.utils import translation

from tests.factories import OrganizationFactory, PledgeFactory, UserFactory


@pytest.fixture(autouse=True)
def header_count_on_every_page(settings):
    """Pages count the header's to-do number afresh, so that a page's queries and numbers do not depend on the pages
    a test opened before it; tests/test_todo.py checks the number kept in the session on its own."""
    settings.TRACKER_TODO_COUNT_SECONDS = 0


@pytest.fixture(autouse=True)
def language_put_back():
    """Each test starts in the site's language and leaves it so: a page read with the English cookie activates English
    for the thread, which the next test would otherwise inherit."""
    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def city(db):
    return OrganizationFactory(name="南通市", short_name="南通", level="city")


@pytest.fixture
def district(city):
    return OrganizationFactory(name="通州区", short_name="通州", level="district", parent=city)


@pytest.fixture
def districts(city):
    """Three districts of the city, by short name: the owners of a target broken down into parts."""
    return {
        name: OrganizationFactory(name=f"{name}区", short_name=name, level="district", parent=city)
        for name in ("通州", "海门", "开发")
    }


@pytest.fixture
def pledge(district):
    return PledgeFactory(lead_organization=district)


@pytest.fixture
def staff(db):
    return UserFactory(username="alice", is_staff=True, is_superuser=True)


# --- Real services: Redis broker, Celery worker, SMTP server ---------------------------------------



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def broker_url():
    """The Redis the suite's Celery uses: REDIS_URL when set (CI), else an embedded one for the session."""
    from tracker import embedded_redis
    from tracker.celery import app

    process = None
    if django_settings.EMBEDDED_REDIS:
        socket_path = Path(tempfile.mkdtemp(prefix="tracker-redis-")) / "redis.sock"
        process = embedded_redis.start(socket_path)
        url = f"redis+socket://{socket_path}"
    else:
        url = django_settings.REDIS_URL
    app.conf.broker_url = url
    import redis

    redis.Redis.from_url(url.replace("redis+socket://", "unix://")).flushdb()  # no messages left by an earlier run
    yield url
    if process is not None:
        process.terminate()
        process.wait(timeout=10)


class Mailbox:
    """Collects what the SMTP server received: one parsed message per delivery."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if address in m["To"]]


class SMTPServer:
    """A real SMTP server on localhost that a test can stop and start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.mailbox.messages


@pytest.fixture
def smtp_server(settings):
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def celery_worker(broker_url, transactional_db):
    """A real Celery worker (in a thread of this process) consuming from the real broker."""
    from celery.contrib.testing.worker import start_worker

    from tracker.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10) as worker:
        yield worker
