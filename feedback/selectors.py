"""Reads of the feedback themes.

For other apps: ``themes_for_user(user=, month=, team_id=)`` is the month's stored
themes of the caller's scope (the dashboard, the review report), most customers first."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from core import access
from feedback.models import FeedbackTheme, ThemeEntry, ThemeMember


@dataclass(frozen=True)
class Text:
    kind: str
    object_id: int
    customer_id: int
    team_id: int | None
    at: dt.datetime
    text: str


def feedback_texts(*, start: dt.date, end: dt.date) -> list[Text]:
    """Every feedback text written from ``start`` to ``end`` (inclusive, local days):
    survey answers' reasons and suggestions, tickets' subjects and descriptions,
    follow-up interactions' customer feedback. Three queries."""
    from core.clock import day_end, day_start
    from crm.models import Interaction
    from surveys.models import SurveyResponse
    from tickets.models import Ticket

    lo, hi = day_start(start), day_end(end)
    out: list[Text] = []
    for pk, cid, team, at, reason, suggestions in (
            SurveyResponse.objects.filter(answered_at__gte=lo, answered_at__lt=hi)
            .exclude(reason="", suggestions="").order_by()
            .values_list("pk", "customer_id", "customer__team_id", "answered_at", "reason", "suggestions")):
        out.append(Text("survey_answer", pk, cid, team, at, "\n".join(t for t in (reason, suggestions) if t)))
    for pk, cid, team, at, subject, description in (
            Ticket.objects.filter(created_at__gte=lo, created_at__lt=hi).order_by()
            .values_list("pk", "customer_id", "customer__team_id", "created_at", "subject", "description")):
        body = description if description.startswith(subject) else "\n".join(t for t in (subject, description) if t)
        out.append(Text("ticket", pk, cid, team, at, body))
    for pk, cid, team, at, feedback in (
            Interaction.objects.filter(occurred_at__gte=lo, occurred_at__lt=hi).exclude(feedback="").order_by()
            .values_list("pk", "customer_id", "customer__team_id", "occurred_at", "feedback")):
        out.append(Text("interaction", pk, cid, team, at, feedback))
    return out


def theme_entries_in_force(*, team_id: int | None) -> list[ThemeEntry]:
    """The active dictionary a scope's texts are matched against: the global
    entries, and a team's own for a team."""
    qs = ThemeEntry.objects.filter(is_active=True, team__isnull=True)
    if team_id is not None:
        qs = qs | ThemeEntry.objects.filter(is_active=True, team_id=team_id)
    return list(qs.order_by("pk"))


def theme_entry_list_for_user(*, user) -> QuerySet[ThemeEntry]:
    """The dictionary a lead or admin reads: admins every entry, a lead the global
    ones and their team's."""
    qs = ThemeEntry.objects.select_related("team")
    if access.is_admin(user):
        return qs
    if not access.can_edit_feedback_themes(user):
        return qs.none()
    return qs.filter(team__isnull=True) | qs.filter(team_id=user.team_id)


def theme_entry_editable_for_user(*, user, pk) -> ThemeEntry:
    """One entry the caller may change (admins any, a lead their team's), 404 otherwise."""
    scope = access.led_team_scope_q(user)
    qs = ThemeEntry.objects.all() if scope is None else ThemeEntry.objects.filter(scope)
    entry = qs.filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def _theme_scope(user) -> QuerySet[FeedbackTheme]:
    """Themes are a team's own business, as reports are (``access.can_read_reviews``)."""
    if not access.can_read_reviews(user):
        return FeedbackTheme.objects.none()
    scope = access.team_scope_q(user)
    return FeedbackTheme.objects.all() if scope is None else FeedbackTheme.objects.filter(scope)


def themes_for_user(*, user, month: dt.date, team_id: int | None = None, limit: int | None = None
                    ) -> list[FeedbackTheme]:
    """The stored themes of a month in the caller's scope: an admin's chosen team or
    every team; anyone else their team's (a team's own business, as reports are)."""
    if not access.is_admin(user):
        team_id = user.team_id
    qs = _theme_scope(user).filter(period_start=month.replace(day=1))
    qs = qs.filter(team_id=team_id) if team_id is not None else qs.filter(team__isnull=True)
    qs = qs.order_by("-customers", "-texts", "key")
    return list(qs[:limit] if limit else qs)


def theme_get_for_user(*, user, pk) -> FeedbackTheme:
    theme = _theme_scope(user).filter(pk=pk).first()
    if theme is None:
        raise Http404
    return theme


def theme_members_for_user(*, user, theme: FeedbackTheme, kind: str = "") -> QuerySet[ThemeMember]:
    """A theme's texts whose customers the caller may see (the customer rule, as of now)."""
    qs = ThemeMember.objects.for_user(user).filter(theme=theme).select_related("customer", "customer__owner")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-at", "id")


def last_themes_job(*, user):
    from core import selectors as core_selectors
    from feedback.models import THEMES_JOB_KIND

    return core_selectors.jobs_for_user(user=user).filter(kind=THEMES_JOB_KIND).order_by("-id").first()


FREQUENT_ISSUES = 8


def frequent_issues_for_user(*, user, month: dt.date, team_id: int | None = None) -> list[FeedbackTheme]:
    """The month's frequent issues (the dashboard, the review report): its themes
    raised by the most customers, shared ones first at equal counts."""
    themes = themes_for_user(user=user, month=month, team_id=team_id)
    return sorted(themes, key=lambda t: (-t.customers, not t.is_shared, -t.texts, t.key))[:FREQUENT_ISSUES]


def review_frequent_issues(*, team_id: int | None, start: dt.date, end: dt.date) -> list[dict]:
    """A review report's frequent issues: the themes of the months its period covers
    (a team's, or every team's), most customers first, as data for the page, the
    XLSX and the PDF. The caller has checked that the reader may read the report;
    each theme's records page checks its texts again (``theme_members_for_user``)."""
    from django.urls import reverse

    qs = FeedbackTheme.objects.filter(period_start__gte=start.replace(day=1), period_start__lte=end)
    qs = qs.filter(team_id=team_id) if team_id is not None else qs.filter(team__isnull=True)
    themes = sorted(qs, key=lambda t: (t.period_start, -t.customers, not t.is_shared, -t.texts, t.key))
    by_month: dict[dt.date, list[FeedbackTheme]] = {}
    for t in themes:
        by_month.setdefault(t.period_start, []).append(t)
    from django.utils.translation import pgettext

    return [{"month": t.period_start.strftime("%Y-%m"), "name": t.name, "is_shared": t.is_shared,
             "kind_label": pgettext("feedback", "shared") if t.is_shared else pgettext("feedback", "individual"),
             "customers": t.customers, "texts": t.texts,
             "url": reverse("feedback:theme-records", kwargs={"pk": t.pk})}
            for month in sorted(by_month) for t in by_month[month][:FREQUENT_ISSUES]]


def frequent_issue_headers() -> tuple[str, list[str]]:
    """The title and column headers of the frequent issues in an export, in the reader's language."""
    from django.utils.translation import pgettext

    return pgettext("feedback", "Frequent issues"), [
        pgettext("dashboard", "Month"), pgettext("feedback", "Theme"), pgettext("feedback", "Kind"),
        pgettext("feedback", "Customers"), pgettext("feedback", "Texts")]
