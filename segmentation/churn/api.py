"""REST API of churn prediction: the training request (a core job) and the
current model's backtest. Per-customer scores are fields of the customer API
(``churn_probability``, ``churn_factors``). Parse, call a service or selector, render."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import access
from segmentation.churn import features, selectors, services
from segmentation.churn.models import DEFAULT_HORIZON_DAYS


class TrainRequestSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False)
    horizon_days = serializers.IntegerField(required=False, default=DEFAULT_HORIZON_DAYS,
                                            min_value=services.MIN_HORIZON_DAYS, max_value=services.MAX_HORIZON_DAYS)


class ChurnFactorSerializer(serializers.Serializer):
    feature = serializers.CharField()
    text = serializers.CharField()
    contribution = serializers.FloatField(help_text="log-odds; above 0 raises the churn risk")


class ChurnModelSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="pk")
    as_of = serializers.DateField()
    horizon_days = serializers.IntegerField()
    trained_at = serializers.DateTimeField()
    model = serializers.CharField(source="kind")
    auc = serializers.FloatField(source="metrics.auc", allow_null=True)
    top_decile_precision = serializers.FloatField(source="metrics.top_decile_precision", allow_null=True)
    base_rate = serializers.FloatField(source="metrics.base_rate", allow_null=True)
    baseline_auc = serializers.FloatField(source="metrics.baseline_auc", allow_null=True)
    backtest_as_of = serializers.DateField(source="metrics.test_as_of")
    candidates = serializers.DictField(child=serializers.FloatField(), source="metrics.candidates")
    features = serializers.SerializerMethodField()
    deciles = serializers.ListField(child=serializers.DictField(), source="metrics.deciles")

    def get_features(self, obj) -> list[dict]:
        return [{"name": name, "label": features.feature_label(name), "reference": obj.reference.get(name)}
                for name in obj.features]


class ChurnTrainView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=TrainRequestSerializer,
                   responses={202: inline_serializer("ChurnTrainAccepted", {"job_id": serializers.IntegerField(),
                                                                            "status": serializers.CharField()})})
    def post(self, request):
        """Queue a training at ``as_of`` (default today) over ``horizon_days`` (default 90;
        team lead or admin). Follow the job at ``GET /api/v1/jobs/{job_id}/``."""
        if not access.can_manage_segments(request.user):
            raise PermissionDenied("Only a team lead or an admin may train the churn model.")
        serializer = TrainRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        now = timezone.now()
        job = services.churn_train_request(
            actor=request.user, as_of=serializer.validated_data.get("as_of") or timezone.localdate(now),
            horizon_days=serializer.validated_data["horizon_days"], now=now)
        return Response({"job_id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class ChurnModelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ChurnModelSerializer)
    def get(self, request):
        """The current model and its backtest (the last horizon predicted from the snapshot
        before it): AUC, precision of the riskiest tenth, base rate, and the AUC of the
        rule-based churn_risk tier as the baseline. 404 before the first training."""
        model = selectors.churn_model_current()
        if model is None:
            raise NotFound("No churn model has been trained yet.")
        return Response(ChurnModelSerializer(model).data)
