#!/usr/bin/env python
"""Benchmark: training the churn model and scoring every customer, against its floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_churn_bench python bench/bench_churn.py

Load the data first (``DATABASE_URL=… python bench/load.py --customers N``).

In one process it times
  * the floor: one ``segmentation.services.segments_score`` at as_of (the
    recompute's SQL reads and pandas scoring, which every training snapshot
    repeats once), after one untimed warm-up;
  * a full training (``segmentation.churn.services.churn_train``): SNAPSHOTS
    point-in-time snapshots and their labels, every candidate fitted and
    backtested, the chosen one refitted, today's snapshot scored and explained,
    the model row and every score row written in one transaction;
and reports the ratio training ÷ floor, the time of each phase and the peak
memory (peak RSS of the process, getrusage).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_churn_bench")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    import django

    django.setup()
    from django.utils import timezone

    from crm.models import Customer
    from segmentation import services as segment_services
    from segmentation.churn import learn
    from segmentation.churn import services as churn_services

    parser = argparse.ArgumentParser()
    parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument("--snapshots", type=int, default=churn_services.SNAPSHOTS)
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of) if args.as_of else timezone.localdate()
    customers = Customer.objects.count()
    print(f"customers: {customers:,}  as_of {as_of}  horizon {args.horizon}  snapshots {args.snapshots}")

    segment_services.segments_score(as_of=as_of, reasons=False)  # warm-up
    start = time.perf_counter()
    segment_services.segments_score(as_of=as_of, reasons=False)
    floor = time.perf_counter() - start
    print(f"floor (one segments_score at as_of): {floor:.1f} s  peak RSS so far {rss_mib():,.0f} MiB")

    phases: dict[str, float] = defaultdict(float)

    def timed(module, name, label):
        original = getattr(module, name)

        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                phases[label] += time.perf_counter() - t

        setattr(module, name, wrapper)

    timed(churn_services, "churn_snapshot", "snapshots (features)")
    timed(churn_services, "churn_labels", "labels")
    timed(learn, "fit", "fits")
    timed(learn, "contributions", "factors (contributions)")
    timed(churn_services, "_scores_write", "score write")
    now = timezone.now()
    start = time.perf_counter()
    job = churn_services.churn_train(as_of=as_of, now=now, horizon_days=args.horizon, snapshots=args.snapshots)
    total = time.perf_counter() - start
    s = job.summary
    print(f"training + scoring: {total:.1f} s  ratio {total / floor:.1f}× the floor  peak RSS {rss_mib():,.0f} MiB")
    for label, seconds in phases.items():
        print(f"  {label}: {seconds:.1f} s")
    print(f"model v{s['model']} {s['kind']}: backtest AUC {s['auc']:.3f}, tier baseline {s['baseline_auc']:.3f}, "
          f"{s['customers']:,} customers scored")


if __name__ == "__main__":
    main()
