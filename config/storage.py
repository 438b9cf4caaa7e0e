"""Where uploaded files live (inbound e-mail: raw messages and attachments), chosen by
the environment: `FILE_STORAGE=local` (default: `MEDIA_ROOT` on this machine) or
`FILE_STORAGE=s3` (an S3-compatible store through django-storages, so that web and
workers on different machines see the same files). README, "Configuration"."""
from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

LOCAL_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"

# environment variable -> S3Storage option (django-storages' own names, without the AWS_ prefix rule)
S3_OPTIONS = {
    "S3_BUCKET": "bucket_name",
    "S3_ENDPOINT_URL": "endpoint_url",
    "S3_REGION": "region_name",
    "S3_ACCESS_KEY_ID": "access_key",
    "S3_SECRET_ACCESS_KEY": "secret_key",
    "S3_ADDRESSING_STYLE": "addressing_style",
    "S3_LOCATION": "location",
}


def default_storage_from_env(environ: Mapping[str, str]) -> dict:
    """The `STORAGES["default"]` entry the environment asks for."""
    kind = environ.get("FILE_STORAGE", "local").strip().lower() or "local"
    if kind == "local":
        return {"BACKEND": LOCAL_BACKEND}
    if kind != "s3":
        raise ImproperlyConfigured(f"FILE_STORAGE={kind!r}: use 'local' or 's3' (README, Configuration).")
    if not environ.get("S3_BUCKET"):
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET (README, Configuration).")
    options = {option: environ[name] for name, option in S3_OPTIONS.items() if environ.get(name)}
    # Files are private: the app streams them to users it has checked (no public ACL, no
    # public URL); signed URLs only if someone calls .url().
    options.update(default_acl=None, querystring_auth=True, file_overwrite=False)
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}
