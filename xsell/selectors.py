"""Reads of cross-sell. For other apps:

- ``suggestions_by_customer(user=, targets=)``: ``{customer_id: [Suggestion]}`` for
  ``targets`` (``{customer_id: (team_id, tier)}``, customers the caller already reads):
  only potential and high-value customers (SUGGESTED_TIERS), only active products the
  customer has not bought, from their team's mined pairs passing today's thresholds;
  nothing for who may not see money. Three queries for any number of customers.
- ``queue_items_annotate(items=, user=)``: the follow-up queue's items get ``cross_sell``.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from xsell import analytics
from xsell.models import CrossSellSettings, ProductAffinity

SUGGESTIONS_PER_CUSTOMER = 3


def suggested_tiers() -> tuple[str, ...]:
    from segmentation.models import Tier

    return (Tier.POTENTIAL, Tier.HIGH_VALUE)


@dataclass(frozen=True)
class Suggestion:
    product: object  # crm.Product (the consequent)
    rule: ProductAffinity

    @property
    def evidence(self) -> str:
        """The rule in words, in the active language."""
        from django.utils.translation import gettext as _

        return _("%(percent)s%% of customers with %(a)s also bought %(b)s (%(both)s of %(with_a)s; lift "
                 "%(lift)s)") % {"percent": round(self.rule.confidence * 100), "a": self.rule.antecedent.name,
                                 "b": self.product.name, "both": self.rule.with_both,
                                 "with_a": self.rule.with_antecedent, "lift": f"{self.rule.lift:.1f}"}


def cross_sell_settings_get() -> CrossSellSettings:
    """The settings singleton (defaults until an admin saves it)."""
    return CrossSellSettings.objects.filter(pk=1).first() or CrossSellSettings(pk=1)


def purchase_baskets(*, as_of=None) -> QuerySet:
    """``(team_id, customer_id, product_id)`` of every purchase line of a customer in a
    team (up to ``as_of``), distinct: what the miner reads, one query."""
    from crm.models import Transaction, TransactionLine

    lines = TransactionLine.objects.filter(transaction__kind=Transaction.Kind.PURCHASE,
                                           transaction__customer__team__isnull=False)
    if as_of is not None:
        lines = lines.filter(transaction__occurred_on__lte=as_of)
    return lines.values_list("transaction__customer__team_id", "transaction__customer_id", "product_id").distinct()


def affinity_list_for_team(*, team_id: int) -> QuerySet[ProductAffinity]:
    return ProductAffinity.objects.filter(team_id=team_id).select_related("antecedent", "consequent")


def suggestions_by_customer(*, user, targets: dict[int, tuple[int | None, str]],
                            limit: int = SUGGESTIONS_PER_CUSTOMER) -> dict[int, list[Suggestion]]:
    """See the module docstring. Of the rules leading to one product the most
    confident speaks for it; the most confident suggestions come first."""
    from core import access
    from crm.models import Transaction, TransactionLine

    tiers = suggested_tiers()
    wanted = {cid: team for cid, (team, tier) in targets.items() if team is not None and tier in tiers}
    if not wanted or not access.can_see_money(user):
        return {}
    owned: dict[int, set[int]] = {}
    for cid, pid in (TransactionLine.objects.filter(transaction__customer_id__in=list(wanted),
                                                    transaction__kind=Transaction.Kind.PURCHASE)
                     .values_list("transaction__customer_id", "product_id").distinct()):
        owned.setdefault(cid, set()).add(pid)
    if not owned:
        return {}
    antecedents = set().union(*owned.values())
    settings = cross_sell_settings_get()
    rules: dict[int, list[ProductAffinity]] = {}
    for rule in (ProductAffinity.objects.filter(team_id__in=set(wanted.values()), antecedent_id__in=antecedents,
                                                consequent__active=True)
                 .select_related("antecedent", "consequent").order_by("-confidence", "-lift", "id")):
        if analytics.passes(support=rule.support, confidence=rule.confidence, lift=rule.lift, settings=settings):
            rules.setdefault(rule.team_id, []).append(rule)
    out: dict[int, list[Suggestion]] = {}
    for cid, team in wanted.items():
        has = owned.get(cid, set())
        picked: dict[int, Suggestion] = {}
        for rule in rules.get(team, ()):  # most confident first
            if rule.antecedent_id in has and rule.consequent_id not in has and rule.consequent_id not in picked:
                picked[rule.consequent_id] = Suggestion(product=rule.consequent, rule=rule)
                if len(picked) == limit:
                    break
        if picked:
            out[cid] = list(picked.values())
    return out


def queue_items_annotate(*, items: list[dict], user) -> list[dict]:
    """Each queue item gets ``cross_sell`` (its customer's suggestions, [] when none)."""
    targets = {item["customer"].pk: (item["customer"].team_id, item.get("tier") or "") for item in items}
    found = suggestions_by_customer(user=user, targets=targets)
    for item in items:
        item["cross_sell"] = found.get(item["customer"].pk, [])
    return items
