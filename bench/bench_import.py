#!/usr/bin/env python
"""Importing 100,000 customers and 1,000,000 transactions from CSV through the
import job, against a raw COPY of the same files, in one run (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_imports_bench \\
        /usr/bin/time -v .venv/bin/python bench/bench_import.py --customers 100000 --transactions 1000000

Creates the database if missing and migrates it, empties the CRM tables, writes
the two CSV files (seeded, under var/bench/), then for each file:

1. **raw COPY**: ``COPY … FROM STDIN (FORMAT csv, HEADER)`` of the file into a
   bare table of the same columns (target types, no index, no constraint);
2. **the import**: the upload stored as the API stores it (encrypted chunks in
   the database), a queued job of kind "crm.import" with ``dry_run=false``, run
   by ``core.jobs.job_run`` in this process — the function the worker's task
   calls: read in chunks, clean, check every field, look up the customers, build
   the stage (personal fields sealed), COPY it into a temporary table and
   upsert with INSERT … SELECT … ON CONFLICT, in one transaction.

Prints rows/s of each, the ratio (aim ≤ 5) and the peak memory of the process
(aim < 2 GiB)."""
from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_imports_bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from load import django_ready  # noqa: E402  bench/load.py
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=dt_timezone.utc)

CUSTOMER_COLUMNS = ("external_id", "name", "kind", "region", "industry", "phone", "email", "birthday")
TRANSACTION_COLUMNS = ("customer_external_id", "external_id", "kind", "amount", "occurred_on", "paid_on")
RAW_TYPES = {"birthday": "date", "amount": "numeric(14,2)", "occurred_on": "date", "paid_on": "date"}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csvs(folder: Path, customers: int, transactions: int, seed: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cust = folder / f"customers-{customers}.csv"
    txn = folder / f"transactions-{transactions}.csv"
    ids = np.char.add("C", np.arange(customers).astype(str))
    regions = np.array(["华东", "华北", "华南", "西南"])
    industries = np.array(["零售", "制造", "物流", "餐饮", "软件"])
    phones = (rng.choice([138, 139, 150, 186], customers) * 100_000_000 + rng.integers(0, 10**8, customers)).astype(str)
    birth = (np.datetime64("1960-01-01") + rng.integers(0, 40 * 365, customers).astype("timedelta64[D]")).astype(str)
    person = rng.random(customers) < 0.3
    import pandas as pd

    pd.DataFrame({
        "external_id": ids, "name": np.char.add("客户", ids), "kind": np.where(person, "个人", "企业"),
        "region": regions[rng.integers(0, 4, customers)], "industry": industries[rng.integers(0, 5, customers)],
        "phone": phones, "email": np.char.add(np.char.lower(ids), "@example.cn"),
        "birthday": np.where(person, birth, ""),
    }).to_csv(cust, index=False)
    occurred = np.datetime64("2024-01-01") + rng.integers(0, 800, transactions).astype("timedelta64[D]")
    paid = occurred + rng.integers(0, 30, transactions).astype("timedelta64[D]")
    has_paid = rng.random(transactions) < 0.8
    pd.DataFrame({
        "customer_external_id": ids[rng.integers(0, customers, transactions)],
        "external_id": np.char.add("T", np.arange(transactions).astype(str)),
        "kind": np.where(rng.random(transactions) < 0.05, "refund", "purchase"),
        "amount": np.round(rng.gamma(2.0, 300.0, transactions) + 1, 2),
        "occurred_on": occurred.astype(str), "paid_on": np.where(has_paid, paid.astype(str), ""),
    }).to_csv(txn, index=False)
    return cust, txn


def raw_copy(path: Path, columns: tuple[str, ...], table: str) -> float:
    from django.db import connection, transaction

    cols = ", ".join(f"{c} {RAW_TYPES.get(c, 'text')}" for c in columns)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(f"CREATE TABLE {table} ({cols})")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur, open(path, "rb") as f:
        cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER)", f, 1 << 20)
    return time.perf_counter() - start


# The same rows written set-based into the real table (its indexes, its foreign
# keys checked), from the raw-COPY table, rolled back: what the table itself costs.
TABLE_FLOOR_SQL = {
    "customers": """
        INSERT INTO crm_customer (source, external_id, name, kind, industry, size, region, preferred_channel, tags,
                                  phone, email, id_number, address, birthday, notes, created_at, updated_at,
                                  owner_id, team_id)
        SELECT 'floor', external_id, name, kind, industry, '', region, '', '', phone, email, '', '', birthday, '',
               now(), now(), %(owner)s, %(team)s FROM bench_raw_customers""",
    "transactions": """
        INSERT INTO crm_transaction (customer_id, source, external_id, kind, amount, occurred_on, paid_on, notes,
                                     created_at)
        SELECT c.id, 'floor', r.external_id, r.kind, r.amount, r.occurred_on, r.paid_on, '', now()
        FROM bench_raw_transactions r JOIN crm_customer c ON c.source = '' AND c.external_id = r.customer_external_id
        ORDER BY c.id""",
}


def table_floor(entity: str, actor) -> float:
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(TABLE_FLOOR_SQL[entity], {"owner": actor.pk, "team": actor.team_id})
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks, as at commit
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    return seconds


def run_import(path: Path, entity: str, actor) -> tuple[float, float, float, dict]:
    """(seconds to store the upload, seconds of the job, CPU seconds of this
    process during the job — the Python side, the rest is the database and
    waiting —, its summary)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from core.jobs import job_run
    from core.models import Job
    from crm.importing import services, specs, storage
    from crm.importing.jobs import KIND
    from crm.models import ImportFile

    content = path.read_bytes()
    start = time.perf_counter()
    with transaction.atomic():
        upload = SimpleUploadedFile(path.name, content, content_type="text/csv")
        headers = services.import_prepare(entity=entity, upload=upload)
        # Queued as job_enqueue would, without sending it to a broker: this process is the worker.
        job = Job.objects.create(kind=KIND, created_by=actor, created_at=NOW, params={
            "entity": entity, "filename": path.name, "mapping": specs.auto_mapping(headers, entity),
            "dry_run": False, "team_id": actor.team_id})
        storage.import_file_store(owner=actor, purpose=ImportFile.Purpose.UPLOAD, data=upload.chunks(), now=NOW,
                                  filename=path.name, job=job)
    del content, upload
    stored = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    job = job_run(job_id=job.pk, clock=lambda: NOW)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if job.status != "succeeded" or not job.summary.get("written"):
        raise SystemExit(f"import {entity} did not write: {job.status} {job.error} {job.summary}")
    return stored, seconds, cpu, job.summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    django_ready(DEFAULT_URL)
    from django.db import connection

    from core.roles import Role
    from crm.models import Team, User

    with connection.cursor() as cur:
        cur.execute("TRUNCATE crm_customer, crm_transaction, crm_importfile, crm_importfilechunk CASCADE")
    team, _ = Team.objects.get_or_create(name="Bench")
    actor, _ = User.objects.get_or_create(username="bench-importer", defaults={"role": Role.ACCOUNT_MANAGER,
                                                                              "team": team})
    cust, txn = write_csvs(ROOT / "var" / "bench", args.customers, args.transactions, args.seed)
    print(f"files: {cust.name} {cust.stat().st_size / 2**20:.1f} MiB, {txn.name} {txn.stat().st_size / 2**20:.1f} MiB;"
          f" peak memory after writing them {peak_mib():.0f} MiB")
    results = []
    for path, entity, columns, rows in ((cust, "customers", CUSTOMER_COLUMNS, args.customers),
                                        (txn, "transactions", TRANSACTION_COLUMNS, args.transactions)):
        raw = raw_copy(path, columns, f"bench_raw_{entity}")
        stored, seconds, cpu, summary = run_import(path, entity, actor)
        table = table_floor(entity, actor)
        results.append((entity, rows, raw, stored, seconds, summary, table))
        print(f"{entity:>12}: {rows:,} rows | raw COPY {raw:.1f} s = {rows / raw:,.0f} rows/s | upload stored "
              f"{stored:.1f} s | import job {seconds:.1f} s = {rows / seconds:,.0f} rows/s (Python CPU {cpu:.1f} s) | ratio "
              f"{seconds / raw:.1f} (with the upload {(seconds + stored) / raw:.1f}) | the same rows INSERT … SELECT "
              f"into the real table (indexes, foreign keys) {table:.1f} s, import / that {seconds / table:.1f} | "
              f"{summary} | "
              f"peak memory so far {peak_mib():.0f} MiB")
    total_raw = sum(r[2] for r in results)
    total_job = sum(r[4] for r in results)
    total_table = sum(r[6] for r in results)
    print(f"total: raw COPY {total_raw:.1f} s, import jobs {total_job:.1f} s, ratio {total_job / total_raw:.1f}; "
          f"into the real tables {total_table:.1f} s, import / that {total_job / total_table:.1f}; "
          f"peak memory {peak_mib():.0f} MiB; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
