"""Database upkeep after bulk writes."""
from __future__ import annotations

from django.db import connections, router


def tables_vacuum_analyze(*models) -> None:
    """After a bulk write (PostgreSQL): planner statistics at once, not when autovacuum comes by,
    and — where VACUUM may run (not inside a transaction) — the visibility map, without which an
    index-only scan still visits the heap for every row. Elsewhere nothing."""
    for model in models:
        connection = connections[router.db_for_write(model)]
        if connection.vendor != "postgresql":
            continue
        statement = "ANALYZE {}" if connection.in_atomic_block else "VACUUM (ANALYZE) {}"
        with connection.cursor() as cursor:
            cursor.execute(statement.format(connection.ops.quote_name(model._meta.db_table)))
