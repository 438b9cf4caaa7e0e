"""Request ids and the error responses outside a DRF view: every request gets an
id (``X-Request-ID``) that each log line written during it carries, so the id in
a 500 answer finds its traceback in the log. Under /api/ the 400/404/413/500
answers are JSON like the API's own errors."""
from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.views import defaults

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# A proxy's id is kept only when it cannot smuggle anything into a log line.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception, template_name="400.html"):
    if isinstance(exception, RequestDataTooBig):
        # Django raises it while reading a form body that is over DATA_UPLOAD_MAX_MEMORY_SIZE.
        return JsonResponse({"detail": "Request body too large."}, status=413)
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def page_not_found(request, exception, template_name="404.html"):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request, template_name="500.html"):
    # django.request has already logged the traceback with this request id.
    request_id = getattr(request, "request_id", current_request_id())
    if _is_api(request):
        return JsonResponse({"detail": "Internal error.", "request_id": request_id}, status=500)
    try:
        body = loader.get_template(template_name).render({"request_id": request_id})
    except Exception:  # a broken template must not hide the original error
        return defaults.server_error(request)
    return HttpResponseServerError(body)
