"""What surveys add to the customer page: timeline entries and a panel with the
latest answers, the follow-up each opened (open / done by which interaction),
the opt-out state and the phone-survey link."""
from __future__ import annotations

from surveys import selectors

PANEL_ANSWERS = 5


def timeline_entries(*, customer, limit: int) -> list[dict]:
    return selectors.customer_survey_entries(customer=customer, limit=limit)


def customer_panel(*, request, customer) -> dict:
    from core import access

    entries = selectors.customer_survey_entries(customer=customer, limit=PANEL_ANSWERS)
    return {
        "template": "surveys/_customer_panel.html",
        "order": 40,
        "context": {
            "survey_entries": entries,
            "survey_opted_out": selectors.is_opted_out(customer=customer),
            "survey_invitations": list(customer.survey_invitations.select_related("survey")[:3]),
            "can_opt_out": access.can_edit_customers(request.user),
        },
    }
