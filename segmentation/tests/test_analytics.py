"""The scoring rules on small hand-made frames, without a database."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from django.utils import translation

from segmentation import analytics
from segmentation.models import SegmentSettings

AS_OF = date(2026, 6, 15)
PARAMS = SegmentSettings()  # DESIGN.md defaults, unsaved


def day(n_days_ago: int) -> pd.Timestamp:
    return pd.Timestamp(AS_OF - timedelta(days=n_days_ago))


def row(customer_id: int, **overrides) -> dict:
    """A 'potential' customer: 200 days old, a transaction 10 days ago, satisfied, no
    spend in the window (so the top-20 % rule only sees the spend a test gives)."""
    base = {
        "customer_id": customer_id, "customer_since": day(200), "last_tx_on": day(10),
        "last_purchase_on": pd.NaT, "purchases": 0, "spend": 0.0, "purchases_recent": 1,
        "purchases_prior": 1, "net_spend_lifetime": 100.0, "due": 0, "paid_on_time": 0,
        "last_interaction_on": day(3), "interactions_recent": 13, "open_objections": 0,
        "last_ticket_on": pd.NaT, "open_complaints": 0, "satisfaction": 80.0, "last_response_on": pd.NaT,
    }
    base.update(overrides)
    base.setdefault("spend_365", base["spend"])
    return base


def frame(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    for c in analytics.DATE_COLUMNS:
        df[c] = pd.to_datetime(df[c])
    return df


def score(*rows: dict, params=PARAMS) -> pd.DataFrame:
    return analytics.score_segments(frame(*rows), as_of=AS_OF, params=params).set_index("customer_id")


def test_tier_is_churn_risk_after_90_days_without_activity_but_not_after_89():
    out = score(
        row(1, last_tx_on=day(89), last_interaction_on=day(120), last_purchase_on=day(89)),
        row(2, last_tx_on=day(90), last_interaction_on=day(120), last_purchase_on=day(90)),
    )
    assert out.loc[1, "tier"] == "potential"
    assert out.loc[2, "tier"] == "churn_risk"
    assert out.loc[2, "tier_reason"] == "inactive:90"


def test_a_ticket_or_a_survey_answer_counts_as_activity():
    out = score(
        row(1, last_tx_on=day(200), last_interaction_on=day(200), last_purchase_on=pd.NaT, purchases=0,
            last_ticket_on=day(5)),
        row(2, last_tx_on=day(200), last_interaction_on=day(200), last_purchase_on=pd.NaT, purchases=0,
            last_response_on=day(5)),
    )
    assert list(out["tier"]) == ["potential", "potential"]


def test_tier_is_churn_risk_when_satisfaction_is_59_but_not_60():
    out = score(row(1, satisfaction=59.0), row(2, satisfaction=60.0))
    assert out.loc[1, "tier"] == "churn_risk"
    assert out.loc[1, "tier_reason"] == "satisfaction:59:60"
    assert out.loc[2, "tier"] == "potential"


def test_an_open_objection_or_open_complaint_ticket_makes_churn_risk():
    out = score(row(1, open_objections=1), row(2, open_complaints=2), row(3))
    assert out.loc[1, "tier"] == "churn_risk" and out.loc[1, "tier_reason"] == "objection:1"
    assert out.loc[2, "tier"] == "churn_risk" and out.loc[2, "tier_reason"] == "complaint:2"
    assert out.loc[3, "tier"] == "potential"


def test_churn_risk_wins_over_new_and_high_value():
    out = score(row(1, customer_since=day(10), satisfaction=40.0), row(2, customer_since=day(500), open_objections=1))
    assert list(out["tier"]) == ["churn_risk", "churn_risk"]


def test_tier_is_new_for_89_days_but_not_90():
    out = score(row(1, customer_since=day(89)), row(2, customer_since=day(90)))
    assert out.loc[1, "tier"] == "new" and out.loc[1, "tier_reason"] == "age:89"
    assert out.loc[2, "tier"] == "potential"


def test_high_value_is_the_top_20_percent_of_spenders():
    # Ten spenders: ceil(10 × 20 %) = 2 are in the top; the third is not.
    rows = [row(i, spend=float(i * 100)) for i in range(1, 11)]
    out = score(*rows)
    assert list(out.loc[[10, 9], "tier"]) == ["high_value", "high_value"]
    assert out.loc[10, "tier_reason"] == "top_spend:20"
    assert (out.loc[list(range(1, 9)), "tier"] == "potential").all()


def test_customers_without_spend_do_not_count_towards_the_top_20_percent():
    rows = [row(i, spend=float(i * 100)) for i in range(1, 6)] + [row(i, spend=0.0, purchases=0) for i in range(6, 20)]
    out = score(*rows)
    # 5 spenders -> top 1 only.
    assert out.loc[5, "tier"] == "high_value"
    assert out.loc[4, "tier"] == "potential"


def test_high_value_by_age_after_365_days_not_at_365():
    out = score(row(1, customer_since=day(366)), row(2, customer_since=day(365)))
    assert out.loc[1, "tier"] == "high_value" and out.loc[1, "tier_reason"] == "age:366"
    assert out.loc[2, "tier"] == "potential"


def test_thresholds_come_from_the_settings():
    params = SegmentSettings(churn_inactivity_days=30)
    out = score(row(1, last_tx_on=day(31), last_interaction_on=day(40), last_purchase_on=day(31)), params=params)
    assert out.loc[1, "tier"] == "churn_risk"


def _independent_quintiles(values: dict[int, float]) -> dict[int, int]:
    """DESIGN "RFM" by hand: rank = 1 + how many values are smaller (ties share the
    lowest rank), score = 1 + floor(5 × (rank − 1) ÷ n)."""
    n = len(values)
    return {cid: 1 + (5 * sum(1 for w in values.values() if w < v)) // n for cid, v in values.items()}


def test_rfm_scores_match_an_independent_quintile_computation_with_ties_sharing_the_lowest_rank():
    import random

    rnd = random.Random(7)
    rows = []
    for cid in range(1, 38):
        r = rnd.choice([1, 5, 5, 30, 60, 100, 200])
        f = rnd.choice([1, 1, 2, 3, 8])
        m = rnd.choice([50.0, 50.0, 300.0, 1000.0, 7000.0])
        rows.append(row(cid, last_purchase_on=day(r), purchases=f, spend=m))
    rows.append(row(99, purchases=0, spend=0.0, last_purchase_on=pd.NaT))
    out = score(*rows)
    buyers = [r for r in rows if r["purchases"] > 0]
    expected_r = _independent_quintiles({r["customer_id"]: -(AS_OF - r["last_purchase_on"].date()).days
                                         for r in buyers})
    expected_f = _independent_quintiles({r["customer_id"]: r["purchases"] for r in buyers})
    expected_m = _independent_quintiles({r["customer_id"]: r["spend"] for r in buyers})
    for r in buyers:
        cid = r["customer_id"]
        assert (out.loc[cid, "r_score"], out.loc[cid, "f_score"], out.loc[cid, "m_score"]) == (
            expected_r[cid], expected_f[cid], expected_m[cid]), cid
        assert out.loc[cid, "rfm_segment"] == analytics.RFM_SEGMENT_MAP[(expected_r[cid], expected_f[cid])]
    assert pd.isna(out.loc[99, "r_score"]) and out.loc[99, "rfm_segment"] == "no_purchases"


def test_quintile_scores_of_ties_are_the_score_of_the_lowest_rank_in_the_group():
    # n = 10: ranks 1,1,1,1,5,6,6,8,9,10 -> 1 + floor(5 (rank - 1) / 10)
    values = pd.Series([3, 3, 3, 3, 4, 7, 7, 8, 9, 10], dtype="float64")
    assert analytics.quintile_scores(values).tolist() == [1, 1, 1, 1, 3, 3, 3, 4, 5, 5]
    assert analytics.quintile_scores(pd.Series([5.0] * 7)).tolist() == [1] * 7


def test_customers_with_identical_behaviour_never_get_different_scores_or_segments():
    import random

    rnd = random.Random(11)
    behaviours = [(rnd.choice([1, 2, 3, 40, 41, 200]), rnd.choice([1, 1, 1, 2, 5]), rnd.choice([10.0, 10.0, 99.0]))
                  for _ in range(12)]
    # A population full of ties: 600 customers drawn from 12 behaviours.
    rows = [row(cid, last_purchase_on=day(r), purchases=f, spend=m, spend_365=m)
            for cid, (r, f, m) in ((cid, rnd.choice(behaviours)) for cid in range(1, 601))]
    out = score(*rows).reset_index()
    out["behaviour"] = [(r["last_purchase_on"], r["purchases"], r["spend"]) for r in rows]
    columns = ["r_score", "f_score", "m_score", "rfm_segment", "tier", "value_tier", "health_score"]
    distinct = out.groupby("behaviour", observed=True)[columns].nunique()
    assert (distinct == 1).all().all(), distinct[(distinct > 1).any(axis=1)]


def test_rfm_segment_map_covers_every_score_pair_and_names_the_corners():
    assert len(analytics.RFM_SEGMENT_MAP) == 25
    assert analytics.RFM_SEGMENT_MAP[(5, 5)] == "champions"
    assert analytics.RFM_SEGMENT_MAP[(1, 1)] == "lost"
    assert analytics.RFM_SEGMENT_MAP[(1, 5)] == "cant_lose"
    assert analytics.RFM_SEGMENT_MAP[(5, 1)] == "new"


def test_value_tier_top_20_percent_high_next_30_percent_medium():
    rows = [row(i, spend=float(i)) for i in range(1, 11)] + [row(11, spend=0.0, purchases=0)]
    out = score(*rows)
    assert list(out.loc[[10, 9], "value_tier"]) == ["high", "high"]
    assert list(out.loc[[8, 7, 6], "value_tier"]) == ["medium"] * 3
    assert list(out.loc[[5, 1, 11], "value_tier"]) == ["low"] * 3


def test_membership_levels_by_points_at_each_threshold():
    out = score(row(1, net_spend_lifetime=9999.99), row(2, net_spend_lifetime=10000.0),
                row(3, net_spend_lifetime=49999.0), row(4, net_spend_lifetime=50000.0),
                row(5, net_spend_lifetime=200000.0), row(6, net_spend_lifetime=-30.0))
    assert list(out["membership_level"]) == ["bronze", "silver", "silver", "gold", "platinum", "bronze"]
    assert list(out["membership_points"]) == [9999, 10000, 49999, 50000, 200000, 0]


def test_health_score_is_the_documented_weighted_blend():
    # recency: 45 days of 90 -> 50; trend 1 recent / 2 prior -> 50; collection 3 of 4 on time -> 75;
    # satisfaction 80; one open objection -> 50 (and churn_risk: cadence 3 days, 30 expected in 90 days,
    # 15 logged -> 50).
    out = score(row(1, last_tx_on=day(45), last_purchase_on=day(45), last_interaction_on=day(45),
                    purchases_recent=1, purchases_prior=2, due=4, paid_on_time=3, satisfaction=80.0,
                    open_objections=1, interactions_recent=15))
    r = out.loc[1]
    assert (r.health_recency, r.health_frequency_trend, r.health_collection, r.health_satisfaction,
            r.health_complaints, r.health_contact) == (50, 50, 75, 80, 50, 50)
    assert r.health_score == round((25 * 50 + 15 * 50 + 20 * 75 + 20 * 80 + 10 * 50 + 10 * 50) / 100)  # 61


def test_health_leaves_out_components_without_data():
    out = score(row(1, last_tx_on=day(0), last_interaction_on=day(0), last_purchase_on=day(0), due=0,
                    satisfaction=float("nan"), interactions_recent=13))
    r = out.loc[1]
    assert pd.isna(r.health_collection) and pd.isna(r.health_satisfaction)
    # recency 100, trend 100, complaints 100, contact 100 -> 100 without the missing two.
    assert r.health_score == 100


def test_cadence_due_dates_and_days_overdue_per_tier():
    out = score(
        row(1, customer_since=day(5), last_interaction_on=day(3)),          # new, daily: due day(2), 2 overdue
        row(2, customer_since=day(30), last_interaction_on=day(3)),         # new after 14 days: weekly
        row(3, open_objections=1, last_interaction_on=day(10)),            # churn_risk: every 3 days
        row(4, customer_since=day(400), last_interaction_on=day(20)),       # high_value: every 15 days
        row(5, last_interaction_on=day(7)),                                 # potential: weekly, due today
        row(6, last_interaction_on=pd.NaT, customer_since=day(200)),        # never contacted
    )
    assert out.loc[1, "next_contact_due"].date() == AS_OF - timedelta(days=2) and out.loc[1, "days_overdue"] == 2
    assert out.loc[2, "next_contact_due"].date() == AS_OF + timedelta(days=4) and out.loc[2, "days_overdue"] == 0
    assert out.loc[3, "next_contact_due"].date() == AS_OF - timedelta(days=7) and out.loc[3, "days_overdue"] == 7
    assert out.loc[4, "next_contact_due"].date() == AS_OF - timedelta(days=5) and out.loc[4, "days_overdue"] == 5
    assert out.loc[5, "next_contact_due"].date() == AS_OF and out.loc[5, "days_overdue"] == 0
    assert out.loc[6, "days_overdue"] == 193


def test_queue_weight_is_days_overdue_times_value_weight():
    rows = [row(i, spend=float(i)) for i in range(1, 11)]
    rows = [dict(r, last_interaction_on=day(17)) for r in rows]  # potential: 10 days overdue
    out = score(*rows)
    # Customer 10 is high value, tier high_value: 15-day cadence -> 2 days overdue, weight 3.
    assert out.loc[10, "days_overdue"] == 2 and out.loc[10, "queue_weight"] == 2 * 3.0
    assert out.loc[8, "days_overdue"] == 10 and out.loc[8, "queue_weight"] == 10 * 2.0
    assert out.loc[1, "queue_weight"] == 10 * 1.0


def test_satisfaction_is_the_later_of_survey_and_ticket():
    activity = frame(row(1, satisfaction=None), row(2, satisfaction=None))
    from segmentation.selectors import survey_frame, ticket_frame

    tickets = ticket_frame([
        {"customer_id": 1, "last_ticket_at": pd.Timestamp("2026-06-01T20:00Z"), "open_complaints": 0,
         "latest_satisfaction_100": 40.0, "latest_satisfaction_at": pd.Timestamp("2026-06-01T10:00Z")},
        {"customer_id": 2, "last_ticket_at": pd.Timestamp("2026-05-01T10:00Z"), "open_complaints": 1,
         "latest_satisfaction_100": 40.0, "latest_satisfaction_at": pd.Timestamp("2026-05-01T10:00Z")},
    ])
    surveys = survey_frame([
        {"customer_id": 1, "satisfaction_100": 90.0, "answered_at": pd.Timestamp("2026-05-20T10:00Z"),
         "last_response_at": pd.Timestamp("2026-05-20T10:00Z")},
        {"customer_id": 2, "satisfaction_100": 90.0, "answered_at": pd.Timestamp("2026-05-20T10:00Z"),
         "last_response_at": pd.Timestamp("2026-05-20T10:00Z")},
    ])
    df = analytics.combine_inputs(activity, tickets, surveys).set_index("customer_id")
    assert df.loc[1, "satisfaction"] == 40.0
    assert df.loc[2, "satisfaction"] == 90.0
    assert df.loc[2, "open_complaints"] == 1
    # 20:00 UTC is the next morning in Shanghai: the ticket's local date.
    assert df.loc[1, "last_ticket_on"] == pd.Timestamp("2026-06-02")


@pytest.mark.parametrize("lang,expected", [
    ("en", "no activity for 104 days; open objection"),
    ("zh-hans", "已 104 天无活动；存在未解决的异议"),
])
def test_reason_text_is_translated(lang, expected):
    with translation.override(lang):
        assert analytics.reason_text("inactive:104;objection:1") == expected


def test_one_customers_spend_points_are_the_vectorised_rules_on_every_kind_of_value():
    """The customer API's per-row points (plain floats) and the recompute's (numpy) agree: on the
    cent boundaries where float sums land (9999.999999999998 is 10,000.00), half cents, negatives
    (refunds exceed purchases: 0), None, NaN and Decimals of two places."""
    import random
    from decimal import Decimal

    rng = random.Random(7)
    values = [None, float("nan"), 0, -0.0, -5, 0.004999, 0.005, 0.994999, 0.995, 1.005, 2.675, 9999.999999999998,
              9999.994999999, 9999.995, 123456789.125, Decimal("0.99"), Decimal("-12.50"), Decimal("1234567.89")]
    values += [rng.uniform(-1000, 10**9) for _ in range(20000)]
    values += [Decimal(rng.randrange(-10**6, 10**12)) / 100 for _ in range(20000)]
    values += [sum(rng.choice((0.1, 0.2, 0.3, 19.99, 0.07)) for _ in range(rng.randrange(1, 60))) for _ in range(5000)]
    vectorised = analytics.spend_points(pd.Series([float("nan") if v is None else float(v) for v in values]))
    assert [analytics.spend_points_of(v) for v in values] == vectorised.tolist()
    assert analytics.spend_points_of(9999.999999999998) == 10000 and analytics.spend_points_of(-5) == 0
