"""Which metric scope a user may ask for (API and dashboards)."""
from __future__ import annotations

from django.http import Http404

from core import roles
from crm.models import User
from reviews.metrics import Scope


def metric_scope_for_user(*, user, team: str | None = None, owner: str | None = None,
                          tier: str | None = None) -> Scope:
    """Admins and support may ask for any scope; team leads and account managers
    only for their own team (or an owner in it). Anything else is 404, as if it did
    not exist."""
    def as_int(v):
        if v in (None, ""):
            return None
        try:
            return int(v)
        except (TypeError, ValueError):
            raise Http404 from None

    team_id, owner_id = as_int(team), as_int(owner)
    if not (roles.is_admin(user) or roles.is_support(user)):
        if user.team_id is None:
            if owner_id not in (None, user.pk) or team_id is not None:
                raise Http404
            owner_id = user.pk
        else:
            if team_id not in (None, user.team_id):
                raise Http404
            team_id = user.team_id
    if owner_id is not None and team_id is not None and not User.objects.filter(pk=owner_id, team_id=team_id).exists():
        raise Http404
    return Scope(team_id=team_id, owner_id=owner_id, tier=tier or None)
