"""The ticket settings page's writes: routing with supervisors, and the SLA policies,
each section saved whole in one transaction."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from core import access
from crm.models import User
from tickets.models import Department
from tickets.services.workflow import department_supervisor_set, routing_rule_set, sla_policy_save


@transaction.atomic
def ticket_routing_save(*, actor, routes: dict[str, Department], supervisors: dict[Department, User | None]) -> None:
    """Route each category to a department and set each department's supervisor: a
    new supervisor is someone the actor may give tickets to (core.access)."""
    if not access.can_configure_tickets(actor):
        raise PermissionDenied
    people = access.ticket_assignees_for(actor)
    access.check_choices(**{f"supervisor_{d.pk}": (people, s) for d, s in supervisors.items()
                            if s is not None and s.pk != d.supervisor_id})
    for category, department in routes.items():
        routing_rule_set(category=category, department=department)
    for department, supervisor in supervisors.items():
        department_supervisor_set(department=department, supervisor=supervisor)


@transaction.atomic
def sla_policies_save(*, actor, rows: list[dict]) -> None:
    """Create or change the policy of each (urgency, tier) row; blank rows are skipped."""
    if not access.can_configure_tickets(actor):
        raise PermissionDenied
    for row in rows:
        if row:
            sla_policy_save(**row)
