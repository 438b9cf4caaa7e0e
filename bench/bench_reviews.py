#!/usr/bin/env python
"""Benchmark: the reviews dashboards on the benchmark database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python bench/bench_reviews.py [--rebuild]

Load the data first (``python bench/load.py --customers 1000000``). It times
  * each catalogue metric computed live for last month, all customers (what the
    nightly snapshot job and a review report do);
  * with --rebuild, the nightly ``metric_snapshots_rebuild`` (all customers and
    each team: every metric for the current and the previous month, older months
    only when missing, plus the dashboard distributions), which the dashboards read;
  * the dashboard page (GET /reviews/dashboard/) for the admin (all customers),
    the team lead (a team) and an account manager (personal dashboard): the
    median of 5 warm requests and the number of SQL queries.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rebuild", action="store_true", help="time the nightly snapshot rebuild first")
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument("--skip-metrics", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from crm.models import Customer, User
    from reviews.metrics import CATALOGUE, Scope, metric_compute, month_period
    from reviews.services import metric_snapshots_rebuild

    settings.ALLOWED_HOSTS = ["*"]
    now = timezone.now()
    today = timezone.localdate(now)
    print(f"customers: {Customer.objects.count():,}")
    if not args.skip_metrics:
        last_month = month_period(today.replace(day=1) - timezone.timedelta(days=1))
        for key in CATALOGUE:
            start = time.perf_counter()
            value = metric_compute(key=key, period=last_month, scope=Scope())
            print(f"  metric {key:<24} {time.perf_counter() - start:7.2f}s  value={value.value}")
    if args.rebuild:
        start = time.perf_counter()
        n = metric_snapshots_rebuild(as_of=today, now=now)
        print(f"nightly snapshot rebuild (all + teams): {n} snapshots in {time.perf_counter() - start:.1f}s")
    if args.skip_dashboard:
        return

    for username in ("admin", "lead", "manager"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        client.get("/reviews/dashboard/")  # warm-up (fills a missing snapshot)
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get("/reviews/dashboard/")
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
        print(f"dashboard as {username:<8} median {statistics.median(times) * 1000:7.1f} ms "
              f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}), {len(ctx.captured_queries)} queries")


if __name__ == "__main__":
    main()
