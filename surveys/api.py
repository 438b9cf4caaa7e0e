"""REST API of surveys: templates, invitations, responses and the NPS metric.
Parse, call a selector or service, render. Everything is scoped to the caller's
customers; another team's object is a 404."""
from __future__ import annotations

from datetime import date

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import PersonalDataAuditViewMixin, PersonalDataSerializerMixin, ScopedPrimaryKeyField
from core import access
from core.api_fields import IsoDateTimeFilter, PeriodDateField
from crm.models import Customer
from surveys import selectors, services
from surveys.models import Question, Survey, SurveyInvitation, SurveyResponse


class QuestionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = Question
        fields = ["id", "position", "kind", "dimension", "text_zh", "text_en", "help_zh", "help_en", "choices",
                  "required"]
        read_only_fields = ["position"]


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True)

    class Meta:
        model = Survey
        fields = ["id", "code", "name_zh", "name_en", "intro_zh", "intro_en", "team", "is_default", "is_active",
                  "created_at", "questions"]
        read_only_fields = ["id", "code", "team", "is_default", "created_at"]


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Survey templates. Everyone reads the shared ones and their team's; team leads
    create and edit their team's, admins any."""

    serializer_class = SurveySerializer

    def get_queryset(self):
        return Survey.objects.for_user(self.request.user).select_related("team").prefetch_related(
            "questions").order_by("-id")

    def _check_builder(self):
        if not access.can_build_surveys(self.request.user):
            self.permission_denied(self.request, message="Only team leads and admins build surveys.")

    def create(self, request, *args, **kwargs):
        self._check_builder()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        questions = [dict(q) for q in data.pop("questions")]
        survey = services.survey_create(actor=request.user, data=data, questions=questions, now=timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=survey.pk)).data,
                        status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        self._check_builder()
        survey = selectors.survey_editable_for_user(user=request.user, pk=kwargs["pk"])
        serializer = self.get_serializer(survey, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        questions = [dict(q) for q in data.pop("questions", None) or
                     [QuestionSerializer(q).data for q in survey.questions.all()]]
        full = {f: data.get(f, getattr(survey, f)) for f in ("name_zh", "name_en", "intro_zh", "intro_en",
                                                             "is_active")}
        services.survey_update(actor=request.user, survey=survey, data=full, questions=questions)
        return Response(self.get_serializer(self.get_queryset().get(pk=survey.pk)).data)


class InvitationSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    answered = serializers.SerializerMethodField()

    class Meta:
        model = SurveyInvitation
        fields = ["id", "customer", "customer_name", "survey", "trigger", "trigger_key", "campaign", "ticket_id",
                  "ticket_category", "created_at", "sent_at", "send_error", "expires_at", "answered_at", "answered"]

    def get_answered(self, obj) -> bool:
        return obj.answered_at is not None


class InvitationFilter(django_filters.FilterSet):
    sent_after = IsoDateTimeFilter(field_name="sent_at", lookup_expr="gte")
    sent_before = IsoDateTimeFilter(field_name="sent_at", lookup_expr="lt")
    answered = django_filters.BooleanFilter(field_name="answered_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = SurveyInvitation
        fields = ["customer", "survey", "trigger", "campaign"]


class SurveyInvitationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    ordering_fields = ["id", "created_at", "sent_at"]

    def get_queryset(self):
        return selectors.invitation_list_for_user(user=self.request.user)


class SurveyResponseSerializer(PersonalDataSerializerMixin, serializers.ModelSerializer):
    personal_fields = ("contact",)
    customer = ScopedPrimaryKeyField(model=Customer, choices=lambda user: Customer.objects.for_user(user))
    survey = ScopedPrimaryKeyField(model=Survey, choices=lambda user: Survey.objects.for_user(user))
    nps = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    quality = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    speed = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    resolution = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    care = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    overall = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    ces = serializers.IntegerField(min_value=1, max_value=7, required=False, allow_null=True)
    satisfaction_100 = serializers.FloatField(read_only=True)
    nps_class = serializers.CharField(read_only=True)

    class Meta:
        model = SurveyResponse
        fields = ["id", "customer", "survey", "invitation", "answered_at", "channel", "entered_by", "nps",
                  "nps_class", "quality", "speed", "resolution", "care", "overall", "satisfaction_100", "ces",
                  "reason", "suggestions", "contact", "answers", "created_at"]
        read_only_fields = ["id", "invitation", "channel", "entered_by", "contact", "answers", "created_at"]
        extra_kwargs = {"answered_at": {"required": True}}


class ResponseFilter(django_filters.FilterSet):
    answered_after = IsoDateTimeFilter(field_name="answered_at", lookup_expr="gte")
    answered_before = IsoDateTimeFilter(field_name="answered_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields = ["customer", "survey", "channel"]


class SurveyResponseViewSet(PersonalDataAuditViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Answers (read); POST records a phone survey entered by staff (channel "phone")."""

    serializer_class = SurveyResponseSerializer
    filterset_class = ResponseFilter
    ordering_fields = ["id", "answered_at"]
    audit_object_type = "surveys.SurveyResponse"

    def get_queryset(self):
        return selectors.response_list_for_user(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        response = services.response_enter(actor=request.user, customer=data.pop("customer"),
                                           survey=data.pop("survey"), data=data, now=timezone.now())
        return Response(self.get_serializer(response).data, status=status.HTTP_201_CREATED)


class NpsQuerySerializer(serializers.Serializer):
    start = PeriodDateField()
    end = PeriodDateField()
    tier = serializers.CharField(required=False, allow_blank=True)
    team = serializers.IntegerField(required=False)
    owner = serializers.IntegerField(required=False)

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise ValidationError({"end": ["The end is before the start."]})
        return attrs


class NpsResultSerializer(serializers.Serializer):
    metric = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    nps = serializers.FloatField(allow_null=True, help_text="% promoters − % detractors; null without answers")
    value = serializers.FloatField(allow_null=True, help_text="same as nps")
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    responses = serializers.IntegerField()
    numerator = serializers.IntegerField(help_text="promoters − detractors")
    denominator = serializers.IntegerField(help_text="responses")
    parts = serializers.DictField(child=serializers.IntegerField(),
                                  help_text="promoters, passives, detractors, responses")


class NpsMetricView(APIView):
    """NPS over answers in [start, end] (local days) of the caller's customers."""

    @extend_schema(parameters=[NpsQuerySerializer], responses=NpsResultSerializer)
    def get(self, request):
        query = NpsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        counts = selectors.nps_counts_for_user(user=request.user, start=q["start"], end=q["end"],
                                               tier=q.get("tier"), team=q.get("team"), owner=q.get("owner"))
        return Response({
            "metric": "nps", "start": date.isoformat(q["start"]), "end": date.isoformat(q["end"]),
            "nps": counts["nps"], "value": counts["nps"],
            "promoters": counts["promoters"], "passives": counts["passives"], "detractors": counts["detractors"],
            "responses": counts["responses"],
            "numerator": counts["promoters"] - counts["detractors"], "denominator": counts["responses"],
            # The catalogue's parts (each opens its answers at /api/v1/metrics/nps/records/?part=).
            "parts": {k: counts[k] for k in ("promoters", "passives", "detractors", "responses")},
        })
