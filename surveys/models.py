"""Survey templates, invitations (with single-use tokens), answers, opt-outs and
daily snapshots. The default template is seed 001's 客户满意度调查表."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core import access
from core.fields import EncryptedTextField
from crm.models import Customer, Team


def _pick(zh: str, en: str) -> str:
    """The wording for the active language, falling back to the other one."""
    lang = (translation.get_language() or "zh-hans").lower()
    if lang.startswith("zh"):
        return zh or en
    return en or zh


class SurveyQuerySet(models.QuerySet):
    def for_user(self, user) -> SurveyQuerySet:
        """Templates visible to a user: shared ones (no team) and their team's; admins all."""
        if not user.is_authenticated:
            return self.none()
        if access.sees_all_customers(user):
            return self
        return self.filter(Q(team__isnull=True) | Q(team_id=user.team_id))


class Survey(models.Model):
    """A survey template: ordered questions with zh-Hans and English wording."""

    DEFAULT_CODE = "default_satisfaction"

    code = models.SlugField(_("code"), max_length=50, unique=True, null=True, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="surveys", help_text=_("Empty: shared by all teams."))
    is_default = models.BooleanField(_("default template"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name_zh", "id"]
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="survey_one_default"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _pick(self.name_zh, self.name_en)

    @property
    def intro(self) -> str:
        return _pick(self.intro_zh, self.intro_en)


class Question(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating 1–10")
        NPS = "nps", _("NPS 0–10 (likelihood to recommend)")
        SCALE = "scale", _("Scale 0–10 (not NPS)")
        CES = "ces", _("Customer effort 1–7")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")
        CONTACT = "contact", _("Contact (optional)")

    class Dimension(models.TextChoices):
        """Which column of SurveyResponse a question fills (ratings and texts)."""

        NONE = "", _("None")
        QUALITY = "quality", _("Product/service quality")
        SPEED = "speed", _("Response speed")
        RESOLUTION = "resolution", _("Problem resolution")
        CARE = "care", _("Care experience")
        OVERALL = "overall", _("Overall satisfaction")
        REASON = "reason", _("Reason for the NPS score")
        SUGGESTIONS = "suggestions", _("Suggestions")

    RATING_DIMENSIONS = ("quality", "speed", "resolution", "care", "overall")
    TEXT_DIMENSIONS = ("reason", "suggestions")
    RANGES = {"rating": (1, 10), "nps": (0, 10), "scale": (0, 10), "ces": (1, 7)}

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices, blank=True, default="")
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    help_zh = models.CharField(_("help (Chinese)"), max_length=300, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=300, blank=True)
    # [{"value": "a", "zh": "…", "en": "…"}, …] for single/multiple choice
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["survey_id", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return _pick(self.text_zh, self.text_en)

    @property
    def help(self) -> str:
        return _pick(self.help_zh, self.help_en)

    @property
    def field_name(self) -> str:
        return f"q{self.pk}"

    @property
    def scale(self) -> list[int]:
        low, high = self.RANGES.get(self.kind, (0, -1))
        return list(range(low, high + 1))

    def choice_list(self) -> list[tuple[str, str]]:
        return [(str(c.get("value")), _pick(c.get("zh", ""), c.get("en", ""))) for c in self.choices or []]


class Trigger(models.TextChoices):
    NEW_CUSTOMER = "new_customer", _("New customer, 7 days after first deal")
    QUARTER_END = "quarter_end", _("High-value customer, quarter end")
    TICKET_CLOSED = "ticket_closed", _("Ticket, 48 hours after close")
    CAMPAIGN = "campaign", _("Manual campaign")


class Campaign(models.Model):
    """A manual send of a survey to a filtered set of customers."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(_("name"), max_length=200)
    # {"tier": "...", "owner": id, "region": "...", "tag": "..."}
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    invited = models.PositiveIntegerField(_("invited"), default=0)
    skipped = models.PositiveIntegerField(_("skipped (fatigue or opt-out)"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class SurveyInvitation(models.Model):
    """One survey asked of one customer for one reason. ``trigger_key`` names the
    reason ("new_customer", "quarter_end:2026Q2", "ticket:42", "campaign:7") and is
    unique per customer, so a re-run of the dispatcher never asks twice."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="survey_invitations")
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT,
                               related_name="invitations")
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    trigger_key = models.CharField(_("trigger key"), max_length=60)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="invitations")
    ticket_id = models.BigIntegerField(_("ticket"), null=True, blank=True)
    ticket_category = models.CharField(_("ticket category"), max_length=50, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    # Only the SHA-256 of the token is stored; the token itself is in the e-mail.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    send_error = models.CharField(_("send error"), max_length=200, blank=True, default="")
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(fields=["customer", "trigger_key"], name="survey_invitation_once_per_trigger"),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["sent_at", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.trigger_key}"


class SurveyResponse(models.Model):
    """One answer. Seed 001 template 2's scores have their own columns (so SQL can
    aggregate them); every answer, including choices, is also kept in ``answers``."""

    class Channel(models.TextChoices):
        EMAIL_LINK = "email_link", _("E-mail link")
        PHONE = "phone", _("Phone survey")
        MANUAL = "manual", _("Entered by staff")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="survey_responses")
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT,
                               related_name="responses")
    invitation = models.OneToOneField(SurveyInvitation, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="response")
    answered_at = models.DateTimeField(_("answered at"))
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.EMAIL_LINK)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    nps = models.PositiveSmallIntegerField(_("NPS score (0–10)"), null=True, blank=True)
    quality = models.PositiveSmallIntegerField(_("product/service quality (1–10)"), null=True, blank=True)
    speed = models.PositiveSmallIntegerField(_("response speed (1–10)"), null=True, blank=True)
    resolution = models.PositiveSmallIntegerField(_("resolution (1–10)"), null=True, blank=True)
    care = models.PositiveSmallIntegerField(_("care experience (1–10)"), null=True, blank=True)
    overall = models.PositiveSmallIntegerField(_("overall satisfaction (1–10)"), null=True, blank=True)
    ces = models.PositiveSmallIntegerField(_("customer effort (1–7)"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    contact = EncryptedTextField(_("contact"), blank=True, default="")
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))

    # The customer's current segment, joined straight on customer_id (no column of
    # its own): NPS by tier over millions of answers skips the crm_customer join.
    segment = models.ForeignObject("segmentation.CustomerSegment", on_delete=models.DO_NOTHING,
                                   from_fields=["customer"], to_fields=["customer"], null=True,
                                   related_name="+")

    objects = access.CustomerScopedQuerySet.as_manager()

    RATING_FIELDS = ("quality", "speed", "resolution", "care", "overall")

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["answered_at"]),
            models.Index(fields=["customer", "answered_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(nps__isnull=True) | Q(nps__lte=10), name="survey_response_nps_0_10"),
            models.CheckConstraint(condition=Q(ces__isnull=True) | Q(ces__gte=1, ces__lte=7),
                                   name="survey_response_ces_1_7"),
            *[
                models.CheckConstraint(condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gte": 1, f"{f}__lte": 10}),
                                       name=f"survey_response_{f}_1_10")
                for f in ("quality", "speed", "resolution", "care", "overall")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.answered_at:%Y-%m-%d}"

    @property
    def nps_class(self) -> str | None:
        from core.formulas import nps_class

        return None if self.nps is None else nps_class(self.nps)

    @property
    def satisfaction_100(self) -> float | None:
        from core.formulas import satisfaction_100_from_overall

        return satisfaction_100_from_overall(self.overall)


class SurveyOptOut(models.Model):
    """The customer asked not to be surveyed: no invitation is ever created for them."""

    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                    related_name="survey_opt_out")
    created_at = models.DateTimeField(_("created at"))
    source = models.CharField(_("source"), max_length=20, default="staff")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")

    def __str__(self) -> str:
        return str(self.customer_id)


class SurveyDailySnapshotQuerySet(models.QuerySet):
    def for_user(self, user) -> SurveyDailySnapshotQuerySet:
        """The customer rule on the snapshot's own team and owner columns."""
        q = access.customer_scope_q(user, team="team_id", owner="owner_id")
        return self if q is None else self.filter(q)


class SurveyDailySnapshot(models.Model):
    """Per day × team × owner × tier × ticket category sums, rebuilt whole for a day
    (delete + insert in one transaction), so re-running never double-counts."""

    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(null=True, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)
    tier = models.CharField(max_length=30, blank=True, default="")
    ticket_category = models.CharField(max_length=50, blank=True, default="")
    invitations_sent = models.PositiveIntegerField(default=0)
    invitations_answered = models.PositiveIntegerField(default=0)
    responses = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    passives = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    overall_sum = models.PositiveIntegerField(default=0)
    overall_n = models.PositiveIntegerField(default=0)
    quality_sum = models.PositiveIntegerField(default=0)
    quality_n = models.PositiveIntegerField(default=0)
    speed_sum = models.PositiveIntegerField(default=0)
    speed_n = models.PositiveIntegerField(default=0)
    resolution_sum = models.PositiveIntegerField(default=0)
    resolution_n = models.PositiveIntegerField(default=0)
    care_sum = models.PositiveIntegerField(default=0)
    care_n = models.PositiveIntegerField(default=0)
    ces_sum = models.PositiveIntegerField(default=0)
    ces_n = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    objects = SurveyDailySnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["day", "team_id"])]
        verbose_name = _("survey daily snapshot")
        verbose_name_plural = _("survey daily snapshots")
