from __future__ import annotations

from django.db import models

from core import crypto


class EncryptedTextField(models.TextField):
    """Text stored encrypted (core.crypto); Python code sees plaintext.

    Blank values are stored as '' so "has a phone" stays queryable. The column
    holds only ciphertext, so it cannot be filtered or sorted by content.
    """

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return crypto.decrypt(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        if value.startswith(crypto.PREFIX):
            # Already sealed (e.g. written by a bulk loader); never double-encrypt.
            return value
        return crypto.encrypt(value)
