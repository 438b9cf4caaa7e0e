"""Review reports (复盘), their metric rows, findings and action items, and the
pre-computed metric snapshots the dashboards read. Rows are written only by
``reviews.services``; metric values come from ``reviews.metrics`` (never typed)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core import access


class MetricSnapshot(models.Model):
    """One metric for one period and scope, computed by the daily snapshot job.
    ``scope_key`` is "all", "team:<id>", "owner:<id>" or "tier:<tier>"."""

    metric = models.CharField(_("metric"), max_length=40)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    scope_key = models.CharField(_("scope"), max_length=60)
    value = models.FloatField(_("value"), null=True, blank=True)
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)
    # The measured parts of the value ({"numerator": n, "denominator": d}, NPS's bands …).
    parts = models.JSONField(_("parts"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("metric snapshot")
        verbose_name_plural = _("metric snapshots")
        constraints = [
            models.UniqueConstraint(fields=["metric", "period_start", "period_end", "scope_key"],
                                    name="metric_snapshot_unique_period_scope"),
        ]
        indexes = [models.Index(fields=["scope_key", "period_start"])]

    def __str__(self) -> str:
        return f"{self.metric} {self.period_start}…{self.period_end} {self.scope_key}: {self.value}"


class DashboardSnapshot(models.Model):
    """A distribution the dashboard shows (tier mix, value × engagement grid, ticket
    volume by category) at an ``as_of`` date, for one scope."""

    class Kind(models.TextChoices):
        TIER_MIX = "tier_mix", _("Tier mix")
        VALUE_ENGAGEMENT = "value_engagement", _("Value × engagement")
        TICKET_CATEGORIES = "ticket_categories", _("Tickets by category")
        TOP_AT_RISK = "top_at_risk", _("Top at-risk customers")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    as_of = models.DateField(_("as of"))
    scope_key = models.CharField(_("scope"), max_length=60)
    data = models.JSONField(_("data"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")
        constraints = [
            models.UniqueConstraint(fields=["kind", "as_of", "scope_key"], name="dashboard_snapshot_unique"),
        ]
        indexes = [models.Index(fields=["scope_key", "kind", "as_of"])]


class ReviewQuerySet(models.QuerySet):
    def for_user(self, user) -> ReviewQuerySet:
        """A team's reports: admins all, the team's members theirs, support none."""
        q = access.team_scope_q(user)
        return self if q is None else self.filter(q)


class Review(models.Model):
    class ScopeKind(models.TextChoices):
        TEAM = "team", _("Team")
        TIER = "tier", _("Tier")
        ALL = "all", _("All customers")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("Monthly review")
        QUARTER = "quarter", _("Quarterly review")
        CUSTOM = "custom", _("Custom period")

    class DataSource(models.TextChoices):
        """Seed 000's 数据来源 (data sources of the report header)."""

        CRM = "crm", _("CRM data: customers, interactions, transactions, complaints")
        SURVEYS = "surveys", _("Satisfaction surveys: NPS, satisfaction ratings")
        CHURN = "churn", _("Churn data: churn risk, segments and their history")
        SALES = "sales", _("Sales data: repurchase, customer lifetime value")
        TICKETS = "tickets", _("Service tickets: response, resolution, SLA")
        FEEDBACK = "feedback", _("Customer feedback: survey comments, ticket feedback")
        INTERNAL = "internal", _("Team records: meeting notes, work reports")

    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    scope_kind = models.CharField(_("scope"), max_length=10, choices=ScopeKind.choices, default=ScopeKind.TEAM)
    # The team that owns (and may read) the report; for a tier scope inside a team
    # the metrics are that team's customers of the tier. Null: company-wide (admin).
    team = models.ForeignKey("crm.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="reviews")
    tier = models.CharField(_("tier"), max_length=20, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    period_kind = models.CharField(_("period kind"), max_length=10, choices=PeriodKind.choices,
                                   default=PeriodKind.CUSTOM)
    # Seed 000's header: 复盘目的 (the summary), 复盘参与人员, 数据来源.
    summary = models.TextField(_("purpose"), blank=True)
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("participants"), blank=True,
                                          related_name="reviews_participated")
    data_sources = models.JSONField(_("data sources"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    actuals_computed_at = models.DateTimeField(_("actuals computed at"), null=True, blank=True)
    # Set only on the monthly draft Celery writes: first day of the month it was
    # drafted for; unique per team so a redelivered task cannot draft twice.
    auto_month = models.DateField(null=True, blank=True, editable=False)
    # The same for the quarterly draft: first day of the quarter it was drafted in.
    auto_quarter = models.DateField(null=True, blank=True, editable=False)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("review report")
        verbose_name_plural = _("review reports")
        constraints = [
            models.UniqueConstraint(fields=["team", "auto_month"], condition=Q(auto_month__isnull=False),
                                    name="review_monthly_draft_once_per_team"),
            models.UniqueConstraint(fields=["team", "auto_quarter"], condition=Q(auto_quarter__isnull=False),
                                    name="review_quarterly_draft_once_per_team"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")),
                                   name="review_period_end_after_start"),
        ]
        indexes = [models.Index(fields=["team", "period_end"])]

    def __str__(self) -> str:
        return self.title


class ReviewMetric(models.Model):
    """One row of the core-metrics table: the target typed by the lead, the actual
    and the previous period's value computed from the data."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="metric_rows")
    metric = models.CharField(_("metric"), max_length=40)
    target = models.FloatField(_("target"), null=True, blank=True)
    actual = models.FloatField(_("actual"), null=True, blank=True)
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)
    parts = models.JSONField(_("parts"), default=dict, blank=True)
    previous = models.FloatField(_("previous period"), null=True, blank=True)
    analysis = models.TextField(_("analysis"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "metric"], name="review_metric_unique")]


class ReviewFinding(models.Model):
    class Kind(models.TextChoices):
        STRENGTH = "strength", _("Strength")
        PROBLEM = "problem", _("Problem")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    detail = models.TextField(_("what happened"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "id"]


class ReviewActionQuerySet(models.QuerySet):
    def for_user(self, user) -> ReviewActionQuerySet:
        """Actions of the reports the user may read, plus any the user owns."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(review__in=Review.objects.for_user(user)) | Q(owner=user))


class ReviewAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    review = models.ForeignKey(Review, verbose_name=_("review report"), on_delete=models.CASCADE,
                               related_name="actions")
    title = models.CharField(_("improvement action"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="review_actions")
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    metric = models.CharField(_("linked metric"), max_length=40, blank=True)
    # The linked metric's actual in the report that raised the action: the next
    # report shows the movement from here.
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    objects = ReviewActionQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        indexes = [models.Index(fields=["owner", "status", "deadline"]), models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.IN_PROGRESS)


class ReviewActionReminder(models.Model):
    """One row per reminder sent; unique so each reminder goes out once."""

    action = models.ForeignKey(ReviewAction, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.SmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "days_before"], name="review_action_reminder_once"),
        ]


class TrendActionQuerySet(models.QuerySet):
    def for_user(self, user) -> TrendActionQuerySet:
        """Cross-department actions belong to no team: team leads and admins track
        them all (core.access.can_track_trend_actions); anyone else those they own."""
        if not user.is_authenticated:
            return self.none()
        return self if access.can_track_trend_actions(user) else self.filter(owner=user)


class TrendAction(models.Model):
    """The tracked cross-department rectification (跨部门专项整改) a complaint
    category's trend alert opens: one per alert (the one-to-one is unique), owned by
    the supervisor of the department the category routes to."""

    alert = models.OneToOneField("tickets.TrendAlert", verbose_name=_("trend alert"), on_delete=models.CASCADE,
                                 related_name="action")
    title = models.CharField(_("improvement action"), max_length=300)
    department = models.ForeignKey("tickets.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="trend_actions")
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=12, choices=ReviewAction.Status.choices,
                              default=ReviewAction.Status.OPEN)
    # The linked metric: the complaints of the alert's category (drill-down of ticket_categories).
    metric = models.CharField(_("linked metric"), max_length=40, default="ticket_categories")
    created_at = models.DateTimeField(_("created at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = TrendActionQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("cross-department action")
        verbose_name_plural = _("cross-department actions")
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (ReviewAction.Status.OPEN, ReviewAction.Status.IN_PROGRESS)
