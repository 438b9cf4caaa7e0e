from __future__ import annotations

from tickets import services


def make_ticket(*, customer, actor, now, **fields):
    fields.setdefault("subject", "Printer jams")
    fields.setdefault("category", "technical")
    return services.ticket_create(actor=actor, customer=customer, now=now, **fields)
