"""Login throttling shared by the web login and the API token endpoint, on django-axes
with its database handler (no cache: signing in works while Redis is down).

Failures count per username and client address together (LOGIN_THROTTLE_ATTEMPTS);
an address alone is locked only after LOGIN_THROTTLE_ADDRESS_ATTEMPTS, far more, so
failures for made-up names cannot lock out everyone behind a shared address. A lock
lasts LOGIN_THROTTLE_WINDOW_SECONDS after the last counted failure; a success clears
that username's failures at that address. The settings are wired in config/settings/base.py."""
from __future__ import annotations

import datetime as dt
import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _


def failure_limit(request=None, credentials=None) -> int:
    return settings.LOGIN_THROTTLE_ATTEMPTS


def cool_off(request=None) -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def _networks() -> list:
    return [ipaddress.ip_network(p, strict=False) for p in settings.LOGIN_TRUSTED_PROXIES]


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def client_address(request) -> str | None:
    """REMOTE_ADDR; behind a trusted proxy, the right-most X-Forwarded-For entry that is not
    itself a trusted proxy (entries left of it were written by the client and prove nothing)."""
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    proxies = _networks()

    def trusted(addr) -> bool:
        return any(addr in net for net in proxies)

    if remote is not None and trusted(remote):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for entry in reversed(forwarded.split(",")):
            addr = _parse(entry)
            if addr is None:
                break
            if not trusted(addr):
                return str(addr)
    return str(remote) if remote is not None else None


def attempted_username(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: the typed username, cut to what AccessAttempt.username holds."""
    username = (credentials or {}).get("username") if credentials else getattr(request, "POST", {}).get("username")
    return username[:255] if isinstance(username, str) else None


class LoginAttemptHandler(AxesDatabaseHandler):
    """AXES_LOCKOUT_PARAMETERS is ``[[username, ip_address], ip_address]``: the first counts
    against LOGIN_THROTTLE_ATTEMPTS, the second against the higher address limit."""

    def _counts(self, request, credentials) -> tuple[int, int]:
        by_user_and_address, by_address = self.get_user_attempts(request, credentials)
        total = Sum("failures_since_start")
        return (by_user_and_address.aggregate(n=total)["n"] or 0, by_address.aggregate(n=total)["n"] or 0)

    def get_failures(self, request, credentials=None) -> int:
        by_user_and_address, by_address = self._counts(request, credentials)
        if by_address >= settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS:
            return max(by_user_and_address, settings.LOGIN_THROTTLE_ATTEMPTS)
        return by_user_and_address

    def reset_user_attempts(self, request, credentials=None) -> int:
        # Only this username at this address: other names' failures from a shared address still count.
        count, _ = self.filter_user_attempts(request, credentials)[0].delete()
        return count

    def locked_until(self, request, credentials=None) -> dt.datetime:
        by_user_and_address, by_address = self.get_user_attempts(request, credentials)
        _, address_failures = self._counts(request, credentials)
        attempts = by_address if address_failures >= settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS else by_user_and_address
        last = attempts.aggregate(last=Max("attempt_time"))["last"] or request.axes_attempt_time
        return last + cool_off(request)


class LoginThrottleBackend(AxesStandaloneBackend):
    """First of AUTHENTICATION_BACKENDS. A check without a request (a management command,
    a script) is no client's login attempt and is not throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _handler() -> LoginAttemptHandler:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.get_implementation()


def login_retry(request, credentials=None) -> tuple[int, str]:
    """Seconds until a locked login may be tried again, and the sentence that says so."""
    now = request.axes_attempt_time
    until = _handler().locked_until(request, credentials)
    seconds = max(1, math.ceil((until - now).total_seconds()))
    message = _("Too many failed attempts. Try again in %(minutes)s min (after %(time)s).") % {
        "minutes": math.ceil(seconds / 60),
        "time": formats.time_format(timezone.localtime(until), "H:i"),
    }
    return seconds, message


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page or token endpoint has already answered with the
    lock message (core.forms, crm.api.TokenView); mark it 429 and say when to come back."""
    seconds, message = login_retry(request, credentials)
    if original_response is None:
        from django.http import HttpResponse

        original_response = HttpResponse(message, content_type="text/plain; charset=utf-8")
    original_response.status_code = 429
    original_response["Retry-After"] = str(seconds)
    return original_response


def login_is_locked(request) -> bool:
    return bool(getattr(request, "axes_locked_out", False))

