#!/usr/bin/env python
"""Benchmark: a full segment recompute against its floor, one SQL pass.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python bench/bench_segmentation.py

Load the data first (``python bench/load.py --customers 1000000`` or
``python manage.py generate_demo_data --customers 1000000 --seed 1``).

In one process it times
  * the floor: ``SELECT customer_id, count(*), sum(amount), max(occurred_on)
    FROM crm_transaction GROUP BY customer_id``, all rows fetched (after one
    untimed warm-up run, so both sides read a warm cache);
  * a full recompute (``segmentation.services.segments_recompute``): SQL
    aggregation by customer-id range, pandas scoring, COPY into a stage and the
    upserts of the current table and the history, in one transaction;
and reports the ratio recompute ÷ floor, the time of each recompute phase and
the peak memory (peak RSS of the process from getrusage; with --tracemalloc
also the peak of Python/numpy allocations during the recompute, which slows it).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")

FLOOR_SQL = ("SELECT customer_id, count(*), sum(amount), max(occurred_on) FROM crm_transaction "
             "GROUP BY customer_id")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def floor_pass() -> tuple[float, int]:
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL)
        rows = cursor.fetchall()
    elapsed = time.perf_counter() - start
    count = len(rows)
    del rows
    return elapsed, count


class PhaseTimer:
    """Wraps the recompute's phases to time them (no change to what they do)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def wrap(self, module, name: str, label: str):
        original = getattr(module, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

        setattr(module, name, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from segmentation import analytics, selectors, services

    if connection.vendor != "postgresql":
        print("This benchmark is meant for PostgreSQL (set DATABASE_URL).", file=sys.stderr)
    as_of = options.as_of or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM crm_customer")
        customers = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM crm_transaction")
        transactions = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM crm_interaction")
        interactions = cursor.fetchone()[0]
    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor}); {customers:,} customers, "
          f"{transactions:,} transactions, {interactions:,} interactions; as_of {as_of}")

    floor_pass()  # warm-up, untimed
    floor_seconds, floor_rows = floor_pass()
    print(f"floor (GROUP BY customer over transactions, {floor_rows:,} rows fetched): {floor_seconds:.2f} s")

    timer = PhaseTimer()
    timer.wrap(selectors, "segment_inputs", "SQL aggregation (transactions, interactions)")
    timer.wrap(selectors, "ticket_rows", "tickets contract")
    timer.wrap(selectors, "survey_rows", "surveys contract")
    timer.wrap(analytics, "score_segments", "pandas scoring")
    timer.wrap(services, "_write", "write (COPY stage + upserts + history)")
    rss_before = rss_mib()
    if options.tracemalloc:
        tracemalloc.start()
    start = time.perf_counter()
    job = services.segments_recompute(as_of=as_of, now=timezone.now())
    recompute_seconds = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if options.tracemalloc else None
    if options.tracemalloc:
        tracemalloc.stop()
    print(f"recompute ({job.summary['customers']:,} customers, job #{job.pk} {job.status}): {recompute_seconds:.2f} s")
    for label, seconds in timer.seconds.items():
        print(f"  {label}: {seconds:.2f} s")
    print(f"ratio recompute / floor: {recompute_seconds / floor_seconds:.2f}")
    print(f"peak RSS of the process: {rss_mib():,.0f} MiB (before the recompute: {rss_before:,.0f} MiB)")
    if traced_peak is not None:
        print(f"peak traced allocations during the recompute: {traced_peak:,.0f} MiB")
    return 0 if job.status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
