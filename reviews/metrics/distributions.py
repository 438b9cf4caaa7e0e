"""The dashboard's distributions as drill-down sources: tier mix (at the period's
last day), the value × engagement grid (same day) and tickets by category (in the
period). Not KPIs — no target, no direction that matters — but every bar and cell
opens its records the same way a KPI does: each part is a queryset of the very
rows the dashboard's grouped count reads (``reviews.selectors``)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm.models import Customer
from reviews import selectors
from reviews.metrics.base import HIGHER, Definition, Metric, MetricValue, Part, Period, Scope
from segmentation.models import Tier, ValueTier

TIERS = tuple(Tier.values)
VALUE_TIERS = tuple(ValueTier.values)


def _count(parts: dict[str, float], period: Period) -> MetricValue:
    total = sum(parts.values())
    return MetricValue(total if parts else None, None, None, parts)


def _customers_of(rows) -> Part:
    return Part(Customer.objects.filter(pk__in=rows.values("customer_id")))


def _tier_mix_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Customers by tier on the period's last day."""
    segments = selectors.segments_at(day=period.end)
    if segments is None:
        return None
    scoped = segments.filter(scope.customer_q("customer__"))
    return {tier: _customers_of(scoped.filter(tier=tier)) for tier in TIERS}


def _grid_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Customers by value tier × engagement band ("high:low", …) on the period's last day."""
    cells = selectors.value_engagement_cells(day=period.end, scope=scope)
    if cells is None:
        return None
    return {f"{value}:{band}": _customers_of(cells.filter(value_tier=value, band=i))
            for value in VALUE_TIERS for i, (band, _low) in enumerate(selectors.ENGAGEMENT_BANDS)}


def _ticket_category_parts(*, period: Period, scope: Scope) -> dict[str, Part] | None:
    """Tickets created in the period, by category."""
    tickets = selectors.tickets_created(period=period, scope=scope)
    if tickets is None:
        return None
    from tickets.models import Category

    return {c: Part(tickets.filter(category=c)) for c in Category.values}


def _distribution(key: str, name, formula, parts) -> Metric:
    return Metric(key, name, "count", HIGHER, formula, formula, "", "dashboard",
                  Definition(parts=parts, value=_count))


DISTRIBUTIONS: dict[str, Metric] = {m.key: m for m in [
    _distribution("tier_mix", _("Tier mix"), _("customers in each tier on the last day of the period"),
                  _tier_mix_parts),
    _distribution("value_engagement", _("Value × engagement"),
                  _("customers in each value tier × engagement band on the last day of the period"), _grid_parts),
    _distribution("ticket_categories", _("Tickets by category"), _("tickets created in the period, by category"),
                  _ticket_category_parts),
]}
