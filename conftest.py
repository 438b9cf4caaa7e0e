"""Named users shared by every app's tests.

alice and bob are account managers in team North; charlie manages team South;
lena leads North; sam is support; ada is an admin."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.roles import Role
from crm.models import Customer, Team, User

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def north(db) -> Team:
    return Team.objects.create(name="North")


@pytest.fixture
def south(db) -> Team:
    return Team.objects.create(name="South")


def _user(username: str, role: str, team: Team | None) -> User:
    user = User(username=username, role=role, team=team, email=f"{username}@example.com",
                is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
    user.set_password("pw-" + username + "-123")
    user.save()
    return user


@pytest.fixture
def alice(north) -> User:
    return _user("alice", Role.ACCOUNT_MANAGER, north)


@pytest.fixture
def bob(north) -> User:
    return _user("bob", Role.ACCOUNT_MANAGER, north)


@pytest.fixture
def charlie(south) -> User:
    return _user("charlie", Role.ACCOUNT_MANAGER, south)


@pytest.fixture
def lena(north) -> User:
    return _user("lena", Role.TEAM_LEAD, north)


@pytest.fixture
def sam(db) -> User:
    return _user("sam", Role.SUPPORT, None)


@pytest.fixture
def ada(db) -> User:
    return _user("ada", Role.ADMIN, None)


@pytest.fixture
def make_customer(db):
    def make(*, owner: User | None = None, name: str = "Acme", **fields) -> Customer:
        fields.setdefault("created_at", NOW - dt.timedelta(days=400))
        team = fields.pop("team", owner.team if owner else None)
        return Customer.objects.create(name=name, owner=owner, team=team, **fields)

    return make


@pytest.fixture
def api_client_for():
    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture(autouse=True)
def _reset_language():
    """A request in Chinese leaves zh-hans active in this thread (LocaleMiddleware never
    deactivates); without this, a later test (or its worker) would speak Chinese."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def celery_worker_real(transactional_db):
    """A real Celery worker (in a thread) consuming the configured broker:
    Redis when REDIS_URL is set, else the filesystem transport."""
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20, loglevel="WARNING"):
        yield app


def wait_until(predicate, *, timeout: float = 20.0, interval: float = 0.05):
    """Poll until ``predicate()`` is true (waiting on a worker, not on a clock rule).

    On the in-memory SQLite test database (one shared cache for every thread,
    whose table locks do not wait) a read while the worker thread writes that
    table fails with "database table is locked": that means "not yet", so it is
    polled again; a dirty read would instead let the test act on a transaction
    the worker has not committed."""
    import time

    from django.db import OperationalError

    def check():
        try:
            return predicate()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return False

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())
