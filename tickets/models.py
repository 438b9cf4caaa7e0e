"""Tickets, their conversation, SLA policies/calendars, the SLA event log and
breaches, routing, weekly summaries and trend alerts.

Complaints: a ticket is a *complaint* when ``is_complaint`` is true. The
``complaint`` category always is one (the service forces the flag); staff may
flag a ticket of any other category as a complaint too (a customer complaining
about a bill is a billing complaint). Repeat detection, trend alerts, the
repeat-complaint rate and segmentation's "open complaint" all read this flag.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import access


class Category(models.TextChoices):
    PRODUCT = "product", pgettext_lazy("ticket category", "Product")
    TECHNICAL = "technical", pgettext_lazy("ticket category", "Technical")
    SERVICE = "service", pgettext_lazy("ticket category", "Service")
    INVOICE = "invoice", pgettext_lazy("ticket category", "Invoice")
    BILLING = "billing", pgettext_lazy("ticket category", "Billing")
    COMPLAINT = "complaint", pgettext_lazy("ticket category", "Complaint")
    OTHER = "other", pgettext_lazy("ticket category", "Other")


class Urgency(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("ticket urgency", "Normal")
    URGENT = "urgent", pgettext_lazy("ticket urgency", "Urgent")
    CRITICAL = "critical", pgettext_lazy("ticket urgency", "Critical")


# Most urgent first: the queue's "urgency" sort and the SLA settings' rows.
URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    WEB = "web", _("Web")
    API = "api", _("API")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    ASSIGNED = "assigned", pgettext_lazy("ticket status", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "In progress")
    WAITING_CUSTOMER = "waiting_customer", pgettext_lazy("ticket status", "Waiting for customer")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


# Statuses in which SLA clocks may run; the breach scan reads only these (partial index).
OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER)


class Clock(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    COMMITMENT = "commitment", _("Solution or committed time")
    UPDATE = "update", _("Customer update")
    RESOLUTION = "resolution", _("Resolution by committed time")


def tier_choices() -> list[tuple[str, str]]:
    from segmentation.models import Tier

    return [("", _("Any tier")), *Tier.choices]


# The default departments' names (data migration 0002), translated when shown.
DEFAULT_DEPARTMENT_NAMES = (gettext_noop("Technical support"), gettext_noop("After-sales service"),
                            gettext_noop("Finance"))


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("supervisor"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="supervised_departments")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True,
                                     related_name="ticket_departments")

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return gettext(self.name)


class RoutingRule(models.Model):
    """category → department; editable by team leads and admins."""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices, unique=True)
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.CASCADE,
                                   related_name="routing_rules")

    class Meta:
        ordering = ["category"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.category} → {self.department_id}"


class BusinessCalendar(models.Model):
    """Business hours for SLA clocks. A policy without a calendar runs 24×7."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class BusinessHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")),
                                              name="business_hours_end_after_start")]


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_calendar")]


class SlaPolicy(models.Model):
    """Clock budgets per urgency, optionally per customer tier (a tier-specific
    policy wins over the any-tier one). Minutes are business minutes of the calendar."""

    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    tier = models.CharField(_("customer tier"), max_length=20, blank=True, default="", choices=tier_choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"), default=10)
    commitment_minutes = models.PositiveIntegerField(_("solution or committed time (minutes)"), default=120)
    update_minutes = models.PositiveIntegerField(_("customer update every (minutes)"), default=24 * 60)
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("business calendar"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="policies",
                                 help_text=_("Empty: clocks run 24×7."))

    class Meta:
        ordering = ["urgency", "tier"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [models.UniqueConstraint(fields=["urgency", "tier"], name="sla_policy_unique_urgency_tier")]

    def __str__(self) -> str:
        return f"{self.get_urgency_display()} {self.tier or '*'}"


class TicketQuerySet(access.CustomerScopedQuerySet):
    """``for_user``: the tickets of the customers the user may read."""

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    customer = models.ForeignKey("crm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="tickets")
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.OTHER)
    is_complaint = models.BooleanField(_("complaint"), default=False)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="tickets")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_tickets")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    committed_at = models.DateTimeField(_("commitment made at"), null=True, blank=True)
    committed_resolution_at = models.DateTimeField(_("committed resolution time"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), null=True, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    repeat_of = models.ForeignKey("self", verbose_name=_("repeat of"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    # Policy budgets copied at creation so a later policy edit or a reassignment
    # never moves the clocks of a ticket already running.
    sla_first_response_minutes = models.PositiveIntegerField(default=10)
    sla_commitment_minutes = models.PositiveIntegerField(default=120)
    sla_update_minutes = models.PositiveIntegerField(default=24 * 60)
    sla_calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    # Denormalised from the SLA event log by tickets.services (never edited by hand):
    # the earliest due time of a running clock (queue order, "time left"). What the
    # breach scan reads is in SlaTimer.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # Optimistic concurrency for edits from forms/API: a stale version gets 409.
    version = models.PositiveIntegerField(default=1)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # Held by integration users importing history (admins have every permission).
        permissions = [("import_ticket_history", "Can create tickets with a historical creation time")]
        constraints = [
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="ticket_satisfaction_1_to_5"),
        ]
        indexes = [
            # Queues: open tickets by time left. (escalation_level stays out of every
            # index so the scan's escalation update can be a HOT update.)
            models.Index(fields=["sla_due_at"], condition=Q(status__in=OPEN_STATUSES), name="ticket_open_due_idx"),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["category", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number or self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class SlaTimer(models.Model):
    """When the breach scan must next look at an open ticket: the earliest due time
    of a running clock whose breach is not recorded yet. One row per such ticket,
    deleted when there is none (resolved, closed, paused, every clock met or
    recorded). Kept apart from Ticket so the minute scan reads and writes a table
    the size of the open work, never one that grows with the closed history."""

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="sla_timer")
    check_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")


class TicketMessage(models.Model):
    """The conversation: public replies (customer-visible) and internal notes."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    # A message from the customer (logged by staff or an integration) is public and not by staff.
    from_customer = models.BooleanField(_("from the customer"), default=False)
    public = models.BooleanField(_("public reply"), default=True)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        indexes = [models.Index(fields=["ticket", "created_at"])]


class SlaEvent(models.Model):
    """The SLA event log of a ticket: the input of tickets.sla (started/paused/
    resumed/stopped) and its recorded outcomes (met/breached)."""

    class Kind(models.TextChoices):
        STARTED = "started", _("started")
        PAUSED = "paused", _("paused")
        RESUMED = "resumed", _("resumed")
        MET = "met", _("met")
        STOPPED = "stopped", _("stopped late")
        BREACHED = "breached", _("breached")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events")
    # Blank for pause/resume, which apply to every clock.
    clock = models.CharField(_("clock"), max_length=20, choices=Clock.choices, blank=True, default="")
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    # For the resolution clock's "started": the committed resolution time.
    target_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # A note the system words: its kind and parameters, rendered in the reader's
    # language (note_text; tickets.notifications); ``note`` keeps the site-language text.
    note_kind = models.CharField(max_length=40, blank=True, default="", db_default="")  # COPY writers omit it
    note_params = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        indexes = [models.Index(fields=["ticket", "at"])]

    @property
    def note_text(self) -> str:
        from core.notifications import stored_text

        return stored_text(self.note_kind, self.note_params, self.note)


class SlaBreachQuerySet(access.CustomerScopedQuerySet):
    customer_path = "ticket__customer"


class SlaBreach(models.Model):
    """One row per (ticket, clock): the unique constraint is what makes the scan
    record a breach exactly once, whatever the number of scanners or retries."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_breaches")
    clock = models.CharField(_("clock"), max_length=20, choices=Clock.choices)
    due_at = models.DateTimeField(_("due at"))
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)

    objects = SlaBreachQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        constraints = [models.UniqueConstraint(fields=["ticket", "clock"], name="sla_breach_once_per_clock")]


class WeeklySummary(models.Model):
    """Ticket figures of one ISO week (Monday start, in the project's time zone)."""

    week_start = models.DateField(_("week starting"), unique=True)
    total = models.PositiveIntegerField(_("tickets"), default=0)
    volume_by_category = models.JSONField(_("volume by category"), default=dict)
    resolved = models.PositiveIntegerField(_("resolved"), default=0)
    resolution_rate = models.FloatField(_("resolution rate"), null=True, blank=True)
    avg_handling_hours = models.FloatField(_("average handling time (hours)"), null=True, blank=True)
    complaints = models.PositiveIntegerField(_("complaints"), default=0)
    repeats = models.PositiveIntegerField(_("repeat complaints"), default=0)
    repeat_rate = models.FloatField(_("repeat rate"), null=True, blank=True)
    rated = models.PositiveIntegerField(_("rated tickets"), default=0)
    # Mean close rating (1–5) × 20 of the tickets resolved in the week, 0–100.
    satisfaction = models.FloatField(_("satisfaction"), null=True, blank=True)
    # The same figures per department: {"<id>": {"name", "total", "resolved", "resolution_rate", …}}.
    by_department = models.JSONField(_("by department"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-week_start"]
        verbose_name = _("weekly ticket summary")
        verbose_name_plural = _("weekly ticket summaries")

    @property
    def category_rows(self) -> list[tuple[str, int]]:
        labels = dict(Category.choices)
        return [(labels.get(k, k), n) for k, n in self.volume_by_category.items()]


class WeeklySummaryMailing(models.Model):
    """The weekly summary mailed to one supervisor: unique, so each goes out once a week."""

    week_start = models.DateField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["week_start", "recipient"],
                                               name="weekly_summary_mailed_once_per_recipient")]


class TrendAlert(models.Model):
    """A complaint category above its own 8-week baseline three weeks running."""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    week_start = models.DateField(_("week starting"))
    evidence = models.JSONField(_("evidence"), default=list)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-week_start", "category"]
        verbose_name = _("trend alert")
        verbose_name_plural = _("trend alerts")
        constraints = [models.UniqueConstraint(fields=["category", "week_start"], name="trend_alert_once_per_week")]
