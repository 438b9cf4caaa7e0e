"""REST API of segmentation: recompute requests (run as core jobs), the summary of the caller's scope and
the caller's follow-up queue. Parse, call a service or selector, render."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import access
from segmentation import queue, selectors, services


class RecomputeRequestSerializer(serializers.Serializer):
    as_of = serializers.DateField()


class QueueItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    customer = serializers.SerializerMethodField()
    tier = serializers.CharField()
    reason = serializers.CharField()
    due = serializers.DateField()
    days_overdue = serializers.IntegerField()
    urgency = serializers.FloatField()
    churn_probability = serializers.FloatField(allow_null=True)
    followup_id = serializers.SerializerMethodField()

    def get_customer(self, item) -> dict:
        return {"id": item["customer"].pk, "name": item["customer"].name}

    def get_followup_id(self, item) -> int | None:
        return item["followup"].pk if item["followup"] else None


class RecomputeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RecomputeRequestSerializer,
                   responses={202: inline_serializer("RecomputeAccepted", {"job_id": serializers.IntegerField(),
                                                                           "status": serializers.CharField()})})
    def post(self, request):
        """Queue a recompute of every customer at ``as_of`` (team lead or admin).

        ``job_id`` is a core job: follow it at ``GET /api/v1/jobs/{job_id}/``
        (status, progress, summary with the tier counts)."""
        if not access.can_manage_segments(request.user):
            raise PermissionDenied("Only a team lead or an admin may recompute segments.")
        serializer = RecomputeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.recompute_request(actor=request.user, as_of=serializer.validated_data["as_of"],
                                         now=timezone.now())
        return Response({"job_id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class SummaryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("SegmentSummary", {
        "as_of": serializers.DateField(allow_null=True), "customers": serializers.IntegerField(),
        "segmented": serializers.IntegerField(), "tier": serializers.DictField(),
        "value_tier": serializers.DictField(), "rfm_segment": serializers.DictField(),
        "membership_level": serializers.DictField()}))
    def get(self, request):
        """Counts per tier, value tier, RFM segment and membership level over the caller's customers."""
        return Response(selectors.segment_summary_for_user(user=request.user))


class FollowUpQueueView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("after", str, description="the next_cursor of the previous page")],
        responses=inline_serializer("FollowUpQueue", {
            "date": serializers.DateField(), "count": serializers.IntegerField(),
            "count_capped": serializers.BooleanField(), "next_cursor": serializers.CharField(),
            "results": QueueItemSerializer(many=True)}))
    def get(self, request):
        """The caller's due and overdue customers and open follow-ups, longest overdue first,
        a page at a time (``after`` = the previous page's ``next_cursor``; "" on the last page).
        ``count`` stops at 250 (``count_capped``)."""
        today = timezone.localdate()
        page = queue.followup_queue_page(user=request.user, today=today, cursor=request.query_params.get("after"))
        count, capped = queue.followup_queue_count(user=request.user, today=today)
        return Response({"date": today, "count": count, "count_capped": capped, "next_cursor": page["next_cursor"],
                         "results": QueueItemSerializer(page["items"], many=True).data})


class RfmSerializer(serializers.Serializer):
    """The ``rfm`` object of a customer (crm.api.CustomerSerializer)."""

    r = serializers.IntegerField(source="r_days", allow_null=True)
    f = serializers.IntegerField(source="f_count")
    m = serializers.DecimalField(source="m_amount", max_digits=16, decimal_places=2, coerce_to_string=True)
    r_score = serializers.IntegerField(allow_null=True)
    f_score = serializers.IntegerField(allow_null=True)
    m_score = serializers.IntegerField(allow_null=True)
    segment = serializers.CharField(source="rfm_segment")
