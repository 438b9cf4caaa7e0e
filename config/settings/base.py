"""Settings shared by every environment. Values come from environment variables
(12-factor); with none set, the app runs embedded: SQLite and a Celery transport
that needs no server."""
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.storage import default_storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Our apps come first so their translations and templates win over Django's
# (e.g. admin's "Add" / "Created" would otherwise shadow our wording).
INSTALLED_APPS = [
    "core",
    "crm",
    "segmentation",
    "tickets",
    "surveys",
    "reviews",
    "integrations",
    "care",
    "feedback",
    "xsell",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
]

MIDDLEWARE = [
    "core.errors.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a login refused for too many failures into a 429 with Retry-After (core.throttle).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    }
]

# Embedded default: SQLite in var/. DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and their threads share one file: write-ahead
    # logging lets readers go on while one writer writes, and each transaction takes
    # the write lock when it begins (IMMEDIATE), so two writers wait for each other
    # (busy timeout) instead of one failing on a lock upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"

# The audit rows of a read (core.services.audit_reveals_record) commit asynchronously on
# PostgreSQL unless this is true (README, Configuration).
AUDIT_SYNCHRONOUS_COMMIT = env_bool("AUDIT_SYNCHRONOUS_COMMIT", False)

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling (django-axes, database handler: works with Redis down). Failures count
# per username *and* client address together; a much higher limit applies to an address
# alone, so nobody can lock out the users behind a shared address. A success resets that
# username's count at that address. The lock lasts the window after the last failure.
LOGIN_THROTTLE_ATTEMPTS = int(os.environ.get("LOGIN_THROTTLE_ATTEMPTS", "5"))
LOGIN_THROTTLE_ADDRESS_ATTEMPTS = int(os.environ.get("LOGIN_THROTTLE_ADDRESS_ATTEMPTS", "100"))
LOGIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("LOGIN_THROTTLE_WINDOW_SECONDS", "900"))
# Addresses (or networks) of the reverse proxies whose X-Forwarded-For is believed; from any
# other peer the header is ignored, as a client could forge it.
LOGIN_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("LOGIN_TRUSTED_PROXIES", "").split(",") if p.strip()]
AUTHENTICATION_BACKENDS = ["core.throttle.LoginThrottleBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "core.throttle.LoginAttemptHandler"
AXES_FAILURE_LIMIT = "core.throttle.failure_limit"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_COOLOFF_TIME = "core.throttle.cool_off"
AXES_RESET_ON_SUCCESS = True
# A try while locked neither counts nor extends the lock, so the retry time shown holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "core.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "core.throttle.lockout_response"
AXES_USERNAME_CALLABLE = "core.throttle.attempted_username"
# No start-up banner on every command; lockouts are still logged as warnings.
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Chart.js 4 from npm (package.json; bin/_venv.sh runs `npm ci`), served as
# static/vendor/chartjs/chart.umd.min.js. Pages work without it (table views).
if (BASE_DIR / "node_modules" / "chart.js" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"))
STORAGES = {
    # FILE_STORAGE=local (MEDIA_ROOT) or s3 (an S3-compatible store; config/storage.py)
    "default": default_storage_from_env(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost")
# Used by EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before an unanswering mail server counts as down (the outbox retries later).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))

# Surveys: no customer is asked twice within the fatigue window; links expire.
SURVEY_FATIGUE_DAYS = int(os.environ.get("SURVEY_FATIGUE_DAYS", "30"))
SURVEY_TOKEN_TTL_DAYS = int(os.environ.get("SURVEY_TOKEN_TTL_DAYS", "14"))
# The site's public address, put in front of every link sent out of the site (survey
# and notification e-mails). bin/dev sets it from PORT; production requires it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Channels (integrations app): e-mail in and out, webhooks. Attachments and raw
# messages go through Django's default storage: MEDIA_ROOT with FILE_STORAGE=local, an
# S3-compatible store with FILE_STORAGE=s3 (STORAGES above; README, "Channels").
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(VAR_DIR / "media"))
INBOUND_EMAIL_MAX_BYTES = int(os.environ.get("INBOUND_EMAIL_MAX_BYTES", str(25 * 1024 * 1024)))
INBOUND_ATTACHMENT_MAX_BYTES = int(os.environ.get("INBOUND_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Right-hand side of the Message-IDs of outgoing ticket mail (default: DEFAULT_FROM_EMAIL's domain).
EMAIL_MESSAGE_ID_DOMAIN = os.environ.get("EMAIL_MESSAGE_ID_DOMAIN", "")
# Webhooks go to public addresses only unless this is true (never in production).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)

REST_FRAMEWORK = {
    "DEFAULT_METADATA_CLASS": "core.metadata.Metadata",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.FilterBackend",  # django-filter's, skipped when nothing is filtered
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    # Bounded reads (413 over DATA_UPLOAD_MAX_MEMORY_SIZE) and 400 for too deeply nested JSON.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser", "core.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer-maintenance CRM API",
    "DESCRIPTION": "REST API of the customer-maintenance CRM. Token auth: POST /api/v1/auth/token/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name across models get one stable name each.
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "crm.models.Customer.Kind",
        "ContactChannelEnum": "crm.models.Customer.Channel",
        "TicketChannelEnum": "tickets.models.Channel",
        "InboundEmailStatusEnum": "integrations.models.InboundEmail.Status",
        "WebhookDeliveryStatusEnum": "integrations.models.WebhookDelivery.Status",
        "ReviewActionStatusEnum": "reviews.models.ReviewAction.Status",
    },
}

# Celery: REDIS_URL switches from the embedded filesystem transport to Redis.
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it ends, and re-queued if its worker process dies;
# each worker reserves one message at a time (a long job holds back no other).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Publishing gives up quickly when the broker is down: the web request answers and
# the sweepers send from the database rows later (core.jobs, core.outbox).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.5}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # An unacknowledged message is handed out again after this long. Longer than
    # any job should run; a redelivery of a job already claimed is a no-op anyway.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "7200"))}
else:
    _queue_dir = VAR_DIR / "celery" / "queue"
    _control_dir = VAR_DIR / "celery" / "control"
    # A host name the transport ignores, so kombu does not warn "No hostname was supplied".
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_control_dir),
    }

# Jobs (core.jobs): a running job whose heartbeat is older than the timeout is
# taken as lost (its worker died) by the sweeper; the runner beats every interval.
# A queued job dispatched this long ago without starting is sent again.
JOB_HEARTBEAT_TIMEOUT_SECONDS = int(os.environ.get("JOB_HEARTBEAT_TIMEOUT_SECONDS", "300"))
JOB_HEARTBEAT_INTERVAL_SECONDS = int(os.environ.get("JOB_HEARTBEAT_INTERVAL_SECONDS", "30"))
JOB_REDISPATCH_AFTER_SECONDS = int(os.environ.get("JOB_REDISPATCH_AFTER_SECONDS", "900"))
# An idempotent job lost this many times is marked failed instead of retried.
JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "3"))
# Customer ids per range of a segment recompute: each range is one job of each
# phase, spread over the Celery workers (segmentation/fanout.py).
SEGMENT_RECOMPUTE_RANGE_IDS = int(os.environ.get("SEGMENT_RECOMPUTE_RANGE_IDS", "250000"))
# The recompute's own worker runs queued ranges while it waits (off: it only waits).
SEGMENT_RECOMPUTE_PARENT_RUNS_RANGES = os.environ.get("SEGMENT_RECOMPUTE_PARENT_RUNS_RANGES", "1") == "1"
# Outbox of e-mail and SMS (core.outbox): back-off between attempts doubles up to the maximum.
OUTBOX_RETRY_BASE_SECONDS = int(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "60"))
OUTBOX_RETRY_MAX_SECONDS = int(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", "3600"))
# Text messages (core.sms; README, Configuration): the backend like EMAIL_BACKEND, the
# HTTP gateway's address, keys, signature name and template codes per message kind,
# and the language the texts are written in (the customers' language).
SMS_BACKEND = os.environ.get("SMS_BACKEND", "core.sms.ConsoleBackend")
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_ACCESS_KEY = os.environ.get("SMS_ACCESS_KEY", "")
SMS_SECRET = os.environ.get("SMS_SECRET", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
SMS_TIMEOUT = int(os.environ.get("SMS_TIMEOUT", "10"))
SMS_TEMPLATE_TICKET_RESOLVED = os.environ.get("SMS_TEMPLATE_TICKET_RESOLVED", "")
SMS_TEMPLATE_TICKET_COMMITTED = os.environ.get("SMS_TEMPLATE_TICKET_COMMITTED", "")
SMS_LANGUAGE = os.environ.get("SMS_LANGUAGE", "zh-hans")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line carries the id of the request it was written in (core.errors), the id a 500 answer shows.
    "filters": {"request_id": {"()": "core.errors.RequestIdLogFilter"}},
    "formatters": {"default": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": "default"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own console handler would print every line a second time via the root logger.
    "loggers": {"django": {"handlers": [], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": True}},
}

# Imports (crm.importing): the largest file accepted; uploads are kept in memory
# while the request lasts (never in a temporary file in clear) and then stored
# encrypted in the database for the worker.
CRM_IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("CRM_IMPORT_MAX_UPLOAD_MB", "200")) * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = CRM_IMPORT_MAX_UPLOAD_BYTES + 1024 * 1024

# feedback: a theme raised by at least this many customers in a month is shared (共性), otherwise individual (个性).
FEEDBACK_SHARED_MIN_CUSTOMERS = int(os.environ.get("FEEDBACK_SHARED_MIN_CUSTOMERS", "3"))
