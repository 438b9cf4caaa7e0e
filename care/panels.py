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
