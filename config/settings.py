"""Settings for the support portal: one module, configured from the environment.

With no environment at all the portal runs on a bare machine: SQLite, a
file-system Celery broker that needs no server, and emails printed to the
console. Set DATABASE_URL, CELERY_BROKER_URL and EMAIL_URL to use PostgreSQL,
Redis and SMTP. See https://django-environ.readthedocs.io/ for the URL forms.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # runtime state of a dev checkout: database, broker, uploads

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; a missing file is fine

DEBUG = env.bool("DEBUG", default=True)

# Fail loud: a production deployment (DEBUG off) must bring its own secret.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-deploy")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served by the app: no CDN
    "django_filters",
    "simple_history",
    "django_celery_beat",
    "axes",
    "csp",
    "django_prometheus",  # request and response metrics on /metrics (config.metrics)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "portal",
    "policies",
    "lifecycle",
    "tickets",
    "reports",
    "mailroom",  # after tickets: its admin extends the case page
    "config",  # the project shell: no models, only its commands (loaddemo)
]

MIDDLEWARE = [
    # /healthz and /readyz for load balancers, before the host check, the HTTPS redirect and
    # everything that needs a session (config.health).
    "config.health.Probes",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # /metrics, for a scraper with METRICS_TOKEN or from METRICS_ALLOWED_NETWORKS (config.metrics).
    "config.metrics.MetricsEndpoint",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before CsrfViewMiddleware, which reads the form: refuses a body too large from its length.
    "config.limits.RequestBodyLimit",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The reader's language: the profile's, else the organization's, else Accept-Language (a cookie
    # set by the footer's switch counts as the browser's choice).
    "portal.middleware.UserLanguage",
    # A Content-Length that is no number, or a NUL in the address's parameters or a posted form's
    # fields, answers 400 in that language; a NUL in the path, 404 (config.limits).
    "config.limits.WellFormedRequest",
    # The request id (X-Request-ID), the user and the case number on every log line (config.logs).
    "config.logs.RequestContext",
    # request.user.is_verified(): the session's second factor (django-otp); then the rule on who needs it.
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.TwoFactorRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "portal.middleware.NoStoreWhenSignedIn",
    # A database outage in a page's view answers the styled 503 (the API's handler does its own).
    "portal.middleware.DatabaseUnavailable",
    # Axes last, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Content-Security-Policy (django-csp): scripts only from our own files — no inline script or
# on* handler anywhere (tests/config/test_headers.py scans the templates). Styles allow inline
# `style` because Django admin's templates and its list badges use style attributes; CSS cannot run
# code. https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# /readyz: each dependency (database, broker, storage, cache) must answer within this bound.
READYZ_TIMEOUT_SECONDS = env.float("READYZ_TIMEOUT_SECONDS", default=2.0)

# /metrics answers a scraper sending `Authorization: Bearer <METRICS_TOKEN>`, or one whose address
# is in METRICS_ALLOWED_NETWORKS (CIDR; this host only by default); anyone else gets 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Databases: SQLite by default, PostgreSQL with DATABASE_URL=postgres://user@host:5432/name.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# Persistent connections: a server process keeps its connection for a minute instead of opening
# one per request (`?conn_max_age=0` in DATABASE_URL turns it off), checked before reuse.
# https://docs.djangoproject.com/en/6.1/ref/databases/#persistent-connections
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a check: deletes the person's API tokens whenever their password is set (issue 18.3).
    {"NAME": "portal.passwords.RevokeApiTokens"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Reverse proxies in front of the portal (load balancer, nginx): each appends the address it
# received the request from to X-Forwarded-For, so the client is the TRUSTED_PROXY_COUNT-th entry
# from the right (portal.clientip). 0 (no proxy) ignores the header, which a client could forge.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# django-axes: an account is locked after AXES_FAILURE_LIMIT failures from any addresses, and an
# address after as many failures on any accounts (two separate counts: a guesser spreading over
# addresses, or over usernames, is stopped either way). Locked answers are 429 with templates/429.html.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_CLIENT_IP_CALLABLE = "portal.clientip.client_ip"
AXES_LOCKOUT_TEMPLATE = "429.html"
AXES_RESET_ON_SUCCESS = True
# Two-factor sign-in (django-otp: TOTP apps and single-use recovery codes, portal.twofactor). With
# STAFF_TWO_FACTOR every staff member must enrol and verify before any page, admin included; anyone
# who turned it on verifies after each password sign-in, whatever this says. On by default in
# production. A wrong code makes the next try wait 1, 2, 4… seconds (django-otp's throttling).
# https://django-otp-official.readthedocs.io/en/stable/overview.html
STAFF_TWO_FACTOR = env.bool("STAFF_TWO_FACTOR", default=not DEBUG)
OTP_TOTP_ISSUER = "Support portal"  # the name an authenticator app shows
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Password-reset links: asks per client address, and links sent per email address, per hour.
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=10)
PASSWORD_RESET_PER_EMAIL_PER_HOUR = env.int("PASSWORD_RESET_PER_EMAIL_PER_HOUR", default=3)

# Two complete languages (issue 22). A person reads the portal and their emails in their profile's
# language, else their organization's, else the browser's Accept-Language, else English
# (portal.selectors.user_language; portal.middleware.UserLanguage). Catalogs: each app's locale/,
# and for templates locale/ (pages), templates/emails/locale/ and templates/admin/locale/;
# `make install` compiles them (gettext's msgfmt).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [
    BASE_DIR / "templates" / "emails" / "locale",
    BASE_DIR / "templates" / "admin" / "locale",
    BASE_DIR / "locale",
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Attachments live outside the web root and are served only through a view that checks access.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Files (attachments, stored emails) go through Django's storage API: the local file system under
# MEDIA_ROOT, or, with STORAGE_S3_BUCKET, an S3-compatible bucket that every web and worker node
# shares (django-storages). Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or the host's role). Downloads are still streamed through the views that
# check who may see the case: the bucket stays private and no URL to it is ever handed out.
# https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
STORAGE_S3_BUCKET = env.str("STORAGE_S3_BUCKET", default="")
if STORAGE_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": env.str("STORAGE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("STORAGE_S3_REGION", default="") or None,
            "location": env.str("STORAGE_S3_PREFIX", default=""),
            "default_acl": "private",
            # Two files of one name on a case are two objects, as on the file system; S3's
            # default would overwrite the first.
            "file_overwrite": False,
        },
    }
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Any request body is refused past REQUEST_MAX_BYTES from its Content-Length, before a view or
# the CSRF check reads it (config.limits); only the views taking attachments accept 5 attachments'
# worth more. Django parses at most DATA_UPLOAD_MAX_MEMORY_SIZE of a form in memory, and spools
# uploaded files past FILE_UPLOAD_MAX_MEMORY_SIZE to disk.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=3 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Email: printed to the console by default; EMAIL_URL=smtp://host:port sends for real.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":  # noqa: F821 - set just above
    # The same, with the lease's deadline on the one ambiguous step (portal/mail.py).
    EMAIL_BACKEND = "portal.mail.SMTPBackend"
elif EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    # The same, each email printed decoded, as its recipient reads it (portal/mail.py).
    EMAIL_BACKEND = "portal.mail.ConsoleBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Support Desk <support@portal.test>")
SUPPORT_DESK_EMAIL = env.str("SUPPORT_DESK_EMAIL", default="desk@portal.test")
# Notices: warn staff when this share of an SLA target's time is used; a worker that took a
# notice and has not marked it sent within the lease is presumed dead, and the notice is retried.
SLA_WARNING_SHARE = env.float("SLA_WARNING_SHARE", default=0.75)
NOTICE_LEASE_SECONDS = env.int("NOTICE_LEASE_SECONDS", default=300)
# A hung SMTP server must give up well within the lease, or a second worker could send again:
# portal.checks refuses the start unless NOTICE_LEASE_SECONDS >= 3 * EMAIL_TIMEOUT.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
NOTICE_MAX_ATTEMPTS = env.int("NOTICE_MAX_ATTEMPTS", default=8)
NOTICE_RETRY_SECONDS = env.int("NOTICE_RETRY_SECONDS", default=30)  # first retry; doubles to 1 h
# Where a worker notes a message the SMTP server accepted while the database cannot be told
# (portal.outbox): the sweep marks those rows sent before it re-sends any expired lease.
NOTICE_JOURNAL_DIR = env.path("NOTICE_JOURNAL_DIR", default=str(VAR_DIR / "outbox"))
# Planned work outside the Sunday window (scheduled maintenance, upgrades) is announced to the
# affected organizations' members this many hours before it begins; only work so announced is
# excused from availability (issue 20 point 5, reports.models.outage_excused).
MAINTENANCE_NOTICE_HOURS = env.int("MAINTENANCE_NOTICE_HOURS", default=72)

# The email channel (mailroom, SPEC §7). A message above MAIL_MAX_BYTES is refused from its
# headers alone, before it is read whole; the desk answers one address at most
# MAIL_ANSWERS_PER_HOUR times an hour (acknowledgements and refusals), so that no robot that
# ignores Auto-Submitted can loop with it. Each vendor's Maildir is MAILDIR_ROOT/<vendor slug>/.
MAIL_MAX_BYTES = env.int("MAIL_MAX_BYTES", default=25 * 1024 * 1024)
MAIL_ANSWERS_PER_HOUR = env.int("MAIL_ANSWERS_PER_HOUR", default=10)
# The loop guard behind the automatic-mail signals: past MAIL_REPLIES_PER_HOUR replies added by email
# from one address to one case in the last hour, the next is quarantined for staff and not answered,
# so a responder that sends no signal and the desk's notices about the case cannot ping-pong on it.
MAIL_REPLIES_PER_HOUR = env.int("MAIL_REPLIES_PER_HOUR", default=10)
# A message the database fails on for a moment (OperationalError, InterfaceError) is left for the next
# poll; after MAIL_TRANSIENT_TRIES such failures of the same message (vendor and bytes), the next one
# quarantines it, so that one the database always fails on does not hold up its mailbox forever. The
# tries are counted in the cache (CACHE_URL: Redis, shared by the workers and ingestmail) for a day;
# mailroom/services/tries.py says why.
MAIL_TRANSIENT_TRIES = env.int("MAIL_TRANSIENT_TRIES", default=5)
MAILDIR_ROOT = env.path("MAILDIR_ROOT", default=str(VAR_DIR / "mail"))
# A vendor's mailbox on an IMAP server, polled every minute (mailroom/imap.py): slug=URL pairs,
# e.g. alectrona=imaps://desk%40example.com:secret@imap.example.com/INBOX. Passwords live here,
# in the environment, never in the database.
MAIL_IMAP_URLS = env.dict("MAIL_IMAP_URLS", default={})

# Celery. The default broker is kombu's file-system transport: it needs no server, and
# web, worker and beat share it through var/broker. CELERY_BROKER_URL=redis://… for Redis.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Publishing fails fast when Redis is down or hung (SIGSTOP, a full network queue): one
    # connection attempt, and short connect and socket timeouts, so a request's enqueue after
    # commit gives up within about a second; the outbox keeps the work, the sweep sends it.
    # The worker checks its connection's health every 10 s. Its reads are event-driven, so the
    # short socket timeout does not cut its BRPOP (https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
        "health_check_interval": 10,
    }
# The worker never gives up on the broker: it retries at start and after a loss, forever.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_HEARTBEAT = 10
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# django-celery-beat's schedule (editable in admin), sent only by the beat holding the scheduler
# lock: start a beat on each of two hosts and the second waits as a hot standby (config.beat).
CELERY_BEAT_SCHEDULER = "config.beat:LockedDatabaseScheduler"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "portal.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three parsers, with JSON refusing bodies nested deeper than portal.parsers.MAX_JSON_DEPTH
    # or holding a NUL anywhere (400 naming where).
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.JSONParser",
        "portal.parsers.FormParser",
        "portal.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "portal.api.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    # Writes per person (portal.throttles, rate API_WRITE_RATE); reads are not counted. The portal's
    # posts (portal.idempotency.form_submit_once, portal.throttles.counts_as_write) count on the same counter.
    "DEFAULT_THROTTLE_CLASSES": ["portal.throttles.WriteRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
API_WRITE_RATE = env.str("API_WRITE_RATE", default="120/min")
SPECTACULAR_SETTINGS = {
    # In the reader's language, as the operations' descriptions (drf-spectacular words lazy strings
    # under the request's language).
    "TITLE": _("Support portal API"),
    "DESCRIPTION": _("Vendor policies, SLA previews and support cases."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Docstrings are developer notes, English only: views', serializers' and methods' never reach the
    # schema. What API users read is extend_schema(description=_("…")), in their language.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    # /api/docs/ loads Swagger UI from drf-spectacular-sidecar's static files, never a CDN.
    # https://drf-spectacular.readthedocs.io/en/latest/settings.html
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status", "kind" or "state": name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "TicketKindEnum": "tickets.models.Kind",
        "TargetKindEnum": "policies.models.TargetKind",
        "TargetStateEnum": "tickets.models.TargetState",
        "ExpenseKindEnum": "tickets.models.ExpenseKind",
        "OrderKindEnum": "tickets.models.OrderKind",
    },
}

# Production hardening, active whenever DEBUG is off (`manage.py check --deploy` is clean).
# https://docs.djangoproject.com/en/stable/howto/deployment/checklist/
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips a client's), so that
    # Django knows the request was HTTPS; without such a proxy the header could be forged: turn off.
    if env.bool("TRUST_X_FORWARDED_PROTO", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Logs: one JSON object a line in production (LOG_FORMAT=json, the default with DEBUG off), plain
# text in development; either way each record carries the request id, user id, case number and
# Celery task id of its work (config.logs), from the web request into the tasks it queued.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logs.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"
            " %(request_id)s %(user_id)s %(case)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
# In JSON the worker and beat log through this configuration too (at LOG_LEVEL), not Celery's format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# Errors (and their request, user and case ids) to Sentry when SENTRY_DSN is set; no personal
# data is sent (send_default_pii off). https://docs.sentry.io/platforms/python/integrations/django/
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        send_default_pii=False,
        traces_sample_rate=0.0,
    )
