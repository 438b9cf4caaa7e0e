#!/usr/bin/env python
"""Benchmark: every list and detail page / endpoint a user waits for, on two database sizes in one run.

    .venv/bin/python bench/bench_pages.py \
        --small postgres://postgres@127.0.0.1:5432/crm_scale_100k \
        --large postgres://postgres@127.0.0.1:5432/crm_scale_1m [--repeat 5 --rounds 6]

Both databases are loaded with ``bench/load.py`` (seed 42, ``--as-of 2026-11-22``)
with 100,000 and 1,000,000 customers and migrated. Each size is served by its own
child process (Django binds one database at start-up), both alive for the whole
run; the parent asks them in turn for ``--repeat`` timed requests of one entry, so
the shared machine's drift hits both sizes alike, and does that ``--rounds`` times.
It prints p50 / p95 per entry, the SQL queries of one request and the ratio of the
p50s (large / small). Requests go through Django's test client and the whole
middleware stack (session, auth, locale, axes), settings ``config.settings.local``
with ``DEBUG=0``, logged in as the demo users (Chinese pages).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _entries(*, today):
    """(label, user, path, params) — the table of issue 14 first, then the other lists."""
    from django.db.models import Count

    from core.keyset import _encode
    from crm.forms import SORTS
    from crm.models import Customer, User
    from crm.views import PAGE_SIZE

    manager = User.objects.get(username="manager")
    scope = Customer.objects.for_user(manager)
    # A full company name (several customers may share it) and a 2-character
    # fragment of a rare name for the API search.
    full_name = scope.order_by("pk").values_list("name", flat=True)[5000]
    rare = (scope.values("name").annotate(n=Count("pk")).filter(n__lte=10).order_by("name")
            .values_list("name", flat=True).first()) or full_name
    customer = scope.annotate(n=Count("transactions")).filter(n__gte=5).order_by("pk").first()
    deep = scope.order_by(*SORTS["-created"]).values("pk", "created_at")[399 * PAGE_SIZE - 1]
    page_400 = _encode(399, deep["created_at"], deep["pk"])
    ticket_customer = Customer.objects.filter(tickets__isnull=False).order_by("pk").first()
    return [
        ("HTML /customers/?q=<a full company name>", "manager", "/customers/", {"q": full_name}),
        ("HTML /segments/follow-ups/ (a manager)", "manager", "/segments/follow-ups/", {}),
        ("HTML /segments/follow-ups/ (the team lead)", "lead", "/segments/follow-ups/", {}),
        ("API /api/v1/customers/?search=<rare name>", "manager", "/api/v1/customers/", {"search": rare}),
        ("API /api/v1/customers/?region=西南 (no match in scope)", "manager2", "/api/v1/customers/",
         {"region": "西南"}),
        ("HTML /customers/ page 400 (keyset cursor)", "manager", "/customers/", {"after": page_400}),
        ("HTML customer detail", "manager", f"/customers/{customer.pk}/", {}),
        ("API /api/v1/tickets/ (admin)", "admin", "/api/v1/tickets/", {}),
        ("HTML /customers/ (first page)", "manager", "/customers/", {}),
        ("HTML /customers/?region=华东&sort=name", "manager", "/customers/", {"region": "华东", "sort": "name"}),
        ("HTML /customers/?tier=churn_risk", "manager", "/customers/", {"tier": "churn_risk"}),
        ("API /api/v1/customers/ (cursor page)", "manager", "/api/v1/customers/", {}),
        ("API /api/v1/customers/{id}/", "manager", f"/api/v1/customers/{customer.pk}/", {}),
        ("API /api/v1/follow-ups/ (a manager)", "manager", "/api/v1/follow-ups/", {}),
        ("API /api/v1/transactions/?customer=", "manager", "/api/v1/transactions/", {"customer": customer.pk}),
        ("API /api/v1/interactions/?customer=", "manager", "/api/v1/interactions/", {"customer": customer.pk}),
        ("HTML /tickets/ (admin queue)", "admin", "/tickets/", {}),
        ("HTML ticket customer detail (support)", "support",
         f"/customers/{(ticket_customer or customer).pk}/", {}),
    ]


def serve() -> None:
    """In a child: set up, print the entry labels, then answer ``<index> <n>`` lines
    with ``n`` timed requests of that entry (after one warm-up request)."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from crm.models import Customer, User

    settings.ALLOWED_HOSTS = ["*"]
    clients = {}
    for user in User.objects.filter(username__in=["admin", "lead", "manager", "manager2", "support"]):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        clients[user.username] = client
    entries = _entries(today=timezone.localdate())
    print(json.dumps({"customers": Customer.objects.count(), "labels": [e[0] for e in entries]}), flush=True)
    for line in sys.stdin:
        index, n = map(int, line.split())
        _label, username, path, params = entries[index]
        client = clients[username]
        queries = []

        def count(execute, sql, params_, many, context):
            queries.append(sql)
            return execute(sql, params_, many, context)

        with connection.execute_wrapper(count):
            response = client.get(path, params)
        assert response.status_code == 200, (path, response.status_code)
        samples = []
        for _ in range(n):
            began = time.perf_counter()
            client.get(path, params)
            samples.append((time.perf_counter() - began) * 1000)
        print(json.dumps({"samples": samples, "queries": len(queries), "bytes": len(response.content)}), flush=True)


class Child:
    def __init__(self, url: str):
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "LOG_LEVEL": "WARNING",
               "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local")}
        self.process = subprocess.Popen([sys.executable, __file__, "--child"], env=env, cwd=ROOT, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.info = json.loads(self.process.stdout.readline())

    def run(self, index: int, n: int) -> dict:
        self.process.stdin.write(f"{index} {n}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default="postgres://postgres@127.0.0.1:5432/crm_scale_100k")
    parser.add_argument("--large", default="postgres://postgres@127.0.0.1:5432/crm_scale_1m")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per entry, size and round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--only", default="", help="measure only the entries whose label contains this text")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        serve()
        return 0

    children = {"small": Child(args.small), "large": Child(args.large)}
    sizes = {name: child.info["customers"] for name, child in children.items()}
    labels = children["small"].info["labels"]
    merged: dict[str, dict] = {}
    # Alternate the two sizes in small blocks so the shared machine's drift hits both alike.
    for _ in range(args.rounds):
        for index, label in enumerate(labels):
            if args.only not in label:
                continue
            slot = merged.setdefault(label, {"small": [], "large": [], "queries": {}, "bytes": {}})
            for name, child in children.items():
                result = child.run(index, args.repeat)
                slot[name].extend(result["samples"])
                slot["queries"][name] = result["queries"]
                slot["bytes"][name] = result["bytes"]
    for child in children.values():
        child.close()
    load = os.getloadavg()
    print(f"customers: {sizes['small']:,} and {sizes['large']:,}; "
          f"{args.rounds} rounds × {args.repeat} timed requests per entry and size; "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
    print(f"| request | p50 {sizes['small'] // 1000}k | p95 {sizes['small'] // 1000}k | queries | "
          f"p50 {sizes['large'] // 1000}k | p95 {sizes['large'] // 1000}k | queries | ratio of p50s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    worst = 0.0
    for label, slot in merged.items():
        small50, large50 = statistics.median(slot["small"]), statistics.median(slot["large"])
        ratio = large50 / small50
        worst = max(worst, ratio)
        print(f"| {label} | {small50:.1f} ms | {_p(slot['small'], 0.95):.1f} ms | {slot['queries']['small']} | "
              f"{large50:.1f} ms | {_p(slot['large'], 0.95):.1f} ms | {slot['queries']['large']} | {ratio:.2f} |")
    slowest = max(statistics.median(s["large"]) for s in merged.values())
    print(f"\nslowest p50 at {sizes['large']:,}: {slowest:.1f} ms (aim < 50); worst ratio {worst:.2f} (aim ≤ 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
