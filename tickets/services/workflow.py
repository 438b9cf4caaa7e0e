"""Writes of a ticket's life: create (routing, number, repeat flag), assign, edit,
reply, commit, wait/resume, resolve, close, reopen.

Every change runs in a transaction holding the ticket's row lock
(SELECT … FOR UPDATE), so two people acting on one ticket are serialised and no
update is lost; callers that read a version (forms, API) pass it and get
:class:`TicketConflict` when someone changed the ticket in between. Before each
change, breaches already due are recorded (so a late reply still counts as a
breach even if the scan has not run), then the change appends SLA events and the
ticket's due times are recomputed."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from core import access
from core.events import event_emit
from core.notifications import text_in
from core.services import notification_create
from crm.models import Customer, User
from tickets import sla
from tickets.models import (OPEN_STATUSES, Category, Channel, Clock, Department, SlaEvent, Status, Ticket,
                            TicketMessage, Urgency)
from tickets.selectors import (customer_tier, department_for_category, sla_policy_for,
                               ticket_sla_state)
from tickets.notifications import NOTE_PUBLIC_REPLY, NOTE_REOPENED
from tickets.services.clocks import SLA_FIELDS, check_at, sla_settle_many, timers_store

REPEAT_WINDOW = dt.timedelta(days=30)
EDITABLE_FIELDS = ("subject", "description", "category", "is_complaint", "urgency", "channel", "department",
                   "assignee")


class TicketConflict(Exception):
    """The ticket changed since the caller read it (their version is stale)."""

    def __init__(self, current_version: int):
        super().__init__(_("This ticket was changed by someone else; reload it and try again."))
        self.current_version = current_version


class _Edit:
    """One change to a locked ticket: field updates plus SLA events, saved together."""

    def __init__(self, ticket: Ticket, state: sla.TicketSla, now: dt.datetime):
        self.ticket, self.state, self.now = ticket, state, now
        self.fields: set[str] = set()
        self.events: list[SlaEvent] = []
        # Announced through core.events after the save (webhooks), in this transaction.
        self.announce: list[str] = ["ticket.updated"]

    def set(self, **values) -> None:
        for name, value in values.items():
            setattr(self.ticket, name, value)
            self.fields.add(name)

    def log(self, clock: str, kind: str, *, target_at=None, note_kind: str = "", note_params=None) -> None:
        """``note_kind``: a tickets.notifications NOTE_* (rendered in the reader's language)."""
        note = text_in(note_kind, note_params or {})[:200] if note_kind else ""
        self.events.append(SlaEvent(ticket=self.ticket, clock=clock, kind=kind, at=self.now, target_at=target_at,
                                    note=note, note_kind=note_kind,
                                    note_params=(note_params or {}) if note_kind else None))

    def stop(self, clock: str) -> None:
        """Stop a running clock: met before its due time, stopped late at or after it."""
        c = self.state[clock]
        if c.started_at is None or c.stopped_at is not None:
            return
        late = c.breached or (c.due_at is not None and self.now >= c.due_at)
        self.log(clock, SlaEvent.Kind.STOPPED if late else SlaEvent.Kind.MET)

    def status(self, status: str) -> None:
        if self.ticket.status == Status.WAITING_CUSTOMER and status != Status.WAITING_CUSTOMER:
            self.log("", SlaEvent.Kind.RESUMED)
        if status == Status.WAITING_CUSTOMER and self.ticket.status != Status.WAITING_CUSTOMER:
            self.log("", SlaEvent.Kind.PAUSED)
        self.set(status=status)

    def save(self) -> None:
        SlaEvent.objects.bulk_create(self.events)
        t = self.ticket
        state = ticket_sla_state(ticket=t, now=self.now, events=list(t.sla_events.order_by("at", "id")))
        t.sla_due_at = state.next_due_at
        t.version += 1
        t.updated_at = self.now
        t.save(update_fields=sorted({*self.fields, *SLA_FIELDS, "version", "updated_at"}))
        timers_store([(t.pk, check_at(t, state))])
        for event in self.announce:
            event_emit(event, t, now=self.now)


def _lock(pk: int) -> Ticket:
    return (Ticket.objects.select_for_update(of=("self",))
            .select_related("department__supervisor", "assignee", "sla_calendar", "customer")
            .prefetch_related(Prefetch("sla_events", queryset=SlaEvent.objects.order_by("at", "id")),
                              "sla_calendar__hours", "sla_calendar__holidays")
            .get(pk=pk))


@contextmanager
def _editing(ticket: Ticket | int, *, now: dt.datetime, version: int | None = None):
    with transaction.atomic():
        locked = _lock(ticket if isinstance(ticket, int) else ticket.pk)
        if version is not None and int(version) != locked.version:
            raise TicketConflict(locked.version)
        states, _inserted = sla_settle_many(tickets=[locked], now=now)
        edit = _Edit(locked, states[locked.pk], now)
        yield edit
        edit.save()
    if not isinstance(ticket, int):
        # The caller's instance reflects the saved change.
        for name in ("status", "version", "updated_at", *SLA_FIELDS, *edit.fields):
            setattr(ticket, name, getattr(locked, name))


def _require_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("The ticket is %(status)s; reopen it first.")
                               % {"status": ticket.get_status_display()}})


def _notify_assignee(ticket: Ticket, *, actor, now: dt.datetime) -> None:
    if ticket.assignee_id and ticket.assignee_id != getattr(actor, "pk", None):
        notification_create(recipient=ticket.assignee, kind="ticket_assigned",
                            params={"number": ticket.number, "subject": ticket.subject},
                            url=reverse("tickets:detail", args=[ticket.pk]), now=now)


def _apply_policy(ticket: Ticket) -> None:
    policy = sla_policy_for(urgency=ticket.urgency, tier=customer_tier(customer=ticket.customer))
    if policy is not None:
        ticket.sla_first_response_minutes = policy.first_response_minutes
        ticket.sla_commitment_minutes = policy.commitment_minutes
        ticket.sla_update_minutes = policy.update_minutes
        ticket.sla_calendar = policy.calendar


def repeat_of(*, customer: Customer, category: str, at: dt.datetime, exclude_pk: int | None = None) -> Ticket | None:
    """The customer's latest earlier complaint of the same category within 30 days, if any."""
    qs = Ticket.objects.filter(customer=customer, category=category, is_complaint=True,
                               created_at__gte=at - REPEAT_WINDOW, created_at__lte=at)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("-created_at", "-id").first()


def ticket_number(pk: int) -> str:
    return f"TK{pk:07d}"


def ticket_create(*, actor: User, customer: Customer, subject: str, now: dt.datetime, description: str = "",
                  category: str = Category.OTHER, urgency: str = Urgency.NORMAL, channel: str = Channel.PHONE,
                  is_complaint: bool = False, assignee: User | None = None, created_at: dt.datetime | None = None
                  ) -> Ticket:
    """Open a ticket: routed to its category's department, SLA budgets copied from
    the policy of its urgency (and the customer's tier), flagged repeat when it is
    the customer's second complaint of the category within 30 days."""
    # A person chooses among the people they may name; the system (no actor: e-mail intake) routes freely.
    errors = (access.choice_errors(assignee=(access.ticket_assignees_for(actor), assignee))
              if assignee is not None and actor is not None else {})
    if not (subject or "").strip():
        errors["subject"] = [_("This field is required.")]
    if created_at is not None and created_at != now:
        if not access.can_import_ticket_history(actor):
            errors["created_at"] = [_("Only an admin or an integration user may set a historical creation time.")]
        elif created_at > now:
            errors["created_at"] = [_("The creation time cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    at = created_at or now
    is_complaint = bool(is_complaint) or category == Category.COMPLAINT
    with transaction.atomic():
        ticket = Ticket(customer=customer, subject=subject.strip(), description=description, category=category,
                        is_complaint=is_complaint, urgency=urgency, channel=channel,
                        department=department_for_category(category=category), assignee=assignee,
                        status=Status.ASSIGNED if assignee else Status.NEW, created_by=actor, created_at=at,
                        updated_at=now)
        _apply_policy(ticket)
        previous = repeat_of(customer=customer, category=category, at=at) if is_complaint else None
        ticket.is_repeat, ticket.repeat_of = previous is not None, previous
        ticket.save()
        ticket.number = ticket_number(ticket.pk)
        ticket.save(update_fields=["number"])
        SlaEvent.objects.bulk_create([SlaEvent(ticket=ticket, clock=c, kind=SlaEvent.Kind.STARTED, at=at)
                                      for c in (Clock.FIRST_RESPONSE, Clock.COMMITMENT, Clock.UPDATE)])
        with _editing(ticket, now=now) as edit:
            edit.announce = ["ticket.created"]
        _notify_assignee(ticket, actor=actor, now=now)
    return ticket


def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None, now: dt.datetime,
                  department: Department | None = None, version: int | None = None) -> Ticket:
    """Give the ticket to someone (and optionally another department). Clocks keep running: reassignment never resets them."""
    if actor is not None and assignee is not None and assignee.pk != ticket.assignee_id:
        access.check_choices(assignee=(access.ticket_assignees_for(actor), assignee))
    with _editing(ticket, now=now, version=version) as edit:
        t = edit.ticket
        _require_open(t)
        changed = assignee is not None and assignee.pk != t.assignee_id
        edit.set(assignee=assignee)
        if department is not None:
            edit.set(department=department)
        if assignee is not None and t.status == Status.NEW:
            edit.status(Status.ASSIGNED)
        if changed:
            _notify_assignee(t, actor=actor, now=now)
    return ticket


def ticket_update(*, ticket: Ticket, actor: User, data: dict, now: dt.datetime, version: int | None = None) -> Ticket:
    """Edit the ticket's fields. A new category re-routes it (unless a department is
    given); a new urgency takes that urgency's SLA budgets (the clocks are not restarted)."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be changed here.")] for f in sorted(unknown)})
    if "subject" in data and not (data["subject"] or "").strip():
        raise ValidationError({"subject": [_("This field is required.")]})
    new = data.get("assignee")
    if actor is not None and new is not None and new.pk != ticket.assignee_id:
        access.check_choices(assignee=(access.ticket_assignees_for(actor), new))
    with _editing(ticket, now=now, version=version) as edit:
        t = edit.ticket
        new_assignee = data.get("assignee")
        reassigned = "assignee" in data and (new_assignee.pk if new_assignee else None) != t.assignee_id
        edit.set(**data)
        if "category" in data and "department" not in data:
            edit.set(department=department_for_category(category=t.category))
        if t.category == Category.COMPLAINT and not t.is_complaint:
            edit.set(is_complaint=True)
        if {"category", "is_complaint"} & set(data) and t.is_complaint:
            previous = repeat_of(customer=t.customer, category=t.category, at=t.created_at, exclude_pk=t.pk)
            edit.set(is_repeat=previous is not None, repeat_of=previous)
        if "urgency" in data:
            _apply_policy(t)
            edit.fields.update({"sla_first_response_minutes", "sla_commitment_minutes", "sla_update_minutes",
                                "sla_calendar"})
        if reassigned and t.assignee and t.status == Status.NEW:
            edit.status(Status.ASSIGNED)
        if reassigned:
            _notify_assignee(t, actor=actor, now=now)
    return ticket


def ticket_reply(*, ticket: Ticket, actor: User, body: str, now: dt.datetime, public: bool = True,
                 from_customer: bool = False, version: int | None = None) -> TicketMessage:
    """Add to the conversation. The first public staff reply is the first response;
    every public staff reply restarts the 24-hour update clock. A message from the
    customer ends a wait on them. Internal notes touch no clock."""
    if not (body or "").strip():
        raise ValidationError({"body": [_("This field is required.")]})
    with _editing(ticket, now=now, version=version) as edit:
        t = edit.ticket
        if t.status == Status.CLOSED:
            raise ValidationError({"body": [_("A closed ticket takes no replies; reopen it first.")]})
        message = TicketMessage.objects.create(ticket=t, author=actor, body=body.strip(), created_at=now,
                                               public=public or from_customer, from_customer=from_customer)
        # A public staff reply is e-mailed to the customer by a receiver (integrations).
        event_emit("ticket_message.created", message, now=now)
        if from_customer:
            if t.status == Status.WAITING_CUSTOMER:
                edit.status(Status.IN_PROGRESS)
        elif public and t.status in OPEN_STATUSES:
            if t.first_response_at is None:
                edit.set(first_response_at=now)
                edit.stop(Clock.FIRST_RESPONSE)
            edit.stop(Clock.UPDATE)
            edit.log(Clock.UPDATE, SlaEvent.Kind.STARTED, note_kind=NOTE_PUBLIC_REPLY)
            if t.status in (Status.NEW, Status.ASSIGNED):
                edit.status(Status.IN_PROGRESS)
            if t.assignee_id is None:
                edit.set(assignee=actor)
    return message


def ticket_commit(*, ticket: Ticket, actor: User, committed_resolution_at: dt.datetime, now: dt.datetime,
                  version: int | None = None) -> Ticket:
    """Promise a resolution time: meets the commitment clock and starts the
    resolution clock, due at that time. A later promise replaces it, but a breach
    already recorded stays."""
    if committed_resolution_at is None or committed_resolution_at <= now:
        raise ValidationError({"committed_resolution_at": [_("The committed time must be in the future.")]})
    with _editing(ticket, now=now, version=version) as edit:
        t = edit.ticket
        _require_open(t)
        edit.set(committed_resolution_at=committed_resolution_at, committed_at=t.committed_at or now)
        edit.stop(Clock.COMMITMENT)
        edit.log(Clock.RESOLUTION, SlaEvent.Kind.STARTED, target_at=committed_resolution_at)
        edit.announce.append("ticket.committed")
        if t.status in (Status.NEW, Status.ASSIGNED):
            edit.status(Status.IN_PROGRESS)
    return ticket


def ticket_wait(*, ticket: Ticket, actor: User, now: dt.datetime, version: int | None = None) -> Ticket:
    """Wait on the customer: every clock pauses until they answer or staff resume."""
    with _editing(ticket, now=now, version=version) as edit:
        _require_open(edit.ticket)
        if edit.ticket.status == Status.WAITING_CUSTOMER:
            raise ValidationError({"status": [_("The ticket is already waiting for the customer.")]})
        edit.status(Status.WAITING_CUSTOMER)
    return ticket


def ticket_resume(*, ticket: Ticket, actor: User, now: dt.datetime, version: int | None = None) -> Ticket:
    with _editing(ticket, now=now, version=version) as edit:
        if edit.ticket.status != Status.WAITING_CUSTOMER:
            raise ValidationError({"status": [_("The ticket is not waiting for the customer.")]})
        edit.status(Status.IN_PROGRESS)
    return ticket


def ticket_resolve(*, ticket: Ticket, actor: User, now: dt.datetime, resolution: str = "",
                   version: int | None = None) -> Ticket:
    """Resolve: every running clock stops (met, or late). The resolution text, if
    any, is sent to the customer as a public reply (so it is a first response too)."""
    with _editing(ticket, now=now, version=version) as edit:
        t = edit.ticket
        _require_open(t)
        if resolution.strip():
            message = TicketMessage.objects.create(ticket=t, author=actor, body=resolution.strip(), public=True,
                                                   created_at=now)
            event_emit("ticket_message.created", message, now=now)
            edit.set(resolution=resolution.strip())
        edit.status(Status.RESOLVED)
        edit.announce.append("ticket.resolved")
        edit.set(resolved_at=now, first_response_at=t.first_response_at or now)
        for clock in (Clock.FIRST_RESPONSE, Clock.COMMITMENT, Clock.UPDATE, Clock.RESOLUTION):
            edit.stop(clock)
    return ticket


def ticket_close(*, ticket: Ticket, actor: User, now: dt.datetime, satisfaction: int | None = None,
                 feedback: str = "", version: int | None = None) -> Ticket:
    """Close a resolved ticket with the customer's satisfaction (1-5) and feedback."""
    if satisfaction is not None and not (1 <= int(satisfaction) <= 5):
        raise ValidationError({"satisfaction": [_("Satisfaction is a whole number from 1 to 5.")]})
    with _editing(ticket, now=now, version=version) as edit:
        if edit.ticket.status != Status.RESOLVED:
            raise ValidationError({"status": [_("Only a resolved ticket can be closed.")]})
        edit.status(Status.CLOSED)
        edit.set(closed_at=now, satisfaction=None if satisfaction is None else int(satisfaction),
                 feedback=feedback or "")
    return ticket


def ticket_reopen(*, ticket: Ticket, actor: User, now: dt.datetime, reason: str = "",
                  version: int | None = None) -> Ticket:
    """Reopen a resolved or closed ticket: work resumes and the update clock starts
    again; its earlier rating no longer stands. Recorded breaches stay."""
    with _editing(ticket, now=now, version=version) as edit:
        t = edit.ticket
        if t.status not in (Status.RESOLVED, Status.CLOSED):
            raise ValidationError({"status": [_("Only a resolved or closed ticket can be reopened.")]})
        if reason.strip():
            TicketMessage.objects.create(ticket=t, author=actor, public=False, created_at=now,
                                         body=_("Reopened: %(reason)s") % {"reason": reason.strip()})
        edit.status(Status.IN_PROGRESS)
        edit.set(resolved_at=None, closed_at=None, satisfaction=None, feedback="")
        edit.log(Clock.UPDATE, SlaEvent.Kind.STARTED, note_kind=NOTE_REOPENED)
    return ticket


def ticket_delete(*, ticket: Ticket, actor: User) -> None:
    """Admins only (checked by the caller): removes the ticket and its history."""
    ticket.delete()


# --- settings (team leads and admins; checked by the caller) -------------------------------------------------

def routing_rule_set(*, category: str, department: Department) -> None:
    """Route a category to a department (new tickets only; open ones keep theirs)."""
    from tickets.models import RoutingRule

    RoutingRule.objects.update_or_create(category=category, defaults={"department": department})


def department_supervisor_set(*, department: Department, supervisor: User | None) -> None:
    department.supervisor = supervisor
    department.save(update_fields=["supervisor"])


def sla_policy_save(*, urgency: str, tier: str, first_response_minutes: int, commitment_minutes: int,
                    update_minutes: int, calendar=None) -> None:
    """Create or change the policy of (urgency, tier). Running tickets keep the budgets they were created with."""
    from tickets.models import SlaPolicy

    SlaPolicy.objects.update_or_create(urgency=urgency, tier=tier or "", defaults={
        "first_response_minutes": first_response_minutes, "commitment_minutes": commitment_minutes,
        "update_minutes": update_minutes, "calendar": calendar})
