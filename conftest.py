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


# The named people of every test: username → (role, team fixture or None).
PEOPLE = {
    "alice": (Role.ACCOUNT_MANAGER, "north"),
    "bob": (Role.ACCOUNT_MANAGER, "north"),
    "charlie": (Role.ACCOUNT_MANAGER, "south"),
    "lena": (Role.TEAM_LEAD, "north"),
    "sam": (Role.SUPPORT, None),
    "ada": (Role.ADMIN, None),
}


def _person_fixture(username: str, role: str, team: str | None):
    @pytest.fixture(name=username)
    def person(db, request) -> User:
        return _user(username, role, request.getfixturevalue(team) if team else None)

    return person


for _username, (_role, _team) in PEOPLE.items():
    globals()[_username] = _person_fixture(_username, _role, _team)


@pytest.fixture
def today_is_as_of(monkeypatch):
    """Today, as the outermost callers (pages, tasks) read it from
    ``timezone.localdate()``, is segmentation's AS_OF (in the live server's thread too)."""
    from segmentation.tests.factories import AS_OF, pin_today

    pin_today(monkeypatch, AS_OF)


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
def migration_defaults(request):
    """The rows the data migrations add (ticket departments, routing and SLA policies, the
    default survey, the theme dictionary), for every database test: a transactional test
    flushes the database after itself, so whatever ran before on this process (in any
    order, or on another pytest-xdist worker's share of the files) may have removed them."""
    names = [n for n in ("transactional_db", "db") if n in request.fixturenames]
    if not names and "live_server" in request.fixturenames:
        names = ["transactional_db"]
    marker = request.node.get_closest_marker("django_db")
    if not names and marker is None:
        return
    request.getfixturevalue(names[0] if names else
                            ("transactional_db" if marker.kwargs.get("transaction") else "db"))
    ensure_migration_defaults()


def ensure_migration_defaults() -> None:
    """Write the data migrations' rows where a flush removed them (one cheap look each;
    a flush empties all of a migration's tables at once)."""
    from feedback.models import ThemeEntry
    from surveys import defaults as survey_defaults
    from surveys.models import Survey
    from tickets.models import SlaPolicy

    if not SlaPolicy.objects.exists():
        from tickets.defaults import ensure_defaults as tickets_defaults

        tickets_defaults()
    if not Survey.objects.filter(code=survey_defaults.CODE).exists():
        from surveys.services.builder import survey_default_ensure

        survey_default_ensure(now=timezone.now())
    if not ThemeEntry.objects.filter(team=None).exists():
        from feedback.defaults import ensure_defaults as feedback_defaults

        feedback_defaults()


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


def run_at_once(work, *, times: int = 2, timeout: float = 60.0) -> list:
    """Run ``work()`` in ``times`` threads released together (two workers racing);
    each thread closes its database connections. Returns their results; re-raises
    the first error a thread met."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(times)
    results: list = []
    errors: list[Exception] = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # re-raised below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results
