"""How segmentation notifications read (core.notifications), in the reader's language."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.notifications import join_names, notification_kind


@notification_kind("followup_digest")
def followup_digest(params: dict) -> tuple[str, str]:
    count = params["count"]
    title = ngettext("%(n)d overdue follow-up", "%(n)d overdue follow-ups", count) % {"n": count}
    return title, _("Most urgent: %(names)s.") % {"names": join_names(params["names"])}
