#!/usr/bin/env python
"""Create and load the PostgreSQL benchmark database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python bench/load.py --customers 1000000

Creates the database if it does not exist, runs ``migrate``, then
``generate_demo_data --reset`` (so it can be re-run), and reports the time of
each step, the peak memory of the loader, the row counts and the database size.
DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/crm_bench.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"
TABLES = ("crm_customer", "crm_contact", "crm_transaction", "crm_interaction", "crm_followup")


def _connect(url: str, dbname: str | None = None):
    u = urlparse(url)
    return psycopg2.connect(host=u.hostname or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                            password=u.password, dbname=dbname or u.path.lstrip("/"))


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if missing; True when it was created."""
    name = urlparse(url).path.lstrip("/")
    conn = _connect(url, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        conn.close()


def django_ready(default_url: str) -> None:
    """Set Django up on the benchmark's database (``DATABASE_URL``, else
    ``default_url``): created if missing, then migrated."""
    os.environ.setdefault("DATABASE_URL", default_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "")
    if ensure_database(os.environ["DATABASE_URL"]):
        print(f"created database {os.environ['DATABASE_URL']}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _sql_default(field) -> str | None:
    """A SQL literal for a NOT NULL column the loader does not set (None: leave NULL)."""
    from django.db import models

    if field.null:
        return None
    if field.has_default() and not callable(field.default):
        value = field.default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
    if isinstance(field, models.DateTimeField):
        return "now()"
    if isinstance(field, models.DateField):
        return "current_date"
    if isinstance(field, models.BooleanField):
        return "false"
    if isinstance(field, (models.IntegerField, models.FloatField, models.DecimalField)):
        return "0"
    if isinstance(field, (models.CharField, models.TextField)):
        return "''"
    if isinstance(field, models.JSONField):
        return "'{}'::jsonb"
    raise ValueError(f"no value for {field.model.__name__}.{field.name}")


def insert_select(model, *, source: str, values: dict[str, str]) -> str:
    """INSERT INTO <model table> (...) SELECT ... FROM <source>: the given columns,
    and every other NOT NULL column from its default (follows schema changes)."""
    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in values:
            continue
        expr = values.get(field.column) or _sql_default(field)
        if expr is None:
            continue
        columns.append(f'"{field.column}"')
        exprs.append(expr)
    return f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) SELECT {", ".join(exprs)} FROM {source}'


def timed(label: str, args: list[str], env: dict[str, str]) -> float:
    print(f"== {label}: {' '.join(args[1:])}", flush=True)
    began = time.monotonic()
    subprocess.run(args, cwd=ROOT, env=env, check=True)
    seconds = time.monotonic() - began
    print(f"== {label} took {seconds:.1f}s", flush=True)
    return seconds


def report(url: str) -> list[tuple[str, int]]:
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            rows = []
            for table in TABLES:
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                rows.append((table, cur.fetchone()[0]))
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            rows.append(("database size", cur.fetchone()[0]))
            return rows
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--transactions-per-customer", type=float, default=10)
    parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not urlparse(url).scheme.startswith("postgres"):
        parser.error("DATABASE_URL must point at PostgreSQL")
    env = {**os.environ, "DATABASE_URL": url,
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local")}
    created = ensure_database(url)
    print(f"== database {urlparse(url).path.lstrip('/')} {'created' if created else 'exists'}")
    python = sys.executable
    timings = {"migrate": timed("migrate", [python, "manage.py", "migrate", "--no-input", "-v", "0"], env)}
    load = [python, "manage.py", "generate_demo_data", "--reset", "--customers", str(options.customers),
            "--seed", str(options.seed), "--transactions-per-customer", str(options.transactions_per_customer)]
    if options.as_of:
        load += ["--as-of", options.as_of]
    timings["generate_demo_data"] = timed("generate_demo_data", load, env)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print("\n| step | seconds |\n| --- | ---: |")
    for step, seconds in timings.items():
        print(f"| {step} | {seconds:.1f} |")
    print(f"\npeak memory of the largest step: {peak_mb:.0f} MB\n\n| table | rows |\n| --- | ---: |")
    for table, value in report(url):
        print(f"| {table} | {value:,} |" if isinstance(value, int) else f"| {table} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
