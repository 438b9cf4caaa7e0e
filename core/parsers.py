"""Request body parsers of the API (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). Kept apart
from core.api because DRF imports them while rest_framework.views is being set up."""
from __future__ import annotations

import io

from django.conf import settings
from rest_framework import exceptions, parsers


class RequestBodyTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body too large."
    default_code = "request_too_large"


class _BoundedReadMixin:
    """Reads at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (DRF reads the raw stream and
    would otherwise take any size, also with chunked bodies that give no length)."""

    def _read_bounded(self, stream) -> bytes:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is None:
            return b""
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestBodyTooLarge()
        return raw


class JSONParser(_BoundedReadMixin, parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = self._read_bounded(stream)
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


class FormParser(_BoundedReadMixin, parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(self._read_bounded(stream)), media_type, parser_context)
