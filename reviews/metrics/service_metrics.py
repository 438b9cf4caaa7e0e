"""Metrics from the surveys and tickets apps' data (read through reviews.selectors).
Each returns NO_DATA while the data part does not exist or nothing was counted."""
from __future__ import annotations

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum

from core.formulas import DETRACTOR_MAX, PROMOTER_MIN, nps_from_counts, ratio, satisfaction_100_from_overall
from reviews import selectors
from reviews.metrics.base import NO_DATA, MetricValue, Period, Scope, pct, rounded


def _responses(period: Period, scope: Scope):
    qs = selectors.survey_response_queryset()
    if qs is None:
        return None
    return qs.filter(scope.customer_q("customer__"), answered_at__gte=period.start_at, answered_at__lt=period.end_at)


def nps(*, period: Period, scope: Scope) -> MetricValue:
    """% promoters (9–10) − % detractors (0–6) of survey answers in the period, −100…100."""
    qs = _responses(period, scope)
    if qs is None:
        return NO_DATA
    c = qs.filter(nps__isnull=False).aggregate(
        total=Count("id"), promoters=Count("id", filter=Q(nps__gte=PROMOTER_MIN)),
        detractors=Count("id", filter=Q(nps__lte=DETRACTOR_MAX)))
    value = nps_from_counts(promoters=c["promoters"], detractors=c["detractors"],
                            passives=c["total"] - c["promoters"] - c["detractors"])
    if value is None:
        return NO_DATA
    return MetricValue(value, c["promoters"] - c["detractors"], c["total"])


def avg_satisfaction(*, period: Period, scope: Scope) -> MetricValue:
    """Average overall satisfaction of survey answers in the period on the 0–100 scale (overall × 10)."""
    qs = _responses(period, scope)
    if qs is None:
        return NO_DATA
    c = qs.filter(overall__isnull=False).aggregate(total=Count("id"), score=Sum("overall"))
    avg = ratio(c["score"] or 0, c["total"])
    if avg is None:
        return NO_DATA
    return MetricValue(rounded(satisfaction_100_from_overall(avg)), satisfaction_100_from_overall(c["score"]),
                       c["total"])


def _tickets(scope: Scope):
    qs = selectors.ticket_queryset()
    return None if qs is None else qs.filter(scope.customer_q("customer__"))


def _avg_duration(qs, start_field: str, end_field: str, seconds_per_unit: float) -> MetricValue:
    c = qs.aggregate(n=Count("id"), total=Sum(ExpressionWrapper(F(end_field) - F(start_field),
                                                                output_field=DurationField())))
    if not c["n"] or c["total"] is None:
        return NO_DATA
    total_units = c["total"].total_seconds() / seconds_per_unit
    return MetricValue(rounded(total_units / c["n"]), rounded(total_units), c["n"])


def first_response_minutes(*, period: Period, scope: Scope) -> MetricValue:
    """Average minutes from creation to the first staff response, over tickets created in the period that have one."""
    qs = _tickets(scope)
    if qs is None:
        return NO_DATA
    qs = qs.filter(created_at__gte=period.start_at, created_at__lt=period.end_at, first_response_at__isnull=False)
    return _avg_duration(qs, "created_at", "first_response_at", 60.0)


def resolution_hours(*, period: Period, scope: Scope) -> MetricValue:
    """Average hours from creation to resolution, over tickets resolved in the period."""
    qs = _tickets(scope)
    if qs is None:
        return NO_DATA
    qs = qs.filter(resolved_at__gte=period.start_at, resolved_at__lt=period.end_at)
    return _avg_duration(qs, "created_at", "resolved_at", 3600.0)


def sla_compliance(*, period: Period, scope: Scope) -> MetricValue:
    """Tickets created in the period with no SLA breach recorded on any clock ÷ tickets created in the period."""
    qs = _tickets(scope)
    breach = selectors.sla_breach_model()
    if qs is None or breach is None:
        return NO_DATA
    qs = qs.filter(created_at__gte=period.start_at, created_at__lt=period.end_at)
    c = qs.aggregate(n=Count("id"))
    if not c["n"]:
        return NO_DATA
    compliant = qs.filter(~Exists(breach.objects.filter(ticket=OuterRef("pk")))).count()
    return MetricValue(pct(ratio(compliant, c["n"])), compliant, c["n"])


def repeat_complaint_rate(*, period: Period, scope: Scope) -> MetricValue:
    """Complaint tickets created in the period flagged repeat (same customer and
    category within 30 days, flagged by the tickets app) ÷ complaint tickets created in the period."""
    qs = _tickets(scope)
    if qs is None:
        return NO_DATA
    c = qs.filter(is_complaint=True, created_at__gte=period.start_at, created_at__lt=period.end_at).aggregate(
        n=Count("id"), repeats=Count("id", filter=Q(is_repeat=True)))
    if not c["n"]:
        return NO_DATA
    return MetricValue(pct(ratio(c["repeats"], c["n"])), c["repeats"], c["n"])
