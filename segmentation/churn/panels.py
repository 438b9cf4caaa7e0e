"""The churn panel of the customer page (registered in crm.selectors.CUSTOMER_PANELS)."""
from __future__ import annotations

from segmentation.churn.models import ChurnScore


def customer_churn_panel(*, request, customer) -> dict | None:
    """Probability and top factors from the latest model. The customer comes from
    crm.selectors with ``churn_score`` preloaded (no query here)."""
    try:
        score = customer.churn_score
    except ChurnScore.DoesNotExist:
        score = None
    return {"template": "segmentation/churn/_customer_panel.html", "context": {"churn": score}, "order": 11}
