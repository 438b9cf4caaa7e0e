"""Writes of the points ledger (issue #11 item 6): referral bonuses, manual
adjustments, redemptions for a reward.

Referral bonus: when a referred customer (``Customer.referred_by``) has bought and
has no referral bonus yet, the customer and the referrer each get
``CareSettings.referral_points``; the ledger's unique key (customer, referred) makes
it exactly once, whatever path the purchase took and however often it is looked at.
A referrer can only be recorded before the customer's first purchase
(crm.services), so "has bought, no bonus yet" is the first purchase landing. Every
purchase write reaches :func:`points_on_event` (core.events): the transaction
service (pages and API) with ``transaction.created``, the transaction import with
``crm.bulk_written`` (entity ``transactions``).

A redemption or a negative adjustment locks the customer row first
(``select_for_update``), then reads the balance: two at once are serialised and
the second sees the first, so the balance never goes below zero."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from care import points_selectors
from care.models import PointsEntry, PointsKind, Reward
from core import access


def referral_bonuses_award(*, customer_ids, now: dt.datetime) -> int:
    """Award the referral bonus of those of ``customer_ids`` who are referred, have
    bought and have none yet (set-based: one read, one insert). Returns the lines written."""
    from care.selectors import care_settings_get
    from crm.models import Customer, Transaction

    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return 0
    points = care_settings_get().referral_points
    if not points:
        return 0
    due = list(Customer.objects.filter(pk__in=ids, referred_by__isnull=False)
               .filter(Exists(Transaction.objects.filter(customer_id=OuterRef("pk"), kind=Transaction.Kind.PURCHASE)))
               .exclude(Exists(PointsEntry.objects.filter(customer_id=OuterRef("pk"), referred_id=OuterRef("pk"),
                                                          kind=PointsKind.REFERRAL)))
               .values_list("pk", "referred_by_id"))
    rows = []
    for pk, referrer_id in due:
        rows.append(PointsEntry(customer_id=pk, referred_id=pk, kind=PointsKind.REFERRAL, points=points,
                                created_at=now))
        if referrer_id != pk:
            rows.append(PointsEntry(customer_id=referrer_id, referred_id=pk, kind=PointsKind.REFERRAL,
                                    points=points, created_at=now))
    # A concurrent writer may have awarded meanwhile: the unique key keeps its lines, ours are dropped.
    PointsEntry.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def points_on_event(*, event: str, obj, now: dt.datetime) -> None:
    """core.events receiver (in the writer's transaction): a purchase landed."""
    from crm.bulk import BULK_WRITTEN
    from crm.models import Transaction

    if event == "transaction.created" and isinstance(obj, Transaction):
        if obj.kind == Transaction.Kind.PURCHASE:
            referral_bonuses_award(customer_ids=[obj.customer_id], now=now)
    elif event == BULK_WRITTEN and obj.get("entity") == "transactions" and obj.get("created"):
        customers = (Transaction.objects.filter(pk__in=obj["created"], kind=Transaction.Kind.PURCHASE)
                     .order_by().values_list("customer_id", flat=True).distinct())
        referral_bonuses_award(customer_ids=list(customers), now=now)


def _lock(customer) -> None:
    from crm.models import Customer

    Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).first()


@transaction.atomic
def points_redeem(*, actor, customer, reward: Reward, now: dt.datetime) -> PointsEntry:
    """Spend ``reward.points`` of the customer's balance on ``reward``; refused
    (nothing written) when the balance would go below zero."""
    if not access.can_redeem_points(actor):
        raise PermissionDenied
    if not reward.active:
        raise ValidationError({"reward": [_("This reward is no longer offered.")]})
    _lock(customer)
    balance = points_selectors.points_summary(customer=customer)["balance"]
    if reward.points > balance:
        raise ValidationError({"reward": [
            _("Not enough points: %(reward)s needs %(needed)s, the balance is %(balance)s.")
            % {"reward": reward.label, "needed": reward.points, "balance": balance}]})
    return PointsEntry.objects.create(customer=customer, kind=PointsKind.REDEMPTION, points=-reward.points,
                                      reward=reward, reason=reward.label, actor=actor, created_at=now)


@transaction.atomic
def points_adjust(*, actor, customer, points: int, reason: str, now: dt.datetime) -> PointsEntry:
    """A manual adjustment by a team lead or admin, with a reason. A positive one
    counts as earned (the membership level follows it); a negative one may not take
    the balance below zero."""
    if not access.can_adjust_points(actor):
        raise PermissionDenied
    errors = {}
    if not points:
        errors["points"] = [_("Enter a number of points other than zero.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the points are adjusted.")]
    if errors:
        raise ValidationError(errors)
    if points < 0:
        _lock(customer)
        balance = points_selectors.points_summary(customer=customer)["balance"]
        if balance + points < 0:
            raise ValidationError({"points": [
                _("The balance is %(balance)s: it cannot go below zero.") % {"balance": balance}]})
    return PointsEntry.objects.create(customer=customer, kind=PointsKind.ADJUSTMENT, points=points,
                                      reason=reason.strip()[:300], actor=actor, created_at=now)


DEFAULT_REWARDS = (
    # Stored as the English msgid, shown translated (Reward.label).
    (gettext_noop("Coupon worth CNY 50"), 500),
    (gettext_noop("Coupon worth CNY 200"), 1800),
    (gettext_noop("Branded gift box"), 3000),
    (gettext_noop("One free training session"), 8000),
)


def rewards_default_ensure() -> int:
    """The default reward catalogue when there is none yet; returns the rewards created."""
    if Reward.objects.exists():
        return 0
    Reward.objects.bulk_create([Reward(name=name, points=points) for name, points in DEFAULT_REWARDS])
    return len(DEFAULT_REWARDS)
