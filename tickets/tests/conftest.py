import pytest


@pytest.fixture
def frozen(monkeypatch, now):
    """Views and API read the clock once per request: pin it to ``now`` (movable)."""
    state = {"now": now}
    monkeypatch.setattr("django.utils.timezone.now", lambda: state["now"])

    class Clock:
        def set(self, value):
            state["now"] = value

        @property
        def now(self):
            return state["now"]

    return Clock()



@pytest.fixture(autouse=True)
def ticket_defaults(request):
    """Default departments/routing/policies for every database test: a transactional
    test elsewhere in the run may have flushed the migration's data."""
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            from tickets.defaults import ensure_defaults

            ensure_defaults()
            return
