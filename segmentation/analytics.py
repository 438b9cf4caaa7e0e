"""Segment scoring: pure functions on DataFrames (no database, no clock).

``score_segments(inputs, as_of=, params=)`` turns one row of activity inputs per
customer (see ``INPUT_COLUMNS``; built by ``selectors.segment_inputs``) into one
row of results per customer. ``params`` is a ``SegmentSettings`` (an unsaved
instance carries DESIGN.md's defaults). Every rule below is defined here once.

Tier (first match wins; ``tier_reason`` keeps the codes of every condition met
so the page can say why, rendered in the reader's language by ``reason_text``):

1. ``churn_risk``: no activity (transaction, interaction, ticket, survey answer)
   for ``churn_inactivity_days`` (90) days or more — day 89 is still active, day
   90 is not; customers with no activity at all count from when they became a
   customer — or latest satisfaction (the later of survey and ticket rating,
   0-100) below ``churn_satisfaction_below`` (60), or an open objection (an
   objection interaction not resolved by ``as_of``) or an open complaint ticket.
2. ``new``: customer for fewer than ``new_customer_days`` (90) days, counted
   from "customer since" (``crm.models.customer_since_expression``: the earliest
   of the first deal date, the first transaction and the creation day).
3. ``high_value``: net spend over the last 365 days (``HIGH_VALUE_SPEND_DAYS``,
   whatever the RFM window) in the top
   ``high_value_top_percent`` (20 %) of customers with spend (k = ceil(n × 20 %)
   customers; ties at the edge all get in), or customer for more than
   ``high_value_age_days`` (365) days.
4. ``potential``: everyone else.

RFM over the last ``rfm_window_days`` (365) days: R = days since the last
purchase, F = purchases, M = net spend (purchases − refunds, at least 0).
Customers without a purchase in the window get no scores and segment
``no_purchases``. Scores 1-5 by quintile of rank among purchasers, equal values
sharing the lowest rank of their group (``rank(method="min")``, better ranked
higher, R most recent highest): score = 1 + floor(5 × (rank − 1) ÷ n). Two
customers with the same behaviour always get the same scores; the bins are as
even as the ties allow. Segment from (R score, F score):

    R \\ F   1               2                  3                  4          5
    5       new             potential_loyalist potential_loyalist champions  champions
    4       promising       potential_loyalist potential_loyalist loyal      loyal
    3       about_to_sleep  about_to_sleep     need_attention     loyal      loyal
    2       hibernating     hibernating        at_risk            at_risk    cant_lose
    1       lost            hibernating        at_risk            at_risk    cant_lose

Value tier: among customers with net spend in the window, the top
``value_high_percent`` (20 %) are ``high``, the next ``value_medium_percent``
(30 %) ``medium``; the rest, and customers without spend, ``low``.

Membership: points earned up to ``as_of`` = spend points (1 point per CNY 1 of
lifetime net spend, purchases − refunds, rounded down, never negative:
``spend_points``) + bonus points (referral bonuses and positive manual
adjustments of the care points ledger); redemptions spend the balance, never the
points earned, so they never lower the level. Bronze below ``silver_points``
(10,000), then silver, gold from ``gold_points`` (50,000), platinum from
``platinum_points`` (200,000).

Health score 0-100: the weighted mean of the components that have data (a
component without data — no payment due, no satisfaction answer — is left out
and the other weights rescale). Components, each 0-100:

- recency: 100 × (1 − days without activity ÷ churn_inactivity_days), floored at 0;
- frequency trend: purchases in the recent half of the RFM window ÷ purchases
  in the earlier half, capped at 1 (steady or growing = 100; none in either = 0);
- payment collection: ``core.formulas.collection_rate`` (paid on or before the
  due date ÷ purchases due in the window) × 100;
- satisfaction: the latest satisfaction (0-100);
- open complaints: 100 − 50 per open complaint ticket or open objection, floored at 0;
- contact regularity: interactions in the last 90 days ÷ contacts the tier's
  cadence expects in that time (or since becoming a customer), capped at 1.

Default weights 25 / 15 / 20 / 20 / 10 / 10, editable in the settings.

Cadence (days between contacts): new — every day in the first
``new_daily_days`` (14) days, then every ``new_interval_days`` (7); high_value
twice a month = every 15 days; churn_risk twice a week = every 3 days;
potential weekly = every 7 days. Next contact due = last interaction (else
customer since) + interval; days overdue = as_of − due, at least 0. Queue
weight = days overdue × value weight (high 3, medium 2, low 1).
"""
from __future__ import annotations

import math
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core import formulas
from segmentation.models import MembershipLevel, RfmSegment, Tier, ValueTier

CONTACT_LOOKBACK_DAYS = 90
HIGH_VALUE_SPEND_DAYS = 365  # DESIGN: the high-value spend test always looks back a year

INPUT_COLUMNS = {
    "customer_id": "int",
    "customer_since": "date: earliest of first deal, first transaction and creation (crm's definition)",
    "last_tx_on": "date of the latest transaction (any kind) on or before as_of",
    "last_purchase_on": "date of the latest purchase in the RFM window",
    "purchases": "purchases in the RFM window",
    "spend": "purchases − refunds in the RFM window (CNY)",
    "spend_365": "purchases − refunds in the last HIGH_VALUE_SPEND_DAYS days (CNY)",
    "purchases_recent": "purchases in the recent half of the window",
    "purchases_prior": "purchases in the earlier half of the window",
    "net_spend_lifetime": "purchases − refunds up to as_of (CNY)",
    "bonus_points": "points earned besides spend up to as_of: referral bonuses and positive adjustments",
    "due": "purchases with a due date in the window",
    "paid_on_time": "of those, paid on or before the due date",
    "last_interaction_on": "date of the latest interaction",
    "interactions_recent": "interactions in the last CONTACT_LOOKBACK_DAYS days",
    "open_objections": "objection interactions not resolved by as_of",
    "last_ticket_on": "date of the latest ticket",
    "open_complaints": "open complaint tickets",
    "satisfaction": "latest satisfaction 0-100 (survey or ticket)",
    "last_response_on": "date of the latest survey answer",
}
DATE_COLUMNS = ["customer_since", "last_tx_on", "last_purchase_on", "last_interaction_on", "last_ticket_on",
                "last_response_on"]

# (R score, F score) -> segment; see the module docstring.
RFM_SEGMENT_MAP: dict[tuple[int, int], str] = {}
_RFM_ROWS = {
    5: ["new", "potential_loyalist", "potential_loyalist", "champions", "champions"],
    4: ["promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"],
    3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
    2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
    1: ["lost", "hibernating", "at_risk", "at_risk", "cant_lose"],
}
for _r, _row in _RFM_ROWS.items():
    for _f, _segment in enumerate(_row, start=1):
        RFM_SEGMENT_MAP[(_r, _f)] = _segment


def _days_since(as_of: date, values: pd.Series) -> pd.Series:
    """Whole days from each date to as_of (NaN where missing)."""
    return (pd.Timestamp(as_of) - pd.to_datetime(values)).dt.days.astype("float64")


def empty_inputs() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in INPUT_COLUMNS})
    frame["customer_id"] = frame["customer_id"].astype("int64")
    for c in DATE_COLUMNS:
        frame[c] = pd.Series(dtype="datetime64[ns]")
    return frame


# The categories of the computed columns, from their one definition in
# segmentation.models; the codes below count in that order (churn risk first, high
# value first, bronze first).
TIER_CHOICES = list(Tier.values)
VALUE_TIER_CHOICES = list(ValueTier.values)
MEMBERSHIP_CHOICES = list(MembershipLevel.values)
RFM_SEGMENT_CHOICES = list(RfmSegment.values)


def _categorical(codes: np.ndarray, categories: list[str], index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(np.asarray(codes, dtype="int64"), categories=categories), index=index)


def combine_inputs(activity: pd.DataFrame, tickets: pd.DataFrame, surveys: pd.DataFrame) -> pd.DataFrame:
    """Join the ticket and survey frames (``selectors.ticket_frame`` /
    ``survey_frame``: one row per customer, local dates) onto the activity rows;
    satisfaction = the later of the survey answer and the ticket rating."""
    df = activity.copy()
    ids = df["customer_id"].to_numpy()
    t = tickets.drop_duplicates("customer_id", keep="last").set_index("customer_id").reindex(ids)
    s = surveys.drop_duplicates("customer_id", keep="last").set_index("customer_id").reindex(ids)
    df["last_ticket_on"] = pd.to_datetime(t["last_ticket_on"]).to_numpy()
    df["open_complaints"] = pd.to_numeric(t["open_complaints"]).fillna(0).astype("int64").to_numpy()
    df["last_response_on"] = pd.to_datetime(s["last_response_on"]).to_numpy()
    ticket_sat = pd.to_numeric(t["ticket_sat"], errors="coerce").to_numpy(dtype="float64")
    survey_sat = pd.to_numeric(s["survey_sat"], errors="coerce").to_numpy(dtype="float64")
    ticket_at = pd.to_datetime(t["ticket_sat_at"], utc=True).to_numpy()
    survey_at = pd.to_datetime(s["survey_sat_at"], utc=True).to_numpy()
    use_ticket = ~np.isnan(ticket_sat) & (np.isnan(survey_sat) | (ticket_at > survey_at))
    df["satisfaction"] = np.where(use_ticket, ticket_sat, survey_sat)
    return df


def top_share_cut(values, percent: float) -> float | None:
    """The k-th largest positive value, k = ceil(n × percent / 100) over the n
    positive values (None when k is 0): the edge of ``top_share``."""
    v = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0)
    positive = v[v > 0]
    n = len(positive)
    k = math.ceil(n * percent / 100) if n else 0
    if k == 0:
        return None
    return float(np.partition(positive, n - k)[n - k])


def top_share(values: pd.Series, percent: float, *, cut: float | None | str = "own") -> pd.Series:
    """True for the top ``percent`` % of the positive values: k = ceil(n × percent / 100)
    customers, ties at the k-th value included (equal spend, equal treatment).
    ``cut`` is the edge computed over a whole population (``top_share_cut``), for
    a part of it (one customer-id range of a fanned-out recompute); by default
    the edge of ``values`` themselves."""
    if isinstance(cut, str):
        cut = top_share_cut(values, percent)
    v = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0)
    if cut is None:
        return pd.Series(False, index=values.index)
    return pd.Series((v > 0) & (v >= cut), index=values.index)


def quintile_cuts(values) -> list[float]:
    """The four edges of ``quintile_scores`` over the values present: score =
    1 + the number of edges strictly below the value. With n values sorted
    ascending, score ≥ s exactly when more than ceil((s − 1) × n ÷ 5) − 1 values are
    smaller, i.e. when the value exceeds the ceil((s − 1) × n ÷ 5)-th smallest
    (that is floor(5 × (rank − 1) ÷ n) ≥ s − 1 with rank = 1 + the smaller values)."""
    v = np.asarray(values, dtype="float64")
    present = np.sort(v[~np.isnan(v)])
    n = len(present)
    if not n:
        return []
    return [float(present[-(-(s - 1) * n // 5) - 1]) for s in range(2, 6)]


def quintile_scores(values: pd.Series, *, cuts: list[float] | None = None) -> pd.Series:
    """1-5 by quintile of rank, higher value = higher score: equal values share the
    lowest rank of their group (``rank(method="min")``), score = 1 + floor(5 ×
    (rank − 1) ÷ n) over the n values present. NaN values get no score. ``cuts``:
    the edges over a whole population (``quintile_cuts``) for a part of it; by
    default the edges of ``values`` themselves."""
    v = np.asarray(values, dtype="float64")
    if cuts is None:
        cuts = quintile_cuts(v)
    scores = np.full(len(v), np.nan)
    present = ~np.isnan(v)
    if cuts and present.any():
        scores[present] = 1 + (v[present][:, None] > np.asarray(cuts)[None, :]).sum(axis=1)
    return pd.Series(scores, index=values.index)


def _rfm_values(df: pd.DataFrame, *, as_of: date) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """(purchased, R days, F, M) of each row."""
    purchased = df["purchases"].fillna(0) > 0
    r_days = _days_since(as_of, df["last_purchase_on"]).where(purchased)
    f = df["purchases"].fillna(0).astype("int64")
    m = df["spend"].fillna(0).clip(lower=0)
    return purchased, r_days, f, m


def segment_cuts(df: pd.DataFrame, *, as_of: date, params) -> dict:
    """Every edge that depends on the whole population (RFM quintiles, value
    tiers, the high-value top share), computed once over all customers' inputs
    (only ``purchases``, ``last_purchase_on``, ``spend`` and ``spend_365`` are
    read), so that customer-id ranges scored apart (``score_segments(cuts=…)``)
    get exactly the scores of one pass over everyone. Plain floats (JSON)."""
    purchased, r_days, f, m = _rfm_values(df, as_of=as_of)
    return {
        "r": quintile_cuts(-r_days), "f": quintile_cuts(f.where(purchased)), "m": quintile_cuts(m.where(purchased)),
        "value_high": top_share_cut(df["spend"], params.value_high_percent),
        "value_upper": top_share_cut(df["spend"], params.value_high_percent + params.value_medium_percent),
        "high_value": top_share_cut(df["spend_365"].fillna(0), params.high_value_top_percent),
    }


_RFM_LOOKUP = np.full(56, RFM_SEGMENT_CHOICES.index("no_purchases"), dtype="int64")
for (_r, _f), _segment in RFM_SEGMENT_MAP.items():
    _RFM_LOOKUP[_r * 10 + _f] = RFM_SEGMENT_CHOICES.index(_segment)


def rfm(df: pd.DataFrame, *, as_of: date, cuts: dict) -> pd.DataFrame:
    """R, F, M values and scores and the named segment (see module docstring)."""
    purchased, r_days, f, m = _rfm_values(df, as_of=as_of)
    out = pd.DataFrame(index=df.index)
    out["r_days"] = r_days
    out["f_count"] = f
    out["m_amount"] = m.round(2)
    out["r_score"] = quintile_scores(-r_days, cuts=cuts["r"])
    out["f_score"] = quintile_scores(f.where(purchased), cuts=cuts["f"])
    out["m_score"] = quintile_scores(m.where(purchased), cuts=cuts["m"])
    key = np.nan_to_num(out["r_score"].to_numpy(), nan=0).astype("int64") * 10 + np.nan_to_num(
        out["f_score"].to_numpy(), nan=0).astype("int64")
    out["rfm_segment"] = _categorical(_RFM_LOOKUP[key], RFM_SEGMENT_CHOICES, df.index)
    return out


def value_tiers(spend: pd.Series, *, params, cuts: dict) -> pd.Series:
    high = top_share(spend, params.value_high_percent, cut=cuts["value_high"]).to_numpy()
    upper = top_share(spend, params.value_high_percent + params.value_medium_percent,
                      cut=cuts["value_upper"]).to_numpy()
    return _categorical(np.where(high, 0, np.where(upper, 1, 2)), VALUE_TIER_CHOICES, spend.index)


def _spend_points_array(values: np.ndarray) -> np.ndarray:
    """The one rule: 1 point per CNY 1 of lifetime net spend, rounded down, never negative;
    no spend (NaN) is 0. Rounded to the cent first: the sums arrive as floats
    (9999.999999999998 is 10,000.00)."""
    return np.floor(np.round(np.clip(np.nan_to_num(values, nan=0.0), 0, None), 2)).astype("int64")


def spend_points(net_spend_lifetime: pd.Series) -> pd.Series:
    """The points earned by spend, per customer (``_spend_points_array``)."""
    values = pd.to_numeric(net_spend_lifetime).astype("float64")
    return pd.Series(_spend_points_array(values.to_numpy()), index=values.index)


def spend_points_of(net_spend_lifetime) -> int:
    """``spend_points`` of one customer's lifetime net spend (a number or None), for one row of a
    page (50 per customer API page): the same steps as ``_spend_points_array`` in plain floats —
    numpy's ``round(x, 2)`` is ``rint(x * 100) / 100``, and Python's ``round`` of a float is the same
    round-half-to-even — without a numpy array per row. Anything not finite takes the array."""
    if net_spend_lifetime is None:
        return 0
    value = float(net_spend_lifetime)
    if not math.isfinite(value):
        return int(_spend_points_array(np.array([value], dtype="float64"))[0])
    return math.floor(round(max(value, 0.0) * 100) / 100)


def membership(net_spend_lifetime: pd.Series, *, params, bonus_points: pd.Series | None = None) -> pd.DataFrame:
    points = spend_points(net_spend_lifetime)
    if bonus_points is not None:
        points = points + pd.to_numeric(bonus_points).fillna(0).clip(lower=0).astype("int64")
    level = np.select(
        [points >= params.platinum_points, points >= params.gold_points, points >= params.silver_points],
        [3, 2, 1], default=0)
    return pd.DataFrame({"membership_points": points,
                         "membership_level": _categorical(level, MEMBERSHIP_CHOICES, net_spend_lifetime.index)},
                        index=net_spend_lifetime.index)


def cadence_interval_days(*, tier: str, age_days: int, params) -> int:
    """Days between contacts for one customer (the scalar rule; ``cadence_intervals``
    is the same rule on a column)."""
    if tier == "new":
        return 1 if age_days < params.new_daily_days else params.new_interval_days
    return {"high_value": params.high_value_interval_days, "churn_risk": params.churn_risk_interval_days,
            "potential": params.potential_interval_days}[tier]


def cadence_intervals(tier: pd.Series, age_days: pd.Series, *, params) -> pd.Series:
    tier = pd.Series(pd.Categorical(tier, categories=TIER_CHOICES), index=tier.index)
    return pd.Series(np.select(
        [(tier == "new") & (age_days < params.new_daily_days), tier == "new", tier == "high_value",
         tier == "churn_risk"],
        [1, params.new_interval_days, params.high_value_interval_days, params.churn_risk_interval_days],
        default=params.potential_interval_days), index=tier.index).astype("int64")


def value_weight(value_tier: str, *, params) -> float:
    return {"high": params.value_weight_high, "medium": params.value_weight_medium}.get(
        value_tier, params.value_weight_low)


def assign_tiers(df: pd.DataFrame, *, as_of: date, params, cuts: dict) -> pd.DataFrame:
    """Tier (first match wins), reason codes, age and days without activity."""
    age = _days_since(as_of, df["customer_since"]).fillna(0).clip(lower=0)
    last_activity = pd.concat([pd.to_datetime(df[c]) for c in ("last_tx_on", "last_interaction_on",
                                                                 "last_ticket_on", "last_response_on")],
                              axis=1).max(axis=1)
    inactive = _days_since(as_of, last_activity.fillna(pd.to_datetime(df["customer_since"]))).fillna(0).clip(lower=0)
    satisfaction = pd.to_numeric(df["satisfaction"], errors="coerce")
    objections = df["open_objections"].fillna(0).astype("int64")
    complaints = df["open_complaints"].fillna(0).astype("int64")
    spend = df["spend_365"].fillna(0)

    c_inactive = inactive >= params.churn_inactivity_days
    c_satisfaction = satisfaction < params.churn_satisfaction_below
    c_objection = objections > 0
    c_complaint = complaints > 0
    churn = c_inactive | c_satisfaction | c_objection | c_complaint
    new = ~churn & (age < params.new_customer_days)
    hv_spend = top_share(spend, params.high_value_top_percent, cut=cuts["high_value"])
    hv_age = age > params.high_value_age_days
    high = ~churn & ~new & (hv_spend | hv_age)

    tier = _categorical(np.select([churn, new, high], [0, 1, 2], default=3), TIER_CHOICES, df.index)
    sat_value = satisfaction.round(0).fillna(-1).astype("int64")
    return pd.DataFrame({
        "tier": tier, "age_days": age.astype("int64"), "inactive_days": inactive.astype("int64"),
        # What the reason says (see reason_codes); kept as numbers so a writer can build the text in SQL.
        "c_inactive": c_inactive.astype("int8"), "c_satisfaction": c_satisfaction.astype("int8"),
        "satisfaction_value": sat_value, "open_objections": objections, "open_complaints": complaints,
        "hv_spend": (high & hv_spend).astype("int8"), "hv_age": (high & hv_age).astype("int8"),
    }, index=df.index)


def reason_codes(frame: pd.DataFrame, *, params) -> pd.Series:
    """The stored reason of each row, codes joined by ";" in this order:
    ``inactive:<days>``, ``satisfaction:<value>:<threshold>``, ``objection:<n>``,
    ``complaint:<n>``, ``age:<days>`` (new), ``top_spend:<percent>``,
    ``age:<days>`` (high value by age), ``potential:<days>:<percent>``.
    (``services`` builds the same text in SQL on PostgreSQL.)"""
    n = len(frame)
    out = np.full(n, "", dtype=object)
    tier = frame["tier"].to_numpy()

    def add(mask, texts):
        idx = np.flatnonzero(np.asarray(mask))
        if len(idx) == 0:
            return
        texts = np.asarray(texts, dtype=object)[idx] if np.ndim(texts) else np.full(len(idx), texts, dtype=object)
        current = out[idx]
        out[idx] = np.where(current == "", texts, current + ";" + texts)

    def numbers(column: str) -> np.ndarray:
        return frame[column].to_numpy().astype("int64").astype(str).astype(object)

    age = numbers("age_days")
    add(frame["c_inactive"] == 1, "inactive:" + numbers("inactive_days"))
    add(frame["c_satisfaction"] == 1, "satisfaction:" + numbers("satisfaction_value")
        + f":{params.churn_satisfaction_below}")
    add(frame["open_objections"] > 0, "objection:" + numbers("open_objections"))
    add(frame["open_complaints"] > 0, "complaint:" + numbers("open_complaints"))
    add(tier == "new", "age:" + age)
    add(frame["hv_spend"] == 1, f"top_spend:{params.high_value_top_percent}")
    add(frame["hv_age"] == 1, "age:" + age)
    add(tier == "potential", "potential:" + age + f":{params.high_value_top_percent}")
    return pd.Series(out, index=frame.index, dtype=object)


HEALTH_COMPONENTS = ("recency", "frequency_trend", "collection", "satisfaction", "complaints", "contact")


def collection_rates(*, paid_on_time: pd.Series, due: pd.Series) -> pd.Series:
    """``core.formulas.collection_rate`` per row (NaN when nothing was due): the
    formula is applied once per distinct (paid, due) pair, then mapped back."""
    paid = paid_on_time.fillna(0).to_numpy(dtype="int64")
    due_n = due.fillna(0).to_numpy(dtype="int64")
    rates = np.full(len(due_n), np.nan)
    has_due = due_n > 0
    if has_due.any():
        pairs = np.stack([paid[has_due], due_n[has_due]], axis=1)
        distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)
        per_pair = np.array([formulas.collection_rate(paid_on_time=int(p), due=int(d)) for p, d in distinct],
                            dtype="float64")
        rates[has_due] = per_pair[inverse.reshape(-1)]
    return pd.Series(rates, index=due.index)


def health(df: pd.DataFrame, *, tiers: pd.DataFrame, params) -> pd.DataFrame:
    """The six components (0-100, NaN = no data) and their weighted blend."""
    recency = (100 * (1 - tiers["inactive_days"] / params.churn_inactivity_days)).clip(lower=0, upper=100)
    recent = df["purchases_recent"].fillna(0)
    prior = df["purchases_prior"].fillna(0)
    trend = np.where(prior > 0, 100 * np.minimum(1.0, recent / prior.where(prior > 0, 1)),
                     np.where(recent > 0, 100.0, 0.0))
    collection = 100 * collection_rates(paid_on_time=df["paid_on_time"], due=df["due"])
    satisfaction = pd.to_numeric(df["satisfaction"], errors="coerce").clip(lower=0, upper=100)
    open_items = df["open_complaints"].fillna(0) + df["open_objections"].fillna(0)
    complaints = (100 - 50 * open_items).clip(lower=0)
    interval = cadence_intervals(tiers["tier"], tiers["age_days"], params=params)
    window = np.minimum(CONTACT_LOOKBACK_DAYS, tiers["age_days"])
    expected = np.maximum(1, np.floor(window / interval))
    contact = 100 * np.minimum(1.0, df["interactions_recent"].fillna(0) / expected)
    comps = pd.DataFrame({"recency": recency, "frequency_trend": trend, "collection": collection,
                          "satisfaction": satisfaction, "complaints": complaints, "contact": contact},
                         index=df.index).round(0)
    weights = np.array([params.health_weight_recency, params.health_weight_frequency_trend,
                        params.health_weight_collection, params.health_weight_satisfaction,
                        params.health_weight_complaints, params.health_weight_contact], dtype="float64")
    values = comps[list(HEALTH_COMPONENTS)].to_numpy(dtype="float64")
    present = ~np.isnan(values)
    weight_sum = present @ weights
    blended = np.nan_to_num(values, nan=0.0) @ weights / np.where(weight_sum > 0, weight_sum, 1)
    comps["health_score"] = np.floor(blended + 0.5).clip(0, 100)
    comps["interval_days"] = interval
    return comps


REASON_COLUMNS = ["age_days", "inactive_days", "c_inactive", "c_satisfaction", "satisfaction_value",
                  "open_objections", "open_complaints", "hv_spend", "hv_age"]


def score_segments(inputs: pd.DataFrame, *, as_of: date, params, reasons: bool = True,
                   cuts: dict | None = None) -> pd.DataFrame:
    """One result row per input row (see the module docstring for every rule).
    With ``reasons=False`` the ``tier_reason`` text is left to the writer (the
    numeric REASON_COLUMNS are always there). ``cuts``: the population's edges
    (``segment_cuts`` over every customer) when ``inputs`` are one part of it;
    by default the edges of ``inputs``."""
    df = inputs.sort_values("customer_id", kind="stable").reset_index(drop=True)
    if cuts is None:
        cuts = segment_cuts(df, as_of=as_of, params=params)
    tiers = assign_tiers(df, as_of=as_of, params=params, cuts=cuts)
    scores = rfm(df, as_of=as_of, cuts=cuts)
    value = value_tiers(df["spend"], params=params, cuts=cuts)
    member = membership(df["net_spend_lifetime"], params=params,
                        bonus_points=df["bonus_points"] if "bonus_points" in df else None)
    comps = health(df, tiers=tiers, params=params)

    last_contact = pd.to_datetime(df["last_interaction_on"])
    base = last_contact.fillna(pd.to_datetime(df["customer_since"])).fillna(pd.Timestamp(as_of))
    next_due = base + pd.to_timedelta(comps["interval_days"], unit="D")
    overdue = (pd.Timestamp(as_of) - next_due).dt.days.clip(lower=0)
    weights = np.array([params.value_weight_high, params.value_weight_medium,
                        params.value_weight_low])[value.cat.codes.to_numpy()]

    out = pd.DataFrame({"customer_id": df["customer_id"].astype("int64")})
    out["tier"] = tiers["tier"]
    for c in REASON_COLUMNS:
        out[c] = tiers[c]
    if reasons:
        out["tier_reason"] = reason_codes(tiers, params=params)
    out = pd.concat([out, scores], axis=1)
    out["value_tier"] = value
    out["membership_level"] = member["membership_level"]
    out["membership_points"] = member["membership_points"]
    out["health_score"] = comps["health_score"].astype("int64")
    for c in HEALTH_COMPONENTS:
        out[f"health_{c}"] = comps[c]
    out["last_contact_on"] = last_contact
    out["next_contact_due"] = next_due
    out["days_overdue"] = overdue.astype("int64")
    out["queue_weight"] = overdue * weights
    return out


def reason_text(code: str, *, language: str | None = None) -> str:
    """Render stored reason codes ("inactive:104;objection:1") in ``language`` (default: the active
    one), remembered per code and language: a list page renders the same few codes again and again."""
    return _reason_text(code or "", language or get_language())


@lru_cache(maxsize=4096)
def _reason_text(code: str, language: str | None) -> str:
    texts = []
    for token in (code or "").split(";"):
        if not token:
            continue
        name, *args = token.split(":")
        if name == "inactive":
            texts.append(_("no activity for %(days)s days") % {"days": args[0]})
        elif name == "satisfaction":
            texts.append(_("satisfaction %(value)s < %(threshold)s") % {"value": args[0], "threshold": args[1]})
        elif name == "objection":
            texts.append(_("open objection"))
        elif name == "complaint":
            texts.append(_("open complaint ticket") if args[0] == "1"
                         else _("%(count)s open complaint tickets") % {"count": args[0]})
        elif name == "age":
            texts.append(_("customer for %(days)s days") % {"days": args[0]})
        elif name == "top_spend":
            texts.append(_("spend in top %(percent)s%%") % {"percent": args[0]})
        elif name == "potential":
            texts.append(_("customer for %(days)s days, spend below the top %(percent)s%%")
                         % {"days": args[0], "percent": args[1]})
        else:
            texts.append(token)
    # Translators: separator between reasons.
    return _("; ").join(texts)
