#!/usr/bin/env python
"""Load benchmark: gunicorn (production settings) on PostgreSQL + Redis under a
fixed request mix driven by locust, headless (bench/load_mix.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_hardening_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/bench_load.py --users 20 --seconds 60 --max-requests 20000

Load the data first (``python bench/load.py --customers 100000``; at least
100,000 customers are required). It starts gunicorn on a free loopback port with
``bench.load_settings`` (production + the framework floor view), takes a token and
a web session (made directly, no password hashing in the run) for the demo account
manager ``manager``, runs locust for at most
``--seconds`` and ``--max-requests`` requests, stops gunicorn, and prints per
request kind: requests, errors, throughput, p50/p95/p99, and the ratio of the
list API's median to the floor's median (measured in the same run, same mix).
Traffic goes to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MIN_CUSTOMERS = 100_000
LIST, FLOOR = "API customer list", "floor: values() + JsonResponse"
FLOOR_COLUMNS = "floor (customer columns only)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(username: str) -> tuple[str, str, list[int]]:
    """Token and a signed-in web session of the bench user (made here: twenty logins would spend
    the run hashing passwords), and a sample of customer ids in its scope."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a database loaded before the latest migrations
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from crm.models import Customer, User

    total = Customer.objects.count()
    if total < MIN_CUSTOMERS:
        sys.exit(f"{total} customers in the database: load at least {MIN_CUSTOMERS} (bench/load.py --customers ...)")
    user = User.objects.get(username=username)
    token, _ = Token.objects.get_or_create(user=user)
    ids = list(Customer.objects.for_user(user).order_by("?").values_list("id", flat=True)[:500])
    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash()})
    session.create()
    print(f"== {total:,} customers; {Customer.objects.for_user(user).count():,} in the scope of {username}")
    return token.key, session.session_key, ids


def _wait_for(url: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url}")


def _warm_up(base: str, *, token: str, session_key: str, customer_id: int, workers: int) -> None:
    """Each worker imports the URL configuration and opens its database connection on its first
    requests (tens of seconds on a busy machine): done before the measured run."""
    paths = [("/api/v1/customers/", "api"), (f"/api/v1/customers/{customer_id}/", "api"),
             ("/bench/floor/customers/", "api"), ("/bench/floor/customers/columns/", "api"), ("/tickets/", "web"),
             ("/reviews/dashboard/", "web")]
    for _ in range(3 * workers):
        for path, kind in paths:
            headers = {"Authorization": f"Token {token}"} if kind == "api" else {"Cookie": f"sessionid={session_key}"}
            urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=120).read()


def _percentile(row: dict, key: str) -> str:
    value = row.get(key, "")
    return f"{float(value):.0f}" if value not in ("", "N/A") else "—"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60, help="time bound of the locust run")
    parser.add_argument("--max-requests", type=int, default=20_000, help="request bound (all kinds together)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--username", default="manager", help="demo user whose token and session are used")
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_hardening_bench")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
    env.update(DJANGO_SETTINGS_MODULE="bench.load_settings", SECURE_SSL_REDIRECT="false",
               SESSION_COOKIE_SECURE="false", SECURE_HSTS_SECONDS="0", SITE_URL="http://127.0.0.1",
               SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(50),
               FIELD_ENCRYPTION_KEY=env.get("FIELD_ENCRYPTION_KEY") or "dev-only-field-encryption-key",
               LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    os.environ.update(env)
    token, session_key, ids = _prepare(args.username)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    out = Path(tempfile.mkdtemp(prefix="bench-load-"))
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--timeout", "60", "--graceful-timeout", "5", "--error-logfile", str(out / "gunicorn.log")],
        cwd=ROOT, env=env)
    try:
        _wait_for(f"{base}/login/")
        _warm_up(base, token=token, session_key=session_key, customer_id=ids[0], workers=args.workers)
        locust_env = {**env, "LOAD_TOKEN": token, "LOAD_SESSION": session_key,
                      "LOAD_CUSTOMER_IDS": ",".join(map(str, ids)),
                      "LOAD_MAX_REQUESTS": str(args.max_requests)}
        began = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "load_mix.py"), "--headless",
             "--host", base, "--users", str(args.users), "--spawn-rate", str(args.users),
             "--run-time", f"{args.seconds}s", "--stop-timeout", "10",
             "--csv", str(out / "load"), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env=locust_env, check=False, timeout=args.seconds + 120)
        elapsed = time.monotonic() - began
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
            gunicorn.wait()

    with open(out / "load_stats.csv", newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    print(f"\n== {args.users} users, {args.workers} gunicorn workers, {elapsed:.0f} s of locust (bounds: "
          f"{args.seconds} s, {args.max_requests} requests); nproc={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| request | requests | errors | req/s | p50 ms | p95 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows.items():
        label = "**all (mix)**" if name == "Aggregated" else name
        print(f"| {label} | {int(r['Request Count']):,} | {r['Failure Count']} | {float(r['Requests/s']):.1f} | "
              f"{_percentile(r, '50%')} | {_percentile(r, '95%')} | {_percentile(r, '99%')} |")
    if LIST in rows and FLOOR in rows and float(rows[FLOOR]["50%"] or 0):
        ratio = float(rows[LIST]["50%"]) / float(rows[FLOOR]["50%"])
        print(f"\nlist API median / floor median = {rows[LIST]['50%']} / {rows[FLOOR]['50%']} ms = {ratio:.2f}")
    if LIST in rows and FLOOR_COLUMNS in rows and float(rows[FLOOR_COLUMNS]["50%"] or 0):
        ratio = float(rows[LIST]["50%"]) / float(rows[FLOOR_COLUMNS]["50%"])
        print(f"list API median / customer-columns floor median = {rows[LIST]['50%']} / "
              f"{rows[FLOOR_COLUMNS]['50%']} ms = {ratio:.2f}")
    print(f"(locust CSVs and the gunicorn log: {out})")


if __name__ == "__main__":
    main()
