"""Reads of the reviews app: reports and actions scoped to the user, and the reads
of other apps' data the metrics catalogue needs (their models, read-only)."""
from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Case, Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.shortcuts import get_object_or_404

from core import access
from crm.models import Customer, FollowUp, User, person_name
from reviews.models import Review, ReviewAction, TrendAction


# --- reports and actions -------------------------------------------------------

def review_list_for_user(*, user) -> QuerySet[Review]:
    return Review.objects.for_user(user).select_related("team", "created_by")


def review_get_for_user(*, user, pk) -> Review:
    """A report the user may read (404 otherwise, e.g. another team's)."""
    return get_object_or_404(review_list_for_user(user=user), pk=pk)


def review_editable_for_user(*, user, pk) -> Review:
    """A report the user may change: admins any, team leads their team's (404 otherwise)."""
    qs, led = review_list_for_user(user=user), access.led_team_scope_q(user)
    return get_object_or_404(qs if led is None else qs.filter(led), pk=pk)


def review_action_list_for_user(*, user) -> QuerySet[ReviewAction]:
    return ReviewAction.objects.for_user(user).select_related("owner", "review", "review__team")


def review_action_get_for_user(*, user, pk) -> ReviewAction:
    return get_object_or_404(review_action_list_for_user(user=user), pk=pk)


def my_actions(*, user) -> QuerySet[ReviewAction]:
    return ReviewAction.objects.filter(owner=user).select_related("review", "review__team").order_by(
        "status", "deadline", "id")


def action_owner_choices(*, user, team_id: int | None) -> QuerySet[User]:
    """Whom the user may make owner of an action of a report of ``team_id``: the
    people they may name (core.access) who are members of it (anyone of them for a
    company-wide report)."""
    qs = access.assignable_users_for(user)
    return qs.filter(team_id=team_id) if team_id is not None else qs


def review_previous(*, review: Review) -> Review | None:
    """The latest earlier report of the same scope."""
    return (Review.objects.filter(team_id=review.team_id, scope_kind=review.scope_kind, tier=review.tier,
                                  period_end__lt=review.period_start)
            .order_by("-period_end", "-id").first())


def earlier_actions_by_review(*, reviews) -> dict[int, list[ReviewAction]]:
    """For each report, the actions raised by earlier reports of the same scope (shown
    with the movement of their metric): one query for any number of reports."""
    reviews = list(reviews)
    latest: dict[tuple, object] = {}
    for r in reviews:
        key = (r.team_id, r.scope_kind, r.tier)
        latest[key] = max(latest.get(key, r.period_start), r.period_start)
    if not latest:
        return {}
    q = Q()
    for (team_id, kind, tier), start in latest.items():
        q |= Q(review__team_id=team_id, review__scope_kind=kind, review__tier=tier, review__period_end__lt=start)
    actions = list(ReviewAction.objects.filter(q).select_related("owner", "review").order_by("deadline", "id"))
    return {r.pk: [a for a in actions if (a.review.team_id, a.review.scope_kind, a.review.tier)
                   == (r.team_id, r.scope_kind, r.tier) and a.review.period_end < r.period_start]
            for r in reviews}


def trend_action_list_for_user(*, user) -> QuerySet[TrendAction]:
    return TrendAction.objects.for_user(user).select_related("owner", "department", "alert")


def trend_action_get_for_user(*, user, pk) -> TrendAction:
    return get_object_or_404(trend_action_list_for_user(user=user), pk=pk)


def trend_actions_open_for_user(*, user) -> list[TrendAction]:
    """The open cross-department actions the dashboard lists (team leads, admins, owners)."""
    return list(trend_action_list_for_user(user=user).filter(
        status__in=[ReviewAction.Status.OPEN, ReviewAction.Status.IN_PROGRESS]))


def trend_actions_for_review(*, review: Review) -> list[TrendAction]:
    """The cross-department actions a report shows: opened by the end of its period and
    not closed before it began (so each is in every report until the one after it closed)."""
    from core.clock import day_end, day_start

    return list(TrendAction.objects.filter(created_at__lt=day_end(review.period_end))
                .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=day_start(review.period_start)))
                .select_related("owner", "department", "alert"))


# --- other apps' data, read-only ---------------------------------------------

def _model(app_label: str, name: str):
    """Another app's model, looked up when called (tickets, surveys and segmentation
    are always installed; the lookup only keeps their import out of load time)."""
    return apps.get_model(app_label, name)


def ticket_queryset():
    """Ticket.objects, or None while the tickets app has no Ticket model (no data)."""
    model = _model("tickets", "Ticket")
    return None if model is None else model.objects.all()


def sla_breach_model():
    return _model("tickets", "SlaBreach")


def survey_response_queryset():
    model = _model("surveys", "SurveyResponse")
    return None if model is None else model.objects.all()


def scope_customers(scope) -> QuerySet[Customer] | None:
    """The scope's customers as a queryset, None for all customers (no filter)."""
    q = scope.customer_q()
    return None if not q else Customer.objects.filter(q)


def churn_risk_customers_at(*, day: dt.date, customers: QuerySet[Customer]) -> QuerySet[Customer] | None:
    """Customers whose latest segment history on or before ``day`` has tier
    churn_risk; None when segmentation keeps no history yet."""
    history = _model("segmentation", "SegmentHistory")
    if history is None or not history.objects.filter(as_of__lte=day).exists():
        return None
    tier_then = Subquery(history.objects.filter(customer=OuterRef("pk"), as_of__lte=day)
                         .order_by("-as_of").values("tier")[:1])
    return customers.annotate(tier_then=tier_then).filter(tier_then="churn_risk")


def segments_at(*, day: dt.date) -> QuerySet | None:
    """The segment rows as they stood on ``day``: the current segments when they were
    computed on or before ``day``, else the latest segment history on or before it;
    None without segmentation or without history that far back."""
    history, segment = _model("segmentation", "SegmentHistory"), segment_model()
    if history is None or segment is None:
        return None
    current = segment.objects.aggregate(d=Max("as_of"))["d"]
    if current is not None and current <= day:
        return segment.objects.all()
    latest = history.objects.filter(as_of__lte=day).aggregate(d=Max("as_of"))["d"]
    return None if latest is None else history.objects.filter(as_of=latest)


# Engagement band of a customer from its health score (0–100): the 3×3 grid's columns.
ENGAGEMENT_BANDS = (("high", 70), ("medium", 40), ("low", 0))


def value_engagement_cells(*, day: dt.date, scope) -> QuerySet | None:
    """The scope's segment rows on ``day`` with ``band`` (index into ENGAGEMENT_BANDS):
    the value × engagement grid, counted by (value_tier, band) and drilled into per cell."""
    segments = segments_at(day=day)
    if segments is None:
        return None
    band = Case(*[When(health_score__gte=low, then=Value(i)) for i, (_, low) in enumerate(ENGAGEMENT_BANDS)],
                default=Value(len(ENGAGEMENT_BANDS) - 1), output_field=IntegerField())
    return segments.filter(scope.customer_q("customer__")).annotate(band=band)


def tickets_created(*, period, scope) -> QuerySet | None:
    """The scope's tickets created in the period (tickets by category)."""
    tickets = ticket_queryset()
    if tickets is None:
        return None
    return tickets.filter(scope.customer_q("customer__"), created_at__gte=period.start_at,
                          created_at__lt=period.end_at)


def segment_model():
    return _model("segmentation", "CustomerSegment")


def user_names(*, usernames: list[str]) -> dict[str, str]:
    """username → the name people are shown by, in one query."""
    return {u.username: str(u) for u in User.objects.filter(username__in=set(usernames))}


def overdue_followups_by_owner(*, scope, now: dt.datetime) -> list[dict]:
    """Follow-ups open and past due at ``now`` (a past instant: those not done by
    then), counted per owner. A team's are those owned by its members (filtering by
    the owner's team reads the follow-up index, not a million-row customer join).

    Two grouped counts instead of one with ``done_at IS NULL OR done_at >= now``: the
    open ones are an index-only read of the open-follow-up index (owner, due), the
    ones done since ``now`` a range of the done index — nothing at all when ``now`` is
    the present — where the ``OR`` read every follow-up of the owner."""
    q = Q(due_at__lt=now)
    if scope.owner_id is not None:
        q &= Q(owner_id=scope.owner_id)
    elif scope.team_id is not None:
        q &= Q(owner__team_id=scope.team_id)
    if scope.tier:
        q &= Q(customer__segment__tier=scope.tier)
    counts: dict[int | None, int] = {}
    for still_open in (Q(done_at__isnull=True), Q(done_at__gte=now)):
        for row in FollowUp.objects.filter(q, still_open).values("owner_id").annotate(n=Count("id")).order_by():
            counts[row["owner_id"]] = counts.get(row["owner_id"], 0) + row["n"]
    owners = {u["pk"]: u for u in User.objects.filter(pk__in=[pk for pk in counts if pk is not None])
              .values("pk", "username", "first_name", "last_name")}
    rows = []
    for owner_id, n in counts.items():
        owner = owners.get(owner_id, {})
        rows.append({"owner_id": owner_id, "count": n, "username": owner.get("username"),
                     "owner": person_name(owner.get("first_name", ""), owner.get("last_name", ""))
                     or owner.get("username") or "—"})
    # Most overdue first, then by username (the owner-less last among equals, as NULLS LAST).
    rows.sort(key=lambda r: (-r["count"], r["username"] is None, r["username"] or ""))
    for row in rows:
        del row["username"]
    return rows


def top_at_risk_customers(*, customers_q: Q, limit: int = 10) -> list:
    """Churn-risk customers, the most valuable and least healthy first."""
    segment = segment_model()
    if segment is None:
        return []
    return list(segment.objects.filter(customers_q, tier="churn_risk").select_related("customer", "customer__owner")
                .order_by("-m_amount", "health_score", "customer_id")[:limit])
