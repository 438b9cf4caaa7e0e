"""Bulk actions on the records behind a metric part (the drill-down list): a
follow-up for each customer's owner, ticket assignment, a survey campaign. Each
acts only on what the caller may see and do, all or nothing."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access
from crm import services as crm_services
from crm.models import FollowUp, User
from reviews import drilldown

BULK_LIMIT = 1000  # records one bulk action may touch; a larger list is narrowed first


def _limited(qs, what: str):
    rows = list(qs[:BULK_LIMIT + 1])
    if len(rows) > BULK_LIMIT:
        raise ValidationError({"non_field_errors": [
            _("More than %(limit)s %(what)s: narrow the list (a team, a shorter period) first.")
            % {"limit": BULK_LIMIT, "what": what}]})
    return rows


def drill_followups_create(*, actor, drill: drilldown.Drill, due_on: dt.date, reason: str,
                           now: dt.datetime) -> list[FollowUp]:
    """A follow-up for each customer behind the records, owned by the customer's
    owner (the caller for an unowned one), due at the end of ``due_on``. Account
    managers, team leads and admins; one transaction."""
    if not access.can_edit_customers(actor):
        raise PermissionDenied("Only account managers, team leads and admins open follow-ups.")
    if not reason.strip():
        raise ValidationError({"reason": [_("This field is required.")]})
    if due_on < timezone.localtime(now).date():
        raise ValidationError({"due_on": [_("The due date cannot be in the past.")]})
    customers = _limited(drilldown.drill_customers_for_user(user=actor, drill=drill).select_related("owner")
                         .order_by("pk"), _("customers"))
    due_at = timezone.make_aware(dt.datetime.combine(due_on, dt.time(23, 59)))
    with transaction.atomic():
        return [crm_services.followup_create(customer=c, owner=c.owner or actor, source=FollowUp.Source.MANUAL,
                                             reason=reason.strip(), due_at=due_at, now=now) for c in customers]


def drill_tickets_assign(*, actor, drill: drilldown.Drill, assignee: User, now: dt.datetime) -> int:
    """Give every open ticket of the records to ``assignee`` (support staff, team
    leads, admins). Closed tickets are left as they are. Returns how many moved."""
    from tickets.models import OPEN_STATUSES
    from tickets.services import ticket_assign

    if not access.can_bulk_assign_tickets(actor):
        raise PermissionDenied("Only support staff, team leads and admins assign tickets.")
    if drill.kind != "ticket":
        raise ValidationError({"non_field_errors": [_("These records are not tickets.")]})
    tickets = _limited(drilldown.drill_records_for_user(user=actor, drill=drill).filter(status__in=OPEN_STATUSES),
                       _("tickets"))
    with transaction.atomic():
        for t in tickets:
            ticket_assign(ticket=t, actor=actor, assignee=assignee, now=now)
    return len(tickets)


def drill_campaign_launch(*, actor, drill: drilldown.Drill, survey, name: str, now: dt.datetime):
    """A survey campaign to the customers behind the records (surveys' own campaign:
    team leads and admins, fatigue and opt-outs respected)."""
    from surveys.services import campaign_launch

    customers = _limited(drilldown.drill_customers_for_user(user=actor, drill=drill).order_by("pk")
                         .values_list("pk", flat=True), _("customers"))
    return campaign_launch(actor=actor, survey=survey, name=name, filters={"customers": customers}, now=now)
