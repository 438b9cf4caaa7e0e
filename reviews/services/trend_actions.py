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
def trend_action_status_set(*, action: TrendAction, user, status: str, now: dt.datetime) -> TrendAction:
    """Its owner, team leads and admins move it; done or cancelled closes it."""
    if status not in ReviewAction.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if not (action.owner_id == user.pk or access.can_track_trend_actions(user)):
        raise PermissionDenied("Only the owner, team leads and admins move this action.")
    action.status = status
    action.closed_at = now if status in CLOSED else None
    action.save(update_fields=["status", "closed_at"])
    return action
