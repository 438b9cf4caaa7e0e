"""Field encryption at rest: AES-256-GCM with a random nonce per value.

Ciphertext format: ``v1:<base64(nonce + ciphertext + tag)>``. The key comes from
``settings.FIELD_ENCRYPTION_KEY`` (any string; it is stretched with SHA-256).
Several keys may be given separated by commas: the first encrypts, all decrypt,
so a key can be rotated without rewriting every row at once.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1:"


@lru_cache(maxsize=8)
def _ciphers(raw: str) -> tuple[AESGCM, ...]:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty: personal fields cannot be encrypted.")
    return tuple(AESGCM(hashlib.sha256(k.encode()).digest()) for k in keys)


def _keys() -> tuple[AESGCM, ...]:
    return _ciphers(settings.FIELD_ENCRYPTION_KEY)


def encrypt(plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = _keys()[0].encrypt(nonce, plaintext.encode("utf-8"), None)
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("value is not encrypted by this application")
    blob = base64.b64decode(token[len(PREFIX):])
    nonce, sealed = blob[:12], blob[12:]
    for cipher in _keys():
        try:
            return cipher.decrypt(nonce, sealed, None).decode("utf-8")
        except InvalidTag:
            continue
    raise ValueError("no configured FIELD_ENCRYPTION_KEY can decrypt this value")


def blind_index(value: str) -> str:
    """A keyed hash for equality look-ups (de-duplication) without storing plaintext."""
    key = hashlib.sha256(("index:" + settings.FIELD_ENCRYPTION_KEY.split(",")[0]).encode()).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


BYTES_PREFIX = b"v1"


def encrypt_bytes(data: bytes) -> bytes:
    """Binary counterpart of ``encrypt`` (same keys): b"v1" + nonce + ciphertext + tag."""
    nonce = os.urandom(12)
    return BYTES_PREFIX + nonce + _keys()[0].encrypt(nonce, data, None)


def decrypt_bytes(blob: bytes) -> bytes:
    blob = bytes(blob)
    if not blob.startswith(BYTES_PREFIX):
        raise ValueError("value is not encrypted by this application")
    nonce, sealed = blob[2:14], blob[14:]
    for cipher in _keys():
        try:
            return cipher.decrypt(nonce, sealed, None)
        except InvalidTag:
            continue
    raise ValueError("no configured FIELD_ENCRYPTION_KEY can decrypt this value")
