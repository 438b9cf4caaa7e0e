"""OPTIONS metadata for the API (its own module: DRF loads it while rest_framework.views
is still importing, so it may not import the rest of core.api)."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request


class Metadata(SimpleMetadata):
    """OPTIONS as DRF describes it, except that an action routed without the
    viewset's lookup argument (``PUT /customers/external/<id>/``) has no object
    to fetch: DRF's own class asserts there, a 500 for any OPTIONS request."""

    def determine_actions(self, request, view):
        actions = {}
        has_lookup = (view.lookup_url_kwarg or view.lookup_field) in getattr(view, "kwargs", {}) \
            if hasattr(view, "lookup_field") else False
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                if hasattr(view, "check_permissions"):
                    view.check_permissions(view.request)
                if method == "PUT" and has_lookup and hasattr(view, "get_object"):
                    view.get_object()
            except (exceptions.APIException, DjangoPermissionDenied, Http404):
                pass
            else:
                actions[method] = self.get_serializer_info(view.get_serializer())
            finally:
                view.request = request
        return actions
