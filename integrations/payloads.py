"""The ``data`` of a webhook delivery: the resource as the REST API shows it to an
admin (unmasked), rendered when the event happens, in the emitting transaction.

It reuses the owning apps' API serializers, so a delivery and a GET of the same
resource agree field for field; the imports are lazy so that the services that
emit events never load the API layer at import time."""
from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from core.roles import Role

# Renders as an admin would see it; never a real session.
_ADMIN = SimpleNamespace(is_authenticated=True, is_superuser=True, role=Role.ADMIN, pk=None, id=None, team_id=None)


def _context(now) -> dict:
    return {"request": SimpleNamespace(user=_ADMIN, query_params={}, GET={}), "now": now, "revealed_ids": set()}


def _customer(obj, now):
    from crm.api import CustomerSerializer
    from crm.models import Customer

    fresh = Customer.objects.select_related("segment").get(pk=obj.pk)
    return CustomerSerializer(fresh, context=_context(now)).data


def _transaction(obj, now):
    from crm.api import TransactionSerializer

    return TransactionSerializer(obj, context=_context(now)).data


def _interaction(obj, now):
    from crm.api import InteractionSerializer

    return InteractionSerializer(obj, context=_context(now)).data


def _ticket(obj, now):
    from tickets.api import TicketSerializer
    from tickets.selectors import ticket_list_for_user

    fresh = ticket_list_for_user(user=_ADMIN).get(pk=obj.pk)
    return TicketSerializer(fresh, context=_context(now)).data


def _breach(obj, now):
    from tickets.api import SlaBreachSerializer

    return SlaBreachSerializer(obj, context=_context(now)).data


def _survey_response(obj, now):
    from surveys.api import SurveyResponseSerializer

    return SurveyResponseSerializer(obj, context=_context(now)).data


def _review(obj, now):
    from reviews.api import ReviewSerializer

    return ReviewSerializer(obj, context=_context(now)).data


RENDERERS = {
    "customer.created": _customer, "customer.updated": _customer, "transaction.created": _transaction,
    "interaction.created": _interaction, "ticket.created": _ticket, "ticket.updated": _ticket,
    "ticket.resolved": _ticket, "ticket.breached": _breach, "survey_response.created": _survey_response,
    "review.finalized": _review,
}


def render(event: str, obj: Any, *, now) -> Any:
    """JSON-ready ``data`` for ``event``; a dict payload passes through unchanged."""
    if not isinstance(obj, Model):
        return obj
    data = RENDERERS[event](obj, now)
    # Round-trip through JSON so that dates, decimals and UUIDs are plain JSON values.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
