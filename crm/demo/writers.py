"""Writers of a chunk plan: COPY on PostgreSQL, bulk_create elsewhere. Personal
fields arrive sealed (``v1:``), which EncryptedTextField passes through."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
from django.db import connection, models

from crm.demo.plan import Plan
from crm.models import Contact, Customer, FollowUp, Interaction, Transaction


def _columns(model) -> dict[str, models.Field]:
    return {f.column: f for f in model._meta.concrete_fields}


def _copy(cursor, model, df: pd.DataFrame) -> None:
    """COPY a DataFrame whose columns are ``model``'s. Unquoted empty means NULL
    in CSV, so NOT NULL text columns are read with FORCE_NOT_NULL."""
    fields = _columns(model)
    cols = [c for c in df.columns if c in fields]
    not_null = [c for c in cols if not fields[c].null and isinstance(fields[c], (models.CharField, models.TextField))]
    buf = io.BytesIO()
    df[cols].to_csv(buf, header=False, index=False, encoding="utf-8")
    buf.seek(0)
    options = "FORMAT csv" + (f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else "")
    # One read of the whole buffer: psycopg2 releases the GIL while it sends,
    # but takes it back for every read, which would stall against the generator.
    cursor.copy_expert(f"COPY {model._meta.db_table} ({', '.join(cols)}) FROM STDIN WITH ({options})", buf,
                       max(8192, buf.getbuffer().nbytes))


def _reserve_ids(cursor, model, count: int) -> np.ndarray:
    if not count:
        return np.zeros(0, dtype=np.int64)
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{model._meta.db_table}', 'id')) "
                   f"FROM generate_series(1, {int(count)})")
    return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64, count=count)


def _resolve(plan: Plan, customer_ids: np.ndarray, interaction_ids: np.ndarray) -> None:
    for df in (plan.contacts, plan.transactions, plan.interactions):
        df["customer_id"] = customer_ids[df["_c"].to_numpy()]
    fu = plan.followups
    fu["customer_id"] = customer_ids[fu["_c"].to_numpy()]
    fu["origin"] = "crm.interaction:" + pd.Series(interaction_ids[fu["_i"].to_numpy()]).astype(str)
    done = fu["_done"].to_numpy()
    fu["done_by_id"] = pd.array(np.where(done >= 0, interaction_ids[np.maximum(done, 0)], 0), dtype="Int64")
    fu.loc[done < 0, "done_by_id"] = pd.NA



def write_postgresql(plan: Plan) -> None:
    with connection.cursor() as cursor:
        customer_ids = _reserve_ids(cursor, Customer, len(plan.customers))
        interaction_ids = _reserve_ids(cursor, Interaction, len(plan.interactions))
        plan.customers["id"] = customer_ids
        plan.interactions["id"] = interaction_ids
        _resolve(plan, customer_ids, interaction_ids)
        _copy(cursor, Customer, plan.customers)
        _copy(cursor, Contact, plan.contacts)
        _copy(cursor, Transaction, plan.transactions)
        _copy(cursor, Interaction, plan.interactions)
        _copy(cursor, FollowUp, plan.followups)


def _objects(model, df: pd.DataFrame) -> list:
    cols = [c for c in df.columns if c in _columns(model)]
    records = df[cols].astype(object).where(df[cols].notna(), None).to_dict("records")
    return [model(**row) for row in records]



def write_orm(plan: Plan) -> None:
    customers = Customer.objects.bulk_create(_objects(Customer, plan.customers), batch_size=1000)
    customer_ids = np.array([c.pk for c in customers], dtype=np.int64)
    _resolve(plan, customer_ids, np.zeros(len(plan.interactions), dtype=np.int64))
    interactions = Interaction.objects.bulk_create(_objects(Interaction, plan.interactions), batch_size=1000)
    _resolve(plan, customer_ids, np.array([i.pk for i in interactions], dtype=np.int64))
    Contact.objects.bulk_create(_objects(Contact, plan.contacts), batch_size=1000)
    Transaction.objects.bulk_create(_objects(Transaction, plan.transactions), batch_size=1000)
    FollowUp.objects.bulk_create(_objects(FollowUp, plan.followups), batch_size=1000)

