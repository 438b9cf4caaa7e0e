"""The ``data`` of a webhook delivery: the resource as the REST API shows it to an
admin (unmasked), rendered when the event happens, in the emitting transaction.

It reuses the owning apps' API serializers, so a delivery and a GET of the same
resource agree field for field; the imports are lazy so that the services that
emit events never load the API layer at import time."""
from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from core.roles import Role

# Renders as an admin would see it; never a real session.
_ADMIN = SimpleNamespace(is_authenticated=True, is_superuser=True, role=Role.ADMIN, pk=None, id=None, team_id=None)


def _absolute(path: str) -> str:
    # There is no request here: links carry the site's public address.
    return settings.SITE_URL + path


def _context(now) -> dict:
    request = SimpleNamespace(user=_ADMIN, query_params={}, GET={}, build_absolute_uri=_absolute)
    return {"request": request, "now": now, "revealed_ids": set()}


def _serializer(path: str):
    """The API serializer at ``path`` ("app.api.Name"), imported when first used."""
    from django.utils.module_loading import import_string

    return import_string(path)


def _plain(path: str):
    return lambda obj, now: _serializer(path)(obj, context=_context(now)).data


def _customer(obj, now):
    from crm.models import Customer

    fresh = Customer.objects.select_related("segment").get(pk=obj.pk)
    return _serializer("crm.api.CustomerSerializer")(fresh, context=_context(now)).data


def _ticket(obj, now):
    # Reloaded with the SLA event log the serializer reads (the caller's copy may predate this change).
    from tickets.selectors import ticket_list_for_user

    fresh = ticket_list_for_user(user=_ADMIN).get(pk=obj.pk)
    return _serializer("tickets.api.TicketSerializer")(fresh, context=_context(now)).data


def customers_render(ids: list[int], *, now) -> list[dict]:
    """Many customers at once, as :func:`_customer` renders one (a batch of a bulk write):
    one query with what the serializer reads, ordered by id."""
    from crm.models import Customer

    rows = Customer.objects.select_related("owner", "team", "segment").filter(pk__in=ids).order_by("pk")
    data = _serializer("crm.api.CustomerSerializer")(rows, many=True, context=_context(now)).data
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


RENDERERS = {
    "customer.created": _customer, "customer.updated": _customer,
    "transaction.created": _plain("crm.api.TransactionSerializer"),
    "interaction.created": _plain("crm.api.InteractionSerializer"),
    "ticket.created": _ticket, "ticket.updated": _ticket, "ticket.resolved": _ticket,
    "ticket.breached": _plain("tickets.api.SlaBreachSerializer"),
    "survey_response.created": _plain("surveys.api.SurveyResponseSerializer"),
    "review.finalized": _plain("reviews.api.ReviewSerializer"),
}


def render(event: str, obj: Any, *, now) -> Any:
    """JSON-ready ``data`` for ``event``; a dict payload passes through unchanged."""
    if not isinstance(obj, Model):
        return obj
    data = RENDERERS[event](obj, now)
    # Round-trip through JSON so that dates, decimals and UUIDs are plain JSON values.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
