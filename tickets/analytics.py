"""Pure ticket analytics on DataFrames: weekly summaries and trend detection.
No database, no clock: the selectors give the rows, the services store results."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.formulas import TICKET_RATING_TO_100, ratio

BASELINE_WEEKS = 8
RUN_WEEKS = 3


def week_start_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _local(series: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_convert(tz)


COLUMNS = ["created_at", "resolved_at", "category", "is_complaint", "is_repeat", "department_id", "satisfaction"]


def weekly_summary(rows: pd.DataFrame, *, week_start: dt.date, tz: str, categories: list[str],
                   departments: dict[int, str] | None = None) -> dict:
    """Figures of the week [week_start, +7 days) in local time ``tz``.

    rows: one per ticket, columns created_at, resolved_at (UTC, NaT when open),
    category, is_complaint, is_repeat, department_id, satisfaction (1–5 or NaN).

    * total / volume_by_category — tickets created in the week;
    * resolved, resolution_rate — of those, resolved before the week ended;
    * avg_handling_hours — mean creation→resolution time of tickets resolved in the week;
    * complaints, repeats, repeat_rate — complaints created in the week, and the share flagged repeat;
    * rated, satisfaction — tickets resolved in the week rated on close, their mean rating on 0–100;
    * by_department — the same figures (but the category volume) per department id of ``departments``
      (with its ``name``), computed by the same function on the department's tickets.
    """
    start = pd.Timestamp(week_start, tz=tz)
    end = start + pd.Timedelta(days=7)
    rows = pd.DataFrame(columns=COLUMNS) if rows.empty else rows.reindex(columns=COLUMNS)
    figures = _week_figures(rows, start=start, end=end, tz=tz)
    week = rows[(_local(rows["created_at"], tz) >= start) & (_local(rows["created_at"], tz) < end)]
    volume = {c: 0 for c in categories}
    volume.update({str(k): int(v) for k, v in week["category"].value_counts().items()})
    by_department = {}
    for dept_id, name in (departments or {}).items():
        part = _week_figures(rows[rows["department_id"] == dept_id], start=start, end=end, tz=tz)
        if part["total"] or part["rated"]:
            by_department[str(dept_id)] = {"name": name, **part}
    return {"week_start": week_start, "volume_by_category": volume, **figures, "by_department": by_department}


def _week_figures(rows: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp, tz: str) -> dict:
    created = _local(rows["created_at"], tz)
    resolved_at = _local(rows["resolved_at"], tz)
    in_week = (created >= start) & (created < end)
    week = rows[in_week]
    total = int(in_week.sum())
    resolved = int((in_week & resolved_at.notna() & (resolved_at < end)).sum())
    resolved_in_week = (resolved_at >= start) & (resolved_at < end)
    hours = ((resolved_at - created)[resolved_in_week]).dt.total_seconds() / 3600.0
    complaints = int(week["is_complaint"].astype(bool).sum())
    repeats = int((week["is_complaint"].astype(bool) & week["is_repeat"].astype(bool)).sum())
    ratings = pd.to_numeric(rows.loc[resolved_in_week, "satisfaction"], errors="coerce").dropna()
    return {
        "total": total, "resolved": resolved, "resolution_rate": ratio(resolved, total),
        "avg_handling_hours": round(float(hours.mean()), 2) if len(hours) else None,
        "complaints": complaints, "repeats": repeats, "repeat_rate": ratio(repeats, complaints),
        "rated": int(len(ratings)),
        "satisfaction": round(float(ratings.mean()) * TICKET_RATING_TO_100, 1) if len(ratings) else None,
    }


def weekly_counts(rows: pd.DataFrame, *, weeks: list[dt.date], tz: str, categories: list[str],
                  history_start: dt.date | None) -> pd.DataFrame:
    """Complaints per week (index: week start) and category (columns). Weeks
    before ``history_start``'s week are unknown (NaN), not zero: a young
    system has no baseline yet."""
    counts = pd.DataFrame(0.0, index=pd.Index(weeks, name="week_start"), columns=categories)
    if not rows.empty:
        local_day = _local(rows["created_at"], tz).dt.date
        wk = local_day.map(week_start_of)
        grouped = pd.crosstab(wk, rows["category"])
        for week in grouped.index:
            if week in counts.index:
                for cat in grouped.columns:
                    if cat in counts.columns:
                        counts.loc[week, cat] = float(grouped.loc[week, cat])
    if history_start is None:
        counts.loc[:, :] = float("nan")
    else:
        counts.loc[[w for w in weeks if w < week_start_of(history_start)], :] = float("nan")
    return counts


def trend_alerts(counts: pd.DataFrame, *, baseline_weeks: int = BASELINE_WEEKS, run: int = RUN_WEEKS) -> list[dict]:
    """Categories whose count was above its own baseline (mean of the previous
    ``baseline_weeks`` weeks) in each of the last ``run`` weeks of ``counts``.

    counts: index week start (ascending, consecutive), columns categories. Returns
    ``{"category", "week_start" (the last week), "evidence": [{"week_start", "count", "baseline"}, ...]}``.
    A week whose baseline has an unknown week is never "above"."""
    counts = counts.sort_index()
    if len(counts) < baseline_weeks + run:
        return []
    baseline = counts.rolling(baseline_weeks, min_periods=baseline_weeks).mean().shift(1)
    above = (counts > baseline) & baseline.notna() & counts.notna()
    last = counts.index[-run:]
    alerts = []
    for cat in counts.columns:
        if bool(above.loc[last, cat].all()):
            evidence = [{"week_start": w.isoformat(), "count": int(counts.loc[w, cat]),
                         "baseline": round(float(baseline.loc[w, cat]), 2)} for w in last]
            alerts.append({"category": cat, "week_start": counts.index[-1], "evidence": evidence})
    return alerts


def feedback_priority_scores(rows: list[dict]) -> list[dict]:
    """Feedback priority (DESIGN "Tickets": weighs affected customers and affected
    contract value). Pure: no database, no clock.

    rows: one per category, each with ``customers`` (distinct affected customers)
    and ``value`` (their contract value, CNY; Decimal or number). Returns the rows,
    each with a ``score`` added, most important first::

        score = 100 × (0.5 × customers ÷ max customers + 0.5 × value ÷ max value)

    the maxima taken over the given categories. When no category has any value the
    value half is 0 for all, so they still rank by customers. Ties are broken by
    value, then customers, then category code. Scores are rounded to 0.1."""
    max_customers = max((float(r["customers"]) for r in rows), default=0.0)
    max_value = max((float(r["value"]) for r in rows), default=0.0)
    scored = []
    for r in rows:
        customers_part = float(r["customers"]) / max_customers if max_customers > 0 else 0.0
        value_part = max(float(r["value"]), 0.0) / max_value if max_value > 0 else 0.0
        scored.append({**r, "score": round(100.0 * (0.5 * customers_part + 0.5 * value_part), 1)})
    return sorted(scored, key=lambda r: (-r["score"], -float(r["value"]), -r["customers"], str(r["category"])))
