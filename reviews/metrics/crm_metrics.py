"""Metrics computed from the crm app's raw records (transactions, interactions,
customers) plus ticket activity for churn. Each metric is a ``Definition``: its
parts are querysets of the records it counts, and its value is computed from the
measured parts only — so a part's drill-down list and the number cannot disagree."""
from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Case, Count, DecimalField, Exists, F, OuterRef, Q, Subquery, When
from django.utils import timezone

from core.clock import LocalDayStart
from core.formulas import ratio
from crm.activity import ACTIVITY_DAYS, active_at_q  # DESIGN: "some activity in the 90 days before it"
from crm.models import Customer, FollowUp, Interaction, Transaction
from reviews import selectors
from reviews.metrics.base import Definition, MetricValue, Part, Period, Scope, rate, rounded

ACTIVATION_DAYS = 30
# Seed 002's 首次回访时效: a new customer's first interaction within this many days of the first deal.
FIRST_FOLLOWUP_DAYS = 7
CLV_MAX_LIFETIME_YEARS = 5.0


def _customers(scope: Scope):
    return Customer.objects.filter(scope.customer_q())


def _active_before(instant: dt.datetime) -> Q:
    """A condition on Customer: some transaction, interaction or ticket in the
    ACTIVITY_DAYS before ``instant`` (a period boundary, 00:00 local: the local days
    [instant − 90 days, instant)). Read from the customers' activity spells
    (crm.activity: one index range instead of every record of the window)."""
    return active_at_q(timezone.localtime(instant).date())


def _churn_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """denominator: customers active at the period start (activity in the 90 days
    before it); numerator: those of them with no activity in the 90 days before the end."""
    active_at_start = _customers(scope).filter(_active_before(period.start_at))
    return {"numerator": Part(active_at_start.filter(~_active_before(period.end_at))),
            "denominator": Part(active_at_start)}


churn_rate = Definition(parts=_churn_parts, value=rate())


def _retention_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """Churn's other side: denominator customers active at the period start;
    numerator those of them still active in the 90 days before the end (kept)."""
    active_at_start = _customers(scope).filter(_active_before(period.start_at))
    return {"numerator": Part(active_at_start.filter(_active_before(period.end_at))),
            "denominator": Part(active_at_start)}


retention_rate = Definition(parts=_retention_parts, value=rate())


def _followups(scope: Scope):
    return FollowUp.objects.filter(scope.customer_q("customer__"))


def _followup_on_time_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """denominator: follow-ups due in the period; numerator: those done by their due time."""
    due = _followups(scope).filter(due_at__gte=period.start_at, due_at__lt=period.end_at)
    return {"numerator": Part(due.filter(done_at__isnull=False, done_at__lte=F("due_at"))),
            "denominator": Part(due)}


followup_on_time = Definition(parts=_followup_on_time_parts, value=rate())


def _followups_overdue_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """Follow-ups open and past due at the period end (not done by then)."""
    end = period.end_at
    overdue = _followups(scope).filter(Q(due_at__lt=end) & (Q(done_at__isnull=True) | Q(done_at__gte=end)))
    return {"count": Part(overdue)}


def _count_value(parts: dict[str, float], period: Period) -> MetricValue:
    return MetricValue(parts["count"], parts["count"], None, parts)


followups_overdue = Definition(parts=_followups_overdue_parts, value=_count_value)


def _purchases(period: Period, scope: Scope):
    return Transaction.objects.filter(scope.customer_q("customer__"), kind=Transaction.Kind.PURCHASE,
                                      occurred_on__gte=period.start, occurred_on__lte=period.end)


def _repurchase_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """Customers with ≥ 2 purchases in the period ÷ customers with ≥ 1."""
    per_customer = _purchases(period, scope).order_by().values("customer_id").annotate(n=Count("id"))
    return {"numerator": Part(Customer.objects.filter(pk__in=per_customer.filter(n__gte=2).values("customer_id"))),
            "denominator": Part(Customer.objects.filter(pk__in=per_customer.values("customer_id")))}


repurchase_rate = Definition(parts=_repurchase_parts, value=rate())


def _collection_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """Purchases due in the period paid on or before their due date ÷ purchases due
    in the period (core.formulas.collection_rate's rule, as transactions)."""
    due = Transaction.objects.filter(scope.customer_q("customer__"), kind=Transaction.Kind.PURCHASE,
                                     due_on__gte=period.start, due_on__lte=period.end)
    return {"numerator": Part(due.filter(paid_on__isnull=False, paid_on__lte=F("due_on"))),
            "denominator": Part(due)}


collection = Definition(parts=_collection_parts, value=rate())


def _contact_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """numerator: interactions in the period; customers: customers at the period end
    (customer since on or before it)."""
    return {
        "numerator": Part(Interaction.objects.filter(scope.customer_q("customer__"), occurred_at__gte=period.start_at,
                                                     occurred_at__lt=period.end_at)),
        "customers": Part(_customers(scope).customers_since_on_or_before(period.end)),
    }


def _contact_value(parts: dict[str, float], period: Period) -> MetricValue:
    """Interactions ÷ (customers × months in the period)."""
    customer_months = round(parts["customers"] * period.months, 4)
    value = ratio(parts["numerator"], customer_months)
    if value is None:
        return MetricValue(None, None, None, parts)
    return MetricValue(rounded(value, 3), parts["numerator"], customer_months, parts)


contact_frequency = Definition(parts=_contact_parts, value=_contact_value)


def _activation_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """denominator: customers who became customers in the period (customer since in
    it); numerator: those with a purchase within 30 days of that day (customer since
    is never after the first transaction, so the first purchase decides)."""
    first_purchase = Subquery(Transaction.objects.filter(customer=OuterRef("pk"), kind=Transaction.Kind.PURCHASE)
                              .order_by("occurred_on").values("occurred_on")[:1])
    # Customer since is never after the creation day: only customers created on or after the
    # start can be in the cohort, a narrowing the created_at index serves.
    cohort = (_customers(scope).filter(created_at__gte=period.start_at).with_customer_since()
              .filter(customer_since__gte=period.start, customer_since__lte=period.end))
    activated = cohort.annotate(first_purchase_on=first_purchase).filter(
        first_purchase_on__lte=F("customer_since") + dt.timedelta(days=ACTIVATION_DAYS))
    return {"numerator": Part(activated), "denominator": Part(cohort)}


activation_30d = Definition(parts=_activation_parts, value=rate())


def _winback_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """denominator: customers whose tier at the period start was churn_risk (latest
    segment history on or before the start); numerator: those with a purchase in the period."""
    cohort = selectors.churn_risk_customers_at(day=period.start, customers=_customers(scope))
    if cohort is None:
        return None
    bought = Exists(Transaction.objects.filter(customer=OuterRef("pk"), kind=Transaction.Kind.PURCHASE,
                                               occurred_on__gte=period.start, occurred_on__lte=period.end))
    return {"numerator": Part(cohort.filter(bought)), "denominator": Part(cohort)}


winback_rate = Definition(parts=_winback_parts, value=rate())

def _first_followup_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """denominator: customers whose first purchase (first deal) fell in the period;
    numerator: those with an interaction on the day of that deal or in the
    FIRST_FOLLOWUP_DAYS days after it (local days)."""
    # A first deal in the period: a purchase in it (the buyers, from the period's index) whose
    # customer's first purchase is not before it (one index-only probe per buyer).
    purchases = Transaction.objects.filter(customer=OuterRef("pk"), kind=Transaction.Kind.PURCHASE)
    first_deal = Subquery(purchases.order_by("occurred_on").values("occurred_on")[:1])
    cohort = (Customer.objects.filter(_pk_among(_purchases(period, scope).values("customer_id")))
              .annotate(first_deal_on=first_deal).filter(first_deal_on__gte=period.start))
    # The first such interaction's id, not EXISTS: a scalar subquery is one index probe per member
    # of the cohort (PostgreSQL checks it after the cheaper first-deal test), where an EXISTS may
    # become a hash join over every interaction (3.3 million at a million customers: 2.5 s).
    follow_up = Subquery(Interaction.objects.filter(
        _on_local_days("occurred_at", OuterRef("first_deal_on"), FIRST_FOLLOWUP_DAYS), customer=OuterRef("pk"))
        .order_by().values("pk")[:1])
    followed = cohort.annotate(follow_up_id=follow_up).filter(follow_up_id__isnull=False)
    return {"numerator": Part(followed), "denominator": Part(cohort)}


def _pk_among(ids) -> Q:
    """``pk IN (ids)``; on PostgreSQL as ``pk = ANY(ARRAY(ids))``: the ids are read once and the
    primary key probed in id order (a btree sorts an array's keys), so whatever is checked per
    row next (index probes of the same customers' transactions) walks its index in order too.
    As a semi-join, PostgreSQL may hash the ids and probe in the order they come (by day), which
    with a metric's work_mem took twice as long at a million customers."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery
        from django.db.models import BooleanField, F, Func

        return Q(Func(F("pk"), ArraySubquery(ids.order_by()), template="(%(expressions)s))", arg_joiner=" = ANY(",
                      output_field=BooleanField()))
    return Q(pk__in=ids)


def _on_local_days(instant: str, first_day, days: int) -> Q:
    """The instant field on the local days [first_day, first_day + days]: instants are compared with
    the local days' bounds [first_day 00:00, first_day + days + 1 00:00). On PostgreSQL as a range
    (an index on the instant serves it, crm_interaction's (customer, occurred_at)); elsewhere as
    the local date of each instant."""
    if connection.vendor == "postgresql":
        return Q(**{f"{instant}__gte": LocalDayStart(first_day),
                    f"{instant}__lt": LocalDayStart(first_day + dt.timedelta(days=days + 1))})
    return Q(**{f"{instant}__date__gte": first_day, f"{instant}__date__lte": first_day + dt.timedelta(days=days)})


first_followup_rate = Definition(parts=_first_followup_parts, value=rate())

# A refund counts against the spend.
SIGNED_AMOUNT = Case(When(kind=Transaction.Kind.REFUND, then=-F("amount")), default=F("amount"),
                     output_field=DecimalField(max_digits=16, decimal_places=2))


def _clv_parts(*, period: Period, scope: Scope) -> dict[str, Part]:
    """numerator: net spend (purchases − refunds) of the period's transactions;
    denominator: buying customers — a purchase in the ACTIVITY_DAYS days up to the
    period end; churned / active: the churn parts of the ACTIVITY_DAYS days ending
    with the period."""
    horizon = Period(period.end - dt.timedelta(days=ACTIVITY_DAYS - 1), period.end)
    churn = _churn_parts(period=horizon, scope=scope)
    buyers = Transaction.objects.filter(
        scope.customer_q("customer__"), kind=Transaction.Kind.PURCHASE,
        occurred_on__gte=horizon.start, occurred_on__lte=period.end).values("customer_id")
    return {
        "numerator": Part(Transaction.objects.filter(scope.customer_q("customer__"), occurred_on__gte=period.start,
                                                     occurred_on__lte=period.end), sum_of=SIGNED_AMOUNT),
        "denominator": Part(Customer.objects.filter(pk__in=buyers)),
        "churned": churn["numerator"],
        "active": churn["denominator"],
    }


def _clv_value(parts: dict[str, float], period: Period) -> MetricValue:
    """Customer lifetime value (CNY) = average yearly net spend per buying customer
    × expected lifetime in years (DESIGN "Metrics catalogue").

    - yearly net spend per buying customer = net spend in the period × 365.25 ÷
      its days, ÷ the buying customers (a head count at the period end, not
      everyone who bought during it, so a year does not count the customers who
      left or joined during it where a month would not);
    - expected lifetime = 1 ÷ yearly churn, capped at CLV_MAX_LIFETIME_YEARS (5):
      the yearly churn is the churn rate (active at the start, quiet by the end)
      of the ACTIVITY_DAYS days ending with the period × 365.25 ÷ ACTIVITY_DAYS —
      a rate of going quiet measured over the horizon of its own 90-day
      definition and scaled, never compounded;
    - no data when churn has none (nobody active at the start of those 90 days)
      or nobody is buying: never an assumed lifetime.

    In a steady population every term is the same for a month, a quarter and a
    year, and the value is what a customer spends over a whole life."""
    per_buyer = ratio(parts["numerator"], parts["denominator"])
    if per_buyer is None or not parts["active"]:
        return MetricValue(None, None, None, parts)
    yearly_churn = parts["churned"] / parts["active"] * 365.25 / ACTIVITY_DAYS
    lifetime = CLV_MAX_LIFETIME_YEARS if yearly_churn <= 0 else min(CLV_MAX_LIFETIME_YEARS, 1 / yearly_churn)
    value = per_buyer * 365.25 / period.days * lifetime
    return MetricValue(rounded(value, 2), rounded(parts["numerator"], 2), parts["denominator"], parts)


clv = Definition(parts=_clv_parts, value=_clv_value)
