"""The segment panel of the customer page (registered in crm.selectors.CUSTOMER_PANELS)."""
from __future__ import annotations

from crm.models import Transaction
from segmentation.models import CustomerSegment
from segmentation.selectors import segment_settings_get


def customer_segment_panel(*, request, customer) -> dict | None:
    """Tier and reason, RFM, value tier, membership and the health score with its
    components. The customer comes from crm.selectors with ``segment`` preloaded."""
    try:
        segment = customer.segment
    except CustomerSegment.DoesNotExist:
        segment = None
    context = {"segment": segment}
    if segment is not None and segment.rfm_segment == "no_purchases":
        # "No purchases" would read as never bought: say which window is empty and when the last one was.
        context["window_days"] = segment_settings_get().rfm_window_days
        context["last_purchase_on"] = (Transaction.objects.filter(
            customer=customer, kind=Transaction.Kind.PURCHASE, occurred_on__lte=segment.as_of)
            .order_by("-occurred_on").values_list("occurred_on", flat=True).first())
    return {"template": "segmentation/_customer_panel.html", "context": context, "order": 10}
