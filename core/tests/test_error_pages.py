"""Production (DEBUG off): 403, 404, 500 and a failed CSRF check answer with the
site's own pages, in the reader's language."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db


def _forbidden(request):
    raise PermissionDenied


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [path("forbidden/", _forbidden), path("broken/", _broken), path("", include("config.urls"))]


@pytest.fixture
def site(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.mark.parametrize("lang, url, status, text", [
    ("en", "/no-such-page/", 404, "Page not found"), ("zh-hans", "/no-such-page/", 404, "页面不存在"),
    ("en", "/forbidden/", 403, "Not allowed"), ("zh-hans", "/forbidden/", 403, "无权操作"),
    ("en", "/broken/", 500, "Something went wrong"), ("zh-hans", "/broken/", 500, "出错了"),
])
def test_error_pages_are_the_sites_own_in_the_readers_language(site, alice, lang, url, status, text):
    client = Client(HTTP_ACCEPT_LANGUAGE=lang, raise_request_exception=False)
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert text in html and "Traceback" not in html and "Django" not in html


@pytest.mark.parametrize("lang, text", [("en", "Your session has expired"), ("zh-hans", "会话已过期")])
def test_a_failed_csrf_check_explains_itself_in_the_readers_language(site, lang, text):
    client = Client(HTTP_ACCEPT_LANGUAGE=lang, enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert text in html and "CSRF verification failed" not in html
