"""Reads of the segmentation app: the activity inputs of a recompute (SQL,
GROUP BY customer), the settings singleton, and the caller-scoped summary,
follow-up queue, trend, transitions and jobs."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core import selectors as core_selectors
from core.models import Job
from core.clock import day_end
from crm.models import Customer
from segmentation import analytics
from segmentation.models import RECOMPUTE_JOB_KIND, CustomerSegment, SegmentHistory, SegmentSettings

# ---------------------------------------------------------------- settings


def segment_settings_get() -> SegmentSettings:
    """The settings singleton (defaults until a lead saves the page)."""
    obj = SegmentSettings.objects.filter(pk=1).first()
    return obj if obj is not None else SegmentSettings(pk=1)


# ---------------------------------------------------------------- recompute inputs

_INPUTS_SQL = """
SELECT c.id AS customer_id, c.customer_since,
       t.last_tx_on, t.last_purchase_on, t.purchases, t.spend, t.spend_365, t.purchases_recent,
       t.purchases_prior, t.net_spend_lifetime, t.due, t.paid_on_time,
       i.last_interaction_on, i.interactions_recent, i.open_objections, p.bonus_points
FROM ({customers}) c
LEFT JOIN (
    SELECT customer_id,
           MAX(occurred_on) AS last_tx_on,
           MAX(occurred_on) FILTER (WHERE kind = 'purchase' AND occurred_on > %(window_start)s) AS last_purchase_on,
           COUNT(*) FILTER (WHERE kind = 'purchase' AND occurred_on > %(window_start)s) AS purchases,
           SUM(CASE WHEN kind = 'purchase' THEN CAST(amount AS DOUBLE PRECISION)
                    ELSE -CAST(amount AS DOUBLE PRECISION) END) FILTER (WHERE occurred_on > %(window_start)s) AS spend,
           SUM(CASE WHEN kind = 'purchase' THEN CAST(amount AS DOUBLE PRECISION)
                    ELSE -CAST(amount AS DOUBLE PRECISION) END) FILTER (WHERE occurred_on > %(year_start)s) AS spend_365,
           COUNT(*) FILTER (WHERE kind = 'purchase' AND occurred_on > %(half_start)s) AS purchases_recent,
           COUNT(*) FILTER (WHERE kind = 'purchase' AND occurred_on > %(window_start)s
                            AND occurred_on <= %(half_start)s) AS purchases_prior,
           SUM(CASE WHEN kind = 'purchase' THEN CAST(amount AS DOUBLE PRECISION)
                    ELSE -CAST(amount AS DOUBLE PRECISION) END) AS net_spend_lifetime,
           COUNT(*) FILTER (WHERE kind = 'purchase' AND due_on > %(window_start)s AND due_on <= %(as_of)s) AS due,
           COUNT(*) FILTER (WHERE kind = 'purchase' AND due_on > %(window_start)s AND due_on <= %(as_of)s
                            AND paid_on <= due_on AND paid_on <= %(as_of)s) AS paid_on_time
    FROM crm_transaction
    WHERE occurred_on <= %(as_of)s AND customer_id >= %(lo)s AND customer_id < %(hi)s
    GROUP BY customer_id
) t ON t.customer_id = c.id
LEFT JOIN (
    SELECT customer_id,
           {last_interaction} AS last_interaction_on,
           COUNT(*) FILTER (WHERE occurred_at >= %(contact_start)s) AS interactions_recent,
           COUNT(*) FILTER (WHERE is_objection AND (objection_resolved_at IS NULL
                                                    OR objection_resolved_at >= %(as_of_end)s)) AS open_objections
    FROM crm_interaction
    WHERE occurred_at < %(as_of_end)s AND customer_id >= %(lo)s AND customer_id < %(hi)s
    GROUP BY customer_id
) i ON i.customer_id = c.id
LEFT JOIN (
    SELECT customer_id, SUM(points) AS bonus_points
    FROM care_pointsentry
    WHERE kind IN ('referral', 'adjustment') AND points > 0 AND created_at < %(as_of_end)s
          AND customer_id >= %(lo)s AND customer_id < %(hi)s
    GROUP BY customer_id
) p ON p.customer_id = c.id
WHERE c.customer_since <= %(as_of)s
ORDER BY c.id
"""

_INT_COLUMNS = ["purchases", "purchases_recent", "purchases_prior", "due", "paid_on_time", "interactions_recent",
                "open_objections", "bonus_points"]


def customer_since_get(*, customer: Customer) -> date:
    """One customer's "customer since" (crm's definition)."""
    return Customer.objects.filter(pk=customer.pk).with_customer_since().values_list("customer_since", flat=True).get()


def customer_id_bounds() -> tuple[int, int]:
    """(lowest id, highest id + 1) of all customers; (0, 0) without customers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM crm_customer")
        lo, hi = cursor.fetchone()
    return (0, 0) if lo is None else (int(lo), int(hi) + 1)


def _customers_since_sql(*, lo: int, hi: int) -> tuple[str, dict]:
    """The customers with id in [lo, hi) and their ``customer_since`` (crm's one
    definition, compiled by the ORM) as SQL with named parameters, to be the
    customer source of the inputs statement."""
    qs = (Customer.objects.filter(id__gte=lo, id__lt=hi).with_customer_since()
          .values("id", "customer_since").order_by())
    sql, params = qs.query.sql_with_params()
    names = {}
    parts = sql.split("%s")
    # Django's compiled SQL doubles literal percent signs, so every "%s" left is a placeholder.
    out = parts[0]
    for i, (param, rest) in enumerate(zip(params, parts[1:])):
        names[f"cs_{i}"] = param
        out += f"%(cs_{i})s" + rest
    return out, names


def segment_inputs_sql(*, as_of: date, params: SegmentSettings, lo: int, hi: int) -> tuple[str, dict]:
    """The statement of ``segment_inputs`` (named parameters): a fanned-out
    recompute runs it into its stage table on the server."""
    window = params.rfm_window_days
    as_of_end = day_end(as_of)
    customers_sql, sql_params = _customers_since_sql(lo=lo, hi=hi)
    sql_params.update({
        "as_of": as_of, "window_start": as_of - timedelta(days=window),
        "year_start": as_of - timedelta(days=analytics.HIGH_VALUE_SPEND_DAYS),
        "half_start": as_of - timedelta(days=window // 2), "as_of_end": as_of_end,
        "contact_start": as_of_end - timedelta(days=analytics.CONTACT_LOOKBACK_DAYS), "lo": lo, "hi": hi,
    })
    if connection.vendor == "postgresql":
        # Local calendar days computed by the database.
        sql = _INPUTS_SQL.format(customers=customers_sql,
                                 last_interaction="(MAX(occurred_at) AT TIME ZONE %(tz)s)::date")
        sql_params["tz"] = django_settings.TIME_ZONE
    else:
        sql = _INPUTS_SQL.format(customers=customers_sql, last_interaction="MAX(occurred_at)")
    return sql, sql_params


def segment_inputs(*, as_of: date, params: SegmentSettings, lo: int, hi: int) -> pd.DataFrame:
    """One row per customer with id in [lo, hi) who was a customer at ``as_of``
    (customer since on or before it): the transaction and interaction aggregates
    of ``analytics.INPUT_COLUMNS`` over records up to ``as_of`` only (one SQL
    statement, GROUP BY customer), without the ticket and survey columns."""
    sql, sql_params = segment_inputs_sql(as_of=as_of, params=params, lo=lo, hi=hi)
    if connection.vendor == "postgresql":
        return segment_inputs_copy(sql, sql_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        columns = [c[0] for c in cursor.description]
        raw = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    # SQLite returns UTC timestamps: local days here.
    raw["last_interaction_on"] = _local_dates(raw["last_interaction_on"])
    return _shape_inputs(raw)


def segment_inputs_copy(sql: str, sql_params: dict | None = None) -> pd.DataFrame:
    """PostgreSQL: the rows of ``sql`` (the inputs statement, or a read of a stage
    table holding its rows) as the inputs frame. COPY streams the rows as CSV: far
    cheaper than building a tuple per row."""
    with connection.cursor() as cursor:
        raw_cursor = cursor.cursor
        query = raw_cursor.mogrify(sql, sql_params).decode() if sql_params else sql
        buf = io.StringIO()
        raw_cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    buf.seek(0)
    return _shape_inputs(pd.read_csv(buf))


def cut_inputs_copy(*, table: str) -> pd.DataFrame:
    """PostgreSQL: the columns of a stage of inputs that ``analytics.segment_cuts``
    reads, for every staged customer, typed as ``segment_inputs`` types them."""
    with connection.cursor() as cursor:
        buf = io.StringIO()
        cursor.cursor.copy_expert(f"COPY (SELECT purchases, last_purchase_on, spend, spend_365 FROM {table}) "
                                  "TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    buf.seek(0)
    raw = pd.read_csv(buf)
    return pd.DataFrame({
        "purchases": pd.to_numeric(raw["purchases"]).fillna(0).astype("int64"),
        "last_purchase_on": _dates(raw["last_purchase_on"]),
        **{c: pd.to_numeric(raw[c]).fillna(0.0).astype("float64") for c in ("spend", "spend_365")},
    })


def _local_dates(values: pd.Series) -> pd.Series:
    """Aware timestamps (UTC in the database) to local calendar days."""
    stamps = pd.to_datetime(values, utc=True, format="mixed")
    return stamps.dt.tz_convert(django_settings.TIME_ZONE).dt.tz_localize(None).dt.normalize()


def _dates(values: pd.Series) -> pd.Series:
    """ISO date strings (COPY) or date objects (SQLite) to datetime64; NaT where missing."""
    return pd.to_datetime(values, format="ISO8601")


def _shape_inputs(raw: pd.DataFrame) -> pd.DataFrame:
    if raw.empty:
        return analytics.empty_inputs()
    df = pd.DataFrame({"customer_id": raw["customer_id"].astype("int64")})
    df["customer_since"] = _dates(raw["customer_since"])
    df["last_tx_on"] = _dates(raw["last_tx_on"])
    df["last_purchase_on"] = _dates(raw["last_purchase_on"])
    for c in _INT_COLUMNS:
        df[c] = pd.to_numeric(raw[c]).fillna(0).astype("int64")
    df["spend"] = pd.to_numeric(raw["spend"]).fillna(0.0).astype("float64")
    df["spend_365"] = pd.to_numeric(raw["spend_365"]).fillna(0.0).astype("float64")
    df["net_spend_lifetime"] = pd.to_numeric(raw["net_spend_lifetime"]).fillna(0.0).astype("float64")
    df["last_interaction_on"] = _dates(raw["last_interaction_on"])
    df["last_ticket_on"] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    df["open_complaints"] = 0
    df["satisfaction"] = float("nan")
    df["last_response_on"] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return df


TICKET_FRAME_COLUMNS = ["customer_id", "last_ticket_on", "open_complaints", "ticket_sat", "ticket_sat_at"]
SURVEY_FRAME_COLUMNS = ["customer_id", "survey_sat", "survey_sat_at", "last_response_on"]


def ticket_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of tickets.selectors.ticket_activity_by_customer (its documented shape)
    as the frame analytics.combine_inputs takes (local dates)."""
    raw = pd.DataFrame(rows, columns=["customer_id", "last_ticket_at", "open_complaints", "latest_satisfaction_100",
                                      "latest_satisfaction_at"])
    return pd.DataFrame({
        "customer_id": raw["customer_id"].astype("int64"),
        "last_ticket_on": _local_dates(raw["last_ticket_at"]),
        "open_complaints": pd.to_numeric(raw["open_complaints"]).fillna(0).astype("int64"),
        "ticket_sat": pd.to_numeric(raw["latest_satisfaction_100"], errors="coerce").astype("float64"),
        "ticket_sat_at": pd.to_datetime(raw["latest_satisfaction_at"], utc=True),
    }, columns=TICKET_FRAME_COLUMNS)


def survey_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of surveys.selectors.latest_satisfaction_by_customer (its documented shape)
    as the frame analytics.combine_inputs takes (local dates)."""
    raw = pd.DataFrame(rows, columns=["customer_id", "satisfaction_100", "answered_at", "last_response_at"])
    return pd.DataFrame({
        "customer_id": raw["customer_id"].astype("int64"),
        "survey_sat": pd.to_numeric(raw["satisfaction_100"], errors="coerce").astype("float64"),
        "survey_sat_at": pd.to_datetime(raw["answered_at"], utc=True),
        "last_response_on": _local_dates(raw["last_response_at"]),
    }, columns=SURVEY_FRAME_COLUMNS)


def ticket_rows(*, as_of: date, lo: int | None = None, hi: int | None = None) -> pd.DataFrame:
    from tickets.selectors import ticket_activity_by_customer

    return ticket_frame(list(ticket_activity_by_customer(as_of=as_of, lo=lo, hi=hi)))


def survey_rows(*, as_of: date, lo: int | None = None, hi: int | None = None) -> pd.DataFrame:
    from surveys.selectors import latest_satisfaction_by_customer

    return survey_frame(list(latest_satisfaction_by_customer(as_of=as_of, lo=lo, hi=hi)))


# ---------------------------------------------------------------- caller-scoped reads

def segment_list_for_user(*, user) -> QuerySet[CustomerSegment]:
    return CustomerSegment.objects.for_user(user)


def segment_summary_for_user(*, user) -> dict:
    """Counts per tier, value tier and RFM segment over the caller's customers."""
    qs = segment_list_for_user(user=user)

    def counts(field: str) -> dict[str, int]:
        return {row[field]: row["n"] for row in qs.order_by().values(field).annotate(n=Count("pk"))}

    return {
        "as_of": qs.aggregate(m=Max("as_of"))["m"],
        "customers": Customer.objects.for_user(user).count(),
        "segmented": qs.count(),
        "tier": counts("tier"),
        "value_tier": counts("value_tier"),
        "rfm_segment": counts("rfm_segment"),
        "membership_level": counts("membership_level"),
    }


def tier_trend(*, user, limit: int = 12) -> list[dict]:
    """Tier counts at each recorded as_of (oldest first) over the caller's customers."""
    scope = SegmentHistory.objects.for_user(user)
    dates = list(scope.order_by("-as_of").values_list(
        "as_of", flat=True).distinct()[:limit])
    rows = (scope.filter(as_of__in=dates).order_by()
            .values("as_of", "tier").annotate(n=Count("pk")))
    by_date: dict[date, dict[str, int]] = {d: {} for d in sorted(dates)}
    for r in rows:
        by_date[r["as_of"]][r["tier"]] = r["n"]
    return [{"as_of": d, "counts": c, "total": sum(c.values())} for d, c in by_date.items()]


def tier_transitions(*, user, start: date | None = None, end: date | None = None) -> dict:
    """Who changed tier between two recorded dates (default: the two latest):
    {"start", "end", "moves": {(from, to): n}, "rows": [(customer, from, to)]}."""
    scope = SegmentHistory.objects.for_user(user)
    dates = list(scope.order_by("-as_of").values_list(
        "as_of", flat=True).distinct()[:2])
    if end is None:
        end = dates[0] if dates else None
    if start is None:
        start = dates[1] if len(dates) > 1 else None
    if start is None or end is None:
        return {"start": start, "end": end, "moves": {}, "rows": []}
    before = SegmentHistory.objects.filter(customer_id=OuterRef("customer_id"), as_of=start).values("tier")[:1]
    changed = (scope.filter(as_of=end)
               .annotate(previous=Subquery(before)).exclude(previous__isnull=True)
               .exclude(previous=F("tier")).select_related("customer").order_by("previous", "tier",
                                                                                       "customer_id"))
    moves: dict[tuple[str, str], int] = {}
    rows = []
    for h in changed[:1000]:
        moves[(h.previous, h.tier)] = moves.get((h.previous, h.tier), 0) + 1
        rows.append({"customer": h.customer, "from": h.previous, "to": h.tier})
    return {"start": start, "end": end, "moves": moves, "rows": rows}


def latest_jobs(*, user, limit: int = 5) -> list[Job]:
    """The latest recompute jobs the user may see (core's job scope)."""
    return core_selectors.latest_jobs_for_user(user=user, kind=RECOMPUTE_JOB_KIND, limit=limit)


def tier_on(day, *, customer: str = "customer_id") -> Coalesce:
    """For other apps' queries: the tier of the customer (``customer``: the outer
    query's path to its id) on ``day`` (a date or an expression), from the history row
    of the latest recompute on or before it; blank before the customer's first recompute.
    Unlike the current segment, it never changes once that day has passed."""
    latest = (SegmentHistory.objects.filter(customer_id=OuterRef(customer), as_of__lte=day)
              .order_by("-as_of").values("tier")[:1])
    return Coalesce(Subquery(latest), Value(""))
