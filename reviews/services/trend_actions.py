"""Cross-department actions (seed 001: 对重复出现的问题……需启动跨部门专项整改): a
complaint category's trend alert opens one tracked action, owned by the supervisor
of the department the category routes to, until someone closes it."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core import access
from core.services import row_save
from reviews.models import ReviewAction, TrendAction

TREND_ACTION_DAYS = 14  # deadline: two weeks after the alert
CLOSED = (ReviewAction.Status.DONE, ReviewAction.Status.CANCELLED)


def trend_action_open(*, alert, now: dt.datetime) -> TrendAction:
    """The alert's action (created once: the one-to-one on the alert is unique, so a
    rerun or a second worker gets the existing one)."""
    from tickets.models import Category, RoutingRule

    rule = RoutingRule.objects.filter(category=alert.category).select_related("department").first()
    department = rule.department if rule else None
    with override(settings.LANGUAGE_CODE):
        title = _("%(category)s complaints above their baseline 3 weeks running: cross-department rectification") % {
            "category": dict(Category.choices).get(alert.category, alert.category)}
    action, _created = TrendAction.objects.get_or_create(alert=alert, defaults={
        "title": title, "department": department, "owner": department.supervisor if department else None,
        "deadline": timezone.localtime(now).date() + dt.timedelta(days=TREND_ACTION_DAYS), "created_at": now})
    return action


def trend_action_on_event(*, event: str, obj, now: dt.datetime) -> None:
    """core.events receiver (registered in ReviewsConfig.ready)."""
    if event == "ticket.trend_alert":
        trend_action_open(alert=obj, now=now)


@transaction.atomic
def trend_action_update(*, action: TrendAction, user, now: dt.datetime, status: str | None = None,
                        owner=None, deadline: dt.date | None = None) -> TrendAction:
    """Change what is given, all or nothing. Its owner, team leads and admins move the
    status (done or cancelled closes it, reopening clears the closing time); only team
    leads and admins hand it to another owner (one of ``ticket_assignees_for``: their
    team's people and the support staff) or move the deadline."""
    if not (action.owner_id == user.pk or access.can_track_trend_actions(user)):
        raise PermissionDenied("Only the owner, team leads and admins move this action.")
    if (owner is not None or deadline is not None) and not access.can_track_trend_actions(user):
        raise PermissionDenied("Only team leads and admins reassign this action or move its deadline.")
    errors = {}
    if status is not None and status not in ReviewAction.Status.values:
        errors["status"] = [_("Unknown status.")]
    if owner is not None and getattr(owner, "pk", owner) != action.owner_id:
        errors.update(access.choice_errors(owner=(access.ticket_assignees_for(user), owner)))
    if errors:
        raise ValidationError(errors)
    fields = []
    if status is not None:
        action.status, action.closed_at = status, (now if status in CLOSED else None)
        fields += ["status", "closed_at"]
    if owner is not None:
        action.owner, fields = owner, [*fields, "owner"]
    if deadline is not None:
        action.deadline, fields = deadline, [*fields, "deadline"]
    if fields:
        row_save(action, fields=fields)
    return action


def trend_action_status_set(*, action: TrendAction, user, status: str, now: dt.datetime) -> TrendAction:
    """Its owner, team leads and admins move it; done or cancelled closes it."""
    return trend_action_update(action=action, user=user, status=status, now=now)
