"""Tests: the embedded default unless DATABASE_URL / REDIS_URL point at real servers."""
import os as _os_env
from urllib.parse import urlsplit as _urlsplit

# Under pytest-xdist (bin/test -n 2) each worker process gets its own Redis
# database, as pytest-django gives it its own test database: one worker's
# cache.clear() or broker purge must not reach the other's tests. Set before
# the base settings read REDIS_URL, so a worker or server a test starts in a
# subprocess inherits the same one.
# Once per worker: a subprocess given a REDIS_URL of its own (a test's own redis-server)
# inherits the marker and keeps that URL as given.
_xdist = _os_env.environ.get("PYTEST_XDIST_WORKER", "")
if (_xdist.startswith("gw") and _os_env.environ.get("REDIS_URL")
        and not _os_env.environ.get("CRM_TEST_REDIS_PER_WORKER")):
    # Counted from the database the URL names (CI: /0 → /1, /2), so two runs on one machine given
    # different ones (a developer's suite beside CI's) do not share a worker's broker and cache.
    _parts = _urlsplit(_os_env.environ["REDIS_URL"])
    _base = int(_parts.path.strip("/") or 0)
    _os_env.environ["REDIS_URL"] = _parts._replace(path=f"/{(_base + 1 + int(_xdist[2:])) % 16}").geturl()
    _os_env.environ["CRM_TEST_REDIS_PER_WORKER"] = "1"
from .local import *  # noqa: F401,F403
from .local import DATABASES, REDIS_URL, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "core.sms.LocmemBackend"
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"
# The embedded default's tests use a file (one per run), not the in-memory database:
# a real worker, the live server and the test share it as the app's processes share
# theirs (WAL, waiting locks); the in-memory shared cache fails at once on a lock.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    import os as _os0

    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{_os0.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
    # Deferred, not IMMEDIATE: a test's own rolled-back transaction (the walk's
    # module-wide data set) must not hold the write lock the live server needs.
    DATABASES["default"]["OPTIONS"].pop("transaction_mode", None)
# Webhook tests post to a real server on 127.0.0.1; uploads land in a per-run folder.
WEBHOOK_ALLOW_PRIVATE = True

# Each test run gets its own broker folder, so a real worker started by a test
# never sees messages left by a development server.
import os as _os  # noqa: E402

from .local import CELERY_BROKER_URL, VAR_DIR  # noqa: E402

if CELERY_BROKER_URL.startswith("filesystem://"):
    _q = VAR_DIR / f"celery-test-{_os.getpid()}"
    for _sub in ("queue", "control"):
        (_q / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_q / "queue"),
        "data_folder_out": str(_q / "queue"),
        "control_folder": str(_q / "control"),
    }

import tempfile as _tempfile  # noqa: E402

MEDIA_ROOT = _tempfile.mkdtemp(prefix="crm-test-media-")
