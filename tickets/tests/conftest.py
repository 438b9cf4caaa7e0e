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
