"""Shared API pieces: pagination, request parsing, the JSON error shape, role permissions."""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from django.db.models import Q
from django.http import Http404
from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, pagination, permissions, routers, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import access
from core.errors import current_request_id
from core.parsers import RequestBodyTooLarge

logger = logging.getLogger("core.api")


class _IntegerIdsMixin:
    """Object ids are integers: ``/things/abc/`` is a 404 at the URL, before a lookup can choke on it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "[0-9]+" if self._use_regex else "int"


class Router(_IntegerIdsMixin, routers.SimpleRouter):
    pass


class DefaultRouter(_IntegerIdsMixin, routers.DefaultRouter):
    pass


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id of a row the caller may choose: ``choices(user)`` is a core.access
    helper (or a scoped selector); the value the object already has stays
    acceptable. Anything else is 400 "not a valid choice" — the same answer
    whether the row is outside the caller's scope or does not exist."""

    default_error_messages = {"does_not_exist": access.NOT_A_VALID_CHOICE}

    def __init__(self, *, model, choices, **kwargs):
        self.choices_for = choices
        kwargs.setdefault("queryset", model._default_manager.none())  # the schema reads the model from it
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        model = self.queryset.model
        if request is None:
            return model._default_manager.none()
        qs = self.choices_for(request.user)
        instance = getattr(self.parent, "instance", None)
        current = getattr(instance, f"{self.source}_id", None) if isinstance(instance, models.Model) else None
        if current is not None:
            qs = model._default_manager.filter(Q(pk__in=qs.values("pk")) | Q(pk=current))
        return qs


class CursorPagination(pagination.CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        # A forged cursor carries a position of the wrong type for the ordering field;
        # the database (or the field) rejects it only when the page is fetched.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError, DataError):
            if request.query_params.get(self.cursor_query_param):
                raise exceptions.NotFound(self.invalid_cursor_message) from None
            raise


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, minus its cost on a request that filters nothing: a FilterSet deep-copies
    its filters and builds and validates a form on every request, ~a tenth of a first page's time. With
    no query parameter but the pagination's, every filter gets an empty value and returns the QuerySet
    unchanged, so the QuerySet is returned as it is (unless the FilterSet changes ``qs`` or
    ``filter_queryset``, whose extra work may not depend on the parameters)."""

    UNFILTERED_PARAMS = frozenset({"cursor", "page_size"})

    def filter_queryset(self, request, queryset, view):
        if set(request.query_params) <= self.UNFILTERED_PARAMS:
            filterset_class = self.get_filterset_class(view, queryset)
            if filterset_class is None or (filterset_class.qs is FilterSet.qs
                                           and filterset_class.filter_queryset is FilterSet.filter_queryset):
                return queryset
        return super().filter_queryset(request, queryset, view)


def exception_handler(exc, context):
    """Every error is JSON: ``{"detail": ...}`` or ``{"field": ["message"]}``. An unexpected
    exception is logged with its traceback and answered 500 with the request id, never a trace."""
    if isinstance(exc, RequestDataTooBig):
        exc = RequestBodyTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError({"non_field_errors": ["This change conflicts with existing data."]})
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        request_id = getattr(request, "request_id", None) or current_request_id()
        logger.error("Unhandled exception in %s %s (request id %s)", getattr(request, "method", "-"),
                     getattr(request, "path", "-"), request_id, exc_info=(type(exc), exc, exc.__traceback__))
        response = Response({"detail": "Internal error.", "request_id": request_id}, status=500)
        # Django's request logger would add a second line without the traceback.
        response._has_been_logged = True
        return response
    if isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response


class IsAdminRole(permissions.BasePermission):
    def has_permission(self, request, view):
        return access.is_admin(request.user)


class CanManageProductsOrReadOnly(permissions.BasePermission):
    """Everyone signed in reads the catalogue; admins change it (core.access.can_manage_products)."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in permissions.SAFE_METHODS or access.can_manage_products(request.user)


class CanEditCustomersOrReadOnly(permissions.BasePermission):
    """Support reads customers (masked) but does not change them."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in permissions.SAFE_METHODS or access.can_edit_customers(request.user)


class PersonalDataSerializerMixin:
    """Masks ``personal_fields`` unless the request's user may read them; records
    each unmasked object in ``context['revealed_ids']`` for the audit log."""

    personal_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        from core.masking import mask

        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and access.can_see_personal_data(user):
            if any(data.get(f) for f in self.personal_fields):
                revealed = self.context.setdefault("revealed_ids", set())
                revealed.add(instance.pk)
            return data
        for field in self.personal_fields:
            if field in data:
                data[field] = mask(field, data[field])
        return data


class PersonalDataAuditViewMixin:
    """Writes the audit rows for what a response revealed (after the response is built)."""

    audit_object_type = ""

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("revealed_ids", set())
        self._audit_context = context
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        context = getattr(self, "_audit_context", None)
        if context and context.get("revealed_ids") and 200 <= response.status_code < 300:
            from django.utils import timezone

            from core.services import audit_reveal_record

            serializer_class = self.get_serializer_class()
            audit_reveal_record(user=request.user, object_type=self.audit_object_type,
                                object_ids=sorted(context["revealed_ids"]),
                                fields=getattr(serializer_class, "personal_fields", ()), channel="api",
                                now=timezone.now())
        return response

