"""How ticket notifications read (core.notifications): rendered from their
parameters in the reader's language."""
from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.notifications import notification_kind, text_kind
from tickets.models import Category, Clock

# SLA event notes the system words (SlaEvent.note_kind), rendered in the reader's language.
NOTE_PUBLIC_REPLY = "tickets.sla.public_reply"
NOTE_REOPENED = "tickets.sla.reopened"
NOTE_RECORDED = "tickets.sla.recorded"


@text_kind(NOTE_PUBLIC_REPLY)
def note_public_reply(params: dict) -> str:
    return _("public reply")


@text_kind(NOTE_REOPENED)
def note_reopened(params: dict) -> str:
    return _("reopened")


@text_kind(NOTE_RECORDED)
def note_recorded(params: dict) -> str:
    at = timezone.localtime(parse_datetime(params["at"])).strftime("%Y-%m-%d %H:%M:%S")
    return _("recorded at %(now)s") % {"now": at}


def _label(choices, code: str) -> str:
    return choices(code).label if code in choices.values else code


@notification_kind("ticket_assigned")
def ticket_assigned(params: dict) -> tuple[str, str]:
    return _("Ticket %(number)s assigned to you") % {"number": params["number"]}, params.get("subject", "")


@notification_kind("sla_breach")
def sla_breach(params: dict) -> tuple[str, str]:
    items = params["items"]
    if len(items) == 1:
        item = items[0]
        due = timezone.localtime(parse_datetime(item["due_at"])).strftime("%Y-%m-%d %H:%M")
        title = _("SLA breach on ticket %(number)s: %(clock)s") % {"number": item["number"],
                                                                    "clock": _label(Clock, item["clock"])}
        return title, _("%(subject)s — due %(due)s.") % {"subject": item["subject"], "due": due}
    title = _("%(count)d SLA breaches on your tickets") % {"count": params.get("count", len(items))}
    body = "\n".join(f"{i['number']} · {_label(Clock, i['clock'])} · {i['subject']}" for i in items[:50])
    return title, body


@notification_kind("ticket_trend")
def ticket_trend(params: dict) -> tuple[str, str]:
    title = _("Complaint trend: %(category)s above its 8-week baseline three weeks running") % {
        "category": _label(Category, params["category"])}
    body = "\n".join(_("Week of %(week)s: %(count)s complaints (baseline %(baseline)s)") % {
        "week": e["week_start"], "count": e["count"], "baseline": e["baseline"]} for e in params["evidence"])
    return title, body
