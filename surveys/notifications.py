"""How survey notifications read (core.notifications), in the reader's language."""
from __future__ import annotations

from django.utils.translation import gettext as _

from core.notifications import notification_kind, text_kind

FOLLOWUP_REASON = "surveys.callback"


@text_kind(FOLLOWUP_REASON)
def detractor_reason(params: dict) -> str:
    """The call-back reason of a detractor or low-satisfaction answer, with the customer's own words."""
    if params.get("nps") is not None and params.get("score") is None:
        reason = _("Survey detractor: NPS %(nps)s. Call the customer back.") % {"nps": params["nps"]}
    else:
        reason = _("Low satisfaction in a survey: %(score)s/100. Call the customer back.") % {
            "score": params["score"]}
    return f"{reason} {params['comment']}" if params.get("comment") else reason


@notification_kind("detractor")
def detractor(params: dict) -> tuple[str, str]:
    return _("Detractor alert: %(customer)s") % {"customer": params["customer"]}, detractor_reason(params)
