"""The churn model's features, one definition: built from the scored segment
frame (``segmentation.analytics.score_segments``' output, so the recompute's
rules define recency, trend, satisfaction…) and the recent-signal counts
(``selectors.recent_signal_counts``). Pure: no database, no clock.

Each feature is also a sentence (``factor_text``): a factor "no purchase for
120 days" is the feature ``purchase_recency_days`` with the value 120."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Windows of the recent-signal counts (days up to and including as_of).
COMPLAINT_DAYS = 30
BREACH_DAYS = 90
DETRACTOR_DAYS = 180
# A satisfaction the customer never gave is read as this (and flagged in no_satisfaction).
SATISFACTION_UNKNOWN = 75.0

FEATURES = [
    "inactive_days",          # days without any activity (the tier rule's count)
    "purchase_recency_days",  # days since the last purchase in the RFM window (the window without one)
    "purchases",              # purchases in the RFM window
    "frequency_trend",        # recent half-window purchases vs the earlier half, 0-100 (health component)
    "spend",                  # net spend in the RFM window, log(1 + CNY)
    "tenure_days",            # days as a customer
    "satisfaction",           # latest satisfaction 0-100 (SATISFACTION_UNKNOWN when none)
    "no_satisfaction",        # 1 when the customer never rated us
    "collection",             # payments on time, 0-100 (100 when nothing was due)
    "contact_regularity",     # contacts vs the cadence, 0-100 (health component)
    "open_complaints",        # open complaint tickets
    "open_objections",        # open objections
    "complaints_recent",      # complaint tickets opened in the last COMPLAINT_DAYS days
    "sla_breaches_recent",    # SLA breaches in the last BREACH_DAYS days
    "detractors_recent",      # NPS detractor answers in the last DETRACTOR_DAYS days
]
SIGNAL_COLUMNS = ["complaints_recent", "sla_breaches_recent", "detractors_recent"]


def empty_signals() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(dtype="int64"),
                         **{c: pd.Series(dtype="int64") for c in SIGNAL_COLUMNS}})


def feature_frame(scored: pd.DataFrame, signals: pd.DataFrame, *, window_days: int) -> pd.DataFrame:
    """One row per scored customer (index: customer id), the FEATURES columns as float64."""
    ids = scored["customer_id"].to_numpy(dtype="int64")
    s = signals.drop_duplicates("customer_id", keep="last").set_index("customer_id").reindex(ids)
    sat = pd.to_numeric(scored["health_satisfaction"], errors="coerce").to_numpy(dtype="float64")
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    out["inactive_days"] = scored["inactive_days"].to_numpy(dtype="float64")
    r_days = pd.to_numeric(scored["r_days"], errors="coerce").to_numpy(dtype="float64")
    out["purchase_recency_days"] = np.where(np.isnan(r_days), float(window_days), r_days)
    out["purchases"] = scored["f_count"].to_numpy(dtype="float64")
    out["frequency_trend"] = np.nan_to_num(scored["health_frequency_trend"].to_numpy(dtype="float64"), nan=0.0)
    out["spend"] = np.log1p(np.clip(scored["m_amount"].to_numpy(dtype="float64"), 0, None))
    out["tenure_days"] = scored["age_days"].to_numpy(dtype="float64")
    out["satisfaction"] = np.where(np.isnan(sat), SATISFACTION_UNKNOWN, sat)
    out["no_satisfaction"] = np.isnan(sat).astype("float64")
    out["collection"] = np.nan_to_num(scored["health_collection"].to_numpy(dtype="float64"), nan=100.0)
    out["contact_regularity"] = np.nan_to_num(scored["health_contact"].to_numpy(dtype="float64"), nan=0.0)
    out["open_complaints"] = scored["open_complaints"].to_numpy(dtype="float64")
    out["open_objections"] = scored["open_objections"].to_numpy(dtype="float64")
    for c in SIGNAL_COLUMNS:
        out[c] = pd.to_numeric(s[c]).fillna(0).to_numpy(dtype="float64")
    return out[FEATURES]


def _n(value) -> int:
    return int(round(float(value)))


def factor_text(feature: str, value: float) -> str:
    """The feature's value as a sentence in the active language (remembered per feature, value and
    language: the customer list renders three factors per row, mostly the same few values)."""
    return _factor_text(feature, value, get_language())


@lru_cache(maxsize=4096, typed=True)  # typed: 3 and 3.0 are different values for the fallback text
def _factor_text(feature: str, value: float, language: str | None) -> str:
    n = _n(value)
    if feature == "inactive_days":
        return ngettext("no activity for %(n)s day", "no activity for %(n)s days", n) % {"n": n}
    if feature == "purchase_recency_days":
        return ngettext("no purchase for %(n)s day", "no purchase for %(n)s days", n) % {"n": n}
    if feature == "purchases":
        return ngettext("%(n)s purchase in the RFM window", "%(n)s purchases in the RFM window", n) % {"n": n}
    if feature == "frequency_trend":
        return _("purchases in the recent half-window at %(n)s%% of the earlier half") % {"n": n}
    if feature == "spend":
        return _("net spend CNY %(amount)s in the RFM window") % {"amount": f"{np.expm1(float(value)):,.0f}"}
    if feature == "tenure_days":
        return ngettext("customer for %(n)s day", "customer for %(n)s days", n) % {"n": n}
    if feature == "satisfaction":
        return _("latest satisfaction %(n)s") % {"n": n}
    if feature == "no_satisfaction":
        return _("never rated us") if n else _("has rated us")
    if feature == "collection":
        return _("%(n)s%% of payments on time") % {"n": n}
    if feature == "contact_regularity":
        return _("contacted at %(n)s%% of the cadence") % {"n": n}
    if feature == "open_complaints":
        return ngettext("%(n)s open complaint", "%(n)s open complaints", n) % {"n": n}
    if feature == "open_objections":
        return ngettext("%(n)s open objection", "%(n)s open objections", n) % {"n": n}
    if feature == "complaints_recent":
        return ngettext("%(n)s complaint in %(days)s days", "%(n)s complaints in %(days)s days", n) % {
            "n": n, "days": COMPLAINT_DAYS}
    if feature == "sla_breaches_recent":
        return ngettext("%(n)s SLA breach in %(days)s days", "%(n)s SLA breaches in %(days)s days", n) % {
            "n": n, "days": BREACH_DAYS}
    if feature == "detractors_recent":
        return ngettext("%(n)s detractor answer in %(days)s days", "%(n)s detractor answers in %(days)s days",
                        n) % {"n": n, "days": DETRACTOR_DAYS}
    return f"{feature} {value}"


def feature_label(feature: str) -> str:
    """The feature's name in the active language (the model page's table)."""
    return {
        "inactive_days": _("days without activity"), "purchase_recency_days": _("days since the last purchase"),
        "purchases": _("purchases in the RFM window"), "frequency_trend": _("purchase frequency trend"),
        "spend": _("net spend (log)"), "tenure_days": _("days as a customer"),
        "satisfaction": _("latest satisfaction"), "no_satisfaction": _("never rated"),
        "collection": _("payments on time"), "contact_regularity": _("contact regularity"),
        "open_complaints": _("open complaints"), "open_objections": _("open objections"),
        "complaints_recent": _("recent complaints"), "sla_breaches_recent": _("recent SLA breaches"),
        "detractors_recent": _("recent detractor answers"),
    }.get(feature, feature)


def factors_render(factors: list[dict], *, language: str | None = None) -> list[dict]:
    """Stored factors → ``[{"feature", "text", "contribution"}]`` (contribution in
    log-odds: above 0 raises the churn risk), in ``language`` (default: the active one;
    a page of rows passes it once instead of asking for it per factor)."""
    language = language or get_language()
    return [{"feature": f["feature"], "text": _factor_text(f["feature"], f["value"], language),
             "contribution": round(float(f["contribution"]), 3)} for f in factors or []]
