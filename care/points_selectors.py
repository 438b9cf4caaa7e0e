"""Reads of the points ledger (issue #11 item 6). For other apps:

- ``points_balance_annotations()``: the columns a customer list annotates
  (``points_net_spend``, ``points_ledger``) so that ``points_balance_of(customer)``
  reads a row's balance without a query (crm's customer API);
- ``points_summary(customer=)``: one customer's points, one definition:
  *earned* = spend points (segmentation.analytics.spend_points, what the membership
  level counts) + referral bonuses + positive manual adjustments; *balance* =
  earned − redemptions − negative adjustments. The level follows *earned*, so a
  redemption never lowers it.
"""
from __future__ import annotations

from django.db.models import Case, DecimalField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from care.models import PointsEntry, PointsKind, Reward

EARNED_Q = Q(kind__in=[PointsKind.REFERRAL, PointsKind.ADJUSTMENT], points__gt=0)


def _net_spend_expression():
    from crm.models import Transaction

    return Sum(Case(When(kind=Transaction.Kind.PURCHASE, then=F("amount")), default=-F("amount"),
                    output_field=DecimalField(max_digits=16, decimal_places=2)))


def net_spend_lifetime(*, customer_id: int):
    from crm.models import Transaction

    return Transaction.objects.filter(customer_id=customer_id).aggregate(v=_net_spend_expression())["v"]


def points_balance_annotations() -> dict:
    """Two correlated sums per customer row: its lifetime net spend and its ledger total."""
    from crm.models import Transaction

    spend = (Transaction.objects.filter(customer_id=OuterRef("pk")).order_by().values("customer_id")
             .annotate(v=_net_spend_expression()).values("v"))
    ledger = (PointsEntry.objects.filter(customer_id=OuterRef("pk")).order_by().values("customer_id")
              .annotate(v=Sum("points")).values("v"))
    return {"points_net_spend": Subquery(spend, output_field=DecimalField(max_digits=16, decimal_places=2)),
            "points_ledger": Coalesce(Subquery(ledger, output_field=IntegerField()), Value(0))}


def points_balance_of(customer) -> int:
    """The balance of a customer loaded with ``points_balance_annotations``."""
    return points_balance_from(customer.points_net_spend, customer.points_ledger)


def points_balance_from(net_spend, ledger) -> int:
    """The balance from the two sums of ``points_balance_annotations`` (a row of ``values()``)."""
    from segmentation.analytics import spend_points_of

    return spend_points_of(net_spend) + int(ledger or 0)


def points_summary(*, customer) -> dict:
    """``spend`` (points earned by spend), ``bonus`` (referral + positive adjustments),
    ``earned`` (their sum: the membership level's points), ``spent`` (redemptions and
    negative adjustments, a positive number) and ``balance`` (earned − spent). Two queries."""
    from segmentation.analytics import spend_points_of

    sums = PointsEntry.objects.filter(customer_id=customer.pk).aggregate(
        bonus=Coalesce(Sum("points", filter=EARNED_Q), 0), spent=Coalesce(Sum("points", filter=~EARNED_Q), 0))
    spend = spend_points_of(net_spend_lifetime(customer_id=customer.pk))
    earned = spend + sums["bonus"]
    spent = -sums["spent"]
    return {"spend": spend, "bonus": sums["bonus"], "earned": earned, "spent": spent, "balance": earned - spent}


def points_entry_list_for_user(*, user, customer_id: int | None = None) -> QuerySet[PointsEntry]:
    """The ledger lines the user may see (scoped by their customer), newest first,
    with what a list shows joined."""
    qs = PointsEntry.objects.for_user(user).select_related("customer", "reward", "referred", "actor")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs


def reward_list(*, active_only: bool = True) -> QuerySet[Reward]:
    qs = Reward.objects.all()
    return qs.filter(active=True) if active_only else qs

