"""REST API of the reviews app: the metrics catalogue and values, review reports,
their actions and exports. Parse, call a selector or service, render."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core import access
from core.api import ScopedPrimaryKeyField
from core.api_fields import PeriodDateField
from crm.models import Team, User
from reviews import drilldown, exports, selectors, services
from reviews.metrics import CATALOGUE, Period, metric_compute, metric_describe, month_period
from reviews.metrics.distributions import DISTRIBUTIONS
from reviews.models import Review, ReviewAction, ReviewFinding, TrendAction
from reviews.people import people_table_for_user
from reviews.report import review_earlier_actions_many, review_header, review_rows, trend_action_records_url
from reviews.scoping import metric_scope_for_user
from segmentation.models import Tier


class MetricCatalogueView(APIView):
    """Every metric of the catalogue: key, names, unit, direction, formula, numerator, denominator."""

    @extend_schema(operation_id="v1_metrics_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"results": [metric_describe(m) for m in CATALOGUE.values()]})


class MetricQuerySerializer(serializers.Serializer):
    start = PeriodDateField(required=False)
    end = PeriodDateField(required=False)
    team = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.CharField(required=False, allow_blank=True)
    tier = serializers.ChoiceField(required=False, allow_blank=True,
                                   choices=["", *Tier.values])

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The period must end on or after its start."]})
        return attrs


def _period_and_scope(request, data: dict) -> tuple[Period, object]:
    """The validated period (default: this month so far) and the caller's metric scope (404 outside it)."""
    today = timezone.localdate()
    start = data.get("start") or month_period(today).start
    end = data.get("end") or max(today, start)
    if end < start:
        # Only ``end`` was given, before the default start.
        raise serializers.ValidationError({"end": ["The period must end on or after its start."]})
    scope = metric_scope_for_user(user=request.user, team=data.get("team"), owner=data.get("owner"),
                                  tier=data.get("tier"))
    return Period(start, end), scope


class MetricValueView(APIView):
    """``?start=&end=`` (default: this month so far) plus scope filters ``team``, ``owner``, ``tier``.
    ``parts`` are the measured parts the value is computed from; each opens its records
    at ``records/?part=``. Also the dashboard's distributions (``tier_mix``,
    ``value_engagement``, ``ticket_categories``: a count per tier, cell or category)."""

    @extend_schema(operation_id="v1_metrics_value", parameters=[MetricQuerySerializer],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request, key: str):
        metric = CATALOGUE.get(key) or DISTRIBUTIONS.get(key)
        if metric is None:
            raise Http404
        q = MetricQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        period, scope = _period_and_scope(request, q.validated_data)
        value = metric_compute(key=key, period=period, scope=scope)
        return Response({**metric_describe(metric), **value.as_dict(), "period": period.as_dict(),
                         "scope": scope.as_dict()})


class MetricRecordsQuerySerializer(MetricQuerySerializer):
    part = serializers.CharField(help_text="A key of the metric's ``parts`` (numerator, denominator, promoters, "
                                           "count, …; a tier, a category or a value:engagement cell for the "
                                           "dashboard's distributions tier_mix, ticket_categories, "
                                           "value_engagement).")
    group = serializers.RegexField(r"^(owner|agent|department):\d+$", required=False, allow_blank=True,
                                   help_text="Only one member's records, as the people page counts them: "
                                             "owner:<user id>, agent:<user id> or department:<id>.")


class RecordCursorPagination(CursorPagination):
    ordering = "pk"
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


class MetricRecordsView(APIView):
    """The records behind one part of a metric value — customers, survey answers,
    tickets, transactions or interactions, as the metric counts them — cursor-paged
    and limited to what the caller may see: their number (for a sum part, the sum of
    their ``value``) is the part in ``GET /api/v1/metrics/{key}/``'s ``parts`` for the
    same period and scope. Also the dashboard's distributions (``tier_mix``,
    ``value_engagement``, ``ticket_categories``)."""

    @extend_schema(operation_id="v1_metrics_records", parameters=[MetricRecordsQuerySerializer],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request, key: str):
        q = MetricRecordsQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        period, scope = _period_and_scope(request, q.validated_data)
        drill = drilldown.drill_get(key=key, part=q.validated_data["part"], period=period, scope=scope,
                                    group=q.validated_data.get("group") or "")
        records = drilldown.drill_records_for_user(user=request.user, drill=drill)
        paginator = RecordCursorPagination()
        page = paginator.paginate_queryset(records, request, view=self)
        rows = [drilldown.record_row(obj, drill=drill) for obj in page]
        response = paginator.get_paginated_response(rows)
        response.data = {"metric": key, "part": drill.part_key, "record_kind": drill.kind,
                         "parts": list(drill.parts), "period": period.as_dict(), "scope": scope.as_dict(),
                         **response.data}
        return response


class PeopleQuerySerializer(serializers.Serializer):
    start = PeriodDateField(required=False)
    end = PeriodDateField(required=False)
    team = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The period must end on or after its start."]})
        return attrs


class _PeopleView(APIView):
    """``?start=&end=`` (default: this month so far), ``team`` (admins). One row per
    member with each figure's value, the previous period's value, its parts and the
    URLs of its records (the metric's records endpoint with ``group``): ``records``
    (a rate's numerator), ``part_records`` (each part, e.g. numerator and
    denominator) and ``previous_records`` (the previous period's)."""

    group = ""

    def get(self, request):
        q = PeopleQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        today = timezone.localdate()
        start = q.validated_data.get("start") or month_period(today).start
        end = q.validated_data.get("end") or max(today, start)
        if end < start:
            raise serializers.ValidationError({"end": ["The period must end on or after its start."]})
        # core.access refusals (django's PermissionDenied) answer 403.
        table = people_table_for_user(user=request.user, group=self.group, period=Period(start, end),
                                      team=q.validated_data.get("team"))
        for row in table["rows"]:
            for figure in row["figures"]:
                api_url, previous_api_url = figure.pop("api_url"), figure.pop("previous_api_url")
                figure["records"] = request.build_absolute_uri(api_url) if api_url else None
                figure["previous_records"] = request.build_absolute_uri(previous_api_url) if previous_api_url else None
                figure["part_records"] = {link["key"]: request.build_absolute_uri(link["api_url"])
                                          for link in figure.pop("part_links")}
                figure.pop("url"), figure.pop("previous_url")
        return Response(table)


class MetricsByOwnerView(_PeopleView):
    """Per account manager: customers kept, follow-ups on time, overdue follow-ups,
    30-day activation, win-back, NPS and repurchase of their customers. Admins all,
    team leads their team, an account manager their own row."""

    group = "owner"

    @extend_schema(operation_id="v1_metrics_by_owner", parameters=[PeopleQuerySerializer],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return super().get(request)


class MetricsByDepartmentView(_PeopleView):
    """Per ticket department: first response, SLA compliance, resolution time, ticket
    satisfaction and repeat-complaint rate. Team leads (their team's tickets) and admins."""

    group = "department"

    @extend_schema(operation_id="v1_metrics_by_department", parameters=[PeopleQuerySerializer],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return super().get(request)


class MetricsByAgentView(_PeopleView):
    """Per support agent (ticket assignee): the department figures. Team leads and admins."""

    group = "agent"

    @extend_schema(operation_id="v1_metrics_by_agent", parameters=[PeopleQuerySerializer],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return super().get(request)


class TargetSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=list(CATALOGUE))
    target = serializers.FloatField(required=False, allow_null=True)
    analysis = serializers.CharField(required=False, allow_blank=True, default="")


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewFinding
        fields = ["id", "title", "detail", "cause"]


def _readable_reviews(user):
    return selectors.review_list_for_user(user=user)


class ActionSerializer(serializers.ModelSerializer):
    review = ScopedPrimaryKeyField(model=Review, choices=_readable_reviews)
    owner = ScopedPrimaryKeyField(model=User, choices=access.assignable_users_for)
    metric = serializers.ChoiceField(choices=["", *CATALOGUE], required=False, allow_blank=True)

    class Meta:
        model = ReviewAction
        fields = ["id", "review", "title", "owner", "deadline", "status", "metric", "baseline", "created_at",
                  "completed_at"]
        read_only_fields = ["id", "baseline", "created_at", "completed_at"]


class ReviewSerializer(serializers.ModelSerializer):
    """A review report. ``period_kind`` month or quarter: the calendar month or quarter
    of ``period_start`` (``period_end`` then not needed). The header (seed 000):
    ``summary`` is the purpose, ``participants`` user ids (people the author may
    name), ``data_sources`` keys (default: the sources of its metrics); ``header``
    reads them back with names, roles and labels."""

    scope = serializers.ChoiceField(source="scope_kind", choices=Review.ScopeKind.choices)
    period_kind = serializers.ChoiceField(choices=Review.PeriodKind.choices, required=False)
    period_start = PeriodDateField()
    period_end = PeriodDateField(required=False)
    participants = ScopedPrimaryKeyField(model=User, choices=access.ticket_assignees_for, many=True, required=False)
    data_sources = serializers.ListField(child=serializers.ChoiceField(choices=Review.DataSource.choices),
                                         required=False)
    header = serializers.SerializerMethodField()
    team = ScopedPrimaryKeyField(model=Team, choices=access.assignable_teams_for, required=False, allow_null=True)
    targets = TargetSerializer(many=True, write_only=True, required=False)
    strengths = FindingSerializer(many=True, required=False)
    problems = FindingSerializer(many=True, required=False)
    rows = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    earlier_actions = serializers.SerializerMethodField()
    exports = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "title", "period_kind", "period_start", "period_end", "scope", "team", "tier", "status",
                  "summary", "participants", "data_sources", "header", "created_by", "created_at", "actuals_computed_at", "targets", "rows", "strengths", "problems",
                  "actions", "earlier_actions", "exports"]
        read_only_fields = ["id", "created_by", "created_at", "actuals_computed_at"]

    def _rows(self, obj):
        cache = self.context.setdefault("_rows", {})
        if obj.pk not in cache:
            cache[obj.pk] = review_rows(review=obj)
        return cache[obj.pk]

    @extend_schema_field({"type": "object"})
    def get_header(self, obj):
        return review_header(review=obj)

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_rows(self, obj):
        keys = ["metric", "name", "unit", "direction", "target", "actual", "numerator", "denominator", "deviation",
                "deviation_pct", "on_target", "previous", "change", "improved", "analysis", "parts"]
        request = self.context.get("request")

        def records(row):
            return {link["key"]: request.build_absolute_uri(link["api_url"]) if request else link["api_url"]
                    for link in row["part_links"]}
        return [{**{k: r[k] for k in keys}, "records": records(r)} for r in self._rows(obj)]

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, obj):
        return ActionSerializer(obj.actions.all(), many=True, context=self.context).data

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_earlier_actions(self, obj):
        cache = self.context.setdefault("_earlier_actions", {})
        if obj.pk not in cache:
            # A list computes them for its whole page at once (no query per report).
            page = getattr(self.parent, "instance", None)
            reviews = list(page) if self.parent is not None and page is not None else [obj]
            cache.update(review_earlier_actions_many(reviews=reviews, rows={r.pk: self._rows(r) for r in reviews}))
        return [{**a, "deadline": a["deadline"].isoformat()} for a in cache[obj.pk]]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "format": "uri"}})
    def get_exports(self, obj):
        request = self.context.get("request")
        links = {}
        for fmt in ("xlsx", "pdf"):
            for lang in ("zh-hans", "en"):
                url = reverse("reviews:export", kwargs={"pk": obj.pk, "fmt": fmt}) + f"?lang={lang}"
                links[f"{fmt}_{lang}"] = request.build_absolute_uri(url) if request else url
        return links

    def to_representation(self, obj):
        data = super().to_representation(obj)
        findings = list(obj.findings.all())
        data["strengths"] = FindingSerializer([f for f in findings if f.kind == "strength"], many=True).data
        data["problems"] = FindingSerializer([f for f in findings if f.kind == "problem"], many=True).data
        return data


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewSerializer
    filterset_fields = ["team", "status", "scope_kind"]
    ordering_fields = ["id", "period_end"]

    def get_queryset(self):
        return selectors.review_list_for_user(user=self.request.user).prefetch_related(
            "metric_rows", "findings", "actions__owner", "participants")

    @staticmethod
    def _findings(data) -> dict[str, list[dict]]:
        return {kind: data[kind + "s"] for kind in ("strength", "problem") if data.get(kind + "s") is not None}

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        review = services.review_create(
            user=request.user, title=d["title"], period_start=d["period_start"], period_end=d.get("period_end"),
            period_kind=d.get("period_kind", Review.PeriodKind.CUSTOM), scope_kind=d["scope_kind"],
            team=d.get("team"), tier=d.get("tier", ""), targets=d.get("targets"), summary=d.get("summary", ""),
            findings=self._findings(d), participants=d.get("participants"), data_sources=d.get("data_sources"),
            now=timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data, status=201)

    def update(self, request, *args, **kwargs):
        review = selectors.review_editable_for_user(user=request.user, pk=kwargs["pk"])
        s = self.get_serializer(review, data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        services.review_update(review=review, title=d.get("title"), summary=d.get("summary"), status=d.get("status"),
                               targets=d.get("targets"), findings=self._findings(d),
                               participants=d.get("participants"), data_sources=d.get("data_sources"),
                               user=request.user, now=timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        """Recompute the actuals from the live data."""
        review = selectors.review_editable_for_user(user=request.user, pk=pk)
        services.review_actuals_refresh(review=review, now=timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                              OpenApiResponse(OpenApiTypes.BINARY),
                              (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], url_path=r"export/(?P<fmt>xlsx|pdf)")
    def export(self, request, pk=None, fmt=None):
        review = selectors.review_get_for_user(user=request.user, pk=pk)
        return exports.export_response(review=review, fmt=fmt, language=request.query_params.get("lang", "zh-hans"))


class ReviewActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Actions of the reports the user may read, plus their own. Leads/admins create;
    the owner or the lead moves the status."""

    serializer_class = ActionSerializer
    filterset_fields = ["status", "owner", "review", "metric"]
    ordering_fields = ["id", "deadline"]

    def get_queryset(self):
        return selectors.review_action_list_for_user(user=self.request.user)

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        review = selectors.review_editable_for_user(user=request.user, pk=d["review"].pk)
        a = services.review_action_create(actor=request.user, review=review, title=d["title"], owner=d["owner"],
                                          deadline=d["deadline"], metric=d.get("metric", ""), now=timezone.now())
        return Response(self.get_serializer(a).data, status=201)

    def update(self, request, *args, **kwargs):
        a = selectors.review_action_get_for_user(user=request.user, pk=kwargs["pk"])
        status = request.data.get("status") if hasattr(request.data, "get") else None
        if status is None:
            raise DjangoValidationError({"status": ["This field is required."]})
        services.review_action_status_set(action=a, user=request.user, status=status, now=timezone.now())
        return Response(self.get_serializer(a).data)




class TrendActionSerializer(serializers.ModelSerializer):
    """A cross-department action (seed 001's 跨部门专项整改) its trend alert opened:
    the alert's category and week, the department, owner, deadline and status, and
    the link to its linked metric's records (the category's tickets of the alert weeks)."""

    owner = ScopedPrimaryKeyField(model=User, choices=access.ticket_assignees_for, required=False)
    owner_name = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    category = serializers.CharField(source="alert.category", read_only=True)
    week_start = serializers.DateField(source="alert.week_start", read_only=True)
    status = serializers.ChoiceField(choices=ReviewAction.Status.choices, required=False)
    deadline = serializers.DateField(required=False)
    records = serializers.SerializerMethodField()

    class Meta:
        model = TrendAction
        fields = ["id", "title", "category", "week_start", "department", "owner", "owner_name", "deadline",
                  "status", "metric", "records", "created_at", "closed_at"]
        read_only_fields = ["id", "title", "metric", "created_at", "closed_at"]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_owner_name(self, obj):
        return str(obj.owner) if obj.owner_id else None

    @extend_schema_field({"type": "object", "nullable": True})
    def get_department(self, obj):
        return {"id": obj.department_id, "name": str(obj.department)} if obj.department_id else None

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_records(self, obj):
        url = trend_action_records_url(obj, api=True)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class TrendActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                         viewsets.GenericViewSet):
    """Cross-department actions: team leads and admins see and move them all, anyone
    else those they own (who may move only the status). Opened by trend alerts, never
    created here. ``PATCH`` with ``status``, ``owner``, ``deadline``."""

    serializer_class = TrendActionSerializer
    filterset_fields = ["status", "owner", "department"]
    ordering_fields = ["id", "deadline"]

    def get_queryset(self):
        return selectors.trend_action_list_for_user(user=self.request.user)

    def update(self, request, *args, **kwargs):
        from reviews.services.trend_actions import trend_action_update

        action = selectors.trend_action_get_for_user(user=request.user, pk=kwargs["pk"])
        s = self.get_serializer(action, data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        trend_action_update(action=action, user=request.user, status=d.get("status"), owner=d.get("owner"),
                            deadline=d.get("deadline"), now=timezone.now())
        return Response(self.get_serializer(selectors.trend_action_get_for_user(user=request.user,
                                                                                pk=action.pk)).data)
