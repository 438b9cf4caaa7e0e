"""Who may see and do what: the role predicates, the scope rules and the people a
caller may name. One definition each; every ``QuerySet.for_user()``, selector,
form choice, serializer field and service check calls these.

The rules (DESIGN "Roles"):

* admin — everything;
* support — reads every customer (personal fields masked) and works tickets; no
  money, no reviews, edits no customer;
* team lead — their team's customers (and any they own), manages the team's
  segments rules, surveys, reviews; a team lead without a team leads nothing and
  is treated as an account manager;
* account manager — their team's customers and any they own; without a team,
  only the customers they own.

Scopes are expressed on two columns, a team and an owner, so the same rule serves
a customer, anything reached through a customer (tickets, answers, follow-ups,
segments …) and the pre-summed snapshots that carry the team and owner ids.
"""
from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.roles import Role

__all__ = [
    "Role", "is_admin", "is_team_lead", "is_support", "is_lead_or_admin", "sees_all_customers",
    "can_see_personal_data", "can_edit_customers", "can_see_money", "can_read_reviews", "leads_team",
    "can_delete_customers", "can_manage_segments", "can_build_surveys", "can_write_reviews", "can_configure_tickets",
    "can_run_reports", "can_track_trend_actions", "can_configure_care", "can_import_ticket_history",
    "can_adjust_points", "can_redeem_points",
    "can_bulk_assign_tickets",
    "customer_scope_q", "scope_by_customer", "customer_cut_for", "team_scope_q", "led_team_scope_q",
    "CustomerScopedQuerySet", "assignable_users_for", "ticket_assignees_for", "assignable_teams_for",
    "teams_visible_to", "owners_visible_to", "check_choices", "choice_errors", "NOT_A_VALID_CHOICE",
]

# --- role predicates ------------------------------------------------------------------------------------------


def is_admin(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def is_team_lead(user) -> bool:
    """A team lead of a team (a lead without a team has nobody to lead)."""
    return bool(user.is_authenticated and user.role == Role.TEAM_LEAD and user.team_id is not None
                and not user.is_superuser)


def is_support(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.SUPPORT and not user.is_superuser)


def is_lead_or_admin(user) -> bool:
    """Team leads (of a team) and admins: they change rules, templates, reports and
    settings, start recomputes and delete customers."""
    return is_admin(user) or is_team_lead(user)


def sees_all_customers(user) -> bool:
    """Admins, and support (who works every customer's tickets, masked)."""
    return is_admin(user) or is_support(user)


def can_see_personal_data(user) -> bool:
    """Admins, team leads and account managers read personal fields of the
    customers in their scope; support sees them masked."""
    return bool(user.is_authenticated and not is_support(user))


def can_edit_customers(user) -> bool:
    return bool(user.is_authenticated and not is_support(user))


def can_see_money(user) -> bool:
    """Support works tickets, not money: no transactions, no contract values."""
    return bool(user.is_authenticated and not is_support(user))


def leads_team(user, team_id: int | None) -> bool:
    """Admins, and the team lead of ``team_id``: who changes a team's own templates,
    reports and their actions."""
    return is_admin(user) or (is_team_lead(user) and team_id is not None and team_id == user.team_id)


# The capabilities of team leads and admins, named for what they allow.
can_delete_customers = is_lead_or_admin
can_manage_segments = is_lead_or_admin
can_build_surveys = is_lead_or_admin
can_write_reviews = is_lead_or_admin
can_configure_tickets = is_lead_or_admin
can_run_reports = is_lead_or_admin
# Cross-department actions opened by trend alerts belong to no team.
can_track_trend_actions = is_lead_or_admin
# The product catalogue is the company's (crm.Product): admins keep it.
can_manage_products = is_admin
# Care settings: days ahead, greetings, perks, the holiday calendar, talking points (care app).
can_configure_care = is_lead_or_admin
can_adjust_points = is_lead_or_admin  # a manual points adjustment, with a reason


def can_redeem_points(user) -> bool:
    """Whoever may edit customers redeems a customer's points for a reward (on a customer in their scope)."""
    return can_edit_customers(user)


# Leads (their team's entries) and admins (every entry, global ones too) edit the
# feedback theme dictionary and recompute the themes.
can_edit_feedback_themes = is_lead_or_admin


def can_bulk_assign_tickets(user) -> bool:
    """Support staff, team leads and admins hand a set of tickets to someone at once."""
    return is_support(user) or is_lead_or_admin(user)


def can_import_ticket_history(user) -> bool:
    """Admins, and integration users holding tickets.import_ticket_history, create
    tickets with a historical created_at."""
    return bool(user.is_authenticated and (is_admin(user) or user.has_perm("tickets.import_ticket_history")))


def can_read_reviews(user) -> bool:
    """Reports are a team's own business: not support, not a user without a team
    (admins excepted)."""
    return is_admin(user) or bool(user.is_authenticated and not is_support(user) and user.team_id is not None)


# --- scope rules ----------------------------------------------------------------------------------------------

_NOTHING = Q(pk__in=[])


def customer_scope_q(user, *, team: str = "team", owner: str = "owner") -> Q | None:
    """The customer rule on a (team, owner) pair of columns. ``None``: no restriction
    (admins and support). Team leads and account managers: their team's rows and the
    rows they own; without a team, the rows they own."""
    if not user.is_authenticated:
        return _NOTHING
    if sees_all_customers(user):
        return None
    mine = Q(**{owner: user.pk})
    return mine if user.team_id is None else Q(**{team: user.team_id}) | mine


def scope_by_customer(qs: QuerySet, user, *, via: str = "customer") -> QuerySet:
    """``qs`` cut to the rows whose customer (reached through ``via``) the user may read."""
    q = customer_scope_q(user, team=f"{via}__team" if via else "team", owner=f"{via}__owner" if via else "owner")
    return qs if q is None else qs.filter(q)


def team_scope_q(user, *, team: str = "team") -> Q | None:
    """A team's own business (reports, campaigns): admins all (``None``), support and
    users without a team nothing, everyone else their team's rows."""
    if is_admin(user):
        return None
    if not can_read_reviews(user):
        return _NOTHING
    return Q(**{team: user.team_id})


def led_team_scope_q(user, *, team: str = "team") -> Q | None:
    """What a lead changes (templates, reports): admins every row (``None``), a team
    lead their team's rows, anyone else nothing. The row form of ``leads_team``."""
    if is_admin(user):
        return None
    return Q(**{team: user.team_id}) if is_team_lead(user) else _NOTHING


def customer_cut_for(user, *, team_id: int | None, owner_id: int | None) -> tuple[int | None, int | None] | None:
    """A (team, owner) cut of the customers a user asks for (metrics, dashboards),
    narrowed to their scope: admins and support any; others their team (and an
    owner in it), or without a team only themselves. ``None``: the cut reaches
    outside the scope (callers answer 404)."""
    if sees_all_customers(user):
        return team_id, owner_id
    if user.team_id is None:
        return None if team_id is not None or owner_id not in (None, user.pk) else (None, user.pk)
    return None if team_id not in (None, user.team_id) else (user.team_id, owner_id)


class CustomerScopedQuerySet(models.QuerySet):
    """A QuerySet of rows that belong to a customer: ``for_user`` applies the customer
    rule through ``customer_path`` (``"customer"``, ``"ticket__customer"``, ``""`` for
    Customer itself)."""

    customer_path = "customer"

    def for_user(self, user):
        return scope_by_customer(self, user, via=self.customer_path)


# --- people and teams a caller may name ---------------------------------------------------------------------

NOT_A_VALID_CHOICE = _("Select a valid choice. That choice is not one of the available choices.")


def _users() -> QuerySet:
    return apps.get_model("crm", "User").objects.filter(is_active=True)


def assignable_users_for(user) -> QuerySet:
    """Whom the user may name as a customer's owner, an interaction's staff, a next
    action's owner, a follow-up's or review action's owner: admins any active
    non-support user; others the active non-support members of their team; without
    a team, themselves."""
    qs = _users().exclude(role=Role.SUPPORT).order_by("username")
    if is_admin(user):
        return qs
    if not can_edit_customers(user):
        return qs.none()
    return qs.filter(team_id=user.team_id) if user.team_id else qs.filter(pk=user.pk)


def ticket_assignees_for(user) -> QuerySet:
    """Whom the user may assign a ticket to: admins and support any active user
    (support works every customer); others the people they may name as owner
    (assignable_users_for) and the support staff."""
    qs = _users().order_by("username")
    if sees_all_customers(user):
        return qs
    if not user.is_authenticated:
        return qs.none()
    return qs.filter(Q(pk__in=assignable_users_for(user).values("pk")) | Q(role=Role.SUPPORT))


def assignable_teams_for(user) -> QuerySet:
    """The teams the user may put a customer (or a report) in: admins any, others their own."""
    teams = apps.get_model("crm", "Team").objects.all()
    if is_admin(user):
        return teams
    return teams.filter(pk=user.team_id) if user.team_id else teams.none()


def choice_errors(**refs: tuple[QuerySet, object]) -> dict[str, list[ValidationError]]:
    """``field=(choices, value)``: an error for every field whose value (an
    instance, a pk or None) is not among its choices."""
    errors = {}
    for field, (choices, value) in refs.items():
        if value is None:
            continue
        if not choices.filter(pk=getattr(value, "pk", value)).exists():
            errors[field] = [ValidationError(NOT_A_VALID_CHOICE, code="invalid_choice")]
    return errors


def teams_visible_to(user) -> QuerySet:
    """Teams a user may filter by: all for those who see every customer, else their own."""
    teams = apps.get_model("crm", "Team").objects.all()
    if sees_all_customers(user):
        return teams
    return teams.filter(pk=user.team_id) if user.team_id else teams.none()


def owners_visible_to(user) -> QuerySet:
    """Owners a user may filter by: every active non-support user for those who see
    every customer, else the people they may name."""
    if sees_all_customers(user):
        return _users().exclude(role=Role.SUPPORT).order_by("username")
    return assignable_users_for(user)


def check_choices(**refs: tuple[QuerySet, object]) -> None:
    """Raise one ValidationError naming every field of ``choice_errors``. Services
    call it for every user or team reference a caller sets, so a form, the API and
    an import get the same answer."""
    if errors := choice_errors(**refs):
        raise ValidationError(errors)
