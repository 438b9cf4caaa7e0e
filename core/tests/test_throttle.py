"""Login throttling (django-axes, core.throttle): by username and address together, a
much higher limit for an address alone, reset on success, and no cache involved."""
from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import time

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from core.throttle import client_address

OFFICE = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


def _web_login(client, username, password, address=OFFICE, **extra):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def _token(client, username, password, address=OFFICE):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password},
                       content_type="application/json", REMOTE_ADDR=address)


def test_eight_failures_for_unknown_names_do_not_lock_a_real_user_at_that_address(alice, client):
    for i in range(8):
        assert _web_login(client, f"ghost-{i % 2}", "guess").status_code == 200
    assert _web_login(client, "alice", "pw-alice-123").status_code == 302
    assert _token(client, "alice", "pw-alice-123").status_code == 200


def test_five_failures_lock_alice_at_that_address_and_not_from_another(alice, client):
    for _ in range(4):
        assert _web_login(client, "alice", "wrong").status_code == 200
    fifth = _web_login(client, "alice", "wrong")
    assert fifth.status_code == 429
    locked = _web_login(client, "alice", "pw-alice-123")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 900
    assert "Try again in 15 min" in locked.content.decode()
    assert _token(client, "alice", "pw-alice-123").status_code == 429
    assert _web_login(client, "alice", "pw-alice-123", address=ELSEWHERE).status_code == 302


def test_lock_message_is_in_chinese_for_a_chinese_browser(alice, client):
    for _ in range(5):
        _web_login(client, "alice", "wrong")
    r = _web_login(client, "alice", "pw-alice-123", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 429
    assert "失败次数过多" in r.content.decode()


def test_tries_while_locked_do_not_extend_the_lock(alice, client):
    for _ in range(5):
        _web_login(client, "alice", "wrong")
    first_until = AccessAttempt.objects.get(username="alice").attempt_time
    for _ in range(3):
        _web_login(client, "alice", "wrong")
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.attempt_time == first_until
    assert attempt.failures_since_start == 5


def test_lock_ends_once_the_window_after_the_last_failure_has_passed(alice, client, settings):
    for _ in range(5):
        _web_login(client, "alice", "wrong")
    assert _web_login(client, "alice", "pw-alice-123").status_code == 429
    window = dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - window)
    assert _web_login(client, "alice", "pw-alice-123").status_code == 302


def test_a_success_resets_the_users_count_at_that_address(alice, client):
    for _ in range(4):
        _web_login(client, "alice", "wrong")
    assert _token(client, "alice", "pw-alice-123").status_code == 200
    for _ in range(4):
        assert _web_login(client, "alice", "wrong").status_code == 200
    assert _web_login(client, "alice", "pw-alice-123").status_code == 302


def test_a_success_does_not_clear_other_names_failures_from_the_same_address(alice, client, settings):
    settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS = 6
    for i in range(5):
        _web_login(client, f"ghost-{i}", "guess")
    assert _web_login(client, "alice", "pw-alice-123").status_code == 302
    client.logout()
    assert _web_login(client, "ghost-9", "guess").status_code == 429


def test_an_address_alone_is_locked_only_after_the_much_higher_limit(alice, bob, client, settings):
    settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS = 12
    for i in range(11):
        assert _web_login(client, f"ghost-{i}", "guess").status_code == 200
    assert _web_login(client, "ghost-11", "guess").status_code == 429
    assert _web_login(client, "bob", "pw-bob-123").status_code == 429
    assert _web_login(client, "bob", "pw-bob-123", address=ELSEWHERE).status_code == 302


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(settings):
    rf = RequestFactory()
    request = rf.post("/login/", REMOTE_ADDR=ELSEWHERE, HTTP_X_FORWARDED_FOR="10.9.9.9")
    settings.LOGIN_TRUSTED_PROXIES = []
    assert client_address(request) == ELSEWHERE
    settings.LOGIN_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_address(request) == ELSEWHERE
    behind_proxy = rf.post("/login/", REMOTE_ADDR="127.0.0.1",
                           HTTP_X_FORWARDED_FOR=f"1.2.3.4, {OFFICE}, 10.0.0.5")
    # 1.2.3.4 was written by the client; OFFICE is what the company's proxy saw.
    assert client_address(behind_proxy) == OFFICE


def test_failures_behind_the_trusted_proxy_count_per_real_client(alice, client, settings):
    settings.LOGIN_TRUSTED_PROXIES = ["127.0.0.1"]
    for _ in range(5):
        client.post("/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="127.0.0.1",
                    HTTP_X_FORWARDED_FOR=OFFICE)
    assert client.post("/login/", {"username": "alice", "password": "pw-alice-123"}, REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 302


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on a free port (never the shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield proc, port
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)


def test_login_and_token_work_while_redis_is_down(alice, client, settings, own_redis):
    proc, port = own_redis
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    from django.core.cache import cache

    cache.set("probe", 1)
    assert cache.get("probe") == 1
    proc.terminate()
    proc.wait(timeout=10)
    with pytest.raises(Exception):
        cache.get("probe")

    assert _web_login(client, "alice", "wrong").status_code == 200
    assert _web_login(client, "alice", "pw-alice-123").status_code == 302
    assert _token(client, "alice", "pw-alice-123").status_code == 200
