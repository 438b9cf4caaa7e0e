"""Reads, always scoped to the user. A single object comes from ``*_get_for_user``,
which raises 404 for anything the user may not see."""
from __future__ import annotations

from django.db import connections
from django.db.models import Count, F, FloatField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from core import access
from crm import name_index
from crm.models import Contact, Customer, Interaction, Product, Team, Transaction, TransactionLine, User
from crm.phone_index import customer_ids_by_phone


# The latest churn model's probability, for sorting (a customer without a score sorts as -1, below all).
CHURN_PROBABILITY = Coalesce(F("churn_score__probability"), Value(-1.0), output_field=FloatField())


def customer_list_for_user(*, user) -> QuerySet[Customer]:
    """Scoped, with the segment and the churn score joined; ``churn_probability``
    annotated for sorting (CHURN_PROBABILITY)."""
    return (Customer.objects.for_user(user).select_related("owner", "team", "segment", "churn_score")
            .annotate(churn_probability=CHURN_PROBABILITY))


def customer_list_for_api(*, user) -> QuerySet[Customer]:
    """The API's customers: owner and team are rendered as ids (their ``*_id`` columns), so only the
    segment and the churn score are joined (``churn_probability`` annotated for sorting); the points
    balance's two sums are annotated (care.points_selectors)."""
    from care.points_selectors import points_balance_annotations

    return Customer.objects.for_user(user).select_related("segment", "churn_score").annotate(
        churn_probability=CHURN_PROBABILITY, **points_balance_annotations())


def customer_points_balance(*, customer: Customer) -> int:
    """The customer's points balance: from the list's annotations when it has them, else read."""
    from care import points_selectors

    if hasattr(customer, "points_ledger"):
        return points_selectors.points_balance_of(customer)
    return points_selectors.points_summary(customer=customer)["balance"]


def customer_search(queryset: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """The one customer search (list page, API ``?q=``, pickers): part of the name or
    part of the external id ("IMP" finds IMP-00042), or a phone number, whole or its
    last four digits (crm.phone_index: numbers are encrypted)."""
    q = (q or "").strip()
    if not q:
        return queryset
    name = Q(name__icontains=q)
    if name_index.searchable_by_grams(q, vendor=connections[queryset.db].vendor):
        name &= Q(name_index.NameGramsContain("name", Value(q)))
    match = name | Q(external_id__icontains=q)
    # The ids first (one indexed look-up), then a constant list: PostgreSQL ORs it
    # with the trigram indexes instead of a sub-select per row.
    if phone_ids := customer_ids_by_phone(q):
        match |= Q(pk__in=phone_ids)
    return queryset.filter(match)


def customer_pick_for_user(*, user, q: str, limit: int = 10) -> list[Customer]:
    """Customers to choose from while typing (ticket form): in scope, best matches first."""
    if not (q or "").strip():
        return []
    return list(customer_search(Customer.objects.for_user(user), q).select_related("owner")
                .order_by("name", "pk")[:limit])


def customer_get_for_user(*, user, pk) -> Customer:
    """With ``customer_since`` annotated (the customer page shows it)."""
    return get_object_or_404(customer_list_for_user(user=user).with_customer_since(), pk=pk)


def customer_editable_list_for_user(*, user) -> QuerySet[Customer]:
    """The customers the user may change: in scope, and the role may edit."""
    return Customer.objects.for_user(user) if access.can_edit_customers(user) else Customer.objects.none()


def customer_editable_for_user(*, user, pk) -> Customer:
    """A customer the user may change (404 otherwise)."""
    return get_object_or_404(customer_editable_list_for_user(user=user).select_related("owner", "team", "segment"),
                             pk=pk)


def contact_list_for_user(*, user) -> QuerySet[Contact]:
    return Contact.objects.for_user(user).select_related("customer")


def transaction_list_for_user(*, user) -> QuerySet[Transaction]:
    """Support works tickets, not money: no transactions (core.access.can_see_money)."""
    return Transaction.objects.for_user(user).select_related("customer").prefetch_related(
        Prefetch("lines", queryset=TransactionLine.objects.select_related("product")))


def product_list() -> QuerySet[Product]:
    """The catalogue (the company's: no scope)."""
    return Product.objects.all()


def interaction_list_for_user(*, user) -> QuerySet[Interaction]:
    return Interaction.objects.for_user(user).select_related("customer", "staff", "next_action_owner")


def customer_timeline(*, customer: Customer, limit: int = 200) -> list[dict]:
    """Transactions and interactions of one customer, newest first, as one list.

    Other apps (tickets, surveys) add their own entries through
    ``TIMELINE_SOURCES``; each source returns dicts with ``at``, ``kind`` and ``obj``.
    """
    from datetime import datetime, time

    from django.utils import timezone

    entries: list[dict] = []
    for t in customer.transactions.all()[:limit]:
        at = timezone.make_aware(datetime.combine(t.occurred_on, time(12, 0)))
        entries.append({"at": at, "kind": "transaction", "obj": t})
    for i in customer.interactions.select_related("staff", "next_action_owner")[:limit]:
        entries.append({"at": i.occurred_at, "kind": "interaction", "obj": i})
    for source in TIMELINE_SOURCES:
        entries.extend(source(customer=customer, limit=limit))
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


# Callables ``(customer=, limit=) -> list[dict]`` registered by other apps' AppConfig.ready().
# Each entry: {"at": aware datetime, "kind": str, "obj": object, "template": "app/_timeline_x.html"}.
TIMELINE_SOURCES: list = []

# Panels other apps add to the customer page (AppConfig.ready() appends):
# callables ``(*, request, customer) -> dict | None`` returning
# {"template": "app/_customer_panel.html", "context": {...}, "order": int}.
CUSTOMER_PANELS: list = []

# Panels other apps add beside the follow-up form (AppConfig.ready() appends): the
# same contract as CUSTOMER_PANELS, e.g. care's "What to say".
FOLLOWUP_FORM_PANELS: list = []


def hooks_register(hooks: list, *entries) -> None:
    """Add entries to one of the lists above, each once (``ready()`` may run twice)."""
    hooks.extend(entry for entry in entries if entry not in hooks)


# ---------------------------------------------------------------- the admin pages (callers are admins only)

def user_list_for_admin(*, role: str = "", team: str = "") -> QuerySet[User]:
    """Every user, by team and username; ``role`` and ``team`` (an id as typed) narrow
    it when they are a role and a number."""
    users = User.objects.select_related("team").order_by("team__name", "username")
    if role in access.Role.values:
        users = users.filter(role=role)
    if team.isdigit():
        users = users.filter(team_id=int(team))
    return users


def user_get_for_admin(*, pk) -> User:
    return get_object_or_404(User, pk=pk)


def team_list_for_admin() -> QuerySet[Team]:
    """Every team by name, with ``member_count``."""
    return Team.objects.annotate(member_count=Count("members", distinct=True)).order_by("name")


def team_find(*, id_or_name: str) -> Team | None:
    """The team an import names by id (digits) or by name; None when there is none."""
    if id_or_name.isdigit():
        return Team.objects.filter(pk=int(id_or_name)).first()
    return Team.objects.filter(name=id_or_name).first()


def team_get_for_admin(*, pk) -> Team:
    return get_object_or_404(Team, pk=pk)


def team_members(*, team: Team) -> QuerySet[User]:
    return team.members.order_by("username")


def referrer_choices_for(user) -> QuerySet[Customer]:
    """Whom a caller may name as a customer's referrer (``referred_by``): a customer they can see."""
    return Customer.objects.for_user(user)
