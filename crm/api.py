"""REST API for customers, contacts, transactions, interactions, users and teams.
Parse, call a service or selector, render."""
from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import access, throttle
from core.api import (CanEditCustomersOrReadOnly, CanManageProductsOrReadOnly, FilterBackend, IsAdminRole,
                      PersonalDataAuditViewMixin, PersonalDataSerializerMixin, ScopedPrimaryKeyField)
from core.representation import CachedModelFieldsMixin, FastRepresentationMixin
from crm import api_rows, selectors, services, validation
from crm.filters import ContactFilter, CustomerFilter, CustomerSearchFilter, InteractionFilter, TransactionFilter
from crm.models import Contact, Customer, Interaction, Product, Team, Transaction, TransactionLine, User
from segmentation.api import RfmSerializer
from segmentation.churn.api import ChurnFactorSerializer


def _editable_customers(user):
    return selectors.customer_editable_list_for_user(user=user)


class ScopedCustomerField(ScopedPrimaryKeyField):
    """A customer the caller may edit."""

    def __init__(self, **kwargs):
        super().__init__(model=Customer, choices=_editable_customers, **kwargs)


class PersonField(ScopedPrimaryKeyField):
    """A user the caller may name as owner, staff or next-action owner."""

    def __init__(self, **kwargs):
        super().__init__(model=User, choices=access.assignable_users_for, **kwargs)


def _drf_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.messages)


class SharedDateField(serializers.DateField):
    """Dates read by crm.validation.date_parse: 1990-02-30 is "not a valid date"."""

    def to_internal_value(self, value):
        try:
            return validation.date_parse(value)
        except DjangoValidationError as exc:
            raise _drf_errors(exc) from None


class RulesSerializer(CachedModelFieldsMixin, serializers.ModelSerializer):
    """A model serializer whose field rules are crm.validation's. The view puts
    ``today`` in the context (only the outermost caller reads the clock)."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DateField: SharedDateField}

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.ChoiceField) and not isinstance(field, serializers.MultipleChoiceField):
                # Built when a value is refused (in the language active then), not for every response.
                field.error_messages["invalid_choice"] = _lazy_choice_message(field.choices.items(),
                                                                              placeholder="{input}")
        return fields

    def check_rules(self, attrs: dict, today) -> tuple[dict, dict]:
        return attrs, {}

    def validate(self, attrs):
        attrs = super().validate(attrs)
        data, errors = self.check_rules(attrs, self.context["today"])
        if errors:
            raise serializers.ValidationError(errors)
        return data


_lazy_choice_message = lazy(validation.choice_message, str)


class TodayContextMixin:
    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "09:30"})
class TimeOfDayField(serializers.TimeField):
    """A local time of day, ``HH:MM[:SS]`` without an offset. Documented by its pattern:
    OpenAPI's ``time`` format is RFC 3339's full-time, which requires an offset."""


class CustomerSerializer(PersonalDataSerializerMixin, FastRepresentationMixin, RulesSerializer):
    personal_fields = ("phone", "email", "id_number", "address")
    tags = serializers.ListField(child=serializers.CharField(max_length=50), source="tag_list", required=False)
    owner = PersonField(required=False, allow_null=True)
    team = ScopedPrimaryKeyField(model=Team, choices=access.assignable_teams_for, required=False, allow_null=True)
    # Read-only, from segmentation's latest recompute (null until the first one).
    tier = serializers.CharField(source="segment.tier", read_only=True, allow_null=True)
    tier_reason = serializers.CharField(source="segment.tier_reason_text", read_only=True, allow_null=True)
    rfm = RfmSerializer(source="segment", read_only=True, allow_null=True)
    value_tier = serializers.CharField(source="segment.value_tier", read_only=True, allow_null=True)
    membership_level = serializers.CharField(source="segment.membership_level", read_only=True, allow_null=True)
    health_score = serializers.IntegerField(source="segment.health_score", read_only=True, allow_null=True)
    next_contact_due = serializers.DateField(source="segment.next_contact_due", read_only=True, allow_null=True)
    days_overdue = serializers.IntegerField(source="segment.days_overdue", read_only=True, allow_null=True)
    # Read-only, from the latest churn model (null until the first training).
    contact_window_start = TimeOfDayField(required=False, allow_null=True)
    contact_window_end = TimeOfDayField(required=False, allow_null=True)
    churn_probability = serializers.FloatField(source="churn_score.probability", read_only=True, allow_null=True)
    churn_factors = ChurnFactorSerializer(source="churn_score.factor_texts", many=True, read_only=True,
                                          allow_null=True)
    referred_by = ScopedPrimaryKeyField(model=Customer, choices=selectors.referrer_choices_for, required=False,
                                        allow_null=True)
    points_balance = serializers.SerializerMethodField(
        help_text="The customer's points balance (care points ledger: earned by spend, referral bonuses and "
                  "adjustments, less redemptions); null for support, who do not see money.")

    class Meta:
        model = Customer
        fields = ["id", "source", "external_id", "name", "kind", "industry", "size", "region", "owner", "team",
                  "first_deal_date", "preferred_channel", "tags", "phone", "email", "id_number", "address",
                  "birthday", "notes", "contact_window_start", "contact_window_end", "preferred_topics",
                  "settled_notes", "core_need", "sms_opt_out", "created_at", "tier", "tier_reason", "rfm", "value_tier",
                  "membership_level", "health_score", "next_contact_due", "days_overdue", "churn_probability",
                  "churn_factors", "referred_by", "points_balance"]
        read_only_fields = ["id", "created_at"]
        # (source, external_id) uniqueness is checked by the service and the database.
        validators: list = []

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_points_balance(self, obj) -> int | None:
        request = self.context.get("request")
        if request is None or not access.can_see_money(request.user):
            return None
        return selectors.customer_points_balance(customer=obj)

    def check_rules(self, attrs, today):
        window = (self.instance.contact_window_start, self.instance.contact_window_end) if self.instance else None
        return validation.customer_check(attrs, today=today, kind=getattr(self.instance, "kind", None),
                                         window=window)

    def to_service_data(self) -> dict:
        data = dict(self.validated_data)
        if "tag_list" in data:
            data["tags"] = data.pop("tag_list")
        return data


class BulkUpsertRowSerializer(CustomerSerializer):
    class Meta(CustomerSerializer.Meta):
        extra_kwargs = {"external_id": {"required": True, "allow_blank": False}}


class ContactSerializer(PersonalDataSerializerMixin, RulesSerializer):
    personal_fields = ("phone", "email")
    customer = ScopedCustomerField()

    def check_rules(self, attrs, today):
        return validation.contact_check(attrs, today=today)

    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "title", "phone", "email", "is_primary", "birthday", "sms_opt_out"]


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name", "line", "active"]


class TransactionLineSerializer(serializers.ModelSerializer):
    """A product line; the product is named by its code (an active product of the catalogue)."""

    product = serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.filter(active=True))
    product_name = serializers.CharField(source="product.name", read_only=True)
    quantity = serializers.IntegerField(min_value=1, default=1)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, coerce_to_string=True)

    class Meta:
        model = TransactionLine
        fields = ["product", "product_name", "quantity", "amount"]


class TransactionSerializer(RulesSerializer):
    customer = ScopedCustomerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    # Given, the lines replace the transaction's; they add up to its amount (crm.services.transaction_save).
    lines = TransactionLineSerializer(many=True, required=False)

    def check_rules(self, attrs, today):
        return validation.transaction_check(attrs, today=today,
                                            occurred_on=getattr(self.instance, "occurred_on", None),
                                            paid_on=getattr(self.instance, "paid_on", None))

    class Meta:
        model = Transaction
        fields = ["id", "source", "external_id", "customer", "kind", "amount", "occurred_on", "due_on", "paid_on",
                  "notes", "lines"]
        validators: list = []


class InteractionSerializer(RulesSerializer):
    customer = ScopedCustomerField()
    staff = PersonField(required=False)
    next_action_owner = PersonField(required=False, allow_null=True)

    class Meta:
        model = Interaction
        fields = ["id", "customer", "occurred_at", "channel", "staff", "summary", "feedback", "next_action",
                  "next_action_owner", "next_action_due", "is_objection", "objection_resolved_at"]

    def check_rules(self, attrs, today):
        return validation.interaction_check(attrs, today=today)


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, required=False, min_length=8, style={"input_type": "password"})
    team = ScopedPrimaryKeyField(model=Team, choices=access.assignable_teams_for, required=False, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "password", "first_name", "last_name", "email", "role", "team", "is_active"]


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class CustomerViewSet(TodayContextMixin, PersonalDataAuditViewMixin, viewsets.ModelViewSet):
    serializer_class = CustomerSerializer
    permission_classes = [IsAuthenticated, CanEditCustomersOrReadOnly]
    filterset_class = CustomerFilter
    filter_backends = [FilterBackend, OrderingFilter, CustomerSearchFilter]
    ordering_fields = ["id", "name", "created_at", "first_deal_date", "region", "industry", "churn_probability"]
    search_fields = ["name", "external_id"]  # what ?search= reads (CustomerSearchFilter; the schema lists them)
    audit_object_type = "crm.customer"

    def get_queryset(self):
        return selectors.customer_list_for_api(user=self.request.user)

    def list(self, request, *args, **kwargs):
        """The page read as ``values()`` rows and written by crm.api_rows (the serializer's JSON,
        without a model instance per row and per joined table)."""
        rows = api_rows.customer_page_rows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        context = self.get_serializer_context()
        data = api_rows.customer_rows_json(rows if page is None else page, user=request.user,
                                           revealed_ids=context["revealed_ids"])
        return Response(data) if page is None else self.get_paginated_response(data)

    def perform_create(self, serializer):
        serializer.instance = services.customer_create(actor=self.request.user, data=serializer.to_service_data(),
                                                       now=timezone.now())

    def perform_update(self, serializer):
        serializer.instance = services.customer_update(actor=self.request.user, customer=serializer.instance,
                                                       data=serializer.to_service_data())

    def perform_destroy(self, instance):
        if not access.can_delete_customers(self.request.user):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("Only a team lead or an admin may delete customers.")
        services.customer_delete(actor=self.request.user, customer=instance)

    @extend_schema(request=CustomerSerializer, responses={200: CustomerSerializer, 201: CustomerSerializer})
    @action(detail=False, methods=["put"], url_path=r"external/(?P<external_id>[^/]+)")
    def external(self, request, external_id: str):
        """Idempotent upsert keyed on ``external_id`` (and optional ``source``)."""
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_service_data()
        source = data.pop("source", request.query_params.get("source", ""))
        data.pop("external_id", None)
        customer, created = services.customer_upsert_by_external_id(
            actor=request.user, source=source or "", external_id=external_id, data=data, now=timezone.now(),
            scope=selectors.customer_list_for_user(user=request.user),
        )
        return Response(self.get_serializer(customer).data, status=201 if created else 200)

    @extend_schema(
        request=BulkUpsertRowSerializer(many=True),
        responses={200: inline_serializer("BulkUpsertResult", {"results": serializers.ListField()})},
    )
    @action(detail=False, methods=["post"], url_path="bulk-upsert")
    def bulk_upsert(self, request):
        """All-or-nothing upsert of a list of customers keyed on ``external_id``.

        Returns one result per row. If any row is invalid, nothing is written and
        the response (400) says which rows failed and why."""
        data = request.data
        rows = data if isinstance(data, list) else data.get("rows") if hasattr(data, "get") else None
        if not isinstance(rows, list):
            return Response({"non_field_errors": ["Send a JSON list of customers (or {\"rows\": [...]})."]},
                            status=400)
        if len(rows) > 1000:
            return Response({"non_field_errors": ["At most 1000 rows per request."]}, status=400)
        parsed = []
        for row in rows:
            s = BulkUpsertRowSerializer(data=row, context=self.get_serializer_context(), partial=False)
            external_id = row.get("external_id") if isinstance(row, dict) else None
            parsed.append({"external_id": external_id, "data": s.to_service_data()} if s.is_valid()
                          else {"external_id": external_id, "errors": s.errors})
        written, results = services.customer_bulk_upsert(actor=request.user, rows=parsed, now=timezone.now())
        return Response({"written": written, "results": results}, status=200 if written else 400)


class CustomerRowViewSet(viewsets.ModelViewSet):
    """Plain CRUD on a customer's rows: read through ``list_selector``, written
    through ``save_service`` (which validates the model and emits the events)."""

    permission_classes = [IsAuthenticated, CanEditCustomersOrReadOnly]

    def list_selector(self, *, user):
        raise NotImplementedError

    def save_service(self, *, row, data):
        raise NotImplementedError

    def get_queryset(self):
        return self.list_selector(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = self.save_service(row=serializer.Meta.model(), data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = self.save_service(row=serializer.instance, data=dict(serializer.validated_data))


class ContactViewSet(TodayContextMixin, PersonalDataAuditViewMixin, CustomerRowViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["id", "name"]
    audit_object_type = "crm.contact"

    def list_selector(self, *, user):
        return selectors.contact_list_for_user(user=user)

    def save_service(self, *, row, data):
        return services.contact_save(contact=row, data=data)


class TransactionViewSet(TodayContextMixin, CustomerRowViewSet):
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    ordering_fields = ["id", "occurred_on", "amount"]

    def list_selector(self, *, user):
        return selectors.transaction_list_for_user(user=user)

    def save_service(self, *, row, data):
        return services.transaction_save(txn=row, data=data)


class ProductViewSet(CustomerRowViewSet):
    """The product catalogue (the same CRUD shape; the company's, not a customer's):
    read by everyone signed in, changed by admins."""

    serializer_class = ProductSerializer
    permission_classes = [IsAuthenticated, CanManageProductsOrReadOnly]
    filterset_fields = ["line", "active"]
    ordering_fields = ["id", "code", "name"]
    ordering = ["code"]
    search_fields = ["code", "name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # a product on lines stays

    def list_selector(self, *, user):
        return selectors.product_list()

    def save_service(self, *, row, data):
        return services.product_save(product=row, data=data)


class InteractionViewSet(TodayContextMixin, viewsets.ModelViewSet):
    serializer_class = InteractionSerializer
    permission_classes = [IsAuthenticated, CanEditCustomersOrReadOnly]
    filterset_class = InteractionFilter
    ordering_fields = ["id", "occurred_at", "next_action_due"]

    def get_queryset(self):
        return selectors.interaction_list_for_user(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        serializer.instance = services.interaction_log(actor=self.request.user, customer=customer, data=data,
                                                       now=timezone.now())

    def perform_update(self, serializer):
        serializer.instance = services.interaction_update(actor=self.request.user, interaction=serializer.instance,
                                                          data=dict(serializer.validated_data), now=timezone.now())


class UserViewSet(viewsets.ModelViewSet):
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, IsAdminRole]
    filterset_fields = ["role", "team", "is_active"]
    ordering_fields = ["id", "username"]

    def get_queryset(self):
        return selectors.user_list_for_admin()

    def get_permissions(self):
        if self.action == "me":
            return [IsAuthenticated()]
        return super().get_permissions()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if not data.get("password"):
            raise serializers.ValidationError({"password": ["This field is required."]})
        serializer.instance = services.user_create(
            username=data["username"], password=data["password"], role=data.get("role", access.Role.ACCOUNT_MANAGER),
            team=data.get("team"), email=data.get("email", ""), first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""))

    def perform_update(self, serializer):
        serializer.instance = services.user_update(user=serializer.instance, data=dict(serializer.validated_data))

    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(UserSerializer(request.user).data)


class TeamViewSet(viewsets.ModelViewSet):
    serializer_class = TeamSerializer
    permission_classes = [IsAuthenticated, IsAdminRole]
    ordering_fields = ["id", "name"]

    def get_queryset(self):
        return selectors.team_list_for_admin()


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenView(APIView):
    """``POST {"username","password"}`` → ``{"token"}``. Throttled like the web login (core.throttle):
    429 with ``Retry-After`` while the username is locked at this address."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
                   429: inline_serializer("LoginLocked", {"detail": serializers.CharField(),
                                                          "retry_after": serializers.IntegerField()})},
    )
    def post(self, request):
        s = TokenRequestSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        username, password = s.validated_data["username"], s.validated_data["password"]
        # django-axes marks the Django request (not DRF's wrapper) when it refuses or locks.
        http_request = request._request
        user = authenticate(http_request, username=username, password=password)
        if user is None:
            if throttle.login_is_locked(http_request):
                seconds, message = throttle.login_retry(http_request, {"username": username})
                return Response({"detail": message, "retry_after": seconds}, status=429,
                                headers={"Retry-After": str(seconds)})
            return Response({"non_field_errors": ["Unable to log in with the given username and password."]},
                            status=400)
        # A token is a sign-in: last_login, and axes clears this username's failures here.
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        return Response({"token": services.api_token_for(user=user)}, status=status.HTTP_200_OK)
