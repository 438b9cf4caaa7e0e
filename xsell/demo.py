"""Demo hook (crm's generate_demo_data, after the other apps): the module catalogue,
a product line on every demo purchase with a co-purchase structure a real customer
base has (the core module first, marketing automation mostly on top of it, analytics
mostly on top of marketing, the supply-chain and finance modules together...), then
tonight's mining, so potential and high-value customers show what to offer next.

Set-based: the purchases are read as one frame, each customer's modules drawn with
numpy from ``seed``, and the lines written with COPY (PostgreSQL) or bulk_create in
ranges of RANGE_ROWS."""
from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

# code, name, product line, P(owned | none of the parents), parent index, P(owned | parent owned)
CATALOGUE = [
    ("CRM-A", "A模块 · 客户管理", "核心平台", 0.92, None, None),
    ("MKT-B", "B模块 · 营销自动化", "营销", 0.08, 0, 0.55),
    ("BI-C", "C模块 · 数据分析", "数据", 0.05, 1, 0.60),
    ("SVC-D", "D模块 · 客服工单", "服务", 0.25, None, None),
    ("MOB-E", "E模块 · 移动办公", "协同", 0.10, 3, 0.55),
    ("SCM-F", "F模块 · 供应链协同", "供应链", 0.18, None, None),
    ("FIN-G", "G模块 · 财务对接", "财务", 0.04, 5, 0.65),
    ("TRN-T", "实施与培训服务", "服务", 0.20, None, None),
]
RANGE_ROWS = 500_000


def products_ensure() -> list:
    from crm.models import Product

    out = []
    for code, name, line, *_rest in CATALOGUE:
        product, _created = Product.objects.get_or_create(code=code, defaults={"name": name, "line": line})
        out.append(product)
    return out


def owned_modules(rng: np.random.Generator, customers: int) -> np.ndarray:
    """(customers × modules) booleans: each module owned with its own probability, or
    its parent's conditional one when the parent is owned (which makes the pairs)."""
    owned = np.zeros((customers, len(CATALOGUE)), dtype=bool)
    for j, (_code, _name, _line, base, parent, given) in enumerate(CATALOGUE):
        p = np.full(customers, base)
        if parent is not None:
            p = np.where(owned[:, parent], given, base)
        owned[:, j] = rng.random(customers) < p
    owned[~owned.any(axis=1), 0] = True  # everyone bought something: the core module
    return owned


def lines_plan(purchases: pd.DataFrame, *, product_ids: list[int], seed: int) -> pd.DataFrame:
    """One line per purchase (the whole amount): a customer's k-th purchase buys their
    k-th module, later ones renew a module they have. ``purchases``: id, customer_id,
    amount, ordered by customer and date."""
    customer_codes, customers = pd.factorize(purchases["customer_id"])
    rng = np.random.default_rng([seed, 5])
    owned = owned_modules(rng, len(customers))
    order = np.argsort(~owned, axis=1, kind="stable")  # each customer's modules first, in catalogue order
    count = owned.sum(axis=1)
    rank = purchases.groupby(customer_codes).cumcount().to_numpy()
    n = count[customer_codes]
    pick = np.where(rank < n, rank, rng.integers(0, np.maximum(n, 1)))
    module = order[customer_codes, pick]
    return pd.DataFrame({"transaction_id": purchases["id"].to_numpy(), "product_id": np.asarray(product_ids)[module],
                         "quantity": 1, "amount": purchases["amount"].to_numpy()})


def _write(frame: pd.DataFrame) -> None:
    from crm.models import TransactionLine

    if connection.vendor == "postgresql":
        buf = io.BytesIO()
        frame.to_csv(buf, header=False, index=False)
        buf.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {TransactionLine._meta.db_table} (transaction_id, product_id, quantity, amount) "
                               "FROM STDIN WITH (FORMAT csv)", buf)
        return
    TransactionLine.objects.bulk_create([TransactionLine(**row) for row in frame.to_dict("records")],
                                        batch_size=2_000)


def demo_generate(*, seed: int, now: datetime, bulk: bool = False) -> str:
    from crm.models import Transaction
    from xsell import services

    products = products_ensure()
    ids = [p.pk for p in products]
    purchases = (Transaction.objects.filter(customer__source="demo", kind=Transaction.Kind.PURCHASE,
                                            lines__isnull=True)
                 .order_by("customer_id", "occurred_on", "id").values_list("id", "customer_id", "amount"))
    written = 0
    with transaction.atomic():
        frame = pd.DataFrame(list(purchases), columns=["id", "customer_id", "amount"])
        # One plan over every customer (a customer's modules do not depend on how the reads are cut).
        plan = lines_plan(frame, product_ids=ids, seed=seed)
        for start in range(0, len(plan), RANGE_ROWS):
            _write(plan.iloc[start:start + RANGE_ROWS])
        written = len(plan)
    if written:
        from core.db import tables_vacuum_analyze
        from crm.models import TransactionLine

        # 9.5 million lines with no statistics made a customer's line prefetch a 2.6 s scan at 1M.
        tables_vacuum_analyze(TransactionLine)
    job = services.affinities_mine(as_of=timezone.localdate(now), now=now)
    return (f"xsell: {len(products)} products, {written} transaction lines, "
            f"{job.summary.get('pairs', 0)} product pairs mined")


def demo_reset() -> None:
    from xsell.models import ProductAffinity

    ProductAffinity.objects.all().delete()
