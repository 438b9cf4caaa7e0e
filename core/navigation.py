"""The main navigation. Apps add entries here (one line each); an entry whose
URL name is not defined yet is skipped, so the shell never breaks."""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import access

# (url name, label, who sees it: "all" | "staff" (not support) | "lead" (team lead/admin) | "support" | "admin")
NAV_ITEMS: list[tuple[str, object, str]] = [
    ("customer-list", _("Customers"), "all"),
    ("segmentation:follow-ups", _("My follow-ups"), "staff"),
    ("segmentation:overview", _("Segments"), "staff"),
    ("segmentation:churn-model", _("Churn prediction"), "staff"),
    ("tickets:queue", _("Tickets"), "all"),
    ("surveys:list", _("Surveys"), "all"),
    ("reviews:dashboard", _("Dashboard"), "all"),
    ("reviews:people", _("People & departments"), "staff"),
    ("reviews:list", _("Reviews"), "lead"),
    ("feedback:themes", _("Feedback themes"), "staff"),
    ("care:settings", pgettext_lazy("menu", "Care"), "lead"),
    ("integrations:triage", _("E-mail triage"), "support"),
    ("integrations:mailboxes", _("Channels"), "admin"),
]


def nav_for(user, *, path: str = "") -> list[dict]:
    """The menu for this user; the entry whose URL is the longest prefix of ``path`` is current."""
    items = []
    for name, label, who in NAV_ITEMS:
        if who == "staff" and access.is_support(user):
            continue
        if who == "lead" and not access.is_lead_or_admin(user):
            continue
        if who == "support" and not access.is_support(user):
            continue
        if who == "admin" and not access.is_admin(user):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"name": name, "url": url, "label": label, "current": False})
    matches = [i for i in items if path.startswith(i["url"])]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["current"] = True
    return items
