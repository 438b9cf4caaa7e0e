"""Write a validated stage, all-or-nothing, in the caller's transaction.

PostgreSQL: new customers and transactions are ``COPY``-ed straight into their
table; every other stage row is ``COPY``-ed into a temporary table shaped like
the target, then written set-based: ``INSERT … ON CONFLICT (source,
external_id) DO UPDATE`` for records matched by external ID, ``UPDATE … FROM``
by id for records matched by their natural key (engine.UPDATED_BY_ID), ``INSERT
… SELECT`` for new contacts, interactions and transaction lines. SQLite and others:
``bulk_create`` / ``bulk_update`` in batches. A stage made by an earlier dry
run is checked against what changed since: if a record it meant to create now
exists (or one it meant to update is gone) nothing is written."""
from __future__ import annotations

import csv
import io

import pandas as pd
from django.db import IntegrityError, connection, models, transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from crm.importing import announce, engine
from crm.importing.specs import ENTITY_MODELS
from crm.models import FollowUp, Interaction

BATCH = 2_000


class StaleStage(Exception):
    """The database changed between the dry run and the commit."""


def _column_fields(model) -> dict[str, models.Field]:
    return {f.attname: f for f in model._meta.concrete_fields}


def copy_frame(cursor, table: str, frame: pd.DataFrame, model) -> None:
    """COPY database text (None = NULL) into ``table``; unquoted empty is NULL in
    CSV, so NOT NULL text columns are read with FORCE_NOT_NULL."""
    fields = _column_fields(model)
    cols = list(frame.columns)
    not_null = [c for c in cols if c in fields and not fields[c].null
                and isinstance(fields[c], (models.CharField, models.TextField))]
    text = io.StringIO()
    columns = [[("" if v is None or v != v else v) for v in frame[c].to_numpy(dtype=object)] for c in cols]
    csv.writer(text, lineterminator="\n").writerows(zip(*columns))
    buf = io.BytesIO(text.getvalue().encode("utf-8"))
    del text, columns
    options = "FORMAT csv" + (f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else "")
    cursor.copy_expert(f"COPY {table} ({', '.join(cols)}) FROM STDIN WITH ({options})", buf,
                       max(8192, buf.getbuffer().nbytes))


def _write_postgresql(stage: engine.Stage, progress) -> list[dict]:
    model = ENTITY_MODELS[stage.entity]
    table = model._meta.db_table
    cols = stage.columns
    insert_cols = ", ".join(c for c in cols if c != "id")
    new_interactions: list[dict] = []
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE import_stage ON COMMIT DROP AS SELECT {', '.join(cols)} FROM {table} "
                    f"WITH NO DATA")
        done = copied = 0
        direct = stage.entity in engine.UPSERT_ENTITIES
        for frame in stage.frames:
            if direct:
                # New customers and transactions go straight into the table (one COPY, no staging
                # copy to write and read again); a unique violation means one appeared since the
                # dry run. Only updates are staged.
                new = frame["id"].isna().to_numpy()
                creates = frame.loc[new, cols[1:]]
                if "customer_id" in creates:
                    creates = creates.sort_values("customer_id", kind="stable")  # index locality
                try:
                    with transaction.atomic():
                        copy_frame(cur, table, creates, model)
                except (IntegrityError, connection.Database.IntegrityError):  # copy_expert is not wrapped
                    raise StaleStage from None
                copied += len(creates)
                frame = frame[~new]
            if len(frame):
                copy_frame(cur, "import_stage", frame[cols], model)
            done += len(new) if direct else len(frame)
            if progress is not None:
                progress(done)
        order = " ORDER BY customer_id" if "customer_id" in cols else ""
        by_id = 0
        if stage.entity == "contacts":
            # One primary contact per customer: the stored ones step down before the file's are written.
            cur.execute(f"UPDATE {table} SET is_primary = false WHERE is_primary AND customer_id IN "
                        f"(SELECT customer_id FROM import_stage WHERE is_primary) "
                        f"AND id NOT IN (SELECT id FROM import_stage WHERE is_primary AND id IS NOT NULL)")
        if stage.entity in engine.UPDATED_BY_ID and stage.update_columns:
            # Stored records matched by their natural key (no external ID): updated by id.
            sets = ", ".join(f"{c} = s.{c}" for c in stage.update_columns)
            no_ext = " AND s.external_id = ''" if "external_id" in cols else ""
            cur.execute(f"UPDATE {table} t SET {sets} FROM import_stage s WHERE s.id IS NOT NULL AND t.id = s.id"
                        f"{no_ext}")
            by_id = cur.rowcount
        if stage.entity in engine.UPSERT_ENTITIES:
            # New rows: a plain INSERT … SELECT (a unique violation means one appeared since the
            # dry run); stored rows: the upsert on (source, external_id), which must update them all.
            if copied != stage.created:
                raise StaleStage
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in stage.update_columns)
            cur.execute(
                f"WITH w AS (INSERT INTO {table} ({insert_cols}) SELECT {insert_cols} FROM import_stage "
                f"WHERE id IS NOT NULL AND external_id <> '' ON CONFLICT (source, external_id) "
                f"WHERE external_id <> '' DO UPDATE SET {sets} RETURNING (xmax = 0) AS inserted) "
                f"SELECT count(*) FILTER (WHERE inserted), count(*) FROM w")
            inserted, total = cur.fetchone()
            if inserted or total + by_id != stage.updated:
                raise StaleStage
        elif stage.entity == "contacts":
            cur.execute(f"INSERT INTO {table} ({insert_cols}) SELECT {insert_cols} FROM import_stage "
                        f"WHERE id IS NULL{order}")
        elif stage.entity == "transaction_lines":
            try:  # a line of the same (transaction, product) added since the dry run
                with transaction.atomic():
                    cur.execute(f"INSERT INTO {table} ({insert_cols}) SELECT {insert_cols} FROM import_stage "
                                f"WHERE id IS NULL ORDER BY transaction_id")
            except IntegrityError:
                raise StaleStage from None
        else:
            cur.execute(f"INSERT INTO {table} ({insert_cols}) SELECT {insert_cols} FROM import_stage "
                        f"WHERE id IS NULL{order} "
                        f"RETURNING id, customer_id, staff_id, occurred_at, next_action, next_action_due")
            keys = ("id", "customer_id", "staff_id", "occurred_at", "next_action", "next_action_due")
            new_interactions = [dict(zip(keys, row)) for row in cur.fetchall()]
        if stage.entity not in engine.UPSERT_ENTITIES and by_id != stage.updated:
            raise StaleStage  # a record the preview meant to update was deleted since
        cur.execute("DROP TABLE import_stage")
    return new_interactions


def _python_values(model, frame: pd.DataFrame) -> list[dict]:
    fields = _column_fields(model)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for rec in records:
        for col, value in rec.items():
            if value is not None and col in fields:
                rec[col] = fields[col].to_python(value) if col != "id" else int(value)
    return records


def _write_orm(stage: engine.Stage, progress) -> list[dict]:
    model = ENTITY_MODELS[stage.entity]
    done = 0
    new_interactions: list[dict] = []
    for frame in stage.frames:
        records = _python_values(model, frame)
        creates = [model(**{k: v for k, v in r.items() if k != "id"}) for r in records if r["id"] is None]
        updates = [model(**r) for r in records if r["id"] is not None]
        if stage.entity == "contacts":
            primary = {o.customer_id for o in creates + updates if o.is_primary}
            if primary:
                model.objects.filter(is_primary=True, customer_id__in=list(primary)).exclude(
                    pk__in=[o.pk for o in updates if o.is_primary]).update(is_primary=False)
        try:
            with transaction.atomic():
                created = model.objects.bulk_create(creates, batch_size=BATCH)
        except IntegrityError:
            raise StaleStage from None
        if updates:
            ids = [o.pk for o in updates]
            if model.objects.filter(pk__in=ids).count() != len(set(ids)):
                raise StaleStage
            model.objects.bulk_update(updates, stage.update_columns, batch_size=BATCH)
        if stage.entity == "interactions":
            new_interactions += [{k: getattr(o, k) for k in ("id", "customer_id", "staff_id", "occurred_at",
                                                              "next_action", "next_action_due")} for o in created]
        done += len(frame)
        if progress is not None:
            progress(done)
    return new_interactions


def _interaction_effects(new: list[dict]) -> None:
    """What crm.services.interaction_log does, set-based: the latest imported
    interaction of a customer closes what was pending before it, and each next
    action with a due date opens a follow-up."""
    from core.clock import day_deadline

    if not new:
        return
    ids = engine.values_in([int(r["id"]) for r in new])
    latest = Interaction.objects.filter(pk__in=ids, customer_id=OuterRef("customer_id")).order_by("-occurred_at",
                                                                                                   "-id")
    customers = engine.values_in(sorted({int(r["customer_id"]) for r in new}))
    pending = FollowUp.objects.filter(done_at__isnull=True, customer_id__in=customers,
                                      created_at__lte=Subquery(latest.values("occurred_at")[:1]))
    pending.update(done_at=Subquery(latest.values("occurred_at")[:1]), done_by_id=Subquery(latest.values("id")[:1]))
    FollowUp.objects.bulk_create([
        FollowUp(customer_id=r["customer_id"], owner_id=r["staff_id"], source=FollowUp.Source.NEXT_ACTION,
                 reason=r["next_action"][:300], due_at=day_deadline(r["next_action_due"]), created_at=r["occurred_at"],
                 origin=f"crm.interaction:{r['id']}")
        for r in new if r["next_action"] and r["next_action_due"]], batch_size=BATCH)


def write_stage(*, stage: engine.Stage, progress=None) -> None:
    """All rows of ``stage`` or none. Raises StaleStage (nothing written) when
    the database no longer matches the stage."""
    with transaction.atomic():
        writer = _write_postgresql if connection.vendor == "postgresql" else _write_orm
        new = writer(stage, progress)
        if stage.entity == "interactions":
            _interaction_effects(new)
        announce.stage_written_announce(stage=stage)  # indexes and webhooks follow (crm.bulk)


def stale_message() -> str:
    return _("The data changed since the preview (a record was created or deleted meanwhile). Nothing was "
             "imported: run the preview again.")
