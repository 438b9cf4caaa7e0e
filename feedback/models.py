"""Feedback themes: the editable theme dictionary and the themes computed per month
and scope by the themes job (``feedback.services``), each with the references of
its member texts (survey answers, tickets, follow-up feedback)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core import access

THEMES_JOB_KIND = "feedback.themes"


def _localized(zh: str, en: str) -> str:
    return zh if (get_language() or "").startswith("zh") and zh else (en or zh)


class ThemeEntry(models.Model):
    """One theme of the dictionary: a name and the keywords that put a text in it,
    in Chinese and English. No team: used for every team's texts."""

    team = models.ForeignKey("crm.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="theme_entries", help_text=_("Empty: used for every team."))
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    keywords_zh = models.TextField(_("keywords (Chinese)"), blank=True,
                                   help_text=_("Separated by commas or new lines."))
    keywords_en = models.TextField(_("keywords (English)"), blank=True,
                                   help_text=_("Separated by commas or new lines."))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["team_id", "name_zh", "id"]
        verbose_name = _("theme")
        verbose_name_plural = _("theme dictionary")
        constraints = [models.UniqueConstraint(fields=["team", "name_zh"], name="feedback_theme_entry_team_name",
                                               nulls_distinct=False)]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    def keywords(self) -> list[str]:
        """Every keyword of both languages."""
        return [k for raw in (self.keywords_zh, self.keywords_en)
                for k in (w.strip() for w in raw.replace("，", ",").replace("\n", ",").split(",")) if k]


class FeedbackTheme(models.Model):
    """A theme of one month in one scope (a team, or every team when ``team`` is
    empty): a dictionary theme or a group found by the unsupervised grouping,
    with how many customers raised it and whether that makes it shared (共性)."""

    class Source(models.TextChoices):
        DICTIONARY = "dictionary", _("Dictionary")
        GROUPING = "grouping", _("Grouping")

    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    team = models.ForeignKey("crm.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(_("key"), max_length=120)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    entry = models.ForeignKey(ThemeEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    terms = models.JSONField(_("top terms"), default=list, blank=True)
    customers = models.PositiveIntegerField(_("customers"))
    texts = models.PositiveIntegerField(_("texts"))
    is_shared = models.BooleanField(_("shared"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-customers", "-texts", "key"]
        verbose_name = _("feedback theme")
        verbose_name_plural = _("feedback themes")
        constraints = [models.UniqueConstraint(fields=["period_start", "team", "key"],
                                               name="feedback_theme_period_scope_key", nulls_distinct=False)]
        indexes = [models.Index(fields=["team", "period_start"])]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m} {self.name}"

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)


class ThemeMember(models.Model):
    """One text of a theme: which record it is (a survey answer, a ticket, a follow-up
    interaction), its customer and an excerpt as it read when the theme was computed."""

    class Kind(models.TextChoices):
        SURVEY_ANSWER = "survey_answer", _("Survey answer")
        TICKET = "ticket", _("Ticket")
        INTERACTION = "interaction", _("Follow-up feedback")

    theme = models.ForeignKey(FeedbackTheme, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey("crm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("record"))
    at = models.DateTimeField(_("date"))
    excerpt = models.CharField(_("text"), max_length=300)

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "id"]
        verbose_name = _("theme text")
        verbose_name_plural = _("theme texts")
        indexes = [models.Index(fields=["theme", "at"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


SHARED_MIN_CUSTOMERS_DEFAULT = 3


def shared_min_customers() -> int:
    """N: a theme raised by at least N customers in a month is shared (共性)."""
    return int(getattr(settings, "FEEDBACK_SHARED_MIN_CUSTOMERS", SHARED_MIN_CUSTOMERS_DEFAULT))
