"""Daily survey snapshots: per day × team × owner × tier × ticket category sums
that the results page and dashboards read instead of scanning every answer.

The tier is the customer's tier *on that day* — of the segment recompute on or
before it (segmentation's history) —, blank before their first recompute: an answer
counts under the tier the customer had when they gave it, and a rebuild next week
or next year gives the same rows (history does not change afterwards), where the
current tier would move old answers whenever a recompute moves the customer."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.formulas import DETRACTOR_MAX, PROMOTER_MIN
from surveys.models import SurveyDailySnapshot, SurveyInvitation, SurveyResponse
from core.clock import day_end, day_start

SNAPSHOT_LOCK = 0x5355  # advisory-lock namespace of survey snapshots ("SU")
SCORE_FIELDS = ("overall", "quality", "speed", "resolution", "care", "ces")


def _or_blank(field: str) -> Coalesce:
    return Coalesce(field, Value(""))


def _key(row: dict, prefix: str) -> tuple:
    return (row[f"{prefix}team_id"], row[f"{prefix}owner_id"], row["tier_then"] or "", row["category"] or "")


def snapshot_rows_for_day(*, day: date) -> list[dict]:
    """Two grouped queries (answers of the day, invitations sent that day) merged by key."""
    from segmentation.selectors import tier_on

    start, end = day_start(day), day_end(day)
    aggregates = {
        "responses": Count("id"),
        "promoters": Count("id", filter=Q(nps__gte=PROMOTER_MIN)),
        "passives": Count("id", filter=Q(nps__gt=DETRACTOR_MAX, nps__lt=PROMOTER_MIN)),
        "detractors": Count("id", filter=Q(nps__lte=DETRACTOR_MAX)),
    }
    for f in SCORE_FIELDS:
        aggregates[f"{f}_sum"] = Sum(f)
        aggregates[f"{f}_n"] = Count(f)
    merged: dict[tuple, dict] = {}
    answers = (SurveyResponse.objects.filter(answered_at__gte=start, answered_at__lt=end)
               .values("customer__team_id", "customer__owner_id", tier_then=tier_on(day),
                       category=_or_blank("invitation__ticket_category"))
               .annotate(**aggregates).order_by())
    for row in answers:
        target = merged.setdefault(_key(row, "customer__"), {})
        target.update({k: row[k] or 0 for k in aggregates})
    sent = (SurveyInvitation.objects.filter(sent_at__gte=start, sent_at__lt=end)
            .values("customer__team_id", "customer__owner_id", tier_then=tier_on(day),
                    category=_or_blank("ticket_category"))
            .annotate(invitations_sent=Count("id"), invitations_answered=Count("id", filter=Q(answered_at__isnull=False)))
            .order_by())
    for row in sent:
        target = merged.setdefault(_key(row, "customer__"), {})
        target.update(invitations_sent=row["invitations_sent"], invitations_answered=row["invitations_answered"])
    return [{"team_id": k[0], "owner_id": k[1], "tier": k[2], "ticket_category": k[3], **v}
            for k, v in merged.items()]


@transaction.atomic
def snapshots_rebuild_day(*, day: date, now: datetime) -> int:
    """Replace the day's snapshot rows (delete + insert in one transaction): running
    it twice gives the same rows, never doubled counts."""
    if connection.vendor == "postgresql":
        # Two rebuilds of one day must not interleave: under READ COMMITTED the second
        # DELETE would not see the first one's fresh rows and both inserts would stay.
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SNAPSHOT_LOCK, day.toordinal()])
    rows = snapshot_rows_for_day(day=day)
    SurveyDailySnapshot.objects.filter(day=day).delete()
    SurveyDailySnapshot.objects.bulk_create(
        [SurveyDailySnapshot(day=day, computed_at=now, **row) for row in rows], batch_size=1000)
    return len(rows)


def snapshots_rebuild_recent(*, now: datetime, days: int | None = None) -> int:
    """Rebuild the last ``days`` days up to today: links answered late change the
    answered count of the day they were sent, so the window spans a link's life."""
    days = days or settings.SURVEY_TOKEN_TTL_DAYS + 1
    today = timezone.localdate(now)
    return sum(snapshots_rebuild_day(day=today - timedelta(days=i), now=now) for i in range(days))
