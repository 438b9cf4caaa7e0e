"""Links that leave the site (e-mails) need its public address: settings.SITE_URL."""
from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` ("/s/abc/") under SITE_URL; an empty path stays empty, a full URL is kept."""
    if not path or "://" in path:
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")
