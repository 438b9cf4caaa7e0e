"""PostgreSQL: segmentation_segmenthistory becomes a table partitioned by as_of
(range partitions of one day, one per recompute date, and a default partition for
rows written one at a time), its rows and ids kept. The primary key becomes
(id, as_of): a partitioned table's unique constraints must include the partition
key (nothing reads a history row by its id alone; Django still treats id as the
key). The id sequence becomes a plain sequence owned by the column (PostgreSQL 15
has no identity columns on partitioned tables). SQLite keeps the plain table.
The model's state is unchanged."""

from django.db import migrations

HISTORY = "segmentation_segmenthistory"
OLD = f"{HISTORY}_unpartitioned"
SEQUENCE = f"{HISTORY}_id_seq"


def _partitioned(cursor) -> bool:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))", [HISTORY])
    return cursor.fetchone()[0]


def _rename_indexes(cursor, table: str, suffix: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Give ``table``'s constraints and indexes ``suffix`` (their names free again);
    returns (name, definition, kind) of the constraints and (name, CREATE INDEX) of the others."""
    cursor.execute("SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint WHERE conrelid = %s::regclass "
                   "AND contype IN ('p', 'u') ORDER BY contype, conname", [table])
    constraints = cursor.fetchall()
    cursor.execute("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                   "WHERE i.indrelid = %s::regclass AND i.indexrelid NOT IN "
                   "(SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass) ORDER BY c.relname", [table, table])
    indexes = cursor.fetchall()
    for name, _definition, _kind in constraints:
        cursor.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{name}" TO "{name[:50]}{suffix}"')
    for name, _definition in indexes:
        cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:50]}{suffix}"')
    return constraints, indexes


def _index_on(definition: str, table: str) -> str:
    import re

    return re.sub(r" ON (ONLY )?\S+ ", f" ON {table} ", definition, count=1)


def _recreate(cursor, constraints, indexes, *, primary_key: str) -> None:
    """The constraints and indexes read by _rename_indexes, on the table named HISTORY now."""
    for name, definition, kind in constraints:
        cursor.execute(f'ALTER TABLE {HISTORY} ADD CONSTRAINT "{name}" {primary_key if kind == "p" else definition}')
    for _name, definition in indexes:
        cursor.execute(_index_on(definition, HISTORY))


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from segmentation import pgwrite

    with schema_editor.connection.cursor() as cursor:
        if _partitioned(cursor):
            return
        cursor.execute(f"ALTER TABLE {HISTORY} RENAME TO {OLD}")
        constraints, indexes = _rename_indexes(cursor, OLD, "_old")
        cursor.execute(f"SELECT max(id) FROM {OLD}")
        last_id = cursor.fetchone()[0]
        cursor.execute(f"ALTER TABLE {OLD} ALTER COLUMN id DROP IDENTITY IF EXISTS")
        cursor.execute(f"ALTER TABLE {OLD} ALTER COLUMN id DROP DEFAULT")
        cursor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")
        cursor.execute(f"CREATE TABLE {HISTORY} (LIKE {OLD}) PARTITION BY RANGE (as_of)")
        cursor.execute(f"CREATE SEQUENCE {SEQUENCE} AS bigint OWNED BY {HISTORY}.id")
        cursor.execute(f"ALTER TABLE {HISTORY} ALTER COLUMN id SET DEFAULT nextval('{SEQUENCE}')")
        if last_id is not None:
            cursor.execute("SELECT setval(%s, %s)", [SEQUENCE, last_id])
        _recreate(cursor, constraints, indexes, primary_key="PRIMARY KEY (id, as_of)")
        cursor.execute(f"CREATE TABLE {pgwrite.HISTORY_DEFAULT} PARTITION OF {HISTORY} DEFAULT")
        cursor.execute(f"SELECT DISTINCT as_of FROM {OLD} ORDER BY as_of")
        columns = [f.column for f in apps.get_model("segmentation", "SegmentHistory")._meta.concrete_fields]
        for (as_of,) in cursor.fetchall():
            pgwrite.history_partition_replace(
                cursor, as_of=as_of, columns=", ".join(columns),
                select=f"SELECT {', '.join(columns)} FROM {OLD} WHERE as_of = %s", params=[as_of])
        cursor.execute(f"DROP TABLE {OLD}")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _partitioned(cursor):
            return
        constraints, indexes = _rename_indexes(cursor, HISTORY, "_old")
        cursor.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY NONE")
        cursor.execute(f"CREATE TABLE {OLD} (LIKE {HISTORY} INCLUDING DEFAULTS)")
        cursor.execute(f"INSERT INTO {OLD} SELECT * FROM {HISTORY}")
        cursor.execute(f"DROP TABLE {HISTORY} CASCADE")
        cursor.execute(f"ALTER TABLE {OLD} RENAME TO {HISTORY}")
        cursor.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {HISTORY}.id")
        _recreate(cursor, constraints, indexes, primary_key="PRIMARY KEY (id)")


class Migration(migrations.Migration):

    dependencies = [
        ('segmentation', '0010_churn_model'),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
