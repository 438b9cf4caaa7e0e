"""The default departments, routing (DESIGN "Tickets") and SLA policies.

Used by data migration 0002 (with historical models) and by tests whose
transactional flush removed migration data. Idempotent; never overwrites edits."""
from __future__ import annotations

DEPARTMENTS = [("technical", "Technical support"), ("after_sales", "After-sales service"), ("finance", "Finance")]
ROUTES = {
    "product": "technical",
    "technical": "technical",
    "service": "after_sales",
    "invoice": "finance",
    "billing": "finance",
    "complaint": "after_sales",
    "other": "after_sales",
}


def create_defaults(*, Department, RoutingRule, SlaPolicy) -> None:
    departments = {}
    for code, name in DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(code=code, defaults={"name": name})
    for category, code in ROUTES.items():
        RoutingRule.objects.get_or_create(category=category, defaults={"department": departments[code]})
    for urgency in ("normal", "urgent", "critical"):
        SlaPolicy.objects.get_or_create(urgency=urgency, tier="", defaults={
            "first_response_minutes": 10, "commitment_minutes": 120, "update_minutes": 24 * 60})


def ensure_defaults() -> None:
    from tickets.models import Department, RoutingRule, SlaPolicy

    create_defaults(Department=Department, RoutingRule=RoutingRule, SlaPolicy=SlaPolicy)
