"""The cross-sell panel of the customer page (registered in crm.selectors.CUSTOMER_PANELS)."""
from __future__ import annotations

from xsell import selectors


def customer_suggestions_panel(*, request, customer) -> dict | None:
    """Shown for potential and high-value customers (and who may see money). The
    customer comes from crm.selectors with ``segment`` preloaded."""
    from core import access
    from segmentation.models import CustomerSegment

    try:
        tier = customer.segment.tier
    except CustomerSegment.DoesNotExist:
        return None
    if tier not in selectors.suggested_tiers() or not access.can_see_money(request.user):
        return None
    found = selectors.suggestions_by_customer(user=request.user, targets={customer.pk: (customer.team_id, tier)})
    return {"template": "xsell/_customer_panel.html",
            "context": {"suggestions": found.get(customer.pk, [])}, "order": 15}
