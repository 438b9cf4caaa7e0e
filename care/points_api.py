"""API of the points ledger (issue #11 item 6): the ledger lines the caller may see,
a customer's points, a redemption, a manual adjustment. Parse, call, render."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from care import points_selectors, points_services
from care.models import PointsEntry, Reward
from core import access
from core.api import CursorPagination


class PointsEntrySerializer(serializers.ModelSerializer):
    reward_name = serializers.CharField(source="reward.label", read_only=True, allow_null=True)

    class Meta:
        model = PointsEntry
        fields = ["id", "customer", "kind", "points", "reason", "reward", "reward_name", "referred", "actor",
                  "created_at"]
        read_only_fields = fields


class RewardSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label", read_only=True)

    class Meta:
        model = Reward
        fields = ["id", "name", "points"]


class PointsSummarySerializer(serializers.Serializer):
    spend = serializers.IntegerField(help_text="points earned by spend (1 per CNY 1 of lifetime net spend)")
    bonus = serializers.IntegerField(help_text="referral bonuses and positive manual adjustments")
    earned = serializers.IntegerField(help_text="spend + bonus: what the membership level counts")
    spent = serializers.IntegerField(help_text="redemptions and negative adjustments")
    balance = serializers.IntegerField(help_text="earned − spent")


def _money_reader(user) -> None:
    if not access.can_see_money(user):
        raise PermissionDenied("Support does not see points.")


class PointsEntryListView(generics.ListAPIView):
    """The ledger lines of the customers the caller can see (other than points earned by
    spend, which are computed: see ``/customers/{id}/points/``), newest first."""

    serializer_class = PointsEntrySerializer
    queryset = PointsEntry.objects.none()  # the schema's model; get_queryset scopes every request
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination

    @extend_schema(parameters=[OpenApiParameter("customer", int, description="one customer's lines")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        _money_reader(self.request.user)
        customer = self.request.query_params.get("customer")
        customer_id = int(customer) if customer and customer.isdigit() else None
        return points_selectors.points_entry_list_for_user(user=self.request.user, customer_id=customer_id)


class RewardListView(generics.ListAPIView):
    """The reward catalogue (active rewards, cheapest first)."""

    serializer_class = RewardSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def get_queryset(self):
        return points_selectors.reward_list()


def _customer(request, customer_pk: int, *, edit: bool):
    from crm import selectors as crm_selectors

    _money_reader(request.user)
    if edit:
        return crm_selectors.customer_editable_for_user(user=request.user, pk=customer_pk)
    return crm_selectors.customer_get_for_user(user=request.user, pk=customer_pk)


def _write(call):
    try:
        entry = call()
    except DjangoPermissionDenied:
        raise PermissionDenied from None
    except DjangoValidationError as exc:
        return Response(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages},
                        status=status.HTTP_400_BAD_REQUEST)
    return Response(PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class CustomerPointsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PointsSummarySerializer)
    def get(self, request, customer_pk: int):
        """One customer's points: earned by spend, bonus, earned, spent, balance."""
        customer = _customer(request, customer_pk, edit=False)
        return Response(PointsSummarySerializer(points_selectors.points_summary(customer=customer)).data)


class RedeemInput(serializers.Serializer):
    reward = serializers.PrimaryKeyRelatedField(queryset=Reward.objects.all())


class CustomerRedeemView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RedeemInput, responses={201: PointsEntrySerializer})
    def post(self, request, customer_pk: int):
        """Redeem points for a reward; 400 ``{"reward": [...]}`` when the balance is short."""
        customer = _customer(request, customer_pk, edit=True)
        data = RedeemInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _write(lambda: points_services.points_redeem(actor=request.user, customer=customer,
                                                            reward=data.validated_data["reward"], now=timezone.now()))


class AdjustInput(serializers.Serializer):
    points = serializers.IntegerField(min_value=-1_000_000, max_value=1_000_000)
    reason = serializers.CharField(max_length=300)


class CustomerAdjustView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=AdjustInput, responses={201: PointsEntrySerializer},
                   description="A manual adjustment by a team lead or admin, with a reason.")
    def post(self, request, customer_pk: int):
        customer = _customer(request, customer_pk, edit=True)
        if not access.can_adjust_points(request.user):
            raise PermissionDenied("Only a team lead or an admin adjusts points.")
        data = AdjustInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _write(lambda: points_services.points_adjust(actor=request.user, customer=customer,
                                                            now=timezone.now(), **data.validated_data))
