"""How integrations notifications read (core.notifications), in the reader's language."""
from __future__ import annotations

from django.utils.translation import gettext as _

from core.notifications import notification_kind


@notification_kind("inbound_email_failed")
def inbound_email_failed(params: dict) -> tuple[str, str]:
    title = _("A received e-mail could not be filed: %(subject)s") % {
        "subject": params.get("subject") or _("(no subject)")}
    return title, params.get("error", "")
