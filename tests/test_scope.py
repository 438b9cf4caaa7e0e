"""Every endpoint and page checks who may see it, object by object.

The URLconf is walked, so a new route is picked up without editing this file:

* a route that takes an id gets team South's id and must answer 404 (or 403) to
  North's account manager and team lead, for every method it accepts;
* a route without an id is read by them, with South's ids in the query string,
  and must not show any South row (South's rows carry a marker in their text).

A new route whose id this file cannot fill fails with a message saying what to add
to ``ID_MODELS`` (or, with a reason, to ``EXEMPT``).
"""
from __future__ import annotations

import re

import pytest
from django.urls import URLResolver, get_resolver

from crm.models import Customer, Team, User

from .world import team_world

MARKER = "SOUTHSECRET"

# Routes left out, with the reason.
EXEMPT_PREFIXES = {
    "admin/": "Django admin: staff only, its own permission system",
    "i18n/": "language switch, no data",
    "api/schema/": "the OpenAPI document, no data",
    "api/docs/": "the API docs page, no data",
    "api/redoc/": "the API docs page, no data",
    "s/": "public survey answer pages: the unguessable token is the credential (surveys/tests/test_answering.py)",
    "login/": "sign-in",
    "logout/": "sign-out",
}
EXEMPT_NAMES = {
    "reviews:trend-action-status": "cross-department actions belong to no team: every team lead and admin tracks "
                                   "them, others only their own (reviews/tests/test_trend_actions.py)",
    "product-detail": "the product catalogue is the company's: every team sells the same products (only admins "
                      "change it: xsell/tests/test_api.py)",
    "trend-action-detail": "the API of the same cross-department actions: team leads and admins track them all, "
                           "others only their own (reviews/tests/test_trend_actions.py)",
    "customer-import-preview": "an upload is keyed by a random token kept with its uploader "
                               "(crm/tests/test_import_views.py checks ownership)",
}
# Values for route arguments that are not ids.
NOT_IDS = {"fmt": "xlsx", "action": "assign", "entity": "customers", "key": "repurchase_rate"}
# The model a route's ``pk`` names, by URL name or namespace (API routes: read from the viewset).
ID_MODELS = {
    "job-detail": "core.Job",
    "job-cancel": "core.Job",
    "job-progress": "core.Job",
    "manage-user-edit": "crm.User",
    "manage-team-edit": "crm.Team",
    "reviews:action-status": "reviews.ReviewAction",
    "tickets": "tickets.Ticket",
    "surveys": "surveys.Survey",
    "reviews": "reviews.Review",
    "integrations:mailbox-edit": "integrations.Mailbox",
    "integrations:triage-detail": "integrations.InboundEmail",
    "integrations:attachment": "integrations.EmailAttachment",
    "integrations:webhook-detail": "integrations.Webhook",
    "integrations:webhook-redeliver": "integrations.Webhook",
    "feedback:theme-records": "feedback.FeedbackTheme",
    "feedback:dictionary-entry": "feedback.ThemeEntry",
    "feedback:dictionary-entry-delete": "feedback.ThemeEntry",
    "": "crm.Customer",
}
ARG_MODELS = {"customer_pk": "crm.Customer", "finding_id": "reviews.ReviewFinding", "ticket_pk": "tickets.Ticket"}
# A few ids are keys other than the primary key.
KEYS = {"external_id": lambda world: f"{MARKER}-0", "uuid": lambda world: world.delivery_uuid,
        "delivery": lambda world: world.delivery_uuid}
# An upsert keyed on another team's external id is refused as a field error (never written, nothing shown).
ID_ANSWER = {"customer-external": {400, 403, 404}}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        else:
            yield prefix + str(p.pattern), p, namespace


def _routes():
    seen = set()
    for route, pattern, namespace in _walk(get_resolver().url_patterns):
        if any(route.lstrip("^").startswith(x) for x in EXEMPT_PREFIXES) or pattern.name in EXEMPT_NAMES:
            continue
        args = set(re.findall(r"\(\?P<(\w+)>", route)) | set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        if "format" in args or route in seen:
            continue  # the router's ".json" twin of another route
        seen.add(route)
        assert pattern.name, f"route {route!r} has no name: name it so it can be tested"
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        label = f"api:{name}" if hasattr(pattern.callback, "cls") else name
        yield pytest.param(route, name, pattern, namespace, sorted(args), id=label)


def url_for(route: str, kwargs: dict) -> str:
    """The path of a walked route (router regexes and path() converters alike)."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


ROUTES = list(_routes())
ROLES = ["alice", "lena"]


def _methods(pattern) -> list[str]:
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:
        return sorted(actions)
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None:
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]
    return ["get", "post"]  # a function view: what it accepts shows in the answer (405 otherwise)


def _model_for(name: str, pattern, namespace: str):
    from django.apps import apps

    cls = getattr(pattern.callback, "cls", None)
    serializer = getattr(cls, "serializer_class", None) if cls else None
    if getattr(cls, "queryset", None) is not None:
        return cls.queryset.model
    if serializer is not None and hasattr(serializer, "Meta") and getattr(serializer.Meta, "model", None):
        return serializer.Meta.model
    label = ID_MODELS.get(name) or ID_MODELS.get(pattern.name) or ID_MODELS.get(namespace)
    assert label, f"{name}: which model does its id name? Add it to ID_MODELS in tests/test_scope.py"
    return apps.get_model(label)


@pytest.fixture
def south_world(db, charlie, south, now):
    from core.roles import Role

    sue = User.objects.create(username="sue", role=Role.TEAM_LEAD, team=south)
    return team_world(owner=charlie, lead=sue, n=1, marker=MARKER, now=now)


@pytest.fixture
def north_world(db, alice, lena, now):
    return team_world(owner=alice, lead=lena, n=1, marker="NORTHOWN", now=now)


def _kwargs(name, pattern, namespace, args, world) -> dict:
    from django.apps import apps

    kwargs = {}
    for arg in args:
        if arg in NOT_IDS:
            kwargs[arg] = NOT_IDS[arg]
        elif arg in KEYS:
            kwargs[arg] = KEYS[arg](world)
        elif arg in ARG_MODELS:
            kwargs[arg] = world.first(apps.get_model(ARG_MODELS[arg]))
        elif arg == "pk":
            model = _model_for(name, pattern, namespace)
            if model is User:
                kwargs[arg] = User.objects.get(username="charlie").pk
            elif model is Team:
                kwargs[arg] = Team.objects.get(name="South").pk
            else:
                kwargs[arg] = world.first(model)
                assert kwargs[arg] is not None, (
                    f"{name}: tests/world.py makes no {model.__name__} for a team; add one")
        else:
            pytest.fail(f"{name}: what is {arg!r}? Add it to NOT_IDS, KEYS or ARG_MODELS in tests/test_scope.py")
    return kwargs


def _client(role, client, api_client_for, request):
    user = request.getfixturevalue(role)
    client.force_login(user)
    return user, api_client_for(user)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route,name,pattern,namespace,args", ROUTES)
def test_no_route_shows_or_changes_another_teams_rows(route, name, pattern, namespace, args, role, south_world,
                                                        north_world, client, api_client_for, request):
    """Charlie (South) has a row of every kind; Alice and Lena (North) may not read,
    change or delete any of it, through any route, by id or by filter."""
    user, api = _client(role, client, api_client_for, request)
    is_api = hasattr(pattern.callback, "cls")
    http = api if is_api else client
    kwargs = _kwargs(name, pattern, namespace, args, south_world)
    url = url_for(route, kwargs)
    has_id = any(a not in NOT_IDS for a in args)
    customer = south_world.first(Customer)
    south = Team.objects.get(name="South")
    charlie = User.objects.get(username="charlie")
    for method in _methods(pattern):
        if has_id:
            response = getattr(http, method)(url, {}, **({"format": "json"} if is_api else {}))
            if response.status_code == 405:
                continue
            allowed = ID_ANSWER.get(name, {403, 404})
            assert response.status_code in allowed, (
                f"{role} {method.upper()} {url}: {response.status_code}, expected one of {sorted(allowed)}")
        elif method == "get":
            query = {"team": south.pk, "owner": charlie.pk, "customer": customer, "assignee": charlie.pk}
            response = http.get(url, query)
            if response.status_code in (403, 404, 405):
                continue
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert MARKER.encode() not in body, f"{role} GET {url}?{query}: shows South's rows"
