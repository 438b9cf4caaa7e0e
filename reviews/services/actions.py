"""Improvement actions of a review report: create, move through their statuses,
and remind their owners before the deadline."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access
from core.services import notification_create
from reviews.metrics import CATALOGUE
from reviews.models import Review, ReviewAction, ReviewActionReminder
from reviews.selectors import action_owner_choices

# Days before the deadline a reminder goes out (each once per action).
REMINDER_DAYS = (3, 1)


def review_action_create(*, actor, review: Review, title: str, owner, deadline: dt.date | None, metric: str = "",
                         now: dt.datetime) -> ReviewAction:
    """The owner is someone the actor may name who belongs to the report's team (any
    staff for a company-wide report): ``selectors.action_owner_choices``. The linked
    metric's current actual in this report is kept as the baseline."""
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if owner is None:
        errors["owner"] = [_("This field is required.")]
    else:
        errors.update(access.choice_errors(owner=(action_owner_choices(user=actor, team_id=review.team_id), owner)))
    if deadline is None:
        errors["deadline"] = [_("This field is required.")]
    if metric and metric not in CATALOGUE:
        errors["metric"] = [_("Unknown metric.")]
    if errors:
        raise ValidationError(errors)
    row = review.metric_rows.filter(metric=metric).first() if metric else None
    return ReviewAction.objects.create(review=review, title=title.strip(), owner=owner, deadline=deadline,
                                       metric=metric or "", baseline=row.actual if row else None, created_at=now)


def review_action_status_set(*, action: ReviewAction, user, status: str, now: dt.datetime) -> ReviewAction:
    """The owner, the team's lead or an admin moves an action; done stamps completed_at."""
    if status not in ReviewAction.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    may = action.owner_id == user.pk or access.leads_team(user, action.review.team_id) or access.is_admin(user)
    if not may:
        raise ValidationError({"status": [_("Only the owner or the team lead can change this action.")]})
    action.status = status
    action.completed_at = now if status == ReviewAction.Status.DONE else None
    action.save(update_fields=["status", "completed_at"])
    return action


def review_action_reminders_send(*, now: dt.datetime) -> int:
    """Remind owners of open actions due within REMINDER_DAYS. Each reminder goes
    out once per action: the (action, days_before) row is claimed under a unique
    constraint before the notification is written, in one transaction."""
    today = timezone.localtime(now).date()
    horizon = today + dt.timedelta(days=max(REMINDER_DAYS))
    open_actions = ReviewAction.objects.filter(
        status__in=[ReviewAction.Status.OPEN, ReviewAction.Status.IN_PROGRESS],
        deadline__gte=today, deadline__lte=horizon).select_related("owner", "review")
    sent = 0
    url = reverse("reviews:my-actions")
    for action in open_actions:
        days_left = (action.deadline - today).days
        days_before = min(d for d in REMINDER_DAYS if days_left <= d)
        try:
            with transaction.atomic():
                ReviewActionReminder.objects.create(action=action, days_before=days_before, sent_at=now)
                params = {"days": days_left, "title": action.title, "review": action.review.title,
                          "deadline": action.deadline.isoformat()}
                notification_create(recipient=action.owner, kind="review_action_due", params=params, url=url,
                                    now=now)
        except IntegrityError:
            continue
        sent += 1
    return sent
