"""What care adds to crm's pages: "What to say" beside the follow-up form
(crm.selectors.FOLLOWUP_FORM_PANELS)."""
from __future__ import annotations

from django.utils import timezone

from care import selectors


def followup_form_panel(*, request, customer) -> dict:
    from segmentation.models import CustomerSegment

    try:
        tier = customer.segment.tier
    except CustomerSegment.DoesNotExist:
        tier = ""
    talking = selectors.talking_context(user=request.user, customer=customer, tier=tier,
                                        today=timezone.localdate())
    return {"template": "care/_talking_points.html", "context": {"talking": talking, "open": True}, "order": 10}


def customer_loss_panel(*, request, customer) -> dict | None:
    """"Why they left" on the customer page: the loss that holds, or (for whoever may
    edit the customer) the give-up action, stressed for a churn-risk customer."""
    from core import access
    from segmentation.models import CustomerSegment, Tier

    loss = selectors.customer_loss_current(customer=customer)
    can_give_up = access.can_edit_customers(request.user)
    if loss is None and not can_give_up:
        return None
    try:
        churn_risk = customer.segment.tier == Tier.CHURN_RISK
    except CustomerSegment.DoesNotExist:
        churn_risk = False
    return {"template": "care/_loss_panel.html", "order": 15,
            "context": {"loss": loss, "can_give_up": can_give_up, "churn_risk": churn_risk}}
