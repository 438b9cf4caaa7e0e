"""The care layer (issue #11): birthday and holiday care tasks, the holiday
calendar, greetings and perks by membership level."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import access

DEFAULT_BIRTHDAY_GREETING = "{name}，祝您生日快乐！感谢一直以来的信任与支持。{perk}"
DEFAULT_HOLIDAY_GREETING = "{name}，{holiday}快乐！祝您和家人节日安康。{perk}"


class Occasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    HOLIDAY = "holiday", _("Holiday")


class CareSettings(models.Model):
    """Singleton (pk=1), edited by a team lead or admin on the care settings page."""

    birthday_days_ahead = models.PositiveSmallIntegerField(
        _("birthday reminder, days ahead"), default=3,
        help_text=_("A birthday care task appears this many days before the birthday."))
    holiday_days_ahead = models.PositiveSmallIntegerField(
        _("holiday reminder, days ahead"), default=3,
        help_text=_("A holiday care task appears this many days before the holiday."))
    birthday_greeting = models.TextField(
        _("birthday greeting"), default=DEFAULT_BIRTHDAY_GREETING,
        help_text=_("Placeholders: {name} (customer or contact), {perk} (by membership level)."))
    referral_points = models.PositiveIntegerField(
        _("referral points"), default=500,
        help_text=_("When a referred customer's first purchase lands, both they and the customer who referred "
                    "them earn this many points."))
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey("crm.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("care settings")
        verbose_name_plural = _("care settings")


class Holiday(models.Model):
    """A day of the holiday calendar the team observes (editable; defaults in care.holidays)."""

    date = models.DateField(_("date"))
    name = models.CharField(_("holiday"), max_length=50)
    greeting = models.TextField(
        _("greeting"), default=DEFAULT_HOLIDAY_GREETING,
        help_text=_("Placeholders: {name}, {holiday}, {perk}."))

    class Meta:
        ordering = ["date", "name"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["date"], name="care_holiday_one_per_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class MembershipPerk(models.Model):
    """What a customer of a membership level is offered on a birthday or a holiday."""

    membership_level = models.CharField(_("membership level"), max_length=10, unique=True)
    birthday_perk = models.CharField(_("birthday perk"), max_length=200, blank=True)
    holiday_perk = models.CharField(_("holiday perk"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("membership perk")
        verbose_name_plural = _("membership perks")


class CareTask(models.Model):
    """One occasion to greet one customer (or its key contact): it opens a
    ``crm.FollowUp`` in the owner's queue and is done when that follow-up is
    (logging the contact closes it). Unique per customer, person and occasion day,
    so a re-run of the nightly generation never opens it twice."""

    customer = models.ForeignKey("crm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="care_tasks")
    contact = models.ForeignKey("crm.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="care_tasks")
    # "" for the customer itself, "contact:<id>" for its key contact: part of the unique key (NULLs are distinct).
    person_key = models.CharField(max_length=30, blank=True, default="")
    occasion = models.CharField(_("occasion"), max_length=10, choices=Occasion.choices)
    occasion_date = models.DateField(_("occasion date"))
    holiday = models.ForeignKey(Holiday, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    holiday_name = models.CharField(max_length=50, blank=True, default="")
    greeting = models.TextField(_("greeting"))
    perk = models.CharField(_("perk"), max_length=200, blank=True)
    followup = models.OneToOneField("crm.FollowUp", on_delete=models.CASCADE, related_name="care_task")
    created_at = models.DateTimeField(_("created at"))

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["occasion_date", "id"]
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        constraints = [
            models.UniqueConstraint(fields=["customer", "person_key", "occasion", "occasion_date"],
                                    name="care_task_once_per_occasion"),
            models.CheckConstraint(condition=Q(contact__isnull=True, person_key="") | Q(contact__isnull=False),
                                   name="care_task_person_key_matches_contact"),
        ]


class TalkingPoints(models.Model):
    """What to say to a tier (seed 001 "沟通内容"), edited by a team lead; shown in the
    queue and the follow-up form beside the customer's own context."""

    tier = models.CharField(_("tier"), max_length=20, unique=True)
    points = models.TextField(_("talking points"), help_text=_("One point per line."))
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey("crm.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("talking points")
        verbose_name_plural = _("talking points")

    @property
    def point_list(self) -> list[str]:
        return [line.strip(" -·•\t") for line in self.points.splitlines() if line.strip(" -·•\t")]


class LossReason(models.TextChoices):
    """Why a customer left (seed 000 "流失原因")."""

    PRICE = "price", pgettext_lazy("loss reason", "Price")
    PRODUCT_FIT = "product_fit", pgettext_lazy("loss reason", "Product did not fit")
    SERVICE = "service", pgettext_lazy("loss reason", "Service")
    COMPETITOR = "competitor", pgettext_lazy("loss reason", "Went to a competitor")
    BUSINESS_CLOSED = "business_closed", pgettext_lazy("loss reason", "Business closed")
    NO_BUDGET = "no_budget", pgettext_lazy("loss reason", "No budget")
    OTHER = "other", pgettext_lazy("loss reason", "Other")


class CustomerLoss(models.Model):
    """A customer given up or closed as lost, with why (seed 000 "流失原因、流失客户特征").
    The profile (tier, value tier, tenure, last complaint category) is taken when it
    is recorded, so a later recompute does not rewrite what the customer was then."""

    customer = models.ForeignKey("crm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="losses")
    reason = models.CharField(_("reason"), max_length=20, choices=LossReason.choices)
    note = models.TextField(_("details of the loss"), blank=True)
    actor = models.ForeignKey("crm.User", verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL,
                              related_name="+")
    lost_on = models.DateField(_("lost on"))
    created_at = models.DateTimeField(_("created at"))
    tier = models.CharField(_("tier"), max_length=20, blank=True)
    value_tier = models.CharField(_("value tier"), max_length=10, blank=True)
    tenure_days = models.PositiveIntegerField(_("tenure (days)"), null=True, blank=True)
    last_complaint_category = models.CharField(_("last complaint category"), max_length=20, blank=True)

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-lost_on", "-id"]
        verbose_name = _("lost customer")
        verbose_name_plural = _("lost customers")
        indexes = [models.Index(fields=["lost_on", "customer"], name="care_loss_day_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.lost_on} {self.reason}"


# ---------------------------------------------------------------- referrals and points (issue #11 item 6)


class PointsKind(models.TextChoices):
    REFERRAL = "referral", _("Referral bonus")
    ADJUSTMENT = "adjustment", _("Manual adjustment")
    REDEMPTION = "redemption", _("Redeemed for a reward")


class Reward(models.Model):
    """An item of the reward catalogue (seed 004 "积分可兑换礼品或优惠券"). A default
    reward's name is its English msgid and is shown translated (``label``)."""

    name = models.CharField(_("reward"), max_length=100)
    points = models.PositiveIntegerField(_("points"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["points", "id"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="care_reward_points_positive")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.name)


class PointsEntry(models.Model):
    """One line of a customer's points ledger, other than the points earned by spend
    (those are computed from the transactions by segmentation.analytics.spend_points,
    the one definition, and never stored here). A referral bonus names the referred
    customer (``referred``): the referrer's line and the referred customer's own line
    are each unique per referred customer, so the bonus is earned exactly once."""

    customer = models.ForeignKey("crm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="points_entries")
    kind = models.CharField(_("kind"), max_length=12, choices=PointsKind.choices)
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=300, blank=True, default="")
    reward = models.ForeignKey(Reward, verbose_name=_("reward"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="redemptions")
    referred = models.ForeignKey("crm.Customer", verbose_name=_("referred customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey("crm.User", verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(_("when"))

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [models.Index(fields=["customer", "created_at"], name="care_points_customer_idx")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "referred"], condition=Q(kind="referral"),
                                    name="care_points_referral_once"),
            models.CheckConstraint(condition=~Q(kind="referral") | Q(referred__isnull=False, points__gt=0),
                                   name="care_points_referral_names_referred"),
            models.CheckConstraint(condition=~Q(kind="redemption") | Q(reward__isnull=False, points__lt=0),
                                   name="care_points_redemption_is_negative"),
            models.CheckConstraint(condition=~Q(points=0), name="care_points_not_zero"),
        ]
