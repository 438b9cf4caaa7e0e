"""The bulk write of a recompute on PostgreSQL, inside the caller's transaction.

1. ``stage_load``: the scored frame goes into a temporary stage table by binary
   COPY built straight from numpy arrays (text columns travel as small codes,
   NULLs as a sentinel), so no per-row Python and no CSV formatting.
2. ``current_swap``: a fresh table is filled from the stage with one
   INSERT … SELECT (codes become text, the reason text is built from its numeric
   parts, exactly as ``analytics.reason_codes`` does), the constraints and
   indexes of the live table are recreated on it, and it replaces the live
   table (DROP + RENAME). Writing a new table is several times cheaper than
   updating every row in place, and readers see the old table or the new one:
   a reader that waits on the lock re-resolves the name after the commit.
3. ``history_write``: the history is partitioned by ``as_of`` (one partition
   per recompute date, migration 0011): the date's rows fill a fresh table with
   no index (one INSERT … SELECT from the stage, in customer order), its
   indexes are built in one sorted pass each, and it is attached as the date's
   partition, replacing the one a previous run of the same as_of wrote. No
   index of the years of history before is touched, which was the cost of the
   old append into one table (its (customer, as_of) index takes each new row at
   a random place).
"""
from __future__ import annotations

import io
import re
import struct
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.db import connection

from crm.models import Customer
from segmentation.models import CustomerSegment, MembershipLevel, RfmSegment, SegmentHistory, Tier, ValueTier

TABLE = CustomerSegment._meta.db_table
CUSTOMER_TABLE = Customer._meta.db_table
NEXT_TABLE = f"{TABLE}_next"
HISTORY = SegmentHistory._meta.db_table
# Rows written one at a time by the ORM (SegmentHistory.objects.create) for a date
# without a partition land here; history_write moves its date's rows into the partition.
HISTORY_DEFAULT = f"{HISTORY}_default"
STAGE = "segment_stage"
NULL_INT = -2_147_483_648  # stands for NULL in int4 stage columns
BATCH_ROWS = 200_000

TIERS = [c.value for c in Tier]
RFM_SEGMENTS = [c.value for c in RfmSegment]
VALUE_TIERS = [c.value for c in ValueTier]
MEMBERSHIP_LEVELS = [c.value for c in MembershipLevel]

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_NUMPY = {"int4": ">i4", "int8": ">i8", "float8": ">f8"}
_SIZE = {"int4": 4, "int8": 8, "float8": 8}


def _codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    """1-based codes into ``categories`` (0 for an unknown value: NULL, refused by NOT NULL)."""
    return pd.Categorical(values, categories=categories).codes.astype("int64") + 1


def _ints(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values).round().fillna(NULL_INT).to_numpy().astype("int64")


def _days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series | pd.Timestamp) -> pd.Series:
    return (later - earlier).dt.days


_HEALTH = ("recency", "frequency_trend", "collection", "satisfaction", "complaints", "contact")
# (name, PostgreSQL type) of each stage column, in order.
STAGE_TYPES: list[tuple[str, str]] = [
    ("customer_id", "int8"), ("tier_code", "int4"),
    *[(c, "int4") for c in ("age_days", "inactive_days", "c_inactive", "c_satisfaction", "satisfaction_value",
                            "open_objections", "open_complaints", "hv_spend", "hv_age", "r_days", "f_count")],
    ("m_amount", "float8"),
    *[(c, "int4") for c in ("r_score", "f_score", "m_score", "rfm_code", "value_code", "member_code")],
    ("membership_points", "int8"), ("health_score", "int4"),
    *[(f"health_{c}", "int4") for c in _HEALTH],
    ("last_contact_offset", "int4"), ("next_due_offset", "int4"), ("days_overdue", "int4"),
    ("queue_weight", "float8"),
]


def stage_columns(result: pd.DataFrame, *, as_of: date) -> list[tuple[str, str, np.ndarray]]:
    """(name, PostgreSQL type, values) of each stage column."""
    day = pd.Timestamp(as_of)
    last_contact = _days_between(day, pd.to_datetime(result["last_contact_on"]))
    next_due = _days_between(pd.to_datetime(result["next_contact_due"]), day)
    values = {
        "customer_id": result["customer_id"].to_numpy(),
        "tier_code": _codes(result["tier"], TIERS),
        **{c: _ints(result[c]) for c in ("age_days", "inactive_days", "c_inactive", "c_satisfaction",
                                         "satisfaction_value", "open_objections", "open_complaints", "hv_spend",
                                         "hv_age", "r_days", "f_count", "r_score", "f_score", "m_score",
                                         "health_score", *[f"health_{c}" for c in _HEALTH], "days_overdue")},
        "m_amount": result["m_amount"].to_numpy(dtype="float64"),
        "rfm_code": _codes(result["rfm_segment"], RFM_SEGMENTS),
        "value_code": _codes(result["value_tier"], VALUE_TIERS),
        "member_code": _codes(result["membership_level"], MEMBERSHIP_LEVELS),
        "membership_points": result["membership_points"].to_numpy(dtype="int64"),
        "last_contact_offset": _ints(last_contact),
        "next_due_offset": _ints(next_due),
        "queue_weight": result["queue_weight"].to_numpy(dtype="float64"),
    }
    return [(name, kind, values[name]) for name, kind in STAGE_TYPES]


def binary_copy_payload(columns: list[tuple[str, str, np.ndarray]], start: int, stop: int) -> bytes:
    """Rows [start, stop) in PostgreSQL's binary COPY format (no NULLs: sentinels)."""
    n = stop - start
    fields = [("n", ">i2")]
    for name, kind, _values in columns:
        fields += [(f"{name}__len", ">i4"), (name, _NUMPY[kind])]
    records = np.empty(n, dtype=fields)
    records["n"] = len(columns)
    for name, kind, values in columns:
        records[f"{name}__len"] = _SIZE[kind]
        records[name] = values[start:stop]
    return _HEADER + records.tobytes() + _TRAILER


def stage_create(table: str = STAGE, *, temporary: bool = True) -> None:
    """The stage table: temporary (dropped at commit) for a one-transaction
    recompute, else an UNLOGGED table shared by the workers of a fanned-out one."""
    kind = "TEMP TABLE" if temporary else "UNLOGGED TABLE"
    with connection.cursor() as cursor:
        # (A surrounding transaction, as in tests, may still hold an earlier stage.)
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE {kind} {table} ({', '.join(f'{n} {k} NOT NULL' for n, k in STAGE_TYPES)})"
                       + (" ON COMMIT DROP" if temporary else ""))


def stage_append(result: pd.DataFrame, *, as_of: date, table: str = STAGE) -> None:
    """Binary COPY of the scored rows into the stage ``table``."""
    columns = stage_columns(result, as_of=as_of)
    names = ", ".join(n for n, _k, _v in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(result), BATCH_ROWS):
            payload = binary_copy_payload(columns, start, min(start + BATCH_ROWS, len(result)))
            cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT binary)", io.BytesIO(payload))


def stage_load(result: pd.DataFrame, *, as_of: date) -> None:
    stage_create(STAGE)
    stage_append(result, as_of=as_of)


def _null(column: str) -> str:
    return f"NULLIF(s.{column}, {NULL_INT})"


_TIER = "(%(tiers)s::text[])[s.tier_code]"

# The reason text from its numeric parts: the same codes, in the same order, as
# analytics.reason_codes.
_REASON = """concat_ws(';',
    CASE WHEN s.c_inactive = 1 THEN 'inactive:' || s.inactive_days END,
    CASE WHEN s.c_satisfaction = 1 THEN 'satisfaction:' || s.satisfaction_value || ':' || %(satisfaction_below)s END,
    CASE WHEN s.open_objections > 0 THEN 'objection:' || s.open_objections END,
    CASE WHEN s.open_complaints > 0 THEN 'complaint:' || s.open_complaints END,
    CASE WHEN s.tier_code = 2 THEN 'age:' || s.age_days END,
    CASE WHEN s.hv_spend = 1 THEN 'top_spend:' || %(top_percent)s END,
    CASE WHEN s.hv_age = 1 THEN 'age:' || s.age_days END,
    CASE WHEN s.tier_code = 4 THEN 'potential:' || s.age_days || ':' || %(top_percent)s END)"""

_SEGMENT_SELECT = {
    "customer_id": "s.customer_id",
    "as_of": "%(as_of)s::date",
    "tier": _TIER,
    "tier_reason": _REASON,
    "r_days": _null("r_days"),
    "f_count": "s.f_count",
    "m_amount": "round(s.m_amount::numeric, 2)",
    "r_score": _null("r_score"),
    "f_score": _null("f_score"),
    "m_score": _null("m_score"),
    "rfm_segment": "(%(rfm_segments)s::text[])[s.rfm_code]",
    "value_tier": "(%(value_tiers)s::text[])[s.value_code]",
    "membership_level": "(%(membership_levels)s::text[])[s.member_code]",
    "membership_points": "s.membership_points",
    "health_score": "s.health_score",
    **{f"health_{c}": _null(f"health_{c}")
       for c in ("recency", "frequency_trend", "collection", "satisfaction", "complaints", "contact")},
    "last_contact_on": f"%(as_of)s::date - {_null('last_contact_offset')}",
    "next_contact_due": "%(as_of)s::date + s.next_due_offset",
    "days_overdue": "s.days_overdue",
    "queue_weight": "s.queue_weight",
    "computed_at": "%(now)s::timestamptz",
    "owner_id": "c.owner_id",
    "team_id": "c.team_id",
}


def stage_counts(*, stage: str = STAGE) -> dict:
    """The job summary's counts per tier and value tier, from the stage."""
    out = {}
    with connection.cursor() as cursor:
        for key, column, names in (("tier", "tier_code", TIERS), ("value_tier", "value_code", VALUE_TIERS)):
            cursor.execute(f"SELECT {column}, count(*) FROM {stage} GROUP BY {column} ORDER BY count(*) DESC")
            out[key] = {names[code - 1]: int(n) for code, n in cursor.fetchall() if n}
    return out


def _sql_params(*, as_of: date, now: datetime, params) -> dict:
    return {"as_of": as_of, "now": now, "tiers": TIERS, "rfm_segments": RFM_SEGMENTS, "value_tiers": VALUE_TIERS,
            "membership_levels": MEMBERSHIP_LEVELS, "satisfaction_below": str(params.churn_satisfaction_below),
            "top_percent": str(params.high_value_top_percent)}


def changed_tiers(*, as_of: date, now: datetime, params, stage: str = STAGE) -> list[tuple[int, str, str]]:
    """(customer id, previous tier, tier) of the customers whose tier differs from the live table's (before the swap)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s.customer_id, c.tier, {_TIER} FROM {stage} s JOIN {TABLE} c "
                       f"ON c.customer_id = s.customer_id WHERE c.tier <> {_TIER} ORDER BY s.customer_id",
                       _sql_params(as_of=as_of, now=now, params=params))
        return [(int(cid), old, new) for cid, old, new in cursor.fetchall()]


def current_swap(*, as_of: date, now: datetime, params, stage: str = STAGE) -> None:
    """Replace the live table by one built from the stage (caller holds the lock)."""
    columns = list(_SEGMENT_SELECT)
    with connection.cursor() as cursor:
        # Fire deferred FK checks queued earlier in this transaction: a table with
        # pending trigger events cannot be dropped.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # A long reader must not stall everyone queued behind the swap's lock: give
        # up instead (the job fails, the previous result stays).
        cursor.execute("SET LOCAL lock_timeout = '30s'")
        cursor.execute("SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') "
                       "ORDER BY contype = 'f', conname", [TABLE])
        constraints = cursor.fetchall()
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                       "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) "
                       "ORDER BY indexname", [TABLE, TABLE])
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"DROP TABLE IF EXISTS {NEXT_TABLE}")
        # CHECK constraints come along and are checked row by row while filling
        # (cheaper than one validating scan each afterwards).
        cursor.execute(f"CREATE TABLE {NEXT_TABLE} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"INSERT INTO {NEXT_TABLE} ({', '.join(columns)}) SELECT {', '.join(_SEGMENT_SELECT.values())} "
            f"FROM {stage} s JOIN {CUSTOMER_TABLE} c ON c.id = s.customer_id",
            _sql_params(as_of=as_of, now=now, params=params))
        # Customers not in this recompute (created after as_of) keep their row.
        cursor.execute(f"INSERT INTO {NEXT_TABLE} SELECT * FROM {TABLE} t WHERE NOT EXISTS "
                       f"(SELECT 1 FROM {stage} s WHERE s.customer_id = t.customer_id)")
        cursor.execute(f"DROP TABLE {TABLE}")
        cursor.execute(f"ALTER TABLE {NEXT_TABLE} RENAME TO {TABLE}")
        for name, definition, kind in constraints:
            if kind == "f":
                # NOT VALID + VALIDATE: no write lock on the customer table while checking.
                cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition} NOT VALID')
                cursor.execute(f'ALTER TABLE {TABLE} VALIDATE CONSTRAINT "{name}"')
            else:
                cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in indexes:
            cursor.execute(definition)
        cursor.execute(f"ANALYZE {TABLE}")


HISTORY_COLUMNS = "customer_id, as_of, tier, value_tier, health_score, rfm_segment"


def history_write(*, as_of: date, now: datetime, params, stage: str = STAGE) -> None:
    """The history rows of ``as_of`` from the scores ``stage``: the date's
    partition replaced by a fresh one (caller holds a transaction and the
    recompute's advisory lock)."""
    select = (f"SELECT s.customer_id, %(as_of)s::date, {_TIER}, (%(value_tiers)s::text[])[s.value_code], "
              f"s.health_score, (%(rfm_segments)s::text[])[s.rfm_code] FROM {stage} s ORDER BY s.customer_id")
    with connection.cursor() as cursor:
        history_partition_replace(cursor, as_of=as_of, columns=HISTORY_COLUMNS, select=select,
                                  params=_sql_params(as_of=as_of, now=now, params=params))


def history_partition_name(as_of: date) -> str:
    return f"{HISTORY}_p{as_of:%Y%m%d}"


def _index_definitions(cursor, table: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, definition) of the primary key and unique constraints of ``table``,
    and the CREATE INDEX statements of its other indexes."""
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                   "AND contype IN ('p', 'u') ORDER BY contype, conname", [table])
    constraints = cursor.fetchall()
    cursor.execute("SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass AND indexrelid "
                   "NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass) ORDER BY indexrelid",
                   [table, table])
    return constraints, [row[0] for row in cursor.fetchall()]


def _index_on(definition: str, *, name: str, table: str) -> str:
    """A parent's CREATE INDEX statement retargeted at ``table`` under ``name``."""
    return re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ ", lambda m: f"CREATE {m.group(1) or ''}INDEX {name} ON {table} ",
                  definition, count=1)


def history_partition_replace(cursor, *, as_of: date, columns: str, select: str, params) -> None:
    """Fill a fresh table with the rows ``select`` gives for ``as_of`` (plus the rows
    of that date already stored for customers it lacks, as the upsert before kept
    them), build the parent's indexes and constraints on it, then put it in place of
    the date's partition (the previous one dropped, the default partition's rows of
    the date deleted: they were carried over) and attach it. Readers of other dates
    are not blocked until the final DROP/ATTACH, which the caller's commit follows."""
    name = history_partition_name(as_of)
    fresh = f"{name}_new"
    cursor.execute(f"DROP TABLE IF EXISTS {fresh}")
    cursor.execute(f"CREATE TABLE {fresh} (LIKE {HISTORY} INCLUDING DEFAULTS)")
    cursor.execute(f"INSERT INTO {fresh} ({columns}) {select}", params)
    cursor.execute(f"INSERT INTO {fresh} SELECT h.* FROM {HISTORY} h WHERE h.as_of = %s "
                   f"AND NOT EXISTS (SELECT 1 FROM {fresh} f WHERE f.customer_id = h.customer_id)", [as_of])
    # Proves the partition bound, so ATTACH skips its validating scan of the rows.
    cursor.execute(f"ALTER TABLE {fresh} ADD CONSTRAINT {fresh}_bound CHECK (as_of IS NOT NULL AND as_of >= %s "
                   "AND as_of < %s)", [as_of, as_of + timedelta(days=1)])
    constraints, indexes = _index_definitions(cursor, HISTORY)
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    names = []
    for i, (_parent_name, definition) in enumerate(constraints):
        names.append(("CONSTRAINT", f"{fresh}_c{i}", f"{name}_c{i}"))
        cursor.execute(f"ALTER TABLE {fresh} ADD CONSTRAINT {fresh}_c{i} {definition}")
    for i, definition in enumerate(indexes):
        names.append(("INDEX", f"{fresh}_i{i}", f"{name}_i{i}"))
        cursor.execute(_index_on(definition, name=f"{fresh}_i{i}", table=fresh))
    # From here on the parent is locked until the caller commits.
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"DELETE FROM {HISTORY_DEFAULT} WHERE as_of = %s", [as_of])
    cursor.execute(f"ALTER TABLE {fresh} RENAME TO {name}")
    for kind, old, new in names:
        cursor.execute(f"ALTER TABLE {name} RENAME CONSTRAINT {old} TO {new}" if kind == "CONSTRAINT"
                       else f"ALTER INDEX {old} RENAME TO {new}")
    cursor.execute(f"ALTER TABLE {HISTORY} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
                   [as_of, as_of + timedelta(days=1)])
    cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {fresh}_bound")
