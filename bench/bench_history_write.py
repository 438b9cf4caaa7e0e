#!/usr/bin/env python
"""Benchmark: the segment history write of one new date, alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_scale_100k python bench/bench_history_write.py [--repeat 3]

Writes the current segments (``segmentation_customersegment``, one row per
customer) as history of a date with no history yet, in a transaction that is
rolled back, ``--repeat`` times: on an unpartitioned table (before segmentation
0011) the plain ``INSERT … SELECT`` the recompute used, on the partitioned one
``segmentation.pgwrite.history_partition_replace`` (fresh table, indexes,
ATTACH). Prints each time and the best.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

HISTORY = "segmentation_segmenthistory"
COLUMNS = "customer_id, as_of, tier, value_tier, health_score, rfm_segment"
SELECT = ("SELECT customer_id, %s::date, tier, value_tier, health_score, rfm_segment "
          "FROM segmentation_customersegment ORDER BY customer_id")


class _Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2099, 1, 1))
    options = parser.parse_args()
    import django

    django.setup()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))",
                       [HISTORY])
        partitioned = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*), count(DISTINCT as_of) FROM {HISTORY}")
        rows, dates = cursor.fetchone()
    print(f"{connection.settings_dict['NAME']}: {rows:,} history rows, {dates} dates, partitioned: {partitioned}; "
          f"load average {os.getloadavg()[0]:.1f}")
    times = []
    for _ in range(options.repeat):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                start = time.perf_counter()
                if partitioned:
                    from segmentation import pgwrite

                    pgwrite.history_partition_replace(cursor, as_of=options.as_of, columns=COLUMNS, select=SELECT,
                                                      params=[options.as_of])
                else:
                    cursor.execute(f"INSERT INTO {HISTORY} ({COLUMNS}) {SELECT}", [options.as_of])
                times.append(time.perf_counter() - start)
                raise _Rollback
        except _Rollback:
            pass
    print("history write of one date: " + ", ".join(f"{t:.2f} s" for t in times) + f"; best {min(times):.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
