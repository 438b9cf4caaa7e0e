"""The segment panel of the customer page (registered in crm.selectors.CUSTOMER_PANELS)."""
from __future__ import annotations

from segmentation.models import CustomerSegment


def customer_segment_panel(*, request, customer) -> dict | None:
    """Tier and reason, RFM, value tier, membership and the health score with its
    components. The customer comes from crm.selectors with ``segment`` preloaded."""
    try:
        segment = customer.segment
    except CustomerSegment.DoesNotExist:
        segment = None
    return {"template": "segmentation/_customer_panel.html", "context": {"segment": segment}, "order": 10}
