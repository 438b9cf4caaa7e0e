"""Care endpoints: give up a customer (mark lost) with why it left.

``POST /api/v1/customers/<id>/loss/ {"reason": "price", "note": "…"}`` → 201 the
loss; 400 with per-field errors (``reason`` missing or unknown, ``note`` missing
for "other", ``non_field_errors`` when already lost). ``GET`` the same address →
``{"loss": … | null}``, the loss that holds. The customer comes through the
caller's scope (404 otherwise); support may not give up customers (403)."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from care import loss_services, selectors
from care.models import CustomerLoss, LossReason
from core.api import CanEditCustomersOrReadOnly


class CustomerLossSerializer(serializers.ModelSerializer):
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    actor = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = CustomerLoss
        fields = ["id", "customer", "reason", "reason_label", "note", "actor", "lost_on", "created_at", "tier",
                  "value_tier", "tenure_days", "last_complaint_category"]
        read_only_fields = fields


class GiveUpSerializer(serializers.Serializer):
    # Required and checked by the service (one set of messages for the page and the API).
    reason = serializers.ChoiceField(choices=LossReason.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CustomerLossView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanEditCustomersOrReadOnly]

    def _customer(self, request, customer_pk: int):
        from crm.selectors import customer_editable_for_user, customer_get_for_user

        if request.method == "GET":
            return customer_get_for_user(user=request.user, pk=customer_pk)
        return customer_editable_for_user(user=request.user, pk=customer_pk)

    @extend_schema(responses={200: inline_serializer("CurrentLoss", {"loss": CustomerLossSerializer(allow_null=True)})})
    def get(self, request, customer_pk: int):
        loss = selectors.customer_loss_current(customer=self._customer(request, customer_pk))
        return Response({"loss": CustomerLossSerializer(loss).data if loss else None})

    @extend_schema(request=GiveUpSerializer, responses={201: CustomerLossSerializer})
    def post(self, request, customer_pk: int):
        customer = self._customer(request, customer_pk)
        data = GiveUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        loss = loss_services.customer_give_up(actor=request.user, customer=customer,
                                              reason=data.validated_data.get("reason", ""),
                                              note=data.validated_data.get("note", ""), now=timezone.now())
        return Response(CustomerLossSerializer(loss).data, status=status.HTTP_201_CREATED)
