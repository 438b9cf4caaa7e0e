#!/usr/bin/env python
"""Per-request CPU profile of the requests of bench_load.py's mix, in one process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_scale_100k REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/profile_requests.py [--repeat 30] [--profile list] [--top 25]

Same settings as the gunicorn of bench_load.py (``bench.load_settings``: production
plus the framework floor view), Django's test client through the whole middleware
stack, the demo account manager ``manager`` (token for the API, a signed-in session
for the pages). For each request kind it prints the CPU time per request
(``time.process_time``: this process only, so other engineers' jobs on the shared
machine inflate it far less than wall clock), the wall time, the SQL queries and
the time spent waiting for PostgreSQL, and the ratio of each to the floor
(``/bench/floor/customers/``: ``values()`` + ``JsonResponse``). ``--profile NAME``
adds a cProfile of that kind (cumulative time, ``--top`` lines).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_scale_100k")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")
    os.environ.update(DJANGO_SETTINGS_MODULE="bench.load_settings", SECURE_SSL_REDIRECT="false",
                      SESSION_COOKIE_SECURE="false", SECURE_HSTS_SECONDS="0", SITE_URL="http://127.0.0.1",
                      LOG_LEVEL="WARNING")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "dev-only-field-encryption-key")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per kind (after 3 warm-ups)")
    parser.add_argument("--username", default="manager")
    parser.add_argument("--profile", action="append", default=[], help="request kind to cProfile (repeatable)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--callers", action="append", default=[],
                        help="with --profile: print who calls the functions matching this pattern (repeatable)")
    parser.add_argument("--kinds", default="floor,floor-columns,list,detail,tickets,dashboard",
                        help="comma-separated request kinds (floor is always measured)")
    args = parser.parse_args()
    _setup()

    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from crm.models import Customer, User

    user = User.objects.get(username=args.username)
    token, _ = Token.objects.get_or_create(user=user)
    ids = list(Customer.objects.for_user(user).order_by("pk").values_list("pk", flat=True)[:: 997][:200])
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="127.0.0.1")
    web = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    web.force_login(user)
    counter = iter(range(10**9))
    kinds = {
        "floor": (api, lambda: "/bench/floor/customers/"),
        "floor-columns": (api, lambda: "/bench/floor/customers/columns/"),
        "list": (api, lambda: "/api/v1/customers/"),
        "detail": (api, lambda: f"/api/v1/customers/{ids[next(counter) % len(ids)]}/"),
        "tickets": (web, lambda: "/tickets/"),
        "dashboard": (web, lambda: "/reviews/dashboard/"),
    }
    wanted = {"floor", *args.kinds.split(",")}
    kinds = {name: kind for name, kind in kinds.items() if name in wanted}
    sql = {"n": 0, "t": 0.0}

    def timed(execute, statement, params, many, context):
        began = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql["n"] += 1
            sql["t"] += time.perf_counter() - began

    results = {}
    with connection.execute_wrapper(timed):
        for name, (client, path) in kinds.items():
            for _ in range(3):
                assert client.get(path()).status_code == 200, name
            cpu, wall, queries, db = [], [], [], []
            for _ in range(args.repeat):
                sql.update(n=0, t=0.0)
                c0, w0 = time.process_time(), time.perf_counter()
                response = client.get(path())
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
                assert response.status_code == 200, (name, response.status_code)
                queries.append(sql["n"])
                db.append(sql["t"])
            results[name] = {"cpu": statistics.median(cpu) * 1000, "wall": statistics.median(wall) * 1000,
                             "queries": statistics.median(queries), "db": statistics.median(db) * 1000}
            if name in args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.repeat):
                    client.get(path())
                profiler.disable()
                print(f"\n== cProfile of {args.repeat} x {name} (cumulative)")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
                pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
                for pattern in args.callers:
                    pstats.Stats(profiler).sort_stats("tottime").print_callers(pattern)

    floor = results["floor"]
    print(f"\n== {args.repeat} requests per kind, medians; load average {os.getloadavg()[0]:.1f}")
    print("| request | CPU ms | ÷ floor | wall ms | ÷ floor | queries | SQL wait ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['cpu']:.1f} | {r['cpu'] / floor['cpu']:.2f} | {r['wall']:.1f} | "
              f"{r['wall'] / floor['wall']:.2f} | {r['queries']:.0f} | {r['db']:.1f} |")


if __name__ == "__main__":
    main()
