"""Pre-computed metric and dashboard snapshots, so dashboards stay fast at a
million customers. Rebuilt daily by Celery; every write is an upsert on a unique
key, so a rebuild is idempotent and may run twice."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from crm.models import Team
from reviews import selectors
from reviews.metrics import CATALOGUE, Period, Scope, metric_compute, month_period
from reviews.models import DashboardSnapshot, MetricSnapshot

SNAPSHOT_MONTHS = 12
ENGAGEMENT_BANDS = selectors.ENGAGEMENT_BANDS


def month_periods(*, as_of: dt.date, months: int = SNAPSHOT_MONTHS) -> list[Period]:
    """The last ``months`` calendar months up to and including as_of's month, oldest
    first; as_of's own month ends at as_of (month to date when as_of is not its last day)."""
    periods, day = [], as_of
    for _ in range(months):
        p = month_period(day)
        periods.append(p)
        day = p.start - dt.timedelta(days=1)
    periods[0] = Period(periods[0].start, min(periods[0].end, as_of))
    return periods[::-1]


def is_partial(period: Period) -> bool:
    """A month cut before its last day (month to date)."""
    return period.end != month_period(period.start).end


def snapshot_scopes() -> list[Scope]:
    return [Scope(), *(Scope(team_id=pk) for pk in Team.objects.values_list("pk", flat=True))]


def metric_snapshot_store(*, key: str, period: Period, scope: Scope, now: dt.datetime) -> MetricSnapshot:
    value = metric_compute(key=key, period=period, scope=scope)
    # The month-to-date rows of earlier days are superseded by this one.
    MetricSnapshot.objects.filter(metric=key, scope_key=scope.key, period_start=period.start,
                                  period_end__lt=period.end).delete()
    snap, _ = MetricSnapshot.objects.update_or_create(
        metric=key, period_start=period.start, period_end=period.end, scope_key=scope.key,
        defaults={"value": value.value, "numerator": value.numerator, "denominator": value.denominator,
                  "parts": value.parts, "computed_at": now})
    return snap


def metric_series(*, scope: Scope, keys: list[str], as_of: dt.date, now: dt.datetime,
                  months: int = SNAPSHOT_MONTHS) -> dict[str, list[MetricSnapshot]]:
    """Monthly snapshots of each metric for the scope, oldest first, for the 12
    months up to as_of (any month of the history). A month with no snapshot is
    computed and stored, so a past month is computed on its first view and kept;
    a month that is not over yet (it ends on or after today) is recomputed when
    its snapshot is older than a day."""
    periods = month_periods(as_of=as_of, months=months)
    have = {(s.metric, s.period_start, s.period_end): s for s in MetricSnapshot.objects.filter(
        scope_key=scope.key, metric__in=keys, period_start__gte=periods[0].start, period_start__lte=periods[-1].start)}
    today = timezone.localtime(now).date()
    out: dict[str, list[MetricSnapshot]] = {k: [] for k in keys}
    for key in keys:
        for p in periods:
            snap = have.get((key, p.start, p.end))
            if snap is None or (p.end >= today and snap.computed_at < now - dt.timedelta(days=1)):
                snap = metric_snapshot_store(key=key, period=p, scope=scope, now=now)
            out[key].append(snap)
    return out


def _tier_mix(*, scope: Scope, day: dt.date) -> dict | None:
    segments = selectors.segments_at(day=day)
    if segments is None:
        return None  # no segment history that far back: unknown, not today's mix
    rows = segments.filter(scope.customer_q("customer__")).values("tier").annotate(n=Count("pk"))
    return {r["tier"]: r["n"] for r in rows.order_by()}


def _value_engagement(*, scope: Scope, day: dt.date) -> dict | None:
    cells = selectors.value_engagement_cells(day=day, scope=scope)
    if cells is None:
        return None
    rows = cells.values("value_tier", "band").annotate(n=Count("pk")).order_by()
    return {f"{r['value_tier']}:{ENGAGEMENT_BANDS[r['band']][0]}": r["n"] for r in rows}


def _ticket_categories(*, scope: Scope, period: Period) -> dict | None:
    tickets = selectors.tickets_created(period=period, scope=scope)
    if tickets is None:
        return None
    rows = tickets.values("category").annotate(n=Count("id")).order_by()
    return {r["category"]: r["n"] for r in rows}


def _top_at_risk(*, scope: Scope, day: dt.date, today: dt.date) -> dict:
    if day < today:
        # History keeps tier and health only: the least healthy churn-risk customers then.
        segments = selectors.segments_at(day=day)
        rows = [] if segments is None else list(
            segments.filter(scope.customer_q("customer__"), tier="churn_risk").select_related(
                "customer", "customer__owner").order_by("health_score", "customer_id")[:10])
        return {"rows": [{"id": s.customer_id, "name": s.customer.name,
                          "owner": s.customer.owner.username if s.customer.owner else "",
                          "health_score": s.health_score, "m_amount": None, "reason": ""} for s in rows]}
    rows = selectors.top_at_risk_customers(customers_q=scope.customer_q("customer__"))
    return {"rows": [{"id": s.customer_id, "name": s.customer.name,
                      "owner": s.customer.owner.username if s.customer.owner else "",
                      "health_score": s.health_score, "m_amount": float(s.m_amount),
                      "reason": s.tier_reason[:200]} for s in rows]}


def dashboard_snapshots_store(*, scope: Scope, as_of: dt.date, now: dt.datetime) -> int:
    today = timezone.localtime(now).date()
    written = 0

    def put(kind: str, day: dt.date, data: dict | None):
        nonlocal written
        if data is None:
            return
        DashboardSnapshot.objects.update_or_create(kind=kind, as_of=day, scope_key=scope.key,
                                                   defaults={"data": data, "computed_at": now})
        written += 1

    for p in month_periods(as_of=as_of):
        day = min(p.end, as_of)
        put(DashboardSnapshot.Kind.TIER_MIX, day, _tier_mix(scope=scope, day=day))
    put(DashboardSnapshot.Kind.VALUE_ENGAGEMENT, as_of, _value_engagement(scope=scope, day=as_of))
    put(DashboardSnapshot.Kind.TICKET_CATEGORIES, as_of,
        _ticket_categories(scope=scope, period=month_periods(as_of=as_of, months=1)[0]))
    put(DashboardSnapshot.Kind.TOP_AT_RISK, as_of, _top_at_risk(scope=scope, day=as_of, today=today))
    return written


def metric_snapshots_rebuild(*, as_of: dt.date, now: dt.datetime, months: int = SNAPSHOT_MONTHS,
                             full: bool = False) -> int:
    """Daily: for all customers and each team, every catalogue metric for the last
    ``months`` months (the current and previous month always, older ones when
    missing or with ``full``), plus the dashboard distributions. Idempotent."""
    written = 0
    periods = month_periods(as_of=as_of, months=months)
    recent = {p.start for p in periods[-2:]}
    for scope in snapshot_scopes():
        have = set(MetricSnapshot.objects.filter(scope_key=scope.key, period_start__gte=periods[0].start)
                   .values_list("metric", "period_start", "period_end"))
        for p in periods:
            for key in CATALOGUE:
                if full or p.start in recent or (key, p.start, p.end) not in have:
                    metric_snapshot_store(key=key, period=p, scope=scope, now=now)
                    written += 1
        written += dashboard_snapshots_store(scope=scope, as_of=as_of, now=now)
    return written
