#!/usr/bin/env python
"""Benchmark: a full segment recompute against its floor, one SQL pass.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/bench_segmentation.py [--range-ids 50000] [--workers 1,2]

Load the data first (``python bench/load.py --customers 1000000`` or
``python manage.py generate_demo_data --customers 1000000 --seed 1``).

In one process it times
  * the floor: ``SELECT customer_id, count(*), sum(amount), max(occurred_on)
    FROM crm_transaction GROUP BY customer_id``, all rows fetched (after one
    untimed warm-up run, so both sides read a warm cache);
  * a full recompute (``segmentation.services.segments_recompute``), fanned
    out by customer-id range (``segmentation.fanout``): with one worker this
    process runs every range itself; with two, a Celery worker process (solo
    pool, same broker and database: set REDIS_URL) takes ranges too;
and reports for each run the line ``segmentation ratio (N worker[s]): X.X``
(recompute ÷ floor, the floor timed just before), the time per range of each
phase, which worker ran how many ranges, the peak memory (peak RSS of this
process and of the worker processes from getrusage; with --tracemalloc also the
peak of Python/numpy allocations in this process, which slows it), and a
projection of N workers on N machines from the per-range figures.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
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


def start_worker() -> "subprocess.Popen":
    """A second worker: a Celery worker process (solo pool, one task at a time)
    on the same broker and database, like a worker on another machine."""
    import socket
    import subprocess

    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool", "solo",
                             "--loglevel", "WARNING", "-n", f"bench-{os.getpid()}@%h"],
                            cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    from config.celery_app import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if app.control.ping(destination=[f"bench-{os.getpid()}@{socket.gethostname()}"], timeout=1.0):
            return proc
        if proc.poll() is not None:
            raise SystemExit(f"the worker exited: {proc.stderr.read().decode()[-2000:]}")
    raise SystemExit("the worker did not answer a ping within 120 s")


def worker_peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def per_range(summary: dict) -> dict:
    """Per phase: ranges, median and max seconds; the sum of all range seconds; runners."""
    import statistics

    out = {"work": 0.0, "runners": {}}
    for phase in ("inputs", "score"):
        seconds = [r["seconds"] for r in summary["ranges"] if r["phase"] == phase]
        out[phase] = (len(seconds), statistics.median(seconds) if seconds else 0.0, max(seconds, default=0.0))
        out["work"] += sum(seconds)
    for r in summary["ranges"]:
        out["runners"][r["runner"]] = out["runners"].get(r["runner"], 0) + 1
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--range-ids", type=int, default=None,
                        help="customer ids per range (default: SEGMENT_RECOMPUTE_RANGE_IDS)")
    parser.add_argument("--workers", default="1,2", help="runs, by number of workers (default 1,2)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    options = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from config.celery_app import app
    from segmentation import services

    if connection.vendor != "postgresql":
        print("This benchmark is meant for PostgreSQL (set DATABASE_URL).", file=sys.stderr)
    as_of = options.as_of or timezone.localdate()
    range_ids = options.range_ids or settings.SEGMENT_RECOMPUTE_RANGE_IDS
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM crm_customer")
        customers = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM crm_transaction")
        transactions = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM crm_interaction")
        interactions = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM segmentation_segmenthistory")
        history = cursor.fetchone()[0]
    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor}); {customers:,} customers, "
          f"{transactions:,} transactions, {interactions:,} interactions, {history:,} history rows; as_of {as_of}; "
          f"{range_ids:,} ids per range; load average {os.getloadavg()[0]:.1f}")
    floor_pass()  # warm-up, untimed
    app.control.purge()

    results = {}
    for run, workers in enumerate(int(w) for w in options.workers.split(",")):
        # Each run a fresh history date (the nightly case), one day after the other.
        day = as_of + timedelta(days=run)
        extra = [start_worker() for _ in range(workers - 1)]
        try:
            floor_seconds, floor_rows = floor_pass()
            rss_before = rss_mib()
            if options.tracemalloc:
                tracemalloc.start()
            start = time.perf_counter()
            job = services.segments_recompute(as_of=day, now=timezone.now(), chunk_ids=range_ids)
            seconds = time.perf_counter() - start
            traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if options.tracemalloc else None
            if options.tracemalloc:
                tracemalloc.stop()
        finally:
            for proc in extra:
                proc.terminate()
                proc.wait(timeout=60)
        ranges = per_range(job.summary)
        results[workers] = (seconds, floor_seconds, ranges)
        print(f"\n{workers} worker(s): floor (GROUP BY customer over transactions, {floor_rows:,} rows fetched) "
              f"{floor_seconds:.2f} s; recompute ({job.summary['customers']:,} customers, job #{job.pk} "
              f"{job.status}, as_of {day}) {seconds:.2f} s")
        for phase in ("inputs", "score"):
            n, median, longest = ranges[phase]
            print(f"  time per range, {phase}: {n} ranges, median {median:.2f} s, longest {longest:.2f} s")
        print(f"  serial part (cut points, swap, waiting): {seconds - ranges['work'] / workers:.2f} s "
              f"(range work {ranges['work']:.2f} s in all)")
        print(f"  ranges run by: " + ", ".join(f"{name} {n}" for name, n in sorted(ranges["runners"].items())))
        print(f"  peak RSS: this process {rss_mib():,.0f} MiB (before: {rss_before:,.0f} MiB), "
              f"workers {worker_peak_rss_mib():,.0f} MiB" + (f"; traced peak {traced_peak:,.0f} MiB"
                                                            if traced_peak is not None else ""))
        print(f"segmentation ratio ({workers} worker{'s' if workers > 1 else ''}): {seconds / floor_seconds:.1f}")

    if 1 in results:
        seconds, floor_seconds, ranges = results[1]
        serial = seconds - ranges["work"]
        per_phase_longest = ranges["inputs"][2] + ranges["score"][2]
        print("\nprojection, N workers on N machines (one PostgreSQL), from the 1-worker run: "
              "serial part + range work ÷ N, never below the longest range of each phase; it assumes the "
              "database keeps up, which on one 2-core box it does not:")
        for n in (1, 2, 4, 8):
            projected = serial + max(ranges["work"] / n, per_phase_longest)
            print(f"  {n} workers: {projected:.1f} s, ratio {projected / floor_seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
