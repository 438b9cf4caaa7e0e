"""The daily digest of overdue follow-ups (DESIGN: notifications)."""
from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.urls import reverse

from core.roles import Role
from core.services import notification_create
from crm.models import User
from segmentation import queue
from segmentation.models import FollowUpDigest

DIGEST_NAMES = 5  # customers named in the message; the page has the rest


def followup_digest_send(*, user: User, today: date, now: datetime) -> bool:
    """Send ``user`` one notification listing their overdue follow-ups for ``today``.

    Idempotent: the (user, day) row is claimed first, so a second run (or a second
    worker) sends nothing. A user with nothing overdue gets no message."""
    items = [it for it in queue.followup_queue_for_user(user=user, today=today) if it["days_overdue"] > 0]
    if not items:
        return False
    try:
        with transaction.atomic():
            FollowUpDigest.objects.create(user=user, day=today, items=len(items), sent_at=now)
            params = {"count": len(items), "names": [it["customer"].name for it in items[:DIGEST_NAMES]]}
            notification_create(recipient=user, kind="followup_digest", params=params, url=reverse("segmentation:follow-ups"), now=now)
    except IntegrityError:
        return False
    return True


def followup_digests_send(*, today: date, now: datetime) -> int:
    """The digest for every active account manager and team lead; returns how many were sent."""
    users = User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD]).order_by("pk")
    return sum(followup_digest_send(user=u, today=today, now=now) for u in users)
