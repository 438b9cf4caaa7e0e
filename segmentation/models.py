"""Segments of customers at an ``as_of`` date, their dated history, the settings
(every threshold from DESIGN "Tiers", "RFM", "Maintenance cadence"). A recompute
runs as a ``core.models.Job``. Rows are written only by ``segmentation.services``."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import access


# The core.Job kind of a segment recompute (handler: segmentation.services.recompute_job_run).
RECOMPUTE_JOB_KIND = "segmentation.recompute"


class Tier(models.TextChoices):
    CHURN_RISK = "churn_risk", _("Churn risk")
    NEW = "new", _("New")
    HIGH_VALUE = "high_value", _("High value")
    POTENTIAL = "potential", _("Potential")


class ValueTier(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class MembershipLevel(models.TextChoices):
    BRONZE = "bronze", _("Bronze")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    PLATINUM = "platinum", _("Platinum")


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New customers")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")
    NO_PURCHASES = "no_purchases", _("No purchases")


class CustomerSegment(models.Model):
    """The latest computed segment of one customer (one row per customer)."""

    customer = models.OneToOneField("crm.Customer", primary_key=True, on_delete=models.CASCADE,
                                    related_name="segment", verbose_name=_("customer"))
    as_of = models.DateField(_("as of"))
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    tier_reason = models.TextField(_("tier reason"), blank=True)
    # RFM over the settings' window; r_days is None without purchases in it.
    r_days = models.IntegerField(_("recency (days)"), null=True, blank=True)
    f_count = models.IntegerField(_("frequency (purchases)"), default=0)
    m_amount = models.DecimalField(_("monetary (CNY)"), max_digits=16, decimal_places=2, default=0)
    r_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices)
    value_tier = models.CharField(_("value tier"), max_length=10, choices=ValueTier.choices)
    membership_level = models.CharField(_("membership level"), max_length=10, choices=MembershipLevel.choices)
    membership_points = models.BigIntegerField(_("membership points"), default=0)
    health_score = models.PositiveSmallIntegerField(_("health score"))
    # Components of the health score (each 0-100; None = no data, left out of the blend).
    health_recency = models.PositiveSmallIntegerField(_("recency"), null=True, blank=True)
    health_frequency_trend = models.PositiveSmallIntegerField(_("frequency trend"), null=True, blank=True)
    health_collection = models.PositiveSmallIntegerField(_("payment collection"), null=True, blank=True)
    health_satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    health_complaints = models.PositiveSmallIntegerField(_("open complaints"), null=True, blank=True)
    health_contact = models.PositiveSmallIntegerField(_("contact regularity"), null=True, blank=True)
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    next_contact_due = models.DateField(_("next contact due"))
    days_overdue = models.IntegerField(_("days overdue"), default=0)
    # days_overdue × value weight at the recompute (the queue shows the live urgency; it
    # is read in due order, see segmentation.queue).
    queue_weight = models.FloatField(_("urgency"), default=0)
    computed_at = models.DateTimeField(_("computed at"))
    # Copies of the customer's owner and team, so the follow-up queue of one person or
    # team is read in due order from an index (a page at a time) instead of sorting
    # every due segment of the company. Written with each recompute; a database
    # trigger on crm_customer (migration 0009) keeps them current when a customer
    # changes hands. No FK: the table is rebuilt and swapped by every recompute.
    owner = models.ForeignKey("crm.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, db_index=False, related_name="+")
    team = models.ForeignKey("crm.Team", null=True, blank=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, db_index=False, related_name="+")

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        # No index on tier, value tier or RFM segment: a handful of values each, so a
        # filter on one reads a large share of the table anyway, and every recompute
        # would rebuild them.
        indexes = [
            models.Index(fields=["next_contact_due", "customer"], name="segment_queue_due"),
            models.Index(fields=["owner", "next_contact_due", "customer"], name="segment_queue_owner_due"),
            models.Index(fields=["team", "next_contact_due", "customer"], name="segment_queue_team_due"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tier} ({self.as_of})"

    @property
    def tier_reason_text(self) -> str:
        """The stored reason codes in the active language."""
        from segmentation.analytics import reason_text

        return reason_text(self.tier_reason)

    @property
    def health_components(self) -> list[tuple[str, object, int | None]]:
        """(key, label, value 0-100 or None) for each component of the health score."""
        return [(f.name.removeprefix("health_"), f.verbose_name, getattr(self, f.name))
                for f in self._meta.fields if f.name.startswith("health_") and f.name != "health_score"]

    @property
    def rfm(self) -> dict:
        return {"r": self.r_days, "f": self.f_count, "m": self.m_amount, "r_score": self.r_score,
                "f_score": self.f_score, "m_score": self.m_score, "segment": self.rfm_segment}


class SegmentHistory(models.Model):
    """A customer's segment at each recompute date (idempotent per (customer, as_of))."""

    # No database FK (the ORM still cascades): a per-row FK trigger would cost more
    # than the rest of a million-row history insert, and the recompute only writes
    # ids it has just read from crm_customer.
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="segment_history",
                                 verbose_name=_("customer"), db_constraint=False, db_index=False)
    as_of = models.DateField(_("as of"))
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    value_tier = models.CharField(_("value tier"), max_length=10, choices=ValueTier.choices)
    health_score = models.PositiveSmallIntegerField(_("health score"))
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices)

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "customer_id"]
        verbose_name = _("segment history")
        verbose_name_plural = _("segment history")
        constraints = [
            # customer first: also the index of "this customer's tier on a day" lookups.
            models.UniqueConstraint(fields=["customer", "as_of"], name="segment_history_unique_customer_as_of"),
        ]
        indexes = [models.Index(fields=["as_of", "tier"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of} {self.tier}"


class SegmentSettings(models.Model):
    """Singleton (pk=1): every segmentation threshold, editable by a team lead or
    admin on the settings page. Defaults are DESIGN.md's."""

    # Tiers
    churn_inactivity_days = models.PositiveIntegerField(
        _("churn risk: days without activity"), default=90,
        help_text=_("No transaction, interaction or ticket for at least this many days makes a customer churn risk."))
    churn_satisfaction_below = models.PositiveIntegerField(
        _("churn risk: satisfaction below"), default=60,
        help_text=_("Latest satisfaction (0-100) below this makes a customer churn risk."))
    new_customer_days = models.PositiveIntegerField(
        _("new: customer for fewer than (days)"), default=90,
        help_text=_("Counted from the first deal, else from the creation date."))
    high_value_top_percent = models.PositiveIntegerField(
        _("high value: top percent of spend"), default=20,
        help_text=_("Customers whose spend in the RFM window is in this top share of customers with spend."))
    high_value_age_days = models.PositiveIntegerField(
        _("high value: customer for more than (days)"), default=365)
    # RFM, value tier, membership
    rfm_window_days = models.PositiveIntegerField(_("RFM window (days)"), default=365)
    value_high_percent = models.PositiveIntegerField(_("value tier high: top percent of spend"), default=20)
    value_medium_percent = models.PositiveIntegerField(_("value tier medium: next percent of spend"), default=30)
    silver_points = models.PositiveIntegerField(_("silver from (points)"), default=10_000)
    gold_points = models.PositiveIntegerField(_("gold from (points)"), default=50_000)
    platinum_points = models.PositiveIntegerField(_("platinum from (points)"), default=200_000)
    # Cadence (days between contacts)
    new_daily_days = models.PositiveIntegerField(_("new: daily contact during the first (days)"), default=14)
    new_interval_days = models.PositiveIntegerField(_("new: interval after that (days)"), default=7)
    high_value_interval_days = models.PositiveIntegerField(
        _("high value: interval (days)"), default=15, help_text=_("Twice a month = every 15 days."))
    churn_risk_interval_days = models.PositiveIntegerField(
        _("churn risk: interval (days)"), default=3, help_text=_("Twice a week = every 3 days."))
    potential_interval_days = models.PositiveIntegerField(_("potential: interval (days)"), default=7)
    # Queue weights by value tier
    value_weight_high = models.FloatField(_("queue weight: high value tier"), default=3.0)
    value_weight_medium = models.FloatField(_("queue weight: medium value tier"), default=2.0)
    value_weight_low = models.FloatField(_("queue weight: low value tier"), default=1.0)
    # Health score weights (normalised by their sum)
    health_weight_recency = models.PositiveIntegerField(_("health weight: recency"), default=25)
    health_weight_frequency_trend = models.PositiveIntegerField(_("health weight: frequency trend"), default=15)
    health_weight_collection = models.PositiveIntegerField(_("health weight: payment collection"), default=20)
    health_weight_satisfaction = models.PositiveIntegerField(_("health weight: satisfaction"), default=20)
    health_weight_complaints = models.PositiveIntegerField(_("health weight: open complaints"), default=10)
    health_weight_contact = models.PositiveIntegerField(_("health weight: contact regularity"), default=10)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("segment settings")
        verbose_name_plural = _("segment settings")

    def __str__(self) -> str:
        return str(_("segment settings"))

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.value_high_percent + self.value_medium_percent > 100:
            errors["value_medium_percent"] = _("High and medium together cannot exceed 100 %.")
        if not (self.silver_points < self.gold_points < self.platinum_points):
            errors["gold_points"] = _("Points must rise: silver < gold < platinum.")
        for name in ("high_value_top_percent", "value_high_percent"):
            if not 0 < getattr(self, name) <= 100:
                errors[name] = _("Enter a percentage between 1 and 100.")
        for name in ("rfm_window_days", "churn_inactivity_days", "new_interval_days", "high_value_interval_days",
                     "churn_risk_interval_days", "potential_interval_days"):
            if getattr(self, name) < 1:
                errors[name] = _("Enter at least 1 day.")
        if self.churn_satisfaction_below > 100:
            errors["churn_satisfaction_below"] = _("Satisfaction is on a 0-100 scale.")
        weights = [self.health_weight_recency, self.health_weight_frequency_trend, self.health_weight_collection,
                   self.health_weight_satisfaction, self.health_weight_complaints, self.health_weight_contact]
        if sum(weights) == 0:
            errors["health_weight_recency"] = _("At least one health weight must be above 0.")
        if errors:
            raise ValidationError(errors)


class FollowUpDigest(models.Model):
    """One row per user and day a follow-up digest was sent: the claim that makes
    the daily digest idempotent (two workers, a redelivered task: one notification)."""

    user = models.ForeignKey("crm.User", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    items = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="followup_digest_once_per_day")]


# Churn prediction's models live in their own module (registered with this app here).
from segmentation.churn.models import ChurnModel, ChurnScore  # noqa: E402,F401
