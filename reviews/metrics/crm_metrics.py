"""Metrics computed from the crm app's raw records (transactions, interactions,
customers) plus ticket activity for churn. Each function takes a Period and a
Scope and returns a MetricValue; formulas come from core.formulas."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from core.formulas import collection_rate, ratio
from crm.models import Customer, Interaction, Transaction
from reviews import selectors
from reviews.metrics.base import NO_DATA, MetricValue, Period, Scope, pct, rounded

ACTIVITY_DAYS = 90  # DESIGN: "some activity in the 90 days before it"
ACTIVATION_DAYS = 30
CLV_MAX_LIFETIME_YEARS = 10.0


def _active_before(instant: dt.datetime):
    """A condition on Customer: some transaction, interaction or ticket in the
    ACTIVITY_DAYS before ``instant`` (window [instant − 90 days, instant))."""
    since = instant - dt.timedelta(days=ACTIVITY_DAYS)
    local_until = timezone.localtime(instant).date()
    local_since = timezone.localtime(since).date()
    cond = Exists(Transaction.objects.filter(customer=OuterRef("pk"), occurred_on__gte=local_since,
                                             occurred_on__lt=local_until))
    cond = cond | Exists(Interaction.objects.filter(customer=OuterRef("pk"), occurred_at__gte=since,
                                                    occurred_at__lt=instant))
    tickets = selectors.ticket_queryset()
    if tickets is not None:
        cond = cond | Exists(tickets.filter(customer=OuterRef("pk"), created_at__gte=since, created_at__lt=instant))
    return cond


def churn_rate(*, period: Period, scope: Scope) -> MetricValue:
    """Active at the period start (activity in the 90 days before it) and with no
    activity in the 90 days before the period end, ÷ active at the start. Raw records."""
    active_at_start = Customer.objects.filter(scope.customer_q()).filter(_active_before(period.start_at))
    denominator = active_at_start.count()
    if not denominator:
        return NO_DATA
    numerator = active_at_start.filter(~Q(_active_before(period.end_at))).count()
    return MetricValue(pct(ratio(numerator, denominator)), numerator, denominator)


def _purchases(period: Period, scope: Scope):
    return Transaction.objects.filter(scope.customer_q("customer__"), kind=Transaction.Kind.PURCHASE,
                                      occurred_on__gte=period.start, occurred_on__lte=period.end)


def repurchase_rate(*, period: Period, scope: Scope) -> MetricValue:
    """Customers with ≥ 2 purchases in the period ÷ customers with ≥ 1."""
    per_customer = _purchases(period, scope).values("customer_id").annotate(n=Count("id")).order_by()
    denominator = per_customer.count()
    if not denominator:
        return NO_DATA
    numerator = per_customer.filter(n__gte=2).count()
    return MetricValue(pct(ratio(numerator, denominator)), numerator, denominator)


def collection(*, period: Period, scope: Scope) -> MetricValue:
    """Purchases due in the period paid on or before their due date ÷ purchases due in the period."""
    due = Transaction.objects.filter(scope.customer_q("customer__"), kind=Transaction.Kind.PURCHASE,
                                     due_on__gte=period.start, due_on__lte=period.end)
    counts = due.aggregate(due=Count("id"),
                           on_time=Count("id", filter=Q(paid_on__isnull=False, paid_on__lte=F("due_on"))))
    value = collection_rate(paid_on_time=counts["on_time"], due=counts["due"])
    if value is None:
        return NO_DATA
    return MetricValue(pct(value), counts["on_time"], counts["due"])


def contact_frequency(*, period: Period, scope: Scope) -> MetricValue:
    """Interactions in the period ÷ (customers existing at the period end × months in the period)."""
    interactions = Interaction.objects.filter(scope.customer_q("customer__"), occurred_at__gte=period.start_at,
                                              occurred_at__lt=period.end_at).count()
    customers = Customer.objects.filter(scope.customer_q(), created_at__lt=period.end_at).count()
    customer_months = round(customers * period.months, 4)
    value = ratio(interactions, customer_months)
    if value is None:
        return NO_DATA
    return MetricValue(rounded(value, 3), interactions, customer_months)


def activation_30d(*, period: Period, scope: Scope) -> MetricValue:
    """Customers created in the period with a purchase within 30 days of their
    creation day ÷ customers created in the period."""
    cohort = dict(Customer.objects.filter(scope.customer_q(), created_at__gte=period.start_at,
                                          created_at__lt=period.end_at).values_list("id", "created_at"))
    if not cohort:
        return NO_DATA
    created_on = {pk: timezone.localtime(at).date() for pk, at in cohort.items()}
    purchases = Transaction.objects.filter(
        customer_id__in=list(cohort), kind=Transaction.Kind.PURCHASE, occurred_on__gte=period.start,
        occurred_on__lte=period.end + dt.timedelta(days=ACTIVATION_DAYS),
    ).values_list("customer_id", "occurred_on")
    activated = {cid for cid, on in purchases
                 if created_on[cid] <= on <= created_on[cid] + dt.timedelta(days=ACTIVATION_DAYS)}
    return MetricValue(pct(ratio(len(activated), len(cohort))), len(activated), len(cohort))


def winback_rate(*, period: Period, scope: Scope) -> MetricValue:
    """Customers whose tier at the period start was churn_risk (latest segment
    history on or before the start) who made a purchase in the period ÷ those customers."""
    cohort = selectors.churn_risk_customers_at(day=period.start, customers=Customer.objects.filter(scope.customer_q()))
    if cohort is None:
        return NO_DATA
    denominator = cohort.count()
    if not denominator:
        return NO_DATA
    numerator = cohort.filter(Exists(Transaction.objects.filter(
        customer=OuterRef("pk"), kind=Transaction.Kind.PURCHASE, occurred_on__gte=period.start,
        occurred_on__lte=period.end))).count()
    return MetricValue(pct(ratio(numerator, denominator)), numerator, denominator)


def clv(*, period: Period, scope: Scope) -> MetricValue:
    """Customer lifetime value (CNY) = average net spend per purchasing customer in
    the period, annualised (× 365.25 / days), × expected lifetime in years.
    Expected lifetime = 1 ÷ annual churn rate (the period's churn rate compounded
    to a year), capped at 10 years (also used when nothing churned or churn has no
    data). Numerator: net spend (purchases − refunds) in the period; denominator:
    customers with a purchase in the period."""
    spend = Transaction.objects.filter(scope.customer_q("customer__"), occurred_on__gte=period.start,
                                       occurred_on__lte=period.end).aggregate(
        bought=Sum("amount", filter=Q(kind=Transaction.Kind.PURCHASE)),
        refunded=Sum("amount", filter=Q(kind=Transaction.Kind.REFUND)))
    buyers = _purchases(period, scope).values("customer_id").distinct().count()
    net = float(spend["bought"] or 0) - float(spend["refunded"] or 0)
    per_customer = ratio(net, buyers)
    if per_customer is None:
        return NO_DATA
    annual = per_customer * 365.25 / period.days
    lifetime = clv_lifetime_years(churn_pct=churn_rate(period=period, scope=scope).value, days=period.days)
    return MetricValue(rounded(annual * lifetime, 2), rounded(net, 2), buyers)


def clv_lifetime_years(*, churn_pct: float | None, days: int) -> float:
    if not churn_pct:
        return CLV_MAX_LIFETIME_YEARS
    annual_churn = 1 - (1 - churn_pct / 100.0) ** (365.25 / days)
    if annual_churn <= 0:
        return CLV_MAX_LIFETIME_YEARS
    return min(CLV_MAX_LIFETIME_YEARS, 1 / annual_churn)
