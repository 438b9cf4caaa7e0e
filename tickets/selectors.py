"""Reads of the tickets app, scoped to the user.

CONTRACT used by segmentation (keep the name and the row shape):
``ticket_activity_by_customer(as_of=...)`` returns one dict per customer that
has any ticket created on or before ``as_of``:
``{"customer_id", "last_ticket_at", "open_complaints", "latest_satisfaction_100", "latest_satisfaction_at"}``
where ``latest_satisfaction_100`` is the latest close satisfaction (1-5) × 20.

CONTRACT used by reviews (metrics): ``tickets_for_metrics(start=, end=, customers=)`` (a queryset)
and ``ticket_rows_for_metrics`` (its rows).
"""
from __future__ import annotations

import datetime as dt

from decimal import Decimal

from django.db.models import (Case, Count, DecimalField, Exists, F, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet,
                              Sum, Value, When, Window)
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from core.clock import day_end
from core.formulas import satisfaction_100_from_ticket
from core import access
from crm.models import Customer, User
from crm.models import Transaction
from tickets import sla
from tickets.analytics import feedback_priority_scores
from tickets.models import (OPEN_STATUSES, URGENCY_RANK, BusinessCalendar, Category, Clock, Department, RoutingRule,
                            SlaBreach, SlaEvent, SlaPolicy, SlaTimer, Ticket, TicketMessage, TrendAlert, WeeklySummary)

# --- scope -------------------------------------------------------------------------------------------------


def ticket_list_for_user(*, user) -> QuerySet[Ticket]:
    """The tickets the user may read (``Ticket.objects.for_user``) with everything a
    list (page or API) shows, preloaded: the customer, people, department, the SLA
    event log and calendars (so SLA state costs no query per row)."""
    return Ticket.objects.for_user(user).select_related(
        "customer", "department", "assignee", "sla_calendar"
    ).prefetch_related(
        Prefetch("sla_events", queryset=SlaEvent.objects.order_by("at", "id")),
        "sla_calendar__hours", "sla_calendar__holidays",
    )


def ticket_get_for_user(*, user, pk) -> Ticket:
    """One ticket the user may read; 404 for anything else (another team's customer)."""
    return get_object_or_404(ticket_list_for_user(user=user), pk=pk)


def ticket_messages(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    return ticket.messages.select_related("author").order_by("created_at", "id")


def ticket_events(*, ticket: Ticket) -> list[SlaEvent]:
    return list(ticket.sla_events.all())


# --- SLA state: the one place tickets become clock states ----------------------------------------------------


def calendar_for(calendar: BusinessCalendar | None) -> sla.Calendar:
    """A stored calendar as the pure module's Calendar (uses prefetched hours/holidays)."""
    if calendar is None:
        return sla.ALWAYS_OPEN
    weekly: dict[int, list] = {d: [] for d in range(7)}
    for h in calendar.hours.all():
        weekly[h.weekday].append((h.start, h.end))
    return sla.Calendar(tz=calendar.timezone, weekly={d: tuple(sorted(v)) for d, v in weekly.items()},
                        holidays=frozenset(h.date for h in calendar.holidays.all()))


def budgets_for(ticket: Ticket) -> sla.Budgets:
    return sla.Budgets(first_response_minutes=ticket.sla_first_response_minutes,
                       commitment_minutes=ticket.sla_commitment_minutes, update_minutes=ticket.sla_update_minutes)


def as_sla_events(rows) -> list[sla.Event]:
    return [sla.Event(r.clock, r.kind, r.at, r.target_at) for r in rows]


def ticket_sla_states(*, tickets, now: dt.datetime) -> dict[int, sla.TicketSla]:
    """The clocks of a page of tickets at once (prefetched events): each stored
    calendar is turned into a ``sla.Calendar`` once for the page, not once per row."""
    calendars: dict[int | None, sla.Calendar] = {}
    states = {}
    for ticket in tickets:
        key = ticket.sla_calendar_id
        if key not in calendars:
            calendars[key] = calendar_for(ticket.sla_calendar)
        states[ticket.pk] = sla.evaluate(as_sla_events(ticket.sla_events.all()), budgets=budgets_for(ticket),
                                         calendar=calendars[key], now=now)
    return states


def ticket_sla_state(*, ticket: Ticket, now: dt.datetime, events=None) -> sla.TicketSla:
    """The ticket's clocks at ``now`` (always current: computed, never stored)."""
    rows = ticket.sla_events.all() if events is None else events
    return sla.evaluate(as_sla_events(rows), budgets=budgets_for(ticket), calendar=calendar_for(ticket.sla_calendar),
                        now=now)


def sla_policy_for(*, urgency: str, tier: str = "") -> SlaPolicy | None:
    """The tier-specific policy of an urgency, else its any-tier one."""
    policies = {p.tier: p for p in SlaPolicy.objects.filter(urgency=urgency, tier__in=[tier, ""])
                .select_related("calendar")}
    return policies.get(tier) or policies.get("")


def customer_tier(*, customer: Customer) -> str:
    """The customer's current tier from segmentation ('' when not computed yet)."""
    from segmentation.models import CustomerSegment

    return CustomerSegment.objects.filter(customer=customer).values_list("tier", flat=True).first() or ""


def department_for_category(*, category: str) -> Department | None:
    rule = RoutingRule.objects.select_related("department").filter(category=category).first()
    return rule.department if rule else None


# --- lists ---------------------------------------------------------------------------------------------------


def breached_q(*, now: dt.datetime) -> Q:
    """Breached at ``now``: a recorded breach, or an open ticket whose next unrecorded
    due time has passed (the scan records it within a minute)."""
    return (Q(Exists(SlaBreach.objects.filter(ticket=OuterRef("pk"))))
            | Q(Exists(SlaTimer.objects.filter(ticket=OuterRef("pk"), check_at__lte=now))))


_URGENCY_SORT = Case(*[When(urgency=u, then=Value(rank)) for u, rank in URGENCY_RANK.items()],
                     default=Value(len(URGENCY_RANK)), output_field=IntegerField())
QUEUE_SORTS = {
    # Escalated tickets rise to the top; then least time left (breached first).
    "sla": ["-escalation_level", F("sla_due_at").asc(nulls_last=True), "created_at", "id"],
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "urgency": [_URGENCY_SORT, F("sla_due_at").asc(nulls_last=True), "id"],
}


def ticket_queue_for_user(*, user, scope: str = "mine", department_id: int | None = None,
                          breached_at: dt.datetime | None = None, sort: str = "sla") -> QuerySet[Ticket]:
    """Open tickets of a queue: "mine" (assigned to the user), "department"
    (one department), "unassigned" or "all"; with ``breached_at`` only those
    breached then (``breached_q``); in a ``QUEUE_SORTS`` order (default: escalated
    first, then least time left)."""
    qs = ticket_list_for_user(user=user).filter(status__in=OPEN_STATUSES)
    if scope == "mine":
        qs = qs.filter(assignee=user)
    elif scope == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if breached_at is not None:
        qs = qs.filter(breached_q(now=breached_at))
    return qs.order_by(*QUEUE_SORTS[sort])


def has_open_tickets(*, user) -> bool:
    """Whether any open ticket is assigned to the user (their queue opens on "mine")."""
    return Ticket.objects.filter(assignee=user, status__in=OPEN_STATUSES).exists()


def customer_open_tickets(*, customer: Customer, limit: int) -> list[Ticket]:
    """A customer's open tickets, least time left first (the customer page's panel;
    the caller has the customer from a scoped selector)."""
    return list(customer.tickets.filter(status__in=OPEN_STATUSES).order_by("sla_due_at", "id")[:limit])


def routing_rules() -> dict[str, int]:
    """Category → department id of the routing table."""
    return dict(RoutingRule.objects.values_list("category", "department_id"))


def sla_policy_list() -> list[SlaPolicy]:
    """The SLA policies, most urgent first (``URGENCY_RANK``), then by tier."""
    return sorted(SlaPolicy.objects.all(), key=lambda p: (URGENCY_RANK.get(p.urgency, len(URGENCY_RANK)), p.tier))


def sla_breach_list_for_user(*, user) -> QuerySet[SlaBreach]:
    return SlaBreach.objects.for_user(user).select_related(
        "ticket", "ticket__customer", "ticket__department", "ticket__assignee")


def department_of(*, user) -> Department | None:
    """The department a user works in: the one they supervise, else one they belong to."""
    return (Department.objects.filter(supervisor=user).order_by("id").first()
            or user.ticket_departments.order_by("id").first())


def department_list() -> QuerySet[Department]:
    return Department.objects.select_related("supervisor")


CONTRACT_VALUE_DAYS = 365


def feedback_priority(*, user, as_of: dt.date, window_days: int = 90) -> list[dict]:
    """Feedback priority per ticket category, most important first (DESIGN "Tickets").

    Tickets considered: those the user may see (``Ticket.objects.for_user``) that are
    open now, or were created in the ``window_days`` days up to the end of ``as_of``
    (local time); tickets created after ``as_of`` are not counted. Per category:

    * ``open`` — open tickets among them;
    * ``tickets`` — all of them (open, or created in the window);
    * ``customers`` — distinct affected customers (a customer with two tickets counts once);
    * ``value`` — affected contract value (CNY): the sum over those customers of their
      net spend, purchases − refunds (crm.Transaction) dated in the 365 days up to and
      including ``as_of``; a customer whose refunds exceed purchases counts as 0;
    * ``score`` — 0–100 from ``tickets.analytics.feedback_priority_scores``.

    Two queries whatever the number of categories or customers: one GROUP BY
    (category, customer) over the tickets, one GROUP BY customer over their
    transactions (customers as a subquery); merged in memory."""
    end = day_end(as_of)
    window_start = end - dt.timedelta(days=window_days)
    tickets = Ticket.objects.for_user(user).filter(created_at__lt=end).filter(
        Q(status__in=OPEN_STATUSES) | Q(created_at__gte=window_start))
    pairs = list(tickets.values("category", "customer_id")
                 .annotate(n=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES))).order_by())
    if not pairs:
        return []
    signed = Case(When(kind=Transaction.Kind.REFUND, then=-F("amount")), default=F("amount"),
                  output_field=DecimalField(max_digits=16, decimal_places=2))
    spend = dict(Transaction.objects
                 .filter(customer_id__in=tickets.values("customer_id"),
                         occurred_on__gt=as_of - dt.timedelta(days=CONTRACT_VALUE_DAYS), occurred_on__lte=as_of)
                 .values("customer_id").annotate(net=Sum(signed, default=Value(Decimal("0"))))
                 .order_by().values_list("customer_id", "net"))
    by_category: dict[str, dict] = {}
    for p in pairs:
        row = by_category.setdefault(p["category"], {"category": p["category"], "open": 0, "tickets": 0,
                                                     "customers": 0, "value": Decimal("0")})
        row["open"] += p["open"]
        row["tickets"] += p["n"]
        row["customers"] += 1  # one pair per (category, customer): distinct
        row["value"] += max(Decimal(spend.get(p["customer_id"]) or 0), Decimal("0"))
    labels = dict(Category.choices)
    rows = feedback_priority_scores(list(by_category.values()))
    for r in rows:
        r["label"] = labels.get(r["category"], r["category"])
    return rows


def weekly_summary_list(*, limit: int = 12) -> QuerySet[WeeklySummary]:
    return WeeklySummary.objects.all()[:limit]


FEEDBACK_LIMIT = 10


def weekly_feedback_for_user(*, user, week_start: dt.date, limit: int = FEEDBACK_LIMIT) -> list[dict]:
    """The week's customer feedback the user may read, newest first: the comments of
    tickets resolved in the week (with their close rating) and the reasons and
    suggestions of survey answers given in the week (a person's own words). Two queries."""
    from core.clock import day_start
    from surveys.models import SurveyResponse

    start, end = day_start(week_start), day_start(week_start + dt.timedelta(days=7))
    tickets = (Ticket.objects.for_user(user).filter(resolved_at__gte=start, resolved_at__lt=end)
               .exclude(feedback="").select_related("customer").order_by("-resolved_at")[:limit])
    answers = (SurveyResponse.objects.for_user(user).filter(answered_at__gte=start, answered_at__lt=end)
               .filter(~Q(suggestions="") | ~Q(reason="")).select_related("customer").order_by("-answered_at")[:limit])
    rows = [{"source": "ticket", "at": t.resolved_at, "customer": t.customer.name, "rating": t.satisfaction,
             "text": t.feedback, "ref": t.number or str(t.pk)} for t in tickets]
    rows += [{"source": "survey", "at": a.answered_at, "customer": a.customer.name, "rating": a.overall,
              "text": " / ".join(x for x in (a.reason, a.suggestions) if x), "ref": ""} for a in answers]
    return sorted(rows, key=lambda r: r["at"], reverse=True)[:limit]


def weekly_summary_get(*, week_start: dt.date | None = None) -> WeeklySummary | None:
    """One week's summary (the latest without ``week_start``)."""
    qs = WeeklySummary.objects.all()
    return qs.filter(week_start=week_start).first() if week_start else qs.first()


def weekly_summary_supervisors() -> QuerySet:
    """Who gets the weekly summary by e-mail: active team leads and admins with an address."""
    return (User.objects.filter(role__in=[access.Role.TEAM_LEAD, access.Role.ADMIN], is_active=True)
            .exclude(email="").order_by("pk"))


def trend_alert_list(*, limit: int = 20) -> QuerySet[TrendAlert]:
    return TrendAlert.objects.all()[:limit]


# --- rows for other apps (no per-row queries) -------------------------------------------------------------


def ticket_activity_by_customer(*, as_of: dt.date, lo: int | None = None, hi: int | None = None) -> list[dict]:
    """One row per customer with a ticket created on or before ``as_of`` (see the
    module docstring), of the customers with id in [lo, hi) when given (one range
    of a fanned-out segment recompute). Two set-based queries: one GROUP BY
    customer, and one window query for each customer's latest close rating;
    merged in memory."""
    end = day_end(as_of)
    tickets = Ticket.objects.all()
    if lo is not None:
        tickets = tickets.filter(customer_id__gte=lo, customer_id__lt=hi)
    groups = (tickets.filter(created_at__lt=end).values("customer_id")
              .annotate(last_ticket_at=Max("created_at"),
                        open_complaints=Count("id", filter=Q(is_complaint=True) & (
                            Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))))
              .order_by())
    latest = (tickets.filter(created_at__lt=end, closed_at__lt=end, satisfaction__isnull=False)
              .annotate(rn=Window(RowNumber(), partition_by=[F("customer_id")],
                                  order_by=[F("closed_at").desc(), F("id").desc()]))
              .filter(rn=1).values_list("customer_id", "satisfaction", "closed_at"))
    satisfaction = {cid: (score, at) for cid, score, at in latest}
    rows = []
    for g in groups:
        score, at = satisfaction.get(g["customer_id"], (None, None))
        rows.append({"customer_id": g["customer_id"], "last_ticket_at": g["last_ticket_at"],
                     "open_complaints": g["open_complaints"],
                     "latest_satisfaction_100": satisfaction_100_from_ticket(score),
                     "latest_satisfaction_at": at})
    return rows


def tickets_for_metrics(*, start: dt.datetime, end: dt.datetime, customers: QuerySet[Customer] | None
                        ) -> QuerySet[Ticket]:
    """CONTRACT used by reviews (metrics and their drill-down): tickets created in
    [start, end) of the given customers (all with None), with a recorded-breach
    flag per clock (``<clock>_breached``) and ``any_breached``. Breaches are the
    recorded ones (SlaBreach), which the services and the minute scan keep current."""
    breach = {f"{c.value}_breached": Exists(SlaBreach.objects.filter(ticket=OuterRef("pk"), clock=c.value))
              for c in Clock}
    qs = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    return qs.annotate(**breach, any_breached=Exists(SlaBreach.objects.filter(ticket=OuterRef("pk"))))


def ticket_rows_for_metrics(*, start: dt.datetime, end: dt.datetime, customers: QuerySet[Customer]) -> list[dict]:
    """Tickets created in [start, end) of the given customers (``tickets_for_metrics``),
    one dict each: id, customer_id, created_at, first_response_at, resolved_at,
    closed_at, category, urgency, is_complaint, is_repeat, satisfaction,
    department_id, status, ``<clock>_breached`` and ``any_breached``."""
    fields = ["id", "customer_id", "created_at", "first_response_at", "resolved_at", "closed_at", "category",
              "urgency", "is_complaint", "is_repeat", "satisfaction", "department_id", "status",
              *[f"{c.value}_breached" for c in Clock], "any_breached"]
    return list(tickets_for_metrics(start=start, end=end, customers=customers).order_by("created_at", "id")
                .values(*fields))


def timeline_entries(*, customer: Customer, limit: int = 200) -> list[dict]:
    """The customer's tickets for crm's customer timeline."""
    tickets = customer.tickets.select_related("assignee").order_by("-created_at")[:limit]
    return [{"at": t.created_at, "kind": "ticket", "obj": t, "template": "tickets/_timeline_ticket.html"}
            for t in tickets]
