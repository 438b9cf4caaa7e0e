"""REST API of tickets: CRUD, the workflow actions and SLA breaches. Parse, call a
service or selector, render."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core import access
from core.api import PersonalDataAuditViewMixin, PersonalDataSerializerMixin, ScopedPrimaryKeyField
from core.api_fields import PeriodDateField
from crm.models import Customer, User
from tickets import selectors, services
from tickets.filters import SlaBreachFilter, TicketFilter
from tickets.models import Department, SlaBreach, Ticket, TicketMessage


class TicketCustomerSerializer(PersonalDataSerializerMixin, serializers.ModelSerializer):
    personal_fields = ("phone", "email")

    class Meta:
        model = Customer
        fields = ["id", "name", "phone", "email"]


class SlaSerializer(serializers.Serializer):
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    first_response_breached = serializers.BooleanField()
    commitment_due_at = serializers.DateTimeField(allow_null=True)
    commitment_breached = serializers.BooleanField()
    next_update_due_at = serializers.DateTimeField(allow_null=True)
    update_breached = serializers.BooleanField()
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    resolution_breached = serializers.BooleanField()
    paused = serializers.BooleanField()
    next_due_at = serializers.DateTimeField(allow_null=True)


class TicketListSerializer(serializers.ListSerializer):
    """A page of tickets: the SLA clocks of all rows evaluated in one pass first."""

    def to_representation(self, data):
        tickets = list(data.all() if hasattr(data, "all") else data)
        now = self.context.get("now") or timezone.now()
        self.child.context["sla_states"] = selectors.ticket_sla_states(tickets=tickets, now=now)
        return super().to_representation(tickets)


_SLA_FIELDS = SlaSerializer()  # one instance: its fields are bound once, not per row


class TicketSerializer(serializers.ModelSerializer):
    # Field names the audit log records when the nested customer is shown unmasked.
    personal_fields = ("phone", "email")
    customer = TicketCustomerSerializer(read_only=True)
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "number", "customer", "subject", "description", "category", "is_complaint", "urgency",
                  "channel", "status", "department", "assignee", "created_by", "created_at", "updated_at",
                  "first_response_at", "committed_at", "committed_resolution_at", "resolved_at", "resolution",
                  "closed_at", "satisfaction", "feedback", "is_repeat", "repeat_of", "escalation_level", "version",
                  "sla"]
        read_only_fields = fields
        list_serializer_class = TicketListSerializer

    @extend_schema_field(SlaSerializer)
    def get_sla(self, ticket: Ticket) -> dict:
        # Uses the prefetched event log: no query per row.
        state = self.context.get("sla_states", {}).get(ticket.pk)
        if state is None:
            state = selectors.ticket_sla_state(ticket=ticket, now=self.context.get("now") or timezone.now())
        return _SLA_FIELDS.to_representation(state.to_api())


def _readable_customers(user):
    return Customer.objects.for_user(user)


class Assignee(ScopedPrimaryKeyField):
    """Someone the caller may give a ticket to (core.access.ticket_assignees_for)."""

    def __init__(self, **kwargs):
        super().__init__(model=User, choices=access.ticket_assignees_for, **kwargs)


class TicketCreateSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyField(model=Customer, choices=_readable_customers)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Ticket._meta.get_field("category").choices, default="other")
    urgency = serializers.ChoiceField(choices=Ticket._meta.get_field("urgency").choices, default="normal")
    channel = serializers.ChoiceField(choices=Ticket._meta.get_field("channel").choices, default="phone")
    is_complaint = serializers.BooleanField(required=False, default=False)
    assignee = Assignee(required=False, allow_null=True)
    created_at = serializers.DateTimeField(required=False,
                                           help_text="Historical creation time: admins and integration users only.")


class TicketUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Ticket._meta.get_field("category").choices, required=False)
    urgency = serializers.ChoiceField(choices=Ticket._meta.get_field("urgency").choices, required=False)
    channel = serializers.ChoiceField(choices=Ticket._meta.get_field("channel").choices, required=False)
    is_complaint = serializers.BooleanField(required=False)
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False,
                                                    allow_null=True)
    assignee = Assignee(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, help_text="The version you read; a stale one gets 409.")


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="The version you read; a stale one gets 409.")


class ReplySerializer(VersionSerializer):
    body = serializers.CharField()
    public = serializers.BooleanField(default=True)
    from_customer = serializers.BooleanField(default=False, help_text="Logs a message the customer sent.")


class CommitSerializer(VersionSerializer):
    committed_resolution_at = serializers.DateTimeField()


class ResolveSerializer(VersionSerializer):
    resolution = serializers.CharField(required=False, allow_blank=True, default="")


class CloseSerializer(VersionSerializer):
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    feedback = serializers.CharField(required=False, allow_blank=True, default="")


class ReopenSerializer(VersionSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(VersionSerializer):
    assignee = Assignee(allow_null=True)
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False)


class TicketMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketMessage
        fields = ["id", "ticket", "author", "from_customer", "public", "body", "created_at"]


class FeedbackPriorityQuerySerializer(serializers.Serializer):
    as_of = PeriodDateField(required=False, help_text="Day of the figures (default: today, local time).")
    window_days = serializers.IntegerField(required=False, default=90, min_value=1, max_value=366,
                                           help_text="Tickets created in this many days up to as_of count too.")


class FeedbackPriorityRowSerializer(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    open = serializers.IntegerField(help_text="Open tickets of the category.")
    tickets = serializers.IntegerField(help_text="Tickets counted: open, or created in the window.")
    customers = serializers.IntegerField(help_text="Distinct affected customers.")
    value = serializers.DecimalField(max_digits=16, decimal_places=2,
                                     help_text="Affected contract value (CNY): the customers' purchases − refunds "
                                               "in the 365 days up to as_of.")
    score = serializers.FloatField(help_text="0–100: 50 × customers ÷ max customers + 50 × value ÷ max value.")


class FeedbackPrioritySerializer(serializers.Serializer):
    as_of = serializers.DateField()
    window_days = serializers.IntegerField()
    results = FeedbackPriorityRowSerializer(many=True)


def _conflict(exc: services.TicketConflict) -> Response:
    return Response({"detail": str(exc), "version": exc.current_version}, status=status.HTTP_409_CONFLICT)


class TicketViewSet(PersonalDataAuditViewMixin, viewsets.ModelViewSet):
    """Tickets of the customers the caller may read (404 for any other id).
    Everyone in scope works tickets; only admins delete them."""

    serializer_class = TicketSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = TicketFilter
    ordering_fields = ["created_at", "sla_due_at", "escalation_level", "urgency", "id"]
    search_fields = ["number", "subject"]
    audit_object_type = "crm.customer"

    def get_queryset(self):
        return selectors.ticket_list_for_user(user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("now", timezone.now())
        return context

    def _render(self, ticket: Ticket, *, code: int = 200) -> Response:
        fresh = selectors.ticket_get_for_user(user=self.request.user, pk=ticket.pk)
        return Response(TicketSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _input(self, serializer_class):
        s = serializer_class(data=self.request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        return dict(s.validated_data)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        data = self._input(TicketCreateSerializer)
        ticket = services.ticket_create(actor=request.user, now=timezone.now(), **data)
        return self._render(ticket, code=201)

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketSerializer, 409: None})
    def update(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self._input(TicketUpdateSerializer)
        version = data.pop("version", None)
        try:
            services.ticket_update(ticket=ticket, actor=request.user, data=data, now=timezone.now(), version=version)
        except services.TicketConflict as exc:
            return _conflict(exc)
        return self._render(ticket)

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketSerializer, 409: None})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        ticket = self.get_object()
        if not access.is_admin(request.user):
            raise PermissionDenied("Only an admin may delete tickets.")
        services.ticket_delete(ticket=ticket, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _act(self, serializer_class, service, **extra):
        ticket = self.get_object()
        data = self._input(serializer_class)
        try:
            result = service(ticket=ticket, actor=self.request.user, now=timezone.now(), **extra, **data)
        except services.TicketConflict as exc:
            return _conflict(exc)
        return result, ticket

    @extend_schema(request=ReplySerializer, responses={201: TicketMessageSerializer, 409: None})
    @action(detail=True, methods=["get", "post"])
    def replies(self, request, pk=None):
        if request.method == "GET":
            ticket = self.get_object()
            messages = selectors.ticket_messages(ticket=ticket)
            return Response(TicketMessageSerializer(messages, many=True).data)
        out = self._act(ReplySerializer, services.ticket_reply)
        if isinstance(out, Response):
            return out
        message, _ticket = out
        return Response(TicketMessageSerializer(message).data, status=201)

    def _transition(self, serializer_class, service):
        out = self._act(serializer_class, service)
        return out if isinstance(out, Response) else self._render(out[1])

    @extend_schema(request=CommitSerializer, responses={200: TicketSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        return self._transition(CommitSerializer, services.ticket_commit)

    @extend_schema(request=VersionSerializer, responses={200: TicketSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def wait(self, request, pk=None):
        return self._transition(VersionSerializer, services.ticket_wait)

    @extend_schema(request=VersionSerializer, responses={200: TicketSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._transition(VersionSerializer, services.ticket_resume)

    @extend_schema(request=ResolveSerializer, responses={200: TicketSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._transition(ResolveSerializer, services.ticket_resolve)

    @extend_schema(request=CloseSerializer, responses={200: TicketSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._transition(CloseSerializer, services.ticket_close)

    @extend_schema(request=ReopenSerializer, responses={200: TicketSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._transition(ReopenSerializer, services.ticket_reopen)

    @extend_schema(request=AssignSerializer, responses={200: TicketSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._transition(AssignSerializer, services.ticket_assign)


    @extend_schema(
        summary="Feedback priority by category",
        description="Per ticket category over the caller's tickets (open, or created in the last window_days days): "
                    "open tickets, distinct affected customers, their contract value and a 0–100 priority score; "
                    "most important first.",
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="Day of the figures (default: today)."),
                    OpenApiParameter("window_days", OpenApiTypes.INT, description="Window in days (1–366, default 90).")],
        responses={200: FeedbackPrioritySerializer})
    @action(detail=False, methods=["get"], url_path="feedback-priority", filter_backends=[], pagination_class=None)
    def feedback_priority(self, request):
        params = FeedbackPriorityQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        as_of = params.validated_data.get("as_of") or timezone.localdate(timezone.now())
        window_days = params.validated_data["window_days"]
        rows = selectors.feedback_priority(user=request.user, as_of=as_of, window_days=window_days)
        return Response(FeedbackPrioritySerializer({"as_of": as_of, "window_days": window_days, "results": rows}).data)


class SlaBreachSerializer(serializers.ModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    department = serializers.IntegerField(source="ticket.department_id", read_only=True, allow_null=True)
    assignee = serializers.IntegerField(source="ticket.assignee_id", read_only=True, allow_null=True)

    class Meta:
        model = SlaBreach
        fields = ["id", "ticket", "ticket_number", "clock", "due_at", "recorded_at", "department", "assignee"]


class SlaBreachViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Recorded SLA breaches of the tickets in the caller's scope, newest first."""

    serializer_class = SlaBreachSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = SlaBreachFilter
    ordering_fields = ["recorded_at", "due_at", "id"]

    def get_queryset(self):
        return selectors.sla_breach_list_for_user(user=self.request.user)
