"""Production: every secret must come from the environment; a missing one stops start-up."""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Production settings need it; see README.md (Configuration)."
        )
    return value


SECRET_KEY = _required("SECRET_KEY")
FIELD_ENCRYPTION_KEY = _required("FIELD_ENCRYPTION_KEY")
_required("DATABASE_URL")
SITE_URL = _required("SITE_URL").rstrip("/")
DEBUG = False
SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "true").lower() == "true"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
