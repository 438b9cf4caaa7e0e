import pytest


@pytest.fixture(autouse=True)
def feedback_defaults(request):
    """The default theme dictionary for every database test: a transactional test
    elsewhere in the run may have flushed the migration's rows."""
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            from feedback.defaults import ensure_defaults

            ensure_defaults()
            return
