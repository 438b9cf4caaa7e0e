"""What the dashboards show, read from the snapshots (computed and stored when a
snapshot is missing) plus one live grouped read: overdue follow-ups by owner."""
from __future__ import annotations

import datetime as dt

from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _

from core.clock import day_end
from reviews import selectors
from reviews.drilldown import part_label, records_url
from reviews.labels import tier_choices
from reviews.metrics import CATALOGUE, UNIT_LABELS, Period, Scope, month_period
from reviews.metrics.distributions import VALUE_TIERS
from reviews.models import DashboardSnapshot
from reviews.report import part_links, trend_action_rows
from reviews.scoping import dashboard_scope
from reviews.services import snapshots

TREND_METRICS = ["nps", "avg_satisfaction", "sla_compliance", "churn_rate", "repurchase_rate"]
KPI_METRICS = ["nps", "avg_satisfaction", "churn_rate", "repurchase_rate", "sla_compliance", "first_response_minutes",
               "collection_rate", "contact_frequency"]


def _ensure_snapshots(scope: Scope, as_of: dt.date, now: dt.datetime) -> None:
    """The current month's team and company snapshots come from the nightly job
    (yesterday's will do); a past month's, and a personal dashboard's, must be of
    their own date. Missing ones are computed and stored now, so later views read them."""
    today = timezone.localtime(now).date()
    qs = DashboardSnapshot.objects.filter(scope_key=scope.key, kind=DashboardSnapshot.Kind.TICKET_CATEGORIES)
    qs = qs.filter(as_of=as_of) if scope.owner_id is not None or as_of < today else qs.filter(as_of__lte=as_of)
    if not qs.exists():
        snapshots.dashboard_snapshots_store(scope=scope, as_of=as_of, now=now)


def _snapshot(kind: str, scope: Scope, as_of: dt.date) -> dict | None:
    """The latest stored distribution on or before as_of."""
    snap = (DashboardSnapshot.objects.filter(kind=kind, scope_key=scope.key, as_of__lte=as_of)
            .order_by("-as_of").only("data").first())
    return snap.data if snap else None


def _tier_trend(scope: Scope, as_of: dt.date) -> list[tuple[dt.date, dict]]:
    periods = snapshots.month_periods(as_of=as_of)
    rows = {s.as_of: s.data for s in DashboardSnapshot.objects.filter(
        kind=DashboardSnapshot.Kind.TIER_MIX, scope_key=scope.key, as_of__gte=periods[0].start, as_of__lte=as_of)}
    out = []
    for p in periods:
        days = [d for d in rows if p.start <= d <= p.end]
        out.append((p.start, rows[max(days)] if days else {}))
    return out


def _chart(chart_id: str, title: str, kind: str, labels: list[str], datasets: list[dict], unit: str = "") -> dict:
    return {"id": chart_id, "title": title, "type": kind, "unit": unit,
            "data": {"labels": labels, "datasets": datasets},
            "table": {"header": [_("Label"), *[d["label"] for d in datasets]],
                      "rows": [[label, *[_cell(d, i) for d in datasets]] for i, label in enumerate(labels)]}}


def _cell(dataset: dict, i: int) -> dict:
    """A table-view cell: the point's value and, for a metric, its parts (as the
    tooltip's readable text) and records link."""
    return {"value": dataset["data"][i], "url": dataset.get("links", [None] * (i + 1))[i],
            "parts": dataset.get("parts", [None] * (i + 1))[i],
            "parts_text": dataset.get("parts_text", [""] * (i + 1))[i]}


def parts_text(*, metric_key: str, parts: dict | None) -> str:
    """A point's measured parts in the reader's language ("promoters 40 · responses 80"),
    the same labels as the KPI cards and the drill-down: never a part's key."""
    from reviews.metrics.distributions import DISTRIBUTIONS

    metric = CATALOGUE.get(metric_key) or DISTRIBUTIONS[metric_key]
    return " · ".join(f"{part_label(metric=metric, part=k)} {floatformat(v, '-2')}" for k, v in (parts or {}).items())


def _with_parts_text(metric_key: str, dataset: dict) -> dict:
    """The dataset with each point's parts as text: the table view's titles and the chart's tooltips."""
    return {**dataset, "parts_text": [parts_text(metric_key=metric_key, parts=p) for p in dataset["parts"]]}


def dashboard_as_of(*, month: dt.date | None, now: dt.datetime) -> dt.date:
    """The day a dashboard of ``month`` (any day in it; default the current one)
    shows: the month's last day, or today while the month is not over."""
    today = timezone.localtime(now).date()
    return min(month_period(month or today).end, today)


def _month_label(period) -> str:
    label = period.start.strftime("%Y-%m")
    if snapshots.is_partial(period):
        return _("%(month)s (to %(day)s)") % {"month": label, "day": period.end.strftime("%d")}
    return label


def dashboard_context(*, user, team_id: int | None, now: dt.datetime, month: dt.date | None = None) -> dict:
    scope, personal = dashboard_scope(user=user, team_id=team_id)
    as_of = dashboard_as_of(month=month, now=now)
    series = snapshots.metric_series(scope=scope, keys=sorted(set(TREND_METRICS + KPI_METRICS)), as_of=as_of,
                                     now=now)
    months = [_month_label(Period(s.period_start, s.period_end)) for s in series["nps"]]

    def period_of(snap) -> Period:
        return Period(snap.period_start, snap.period_end)

    month_periods = [period_of(s) for s in series["nps"]]
    month_shown = month_periods[-1]

    kpis = []
    for key in KPI_METRICS:
        m, current = CATALOGUE[key], series[key][-1]
        kpis.append({"key": key, "name": m.name, "value": current.value, "parts": current.parts,
                     "url": records_url(key=key, period=period_of(current), scope=scope),
                     "part_links": part_links(metric=m, parts=current.parts, period=period_of(current), scope=scope),
                     "unit": UNIT_LABELS.get(m.unit, m.unit), "previous": series[key][-2].value})

    def dataset(key: str) -> dict:
        """A metric's line: each point's value, parts and the link to its records."""
        return _with_parts_text(key, {
            "label": str(CATALOGUE[key].name), "data": [s.value for s in series[key]],
            "parts": [s.parts for s in series[key]],
            "links": [records_url(key=key, period=period_of(s), scope=scope) for s in series[key]]})

    charts = []
    tiers = tier_choices()
    _ensure_snapshots(scope, as_of, now)
    trend = _tier_trend(scope, as_of)
    charts.append(_chart("tier-trend", _("Tier mix by month"), "bar", months,
                         [_with_parts_text("tier_mix", {
                             "label": str(label), "data": [mix.get(t, 0) for _d, mix in trend],
                             "parts": [{t: mix.get(t, 0)} for _d, mix in trend],
                             # A month without segment history has no records to open.
                             "links": [records_url(key="tier_mix", period=p, part=t, scope=scope) if mix else None
                                       for p, (_d, mix) in zip(month_periods, trend)]})
                          for t, label in tiers]))
    charts.append(_chart("nps-trend", _("NPS and satisfaction"), "line", months,
                         [dataset(k) for k in ("nps", "avg_satisfaction")]))
    charts.append(_chart("churn-trend", _("Churn and repurchase (%)"), "line", months,
                         [dataset(k) for k in ("churn_rate", "repurchase_rate")]))
    charts.append(_chart("sla-trend", _("SLA compliance (%)"), "line", months, [dataset("sla_compliance")]))
    categories = _snapshot(DashboardSnapshot.Kind.TICKET_CATEGORIES, scope, as_of) or {}
    from tickets.models import Category

    cat_labels = dict(Category.choices)
    cat_keys = sorted(categories, key=lambda k: -categories[k])
    charts.append(_chart("ticket-categories", _("Tickets by category in the month"), "bar",
                         [str(cat_labels.get(k, k)) for k in cat_keys],
                         [_with_parts_text("ticket_categories", {
                             "label": _("Tickets"), "data": [categories[k] for k in cat_keys],
                             "parts": [{k: categories[k]} for k in cat_keys],
                             "links": [records_url(key="ticket_categories", period=month_shown, part=k,
                                                   scope=scope) for k in cat_keys]})]))
    grid_data = _snapshot(DashboardSnapshot.Kind.VALUE_ENGAGEMENT, scope, as_of)
    bands = [b for b, _low in snapshots.ENGAGEMENT_BANDS]
    grid = None
    if grid_data is not None:
        grid = [{"value": v, "cells": [{"engagement": e, "count": grid_data.get(f"{v}:{e}", 0),
                                        "parts": {"count": grid_data.get(f"{v}:{e}", 0)},
                                        "url": records_url(key="value_engagement", period=month_shown,
                                                           part=f"{v}:{e}", scope=scope)} for e in bands]}
                for v in VALUE_TIERS]
    today = timezone.localtime(now).date()
    # A past month: what was overdue at its end.
    overdue_at = now if as_of >= today else day_end(as_of)
    overdue = selectors.overdue_followups_by_owner(scope=scope, now=overdue_at)
    at_risk = _readable_at_risk((_snapshot(DashboardSnapshot.Kind.TOP_AT_RISK, scope, as_of) or {}).get("rows", []))
    return {"scope": scope, "personal": personal, "as_of": as_of, "kpis": kpis, "charts": charts, "grid": grid,
            "bands": bands, "overdue": overdue, "at_risk": at_risk, "month": month_shown,
            "partial": snapshots.is_partial(month_shown), "current_month": month_period(today).start,
            "trend_actions": trend_action_rows(selectors.trend_actions_open_for_user(user=user))}


def _readable_at_risk(rows: list[dict]) -> list[dict]:
    """The snapshot keeps reason codes and usernames; the reader gets the reasons in
    their language (as on the customer page) and the owners' names (one query)."""
    from segmentation.analytics import reason_text

    names = selectors.user_names(usernames=[r["owner"] for r in rows if r.get("owner")])
    return [{**r, "reason": reason_text(r.get("reason", "")), "owner": names.get(r.get("owner"), r.get("owner"))}
            for r in rows]
