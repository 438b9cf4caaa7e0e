from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect

from core import throttle


def apply_service_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError beside the fields it names; the rest on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def save_or_show_errors(request, form: forms.Form, save: Callable[[], Any], *,
                        then: str | Callable[[Any], HttpResponse], success: str = "") -> HttpResponse | None:
    """The step of a form view after ``form.is_valid()``: call the service (``save()``).
    Its ValidationError goes beside the fields it names and the answer is None (the
    view renders the form again); otherwise ``success`` is flashed and the answer is
    the redirect to ``then`` (a URL name, or a function of what ``save`` returned)."""
    try:
        saved = save()
    except ValidationError as error:
        apply_service_error(form, error)
        return None
    if success:
        messages.success(request, success)
    return then(saved) if callable(then) else redirect(then)


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form; django-axes (core.throttle) refuses the password check while the
    username is locked at this address, and the form then says when to try again."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if self.request is not None and throttle.login_is_locked(self.request):
                _seconds, message = throttle.login_retry(self.request, {"username": self.data.get("username")})
                raise forms.ValidationError(message, code="locked") from None
            raise
