"""Demo data for the CRM: users, teams, customers, contacts, transactions,
interactions and follow-ups, generated deterministically from a seed.

The plan for each chunk of customers is a set of pandas DataFrames whose
columns are the database columns, built with numpy from ``rng(seed, chunk)``,
so the same seed, size and ``as_of`` give the same data on every backend
(only the AES-GCM nonces of the encrypted fields differ). Two writers load a
plan: PostgreSQL gets ``COPY`` (ids reserved from the tables' sequences, so
children can point at parents without reading anything back), other databases
get ``bulk_create``. Personal fields are sealed with ``core.crypto.encrypt``
once per value; EncryptedTextField passes ``v1:`` values through unchanged.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from core.db import tables_vacuum_analyze
from core.roles import Role
from crm import activity, services
from crm.bulk import bulk_written_emit
from crm.demo.plan import DEMO_SOURCE, Plan, chunk_plan
from crm.demo.writers import write_orm, write_postgresql
from crm.models import ActivityDirty, ActivitySpell, Contact, Customer, FollowUp, Interaction, Transaction, User

__all__ = ["CHUNK_SIZE", "DEMO_PASSWORD", "DEMO_SOURCE", "DEMO_USERS", "LoadResult", "as_of_now", "chunk_plan",
           "demo_delete", "demo_exists", "demo_load", "demo_users_ensure"]

DEMO_PASSWORD = "demo-pass-2026"
TEAM_EAST, TEAM_SOUTH = "华东", "华南"
CHUNK_SIZE = 50_000
TRUNCATE_ABOVE = 20_000
# username, role, team, display name, what the login is for
DEMO_USERS = [
    ("admin", Role.ADMIN, None, "管理员", "admin: all teams, Django admin at /admin/"),
    ("lead", Role.TEAM_LEAD, TEAM_EAST, "李强", "team lead of 华东 / East"),
    ("manager", Role.ACCOUNT_MANAGER, TEAM_EAST, "王芳", "account manager in 华东 / East"),
    ("manager2", Role.ACCOUNT_MANAGER, TEAM_SOUTH, "陈伟", "account manager in 华南 / South"),
    ("support", Role.SUPPORT, None, "赵敏", "support: every customer, personal fields masked"),
]


@dataclass
class LoadResult:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("customers", "contacts", "transactions", "interactions", "followups"), 0))
    seconds: float = 0.0



def demo_users_ensure(*, password: str = DEMO_PASSWORD) -> dict[str, User]:
    """Create or update the demo logins and their teams (idempotent)."""
    users = {}
    for username, role, team_name, display, _about in DEMO_USERS:
        team = services.team_get_or_create(name=team_name) if team_name else None
        data = {"role": role, "team": team, "first_name": display, "email": f"{username}@demo.example.com"}
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.user_create(username=username, password=password, **data)
        else:
            user = services.user_update(user=user, data={**data, "password": password})
        users[username] = user
    return users


def demo_exists() -> bool:
    return Customer.objects.filter(source=DEMO_SOURCE).exists()


def demo_delete() -> int:
    """Delete the demo customers and everything that cascades from them.

    Above TRUNCATE_ABOVE demo customers on PostgreSQL, when every customer is a
    demo customer, the customer tables and every table referencing them are
    truncated instead (the ORM's cascade over a million customers would take
    hours); rows of those tables with no customer at all go too."""
    count = Customer.objects.filter(source=DEMO_SOURCE).count()
    if (connection.vendor == "postgresql" and count > TRUNCATE_ABOVE
            and not Customer.objects.exclude(source=DEMO_SOURCE).exists()):
        tables = ", ".join(m._meta.db_table for m in (Customer, Contact, Transaction, Interaction, FollowUp))
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                # Deferred FK checks queued earlier in this transaction block TRUNCATE.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} CASCADE")
        return count
    ids = list(Customer.objects.filter(source=DEMO_SOURCE).values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        Customer.objects.filter(pk__in=ids[start:start + 2000]).delete()
    return count


def _close_connection() -> None:
    connection.close()


def _write_atomic(writer, plan: Plan) -> None:
    with transaction.atomic():
        writer(plan)


def demo_load(*, customers: int, seed: int, now: datetime, transactions_per_customer: float = 10,
              users: dict[str, User], progress=None) -> LoadResult:
    """Generate and write ``customers`` customers in chunks of CHUNK_SIZE, each
    chunk in its own transaction. Precondition: no demo customers exist."""
    began = time.monotonic()
    as_of = timezone.localdate(now)
    utc_offset_min = int(timezone.localtime(now).utcoffset().total_seconds() // 60)
    east = (users["manager"].pk, users["manager"].team_id)
    south = (users["manager2"].pk, users["manager2"].team_id)
    writer = write_postgresql if connection.vendor == "postgresql" else write_orm
    # PostgreSQL ingests one chunk (on a second connection, in a thread) while
    # the next is generated. Only outside a transaction: a second connection
    # would not see rows the caller has not committed (e.g. inside a test).
    pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block and customers > CHUNK_SIZE
    executor = ThreadPoolExecutor(max_workers=1) if pipelined else None
    result, pending = LoadResult(), None
    try:
        for chunk_no, start in enumerate(range(0, customers, CHUNK_SIZE)):
            size = min(CHUNK_SIZE, customers - start)
            plan = chunk_plan(seed=seed, chunk_no=chunk_no, size=size, as_of=as_of, tpc=transactions_per_customer,
                              east=east, south=south, support_id=users["support"].pk,
                              utc_offset_min=utc_offset_min)
            if pending is not None:
                pending.result()
            for key in result.counts:
                result.counts[key] += len(getattr(plan, key))
            if executor is None:
                _write_atomic(writer, plan)
            else:
                pending = executor.submit(_write_atomic, writer, plan)
            if progress and executor is None:
                progress(start + size, time.monotonic() - began)
            elif progress and chunk_no:
                progress(start, time.monotonic() - began)
        if pending is not None:
            pending.result()
    finally:
        if executor is not None:
            executor.submit(_close_connection).result()  # the thread's own connection
            executor.shutdown()
    if customers:
        demo_written_announce(now=now)
        activity.refresh()  # every customer's activity spells now, not in the first metric read
        # Statistics and the visibility map at once: the scope and follow-up reads of the covering
        # indexes (crm 0008) and the spells' index-only scans would otherwise visit the heap, so a
        # fresh load would measure a state production does not stay in.
        tables_vacuum_analyze(Customer, Contact, Transaction, Interaction, FollowUp, ActivitySpell, ActivityDirty)
    result.seconds = time.monotonic() - began
    return result


def demo_written_announce(*, now: datetime) -> None:
    """The demo rows were written around the services: announce them once (crm.bulk),
    so the phone and sender indexes hold them at once (and webhooks hear of them)."""
    with transaction.atomic():
        bulk_written_emit(entity="customers", now=now,
                          created=Customer.objects.filter(source=DEMO_SOURCE).values_list("pk", flat=True))
        bulk_written_emit(entity="contacts", now=now, created=Contact.objects.filter(
            customer__source=DEMO_SOURCE).values_list("pk", flat=True))


def as_of_now(as_of: date | None) -> datetime:
    """The ``now`` of a run: the given day at 18:00 local time, else the clock."""
    if as_of is None:
        return timezone.now()
    return timezone.make_aware(datetime.combine(as_of, datetime.min.time()) + timedelta(hours=18))


def demo_customer_since() -> dict[int, date]:
    """Customer id → customer-since day of every demo customer (one query): the app
    hooks date every record of a customer on or after it."""
    return dict(Customer.objects.filter(source=DEMO_SOURCE).with_customer_since()
                .values_list("pk", "customer_since"))


def not_before_since(at: datetime, since: date, *, now: datetime) -> datetime:
    """``at`` if it is on or after the customer-since day, else the same time of day
    on that day (never later than ``now``)."""
    local = timezone.localtime(at)
    if local.date() >= since:
        return at
    moved = timezone.make_aware(datetime.combine(since, local.time().replace(tzinfo=None)))
    return min(moved, now - timedelta(minutes=1))
