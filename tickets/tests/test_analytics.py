"""Pure ticket analytics: trend detection on hand-made weekly counts, weekly summaries."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from tickets import analytics

WEEKS = [dt.date(2026, 3, 2) + dt.timedelta(weeks=n) for n in range(11)]  # Mondays


def counts(**series):
    return pd.DataFrame({cat: [float(v) for v in values] for cat, values in series.items()},
                        index=pd.Index(WEEKS, name="week_start"))


def test_a_category_above_its_8_week_baseline_three_weeks_running_raises_an_alert():
    alerts = analytics.trend_alerts(counts(billing=[2, 3, 2, 3, 2, 3, 2, 3, 5, 6, 7]))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["category"] == "billing" and alert["week_start"] == WEEKS[-1]
    assert [e["count"] for e in alert["evidence"]] == [5, 6, 7]
    assert alert["evidence"][0]["baseline"] == 2.5  # mean of the 8 weeks before it


def test_two_weeks_above_then_one_at_the_baseline_is_no_alert():
    assert analytics.trend_alerts(counts(billing=[2, 3, 2, 3, 2, 3, 2, 3, 5, 6, 3])) == []


def test_each_week_is_compared_with_its_own_baseline_which_rises_with_it():
    # The last week's baseline includes the two weeks of 12: (6 × 1 + 2 × 12) / 8 = 3.75.
    assert analytics.trend_alerts(counts(service=[1, 1, 1, 1, 1, 1, 1, 1, 12, 12, 3])) == []
    alerts = analytics.trend_alerts(counts(service=[1, 1, 1, 1, 1, 1, 1, 1, 12, 12, 4]))
    assert [e["baseline"] for e in alerts[0]["evidence"]] == [1.0, 2.38, 3.75]


def test_equal_to_the_baseline_is_not_above_it():
    assert analytics.trend_alerts(counts(other=[3] * 11)) == []


def test_without_eight_known_weeks_of_history_there_is_no_baseline():
    rows = pd.DataFrame({"created_at": pd.to_datetime(["2026-05-05T02:00Z"] * 5 + ["2026-05-12T02:00Z"] * 6
                                                      + ["2026-05-13T02:00Z"] * 7),
                         "category": ["billing"] * 18})
    c = analytics.weekly_counts(rows, weeks=WEEKS, tz="Asia/Shanghai", categories=["billing"],
                                history_start=dt.date(2026, 5, 5))
    assert c["billing"].isna().sum() == 9
    assert analytics.trend_alerts(c) == []


def test_weekly_counts_use_local_weeks():
    # Sunday 2026-05-10 20:00 UTC is Monday 04:00 in Shanghai: next week there.
    rows = pd.DataFrame({"created_at": pd.to_datetime(["2026-05-10T20:00Z"]), "category": ["billing"]})
    c = analytics.weekly_counts(rows, weeks=WEEKS, tz="Asia/Shanghai", categories=["billing"],
                                history_start=dt.date(2026, 1, 1))
    assert c.loc[dt.date(2026, 5, 11), "billing"] == 1 and c.loc[dt.date(2026, 5, 4), "billing"] == 0


def test_weekly_summary_figures():
    week = dt.date(2026, 6, 8)
    utc = "2026-06-{}T02:00Z".format
    rows = pd.DataFrame({
        "created_at": pd.to_datetime([utc("08"), utc("09"), utc("10"), utc("11"), utc("01")]),
        "resolved_at": pd.to_datetime([utc("08").replace("02:00", "06:00"), utc("12"), None, utc("16"), utc("09")]),
        "category": ["billing", "billing", "technical", "complaint", "service"],
        "is_complaint": [True, True, False, True, False],
        "is_repeat": [False, True, False, False, False],
    })
    s = analytics.weekly_summary(rows, week_start=week, tz="Asia/Shanghai",
                                 categories=["billing", "technical", "complaint", "service"])
    assert s["total"] == 4
    assert s["volume_by_category"] == {"billing": 2, "technical": 1, "complaint": 1, "service": 0}
    assert s["resolved"] == 2 and s["resolution_rate"] == 0.5  # the 16th is after the week
    # Resolved in the week: 4 h, 72 h and the 1st-created ticket's 192 h.
    assert s["avg_handling_hours"] == round((4 + 72 + 192) / 3, 2)
    assert (s["complaints"], s["repeats"]) == (3, 1) and abs(s["repeat_rate"] - 1 / 3) < 1e-9


def test_an_empty_week_has_no_rates():
    s = analytics.weekly_summary(pd.DataFrame(), week_start=dt.date(2026, 6, 8), tz="UTC", categories=["billing"])
    assert s["total"] == 0 and s["resolution_rate"] is None and s["avg_handling_hours"] is None
