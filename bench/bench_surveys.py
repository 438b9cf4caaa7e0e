#!/usr/bin/env python
"""NPS by month and tier over 1,000,000 survey answers: the app's selector
(``surveys.selectors.nps_by_month_and_tier``, ORM + core.formulas) against one
hand-written SQL aggregate over the same rows, timed in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_surveys \\
        .venv/bin/python bench/bench_surveys.py --responses 1000000 --customers 200000

Creates the database if missing and migrates it; loads customers, their segment
rows (tier) and the answers with INSERT … SELECT generate_series (a few seconds
per million rows) unless that many answers are already there (``--reload``
forces it); then runs each query ``--repeat`` times after one warm-up and
reports the best time of each and their ratio (aim: under 1.5).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_surveys"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from load import django_ready, insert_select  # noqa: E402  bench/load.py

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=dt_timezone.utc)
START, END = date(2024, 7, 1), date(2026, 6, 30)  # 24 months

RAW_SQL = """
SELECT date_trunc('month', r.answered_at AT TIME ZONE %(tz)s) AS month,
       s.tier,
       count(*) FILTER (WHERE r.nps >= 9) AS promoters,
       count(*) FILTER (WHERE r.nps BETWEEN 7 AND 8) AS passives,
       count(*) FILTER (WHERE r.nps <= 6) AS detractors
FROM surveys_surveyresponse r
LEFT JOIN segmentation_customersegment s ON s.customer_id = r.customer_id
WHERE r.answered_at >= %(start)s AND r.answered_at < %(end)s AND r.nps IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
"""


def load(*, customers: int, responses: int) -> float:
    from django.db import connection, transaction

    from crm.models import Customer
    from segmentation.models import CustomerSegment
    from surveys.models import SurveyResponse
    from surveys.services import survey_default_ensure

    began = time.monotonic()
    survey = survey_default_ensure(now=NOW)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE surveys_surveyresponse, segmentation_customersegment, crm_customer CASCADE")
        cur.execute(insert_select(Customer, source=f"generate_series(1, {customers}) AS g(i)", values={
            "name": "'Bench customer ' || i", "created_at": "now() - interval '3 years'",
            "source": "'bench'", "external_id": "'b' || i"}))
        cur.execute("SELECT min(id) FROM crm_customer")
        first = cur.fetchone()[0]
        tiers = "(ARRAY['new','high_value','potential','churn_risk'])[1 + (i * 7919) % 4]"
        cur.execute(insert_select(CustomerSegment, source=f"generate_series(1, {customers}) AS g(i)", values={
            "customer_id": f"{first} + i - 1", "tier": tiers, "rfm_segment": "'loyal'",
            "value_tier": "'medium'", "membership_level": "'silver'", "health_score": "70"}))
        # answered over 24 months; NPS ~ 45 % promoters, 30 % passives, 25 % detractors; 5 % without NPS.
        nps = ("CASE WHEN random() < 0.05 THEN NULL ELSE (ARRAY[0,2,3,4,5,6,6,7,7,7,8,8,8,9,9,9,9,10,10,10])"
               "[1 + floor(random() * 20)::int] END")
        cur.execute(insert_select(SurveyResponse, source=f"generate_series(1, {responses}) AS g(i)", values={
            "customer_id": f"{first} + floor(random() * {customers})::bigint",
            "survey_id": str(survey.pk),
            "answered_at": f"timestamptz '{START.isoformat()} 00:00+08' + random() * interval '729 days'",
            "created_at": "now()", "channel": "'email_link'", "nps": nps,
            "overall": "1 + floor(random() * 10)::int"}))
    with connection.cursor() as cur:
        cur.execute("ANALYZE crm_customer; ANALYZE segmentation_customersegment; ANALYZE surveys_surveyresponse")
    return time.monotonic() - began


def interleaved(a, b, repeat: int) -> tuple[tuple[float, object], tuple[float, object]]:
    """Best time of each of two functions, run alternately after one warm-up each,
    so background load on the machine hits both alike."""
    results = [a(), b()]
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for k, fn in enumerate((a, b)):
            began = time.perf_counter()
            results[k] = fn()
            best[k] = min(best[k], time.perf_counter() - began)
    return (best[0], results[0]), (best[1], results[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    django_ready(DEFAULT_URL)
    from django.conf import settings
    from django.db import connection

    from surveys.models import SurveyResponse
    from core.clock import day_start
    from surveys.selectors import nps_by_month_and_tier

    have = SurveyResponse.objects.count()
    if args.reload or have != args.responses:
        seconds = load(customers=args.customers, responses=args.responses)
        print(f"loaded {args.customers:,} customers + segments and {args.responses:,} answers in {seconds:.1f}s")
    else:
        print(f"reusing {have:,} answers already loaded")

    def orm():
        return nps_by_month_and_tier(start=START, end=END)

    def raw():
        from core.formulas import nps_from_counts

        with connection.cursor() as cur:
            cur.execute(RAW_SQL, {"tz": settings.TIME_ZONE, "start": day_start(START),
                                  "end": day_start(END + timedelta(days=1))})
            rows = cur.fetchall()
        return sorted((m.date(), tier or "", p + n + d, nps_from_counts(promoters=p, passives=n, detractors=d))
                      for m, tier, p, n, d in rows)

    (t_orm, orm_rows), (t_raw, raw_rows) = interleaved(orm, raw, args.repeat)
    same = [(r["month"], r["tier"], r["responses"], r["nps"]) for r in orm_rows] == raw_rows
    counted = sum(r["responses"] for r in orm_rows)
    print(f"groups: {len(orm_rows)} (months × tiers), answers with an NPS counted: {counted:,}; "
          f"same numbers: {'yes' if same else 'NO'}")
    print(f"selector (ORM) best of {args.repeat}: {t_orm * 1000:.0f} ms")
    print(f"raw SQL        best of {args.repeat}: {t_raw * 1000:.0f} ms")
    print(f"ratio selector / raw SQL: {t_orm / t_raw:.2f} (aim < 1.5)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
