import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()


def _warm_and_freeze() -> None:
    """Import every view, serializer and template tag now (the URL configuration), not on a worker's
    first requests, then move everything loaded so far out of the garbage collector's reach
    (``gc.freeze``): ~200,000 long-lived objects that each full collection would otherwise walk again,
    a spike of several milliseconds in a request every few requests (bench/README.md, "Load").
    Each gunicorn worker imports this module after the fork, so the frozen objects are its own."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URL configuration and every view module
    gc.collect()
    gc.freeze()


_warm_and_freeze()
