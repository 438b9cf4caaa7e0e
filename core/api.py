"""Shared API pieces: pagination, the JSON error shape, role permissions."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, pagination, permissions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import roles


class CursorPagination(pagination.CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """Every error is JSON: ``{"detail": ...}`` or ``{"field": ["message"]}``; never a stack trace."""
    if isinstance(exc, DjangoValidationError):
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
        return Response({"detail": "Internal error."}, status=500)
    if isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response


class IsAdminRole(permissions.BasePermission):
    def has_permission(self, request, view):
        return roles.is_admin(request.user)


class CanEditCustomersOrReadOnly(permissions.BasePermission):
    """Support reads customers (masked) but does not change them."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in permissions.SAFE_METHODS or roles.can_edit_customers(request.user)


class PersonalDataSerializerMixin:
    """Masks ``personal_fields`` unless the request's user may read them; records
    each unmasked object in ``context['revealed_ids']`` for the audit log."""

    personal_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        from core.masking import mask

        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and roles.can_see_personal_data(user):
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
