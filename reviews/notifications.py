"""How review notifications read (core.notifications), in the reader's language."""
from __future__ import annotations

from django.utils.translation import gettext as _

from core.notifications import notification_kind


@notification_kind("review_action_due")
def review_action_due(params: dict) -> tuple[str, str]:
    title = _("Action due in %(days)s day(s): %(title)s") % {"days": params["days"], "title": params["title"]}
    body = _("Review report: %(review)s. Deadline: %(deadline)s.") % {"review": params["review"],
                                                                      "deadline": params["deadline"]}
    return title, body
