"""Which metric scope a user may ask for (API and dashboards): the customer rule of
core.access applied to a (team, owner, tier) cut."""
from __future__ import annotations

from django.http import Http404

from core import access
from crm.models import User
from reviews.metrics import Scope


def _as_int(v) -> int | None:
    if v in (None, ""):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise Http404 from None


def metric_scope_for_user(*, user, team: str | None = None, owner: str | None = None,
                          tier: str | None = None) -> Scope:
    """The cut asked for, narrowed to the user's customers (``access.customer_cut_for``);
    anything outside them, or an owner outside the team, is 404 as if it did not exist."""
    cut = access.customer_cut_for(user, team_id=_as_int(team), owner_id=_as_int(owner))
    if cut is None:
        raise Http404
    team_id, owner_id = cut
    if owner_id is not None and team_id is not None and not User.objects.filter(pk=owner_id, team_id=team_id).exists():
        raise Http404
    return Scope(team_id=team_id, owner_id=owner_id, tier=tier or None)


def dashboard_scope(*, user, team_id: int | None) -> tuple[Scope, bool]:
    """(scope, personal): admins and support see all or a chosen team, team leads
    their team, account managers their own customers (a personal dashboard)."""
    if access.sees_all_customers(user):
        return Scope(team_id=team_id), False
    if access.is_team_lead(user):
        return Scope(team_id=user.team_id), False
    return Scope(owner_id=user.pk), True
