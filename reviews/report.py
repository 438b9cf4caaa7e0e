"""The content of a review report as data — one builder used by the page, the
API, the XLSX and the PDF export, so their numbers are the same."""
from __future__ import annotations

from feedback.selectors import review_frequent_issues
from reviews import selectors
from reviews.drilldown import part_label, records_url
from reviews.metrics import CATALOGUE, UNIT_LABELS, deviation, metric_compute
from reviews.models import Review, ReviewFinding
from reviews.services.reports import review_period, review_scope


def _change(metric, actual, previous) -> dict:
    if actual is None or previous is None:
        return {"change": None, "improved": None}
    change = round(actual - previous, 2)
    return {"change": change, "improved": None if change == 0 else metric.better(actual, previous)}


def part_links(*, metric, parts: dict, period, scope) -> list[dict]:
    """Each measured part with its label and the link to its records (drill-down)."""
    return [{"key": k, "label": part_label(metric=metric, part=k), "value": v,
             "url": records_url(key=metric.key, period=period, part=k, scope=scope),
             "api_url": records_url(key=metric.key, period=period, part=k, scope=scope, api=True)}
            for k, v in parts.items()]


def review_rows(*, review: Review) -> list[dict]:
    period, scope = review_period(review), review_scope(review)
    rows = []
    for r in review.metric_rows.all():
        metric = CATALOGUE.get(r.metric)
        if metric is None:
            continue
        rows.append({
            "metric": r.metric, "name": str(metric.name), "unit": metric.unit,
            "unit_label": str(UNIT_LABELS.get(metric.unit, metric.unit)), "direction": metric.direction,
            "target": r.target, "actual": r.actual, "numerator": r.numerator, "denominator": r.denominator,
            "parts": r.parts or {},
            "part_links": part_links(metric=metric, parts=r.parts or {}, period=period, scope=scope),
            **deviation(metric=metric, actual=r.actual, target=r.target),
            "previous": r.previous, **_change(metric, r.actual, r.previous), "analysis": r.analysis,
        })
    return rows


def review_earlier_actions(*, review: Review, rows: list[dict] | None = None) -> list[dict]:
    """Each action of an earlier report of the same scope, with its linked
    metric's value then (baseline) and now (this report's actual) and the movement."""
    rows = rows if rows is not None else review_rows(review=review)
    return review_earlier_actions_many(reviews=[review], rows={review.pk: rows})[review.pk]


def review_earlier_actions_many(*, reviews: list[Review], rows: dict[int, list[dict]]) -> dict[int, list[dict]]:
    """``review_earlier_actions`` for a page of reports: the actions in one query; a
    linked metric the report does not carry is computed once per (metric, period,
    scope), whatever the number of actions that link it."""
    by_review = selectors.earlier_actions_by_review(reviews=reviews)
    computed: dict[tuple, object] = {}
    out = {}
    for review in reviews:
        actuals = {r["metric"]: r["actual"] for r in rows[review.pk]}
        out[review.pk] = [_earlier_action(a, review, actuals, computed) for a in by_review[review.pk]]
    return out


def _earlier_action(a, review: Review, actuals: dict, computed: dict) -> dict:
    metric = CATALOGUE.get(a.metric)
    now_value = None
    if metric is not None:
        if a.metric in actuals:
            now_value = actuals[a.metric]
        else:
            period, scope = review_period(review), review_scope(review)
            key = (a.metric, period, scope.key)
            if key not in computed:
                computed[key] = metric_compute(key=a.metric, period=period, scope=scope).value
            now_value = computed[key]
    return {"id": a.id, "title": a.title, "owner": str(a.owner), "deadline": a.deadline,
            "status": a.status, "status_label": str(a.get_status_display()), "metric": a.metric,
            "metric_name": str(metric.name) if metric else "", "review": a.review.title,
            "baseline": a.baseline, "current": now_value,
            **(_change(metric, now_value, a.baseline) if metric else {"change": None, "improved": None})}


def trend_action_records_url(action, *, api: bool = False) -> str:
    """The linked metric's records of a cross-department action: the alert category's
    tickets in the three weeks that raised it."""
    import datetime as dt

    from reviews.metrics import Period, Scope

    week = action.alert.week_start
    weeks = Period(week - dt.timedelta(weeks=2), week + dt.timedelta(days=6))
    return records_url(key=action.metric, period=weeks, part=action.alert.category, scope=Scope(), api=api)


def trend_action_rows(actions) -> list[dict]:
    """Cross-department actions as the dashboard and the report show them, each with
    the link to its linked metric's records."""
    rows = []
    for a in actions:
        rows.append({"id": a.pk, "title": a.title, "department": str(a.department) if a.department_id else "—",
                     "owner": str(a.owner) if a.owner_id else "—", "deadline": a.deadline, "status": a.status,
                     "status_label": str(a.get_status_display()), "is_open": a.is_open, "category": a.alert.category,
                     "metric_name": str(a.alert.get_category_display()),
                     "records_url": trend_action_records_url(a)})
    return rows


def review_losses(*, review: Review) -> dict:
    """The churn row's "why they left": reasons and profile of the customers lost in
    the report's period and scope (care.selectors.losses_summary)."""
    from care.selectors import losses_summary

    return losses_summary(start=review.period_start, end=review.period_end, team_id=review.team_id,
                          tier=review.tier or None)


def review_header(*, review: Review) -> dict:
    """Seed 000's report header: purpose (复盘目的), period (复盘时间范围) and its kind,
    participants (复盘参与人员: name and role) and data sources (数据来源), in the
    reader's language; the page, the API, the XLSX and the PDF show this."""
    labels = dict(Review.DataSource.choices)
    return {
        "purpose": review.summary, "period_kind": review.period_kind,
        "period_kind_label": str(review.get_period_kind_display()),
        "period": f"{review.period_start.isoformat()} – {review.period_end.isoformat()}",
        "participants": [{"id": u.pk, "name": str(u), "role": str(u.role_label)}
                         for u in review.participants.all()],
        "data_sources": [{"key": k, "label": str(labels[k])} for k in review.data_sources if k in labels],
    }


def review_report(*, review: Review) -> dict:
    rows = review_rows(review=review)
    findings = list(review.findings.all())
    return {
        "review": review,
        "header": review_header(review=review),
        "rows": rows,
        "strengths": [f for f in findings if f.kind == ReviewFinding.Kind.STRENGTH],
        "problems": [f for f in findings if f.kind == ReviewFinding.Kind.PROBLEM],
        "actions": list(review.actions.select_related("owner").all()),
        "earlier_actions": review_earlier_actions(review=review, rows=rows),
        "trend_actions": trend_action_rows(selectors.trend_actions_for_review(review=review)),
        "frequent_issues": review_frequent_issues(team_id=review.team_id, start=review.period_start,
                                                  end=review.period_end),
        "losses": review_losses(review=review),
    }
