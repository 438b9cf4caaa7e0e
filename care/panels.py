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


def customer_points_panel(*, request, customer) -> dict | None:
    """The points panel of the customer page (crm.selectors.CUSTOMER_PANELS): the
    balance and what it is made of, the referrer and the referrals, the latest
    ledger lines, the redemption form (and the adjustment form for a lead or admin).
    Support does not see money, so not points either."""
    from care import points_selectors
    from care.forms import PointsAdjustForm, RedeemForm
    from core import access
    from crm.models import Customer

    if not access.can_see_money(request.user):
        return None
    referrer = (Customer.objects.for_user(request.user).filter(pk=customer.referred_by_id).only("id", "name").first()
                if customer.referred_by_id else None)
    return {"template": "care/_points_panel.html", "order": 16, "context": {
        "points": points_selectors.points_summary(customer=customer),
        "entries": list(points_selectors.points_entry_list_for_user(user=request.user, customer_id=customer.pk)[:5]),
        "referrer": referrer, "referrer_hidden": customer.referred_by_id is not None and referrer is None,
        "referrals": Customer.objects.for_user(request.user).filter(referred_by_id=customer.pk).count(),
        "redeem_form": RedeemForm(rewards=points_selectors.reward_list(), prefix="redeem")
        if access.can_redeem_points(request.user) else None,
        "adjust_form": PointsAdjustForm(prefix="adjust") if access.can_adjust_points(request.user) else None,
    }}
