"""Metrics from the surveys and tickets apps' data, read through their contracts
(``surveys.selectors.responses_in_period`` / ``NPS_BANDS``,
``tickets.selectors.tickets_for_metrics``). Each is a ``Definition`` whose parts
are querysets of answers or tickets; parts are None while the app does not exist."""
from __future__ import annotations

from django.db.models import DurationField, ExpressionWrapper, F

from core.formulas import TICKET_RATING_TO_100, nps_from_counts
from reviews import selectors
from reviews.metrics.base import Definition, MetricValue, Part, Period, Scope, average, rate


def _responses(period: Period, scope: Scope):
    from surveys.selectors import responses_in_period

    return responses_in_period(start=period.start, end=period.end, customers=selectors.scope_customers(scope))


def _nps_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Survey answers of the period with an NPS score, by band (surveys' NPS_BANDS)."""
    from surveys.selectors import NPS_BANDS

    answers = _responses(period, scope)
    if answers is None:
        return None
    answers = answers.filter(nps__isnull=False)
    return {**{band: Part(answers.filter(q)) for band, q in NPS_BANDS.items()}, "responses": Part(answers)}


def _nps_value(parts: dict[str, float], period: Period) -> MetricValue:
    """% promoters − % detractors (core.formulas.nps_from_counts)."""
    value = nps_from_counts(promoters=parts["promoters"], passives=parts["passives"], detractors=parts["detractors"])
    if value is None:
        return MetricValue(None, None, None, parts)
    return MetricValue(value, parts["promoters"] - parts["detractors"], parts["responses"], parts)


nps = Definition(parts=_nps_parts, value=_nps_value)


def _satisfaction_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Answers of the period with an overall rating; sum of satisfaction on the
    0–100 scale (overall × 10, core.formulas.satisfaction_100_from_overall)."""
    answers = _responses(period, scope)
    if answers is None:
        return None
    rated = answers.filter(overall__isnull=False)
    return {"count": Part(rated), "sum": Part(rated, sum_of=F("overall") * 10)}


avg_satisfaction = Definition(parts=_satisfaction_parts, value=average())


def _tickets_created(period: Period, scope: Scope):
    from tickets.selectors import tickets_for_metrics

    return tickets_for_metrics(start=period.start_at, end=period.end_at, customers=selectors.scope_customers(scope))


def _duration(start_field: str, end_field: str):
    return ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())


def _minutes(total) -> float:
    return total.total_seconds() / 60.0


def _hours(total) -> float:
    return total.total_seconds() / 3600.0


def _first_response_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Tickets created in the period with a first staff response; sum of minutes to it."""
    tickets = _tickets_created(period, scope)
    if tickets is None:
        return None
    answered = tickets.filter(first_response_at__isnull=False)
    return {"count": Part(answered),
            "sum": Part(answered, sum_of=_duration("created_at", "first_response_at"), convert=_minutes)}


first_response_minutes = Definition(parts=_first_response_parts, value=average())


def _resolution_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Tickets resolved in the period; sum of hours from creation to resolution."""
    tickets = selectors.ticket_queryset()
    if tickets is None:
        return None
    customers = selectors.scope_customers(scope)
    if customers is not None:
        tickets = tickets.filter(customer__in=customers)
    resolved = tickets.filter(resolved_at__gte=period.start_at, resolved_at__lt=period.end_at)
    return {"count": Part(resolved),
            "sum": Part(resolved, sum_of=_duration("created_at", "resolved_at"), convert=_hours)}


resolution_hours = Definition(parts=_resolution_parts, value=average())


def _sla_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Tickets created in the period with no SLA breach recorded on any clock ÷ tickets created."""
    tickets = _tickets_created(period, scope)
    if tickets is None:
        return None
    return {"numerator": Part(tickets.filter(any_breached=False)), "denominator": Part(tickets)}


sla_compliance = Definition(parts=_sla_parts, value=rate())


def _repeat_complaint_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Complaint tickets created in the period flagged repeat (same customer and
    category within 30 days, flagged by the tickets app) ÷ complaint tickets created."""
    tickets = _tickets_created(period, scope)
    if tickets is None:
        return None
    complaints = tickets.filter(is_complaint=True)
    return {"numerator": Part(complaints.filter(is_repeat=True)), "denominator": Part(complaints)}


repeat_complaint_rate = Definition(parts=_repeat_complaint_parts, value=rate())


def _complaint_cycle_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Seed 002's complaint cycle (投诉响应周期): complaint tickets resolved in the
    period; sum of hours from the complaint's creation to its resolution."""
    parts = _resolution_parts(period=period, scope=scope)
    if parts is None:
        return None
    return {key: Part(part.records.filter(is_complaint=True), sum_of=part.sum_of, convert=part.convert)
            for key, part in parts.items()}


complaint_cycle_hours = Definition(parts=_complaint_cycle_parts, value=average())


def _high_value_satisfaction_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Seed 001's 高价值客户满意度: the satisfaction parts of the answers of the
    customers in the high-value tier on the period's last day (their segment as it
    stood then)."""
    segments = selectors.segments_at(day=period.end)
    if segments is None:
        return None
    answers = _responses(period, scope)
    if answers is None:
        return None
    rated = answers.filter(overall__isnull=False,
                           customer_id__in=segments.filter(tier="high_value").values("customer_id"))
    return {"count": Part(rated), "sum": Part(rated, sum_of=F("overall") * 10)}


high_value_satisfaction = Definition(parts=_high_value_satisfaction_parts, value=average())


def _ticket_satisfaction_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Tickets resolved in the period rated on close (1–5); sum of the ratings on the
    0–100 scale (× core.formulas.TICKET_RATING_TO_100)."""
    parts = _resolution_parts(period=period, scope=scope)
    if parts is None:
        return None
    rated = parts["count"].records.filter(satisfaction__isnull=False)
    return {"count": Part(rated), "sum": Part(rated, sum_of=F("satisfaction") * TICKET_RATING_TO_100)}


ticket_satisfaction = Definition(parts=_ticket_satisfaction_parts, value=average())
