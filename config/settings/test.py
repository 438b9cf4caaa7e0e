"""Tests: the embedded default unless DATABASE_URL / REDIS_URL point at real servers."""
from .local import *  # noqa: F401,F403
from .local import REDIS_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"
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
