"""Reads of core's own rows, scoped to the user; and the optional-filter step every
app's selectors share (``filter_given``)."""
from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from core import access
from core.models import Job


def filter_given(qs: QuerySet, **lookups) -> QuerySet:
    """``qs`` narrowed by each lookup whose value is given: an empty value ("", None,
    0, []) means "any", as an unset filter of a form or query string does."""
    given = {lookup: value for lookup, value in lookups.items() if value}
    return qs.filter(**given) if given else qs


def jobs_for_user(*, user) -> QuerySet[Job]:
    """The jobs a user may see: their own; a team lead's also those created by
    members of their team; an admin's every job (scheduled ones included)."""
    qs = Job.objects.select_related("created_by")
    if access.is_admin(user):
        return qs
    scope = Q(created_by=user)
    if access.is_team_lead(user):
        scope |= Q(created_by__team_id=user.team_id)
    return qs.filter(scope)


def notification_list_for_user(*, user) -> QuerySet:
    """The user's notifications (the model's order: newest first)."""
    return user.notifications.all()


def notification_unread_count(*, user) -> int:
    return user.notifications.filter(read_at__isnull=True).count()


def latest_jobs_for_user(*, user, kind: str, limit: int = 5) -> list[Job]:
    """The user's latest jobs of one kind, newest first (a page's "recent runs")."""
    return list(jobs_for_user(user=user).filter(kind=kind).order_by("-id")[:limit])


def job_get_for_user(*, user, pk) -> Job:
    """One job in the user's scope (404 otherwise)."""
    return get_object_or_404(jobs_for_user(user=user), pk=pk)
