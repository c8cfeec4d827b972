"""Test speed-ups in one place: fast password hashing, in-memory mail."""

import os

from .settings import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "zh-hans"

# Tests with a Celery worker thread need a database file that several connections can share; one per test run
# (process), so that two runs in one checkout do not overwrite each other's database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405

# Retries come quickly in tests.
TRACKER_SEND_RETRY_BACKOFF = 1
