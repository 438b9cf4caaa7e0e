"""Metrics computed from the crm app's raw records (transactions, interactions,
customers) plus ticket activity for churn. Each function takes a Period and a
Scope and returns a MetricValue; formulas come from core.formulas."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from core.formulas import collection_rate, ratio
from crm.models import Customer, Interaction, Transaction
from reviews import selectors
from reviews.metrics.base import NO_DATA, MetricValue, Period, Scope, pct, rounded

ACTIVITY_DAYS = 90  # DESIGN: "some activity in the 90 days before it"
ACTIVATION_DAYS = 30
CLV_MAX_LIFETIME_YEARS = 5.0


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
    """Interactions in the period ÷ (customers at the period end — customer since
    on or before it — × months in the period)."""
    interactions = Interaction.objects.filter(scope.customer_q("customer__"), occurred_at__gte=period.start_at,
                                              occurred_at__lt=period.end_at).count()
    customers = (Customer.objects.filter(scope.customer_q()).with_customer_since()
                 .filter(customer_since__lte=period.end).count())
    customer_months = round(customers * period.months, 4)
    value = ratio(interactions, customer_months)
    if value is None:
        return NO_DATA
    return MetricValue(rounded(value, 3), interactions, customer_months)


def activation_30d(*, period: Period, scope: Scope) -> MetricValue:
    """Customers who became customers in the period (customer since in it) with a
    purchase within 30 days of that day ÷ those customers."""
    first_purchase = Subquery(Transaction.objects.filter(customer=OuterRef("pk"), kind=Transaction.Kind.PURCHASE)
                              .order_by("occurred_on").values("occurred_on")[:1])
    cohort = list(Customer.objects.filter(scope.customer_q()).with_customer_since()
                  .filter(customer_since__gte=period.start, customer_since__lte=period.end)
                  .annotate(first_purchase_on=first_purchase).order_by()
                  .values_list("customer_since", "first_purchase_on"))
    if not cohort:
        return NO_DATA
    # Customer since is never after the first transaction: only the 30-day bound is checked.
    activated = sum(1 for since, first in cohort
                    if first is not None and first <= since + dt.timedelta(days=ACTIVATION_DAYS))
    return MetricValue(pct(ratio(activated, len(cohort))), activated, len(cohort))


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
    """Customer lifetime value (CNY) = average yearly net spend per buying customer
    × expected lifetime in years (DESIGN "Metrics catalogue").

    - yearly net spend per buying customer = net spend (purchases − refunds) in
      the period × 365.25 ÷ its days, ÷ the buying customers: those with a
      purchase in the ACTIVITY_DAYS (90) days up to the period end — a head count
      at one date, not everyone who bought during the period, so a year does not
      count the customers who left or joined during it as a month would not;
    - expected lifetime = 1 ÷ yearly churn, capped at CLV_MAX_LIFETIME_YEARS (5):
      the yearly churn is the churn rate (``churn_rate``: active at the start,
      quiet by the end) of the ACTIVITY_DAYS days ending with the period, × 365.25
      ÷ ACTIVITY_DAYS — a rate of going quiet per active customer, measured over
      the horizon of its own 90-day definition and scaled, never compounded;
    - no data when churn has none (nobody active at the start of those 90 days)
      or nobody is buying: never an assumed lifetime.

    In a steady population (as many customers join as go quiet) every term is
    the same for a month, a quarter and a year, and the value is the average
    spend of a customer over their whole life."""
    per_year = clv_yearly_spend(period=period, scope=scope)
    lifetime = clv_lifetime_years(period=period, scope=scope)
    if per_year is None or lifetime is None:
        return NO_DATA
    net, buyers, yearly = per_year
    return MetricValue(rounded(yearly * lifetime, 2), rounded(net, 2), buyers)


def clv_yearly_spend(*, period: Period, scope: Scope) -> tuple[float, int, float] | None:
    """(net spend in the period, buying customers at its end, yearly net spend per buying customer)."""
    spend = Transaction.objects.filter(scope.customer_q("customer__"), occurred_on__gte=period.start,
                                       occurred_on__lte=period.end).aggregate(
        bought=Sum("amount", filter=Q(kind=Transaction.Kind.PURCHASE)),
        refunded=Sum("amount", filter=Q(kind=Transaction.Kind.REFUND)))
    buyers = Transaction.objects.filter(
        scope.customer_q("customer__"), kind=Transaction.Kind.PURCHASE,
        occurred_on__gt=period.end - dt.timedelta(days=ACTIVITY_DAYS), occurred_on__lte=period.end,
    ).values("customer_id").distinct().count()
    net = float(spend["bought"] or 0) - float(spend["refunded"] or 0)
    per_buyer = ratio(net, buyers)
    if per_buyer is None:
        return None
    return net, buyers, per_buyer * 365.25 / period.days


def clv_lifetime_years(*, period: Period, scope: Scope) -> float | None:
    """1 ÷ yearly churn (see ``clv``), at most CLV_MAX_LIFETIME_YEARS; None without churn data."""
    horizon = Period(period.end - dt.timedelta(days=ACTIVITY_DAYS - 1), period.end)
    churn = churn_rate(period=horizon, scope=scope)
    if churn.denominator is None:
        return None
    yearly_churn = churn.numerator / churn.denominator * 365.25 / ACTIVITY_DAYS
    if yearly_churn <= 0:
        return CLV_MAX_LIFETIME_YEARS
    return min(CLV_MAX_LIFETIME_YEARS, 1 / yearly_churn)
