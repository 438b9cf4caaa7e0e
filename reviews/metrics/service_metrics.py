"""Metrics from the surveys and tickets apps' data (read through reviews.selectors).
Each returns NO_DATA while the data part does not exist or nothing was counted."""
from __future__ import annotations

from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum

from core.formulas import ratio, satisfaction_100_from_overall
from reviews import selectors
from reviews.metrics.base import NO_DATA, MetricValue, Period, Scope, pct, rounded


def _responses(period: Period, scope: Scope):
    qs = selectors.survey_response_queryset()
    if qs is None:
        return None
    return qs.filter(scope.customer_q("customer__"), answered_at__gte=period.start_at, answered_at__lt=period.end_at)


def nps(*, period: Period, scope: Scope) -> MetricValue:
    """% promoters (9–10) − % detractors (0–6) of survey answers in the period, −100…100
    (surveys.selectors.nps_counts: one aggregate, core.formulas.nps_from_counts)."""
    counts = selectors.survey_nps_counts(period=period, scope=scope)
    if counts is None or counts["nps"] is None:
        return NO_DATA
    return MetricValue(counts["nps"], counts["promoters"] - counts["detractors"], counts["responses"])


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


def _ticket_rows(period: Period, scope: Scope) -> list[dict] | None:
    """tickets.selectors.ticket_rows_for_metrics: tickets created in the period."""
    return selectors.ticket_rows_for_metrics(period=period, scope=scope)


def first_response_minutes(*, period: Period, scope: Scope) -> MetricValue:
    """Average minutes from creation to the first staff response, over tickets created in the period that have one."""
    rows = _ticket_rows(period, scope)
    if rows is None:
        return NO_DATA
    minutes = [(r["first_response_at"] - r["created_at"]).total_seconds() / 60.0 for r in rows
               if r["first_response_at"] is not None]
    avg = ratio(sum(minutes), len(minutes))
    if avg is None:
        return NO_DATA
    return MetricValue(rounded(avg), rounded(sum(minutes)), len(minutes))


def resolution_hours(*, period: Period, scope: Scope) -> MetricValue:
    """Average hours from creation to resolution, over tickets resolved in the period."""
    qs = _tickets(scope)
    if qs is None:
        return NO_DATA
    qs = qs.filter(resolved_at__gte=period.start_at, resolved_at__lt=period.end_at)
    return _avg_duration(qs, "created_at", "resolved_at", 3600.0)


def sla_compliance(*, period: Period, scope: Scope) -> MetricValue:
    """Tickets created in the period with no SLA breach recorded on any clock ÷ tickets created in the period."""
    rows = _ticket_rows(period, scope)
    if not rows:
        return NO_DATA
    compliant = sum(1 for r in rows if not r["any_breached"])
    return MetricValue(pct(ratio(compliant, len(rows))), compliant, len(rows))


def repeat_complaint_rate(*, period: Period, scope: Scope) -> MetricValue:
    """Complaint tickets created in the period flagged repeat (same customer and
    category within 30 days, flagged by the tickets app) ÷ complaint tickets created in the period."""
    rows = _ticket_rows(period, scope)
    complaints = [r for r in rows or [] if r["is_complaint"]]
    if not complaints:
        return NO_DATA
    repeats = sum(1 for r in complaints if r["is_repeat"])
    return MetricValue(pct(ratio(repeats, len(complaints))), repeats, len(complaints))
