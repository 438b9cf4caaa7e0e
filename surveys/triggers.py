"""Which customers are due a survey now, per trigger (reads only).

Each finder returns invitation specs ``{"customer_id", "trigger", "trigger_key",
"ticket_id", "ticket_category"}`` for customers who are eligible: not opted out,
not asked or answered within the fatigue window, and not already invited for
this trigger key. A trigger that is missed (beat down) is still honoured for
``CATCH_UP_DAYS`` after its moment, never later, so switching surveys on does
not ask the whole history."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.selectors import filter_given
from crm.models import Customer, Transaction
from surveys.models import SurveyInvitation, SurveyOptOut, SurveyResponse, Trigger

NEW_CUSTOMER_DELAY = timedelta(days=7)
TICKET_DELAY = timedelta(hours=48)
CATCH_UP_DAYS = 7


def fatigue_window() -> timedelta:
    return timedelta(days=settings.SURVEY_FATIGUE_DAYS)


def eligible(customers: QuerySet[Customer], *, now: datetime) -> QuerySet[Customer]:
    """Drop opted-out customers and those asked (an invitation that did not fail)
    or answering (any channel) within the fatigue window before ``now``."""
    since = now - fatigue_window()
    recent_invite = SurveyInvitation.objects.filter(customer=OuterRef("pk"), created_at__gt=since,
                                                    send_error="")
    recent_answer = SurveyResponse.objects.filter(customer=OuterRef("pk"), answered_at__gt=since)
    opted_out = SurveyOptOut.objects.filter(customer=OuterRef("pk"))
    return customers.exclude(Exists(opted_out)).exclude(Exists(recent_invite)).exclude(Exists(recent_answer))


def _not_invited(customers: QuerySet[Customer], key: str) -> QuerySet[Customer]:
    return customers.exclude(Exists(SurveyInvitation.objects.filter(customer=OuterRef("pk"), trigger_key=key)))


def _spec(customer_id: int, trigger: str, key: str, ticket_id=None, category: str = "") -> dict:
    return {"customer_id": customer_id, "trigger": trigger, "trigger_key": key, "ticket_id": ticket_id,
            "ticket_category": category}


def new_customer_due(*, now: datetime) -> list[dict]:
    """Customers whose first deal was 7 days ago (up to CATCH_UP_DAYS late). The
    first deal is ``first_deal_date``, else the first purchase on record."""
    today = timezone.localdate(now)
    latest = today - NEW_CUSTOMER_DELAY
    earliest = latest - timedelta(days=CATCH_UP_DAYS)
    by_date = Customer.objects.filter(first_deal_date__gte=earliest, first_deal_date__lte=latest)
    earlier_purchase = Transaction.objects.filter(customer=OuterRef("customer_id"), kind=Transaction.Kind.PURCHASE,
                                                  occurred_on__lt=OuterRef("occurred_on"))
    by_purchase = (Transaction.objects.filter(kind=Transaction.Kind.PURCHASE, occurred_on__gte=earliest,
                                              occurred_on__lte=latest, customer__first_deal_date__isnull=True)
                   .exclude(Exists(earlier_purchase)).values("customer_id"))
    qs = Customer.objects.filter(Q(pk__in=by_date.values("pk")) | Q(pk__in=by_purchase))
    qs = _not_invited(eligible(qs, now=now), Trigger.NEW_CUSTOMER.value)
    return [_spec(pk, Trigger.NEW_CUSTOMER, Trigger.NEW_CUSTOMER.value) for pk in qs.values_list("pk", flat=True)]


def quarter_end_of(day: date) -> date:
    """The last day of the quarter that contains ``day``."""
    q_last_month = 3 * math.ceil(day.month / 3)
    if q_last_month == 12:
        return date(day.year, 12, 31)
    return date(day.year, q_last_month + 1, 1) - timedelta(days=1)


def latest_quarter_end(day: date) -> date:
    """The most recent quarter end on or before ``day``."""
    end = quarter_end_of(day)
    if end == day:
        return end
    return date(day.year, 1 + 3 * ((day.month - 1) // 3), 1) - timedelta(days=1)


def quarter_key(quarter_end: date) -> str:
    return f"{Trigger.QUARTER_END.value}:{quarter_end.year}Q{(quarter_end.month - 1) // 3 + 1}"


def quarter_end_due(*, now: datetime) -> list[dict]:
    """High-value customers (segmentation's current tier) on the last day of a
    quarter, or up to CATCH_UP_DAYS after it."""
    today = timezone.localdate(now)
    q_end = latest_quarter_end(today)
    if (today - q_end).days > CATCH_UP_DAYS:
        return []
    key = quarter_key(q_end)
    qs = Customer.objects.filter(segment__tier="high_value")
    qs = _not_invited(eligible(qs, now=now), key)
    return [_spec(pk, Trigger.QUARTER_END, key) for pk in qs.values_list("pk", flat=True)]


def ticket_closed_due(*, now: datetime) -> list[dict]:
    """Tickets closed 48 hours ago (up to CATCH_UP_DAYS late): one survey per ticket."""
    from tickets.models import Ticket

    latest = now - TICKET_DELAY
    earliest = latest - timedelta(days=CATCH_UP_DAYS)
    eligible_customers = eligible(Customer.objects.all(), now=now)
    already = SurveyInvitation.objects.filter(customer=OuterRef("customer_id"), ticket_id=OuterRef("pk"))
    rows = (Ticket.objects.filter(closed_at__gt=earliest, closed_at__lte=latest,
                                  customer__in=eligible_customers)
            .exclude(Exists(already)).order_by("closed_at", "pk").values_list("pk", "customer_id", "category"))
    return [_spec(customer_id, Trigger.TICKET_CLOSED, f"ticket:{pk}", pk, category or "")
            for pk, customer_id, category in rows]


def campaign_customers(*, customers: QuerySet[Customer], filters: dict) -> QuerySet[Customer]:
    """The filtered set of a manual campaign: tier, owner, region, tag, customer ids (all optional)."""
    tag = filters.get("tag")
    return filter_given(customers, pk__in=[int(pk) for pk in filters.get("customers") or ()],
                        segment__tier=filters.get("tier"), owner_id=filters.get("owner"),
                        region=filters.get("region"), tags__contains=f",{tag}," if tag else None)


# Order matters: a customer due for several reasons in one run is asked once, for the first.
FINDERS = [ticket_closed_due, new_customer_due, quarter_end_due]
