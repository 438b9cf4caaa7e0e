"""REST API of the integrations app: the mail-relay intake and webhooks (admin).
Parse, call a service or selector, render."""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, parsers, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.response import Response
from rest_framework.views import APIView

from core import access
from core.api import IsAdminRole
from core.parsers import RequestBodyTooLarge
from integrations import selectors, services
from integrations.models import WEBHOOK_EVENTS, InboundEmail, Webhook, WebhookAttempt, WebhookDelivery


class Rfc822Parser(parsers.BaseParser):
    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = settings.INBOUND_EMAIL_MAX_BYTES
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:  # also for chunked bodies, which give no Content-Length
            raise RequestBodyTooLarge(f"The message is larger than {limit} bytes.")
        return data


class RawOctetsParser(Rfc822Parser):
    """The same raw message from a relay that labels it application/octet-stream."""

    media_type = "application/octet-stream"


RAW_MEDIA_TYPES = (Rfc822Parser.media_type, RawOctetsParser.media_type)


class CanReceiveInboundEmail(permissions.BasePermission):
    """Admins, and integration users holding integrations.receive_inbound_email."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user.is_authenticated and (access.is_admin(user) or user.has_perm("integrations.receive_inbound_email")))


class InboundEmailSerializer(serializers.ModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number", read_only=True, allow_null=True)

    class Meta:
        model = InboundEmail
        fields = ["id", "message_id", "status", "subject", "received_at", "ticket", "ticket_number", "error"]
        read_only_fields = fields


class InboundEmailListSerializer(InboundEmailSerializer):
    class Meta(InboundEmailSerializer.Meta):
        fields = ["id", "source", "mailbox", "message_id", "status", "from_name", "subject", "received_at",
                  "ticket", "ticket_number", "error", "handled_by", "handled_at"]
        read_only_fields = fields


class CanTriage(permissions.BasePermission):
    def has_permission(self, request, view):
        return selectors.can_triage(request.user)


class InboundEmailViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every received message with what became of it (support and admins):
    ``?status=triage`` is the triage list, ``?status=failed`` the messages that could not be read."""

    serializer_class = InboundEmailListSerializer
    permission_classes = [CanTriage]
    filterset_fields = ["status", "source", "mailbox"]
    ordering_fields = ["received_at", "id"]

    def get_queryset(self):
        return selectors.inbound_email_list_for_user(user=self.request.user)


class InboundEmailView(APIView):
    """``POST`` one raw RFC 822 message (``Content-Type: message/rfc822``, or
    ``application/octet-stream``) from a mail relay. 201 with what became of it; 200 with the earlier result when the same
    Message-ID was received before; 413 over INBOUND_EMAIL_MAX_BYTES."""

    permission_classes = [CanReceiveInboundEmail]
    parser_classes = [Rfc822Parser, RawOctetsParser]

    @extend_schema(request={t: OpenApiTypes.BINARY for t in RAW_MEDIA_TYPES},
                   responses={200: InboundEmailSerializer, 201: InboundEmailSerializer})
    def post(self, request):
        if request.content_type.split(";")[0].strip().lower() not in RAW_MEDIA_TYPES:
            raise UnsupportedMediaType(request.content_type)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.INBOUND_EMAIL_MAX_BYTES:
            return Response({"detail": f"The message is larger than {settings.INBOUND_EMAIL_MAX_BYTES} bytes."},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        raw = request.data if isinstance(request.data, bytes) else b""
        email, created = services.inbound_receive(raw=raw, source=InboundEmail.Source.API, now=timezone.now(),
                                                  actor=request.user)
        return Response(InboundEmailSerializer(email).data, status=201 if created else 200)


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), allow_empty=False)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200,
                                   help_text="Blank on create: one is generated. Returned once, in the create response.")

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "secret", "active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "ok", "error", "duration_ms"]


class DeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "status", "attempts", "last_status_code", "created_at", "next_attempt_at",
                  "finished_at", "attempt_log"]
        read_only_fields = fields


class WebhookViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Webhooks (admins only; 404 for anyone else's id). The secret is write-only:
    shown once in the create response."""

    serializer_class = WebhookSerializer
    permission_classes = [IsAdminRole]
    filterset_fields = ["active"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        return selectors.webhook_list_for_user(user=self.request.user)

    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request, *args, **kwargs):
        s = WebhookSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        hook, secret = services.webhook_create(actor=request.user, now=timezone.now(), **s.validated_data)
        hook.secret = secret
        return Response(WebhookCreatedSerializer(hook).data, status=201)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_update(webhook=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.webhook_delete(webhook=instance)

    @extend_schema(responses={200: DeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        hook = self.get_object()
        page = self.paginate_queryset(selectors.webhook_deliveries(webhook=hook))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery>[0-9a-fA-F-]{36})/redeliver")
    def redeliver(self, request, pk=None, delivery=None):
        hook = self.get_object()
        found = selectors.webhook_delivery_get(webhook=hook, uuid=delivery)
        found = services.webhook_delivery_redeliver(delivery=found, now=timezone.now())
        return Response(DeliverySerializer(found).data, status=202)
