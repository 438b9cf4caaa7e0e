"""``manage.py generate_demo_data --customers N --seed S [--transactions-per-customer 10]
[--as-of YYYY-MM-DD] [--reset | --if-empty]``

Loads deterministic Chinese demo data (crm.demo): teams 华东 and 华南, the demo
logins (password ``demo-pass-2026``), customers split over the two account
managers, and for each customer contacts, about ten transactions over the last
two years, follow-up records and the follow-ups their next actions opened. The
same seed, size and --as-of give the same data. On PostgreSQL it loads with
COPY (a million customers in minutes); elsewhere with bulk_create.

It refuses to run when demo customers exist unless --reset is given, which
deletes them first (on PostgreSQL, above 20,000 demo customers and when every
customer is demo data, by truncating the customer tables and every table that
references them). --if-empty does nothing when any customer exists.

Demo hooks of the other apps
----------------------------
After the CRM data, for app in ("tickets", "surveys", "segmentation",
"reviews", "care", "xsell"), in that order: if the module ``<app>.demo`` exists and has

    def demo_generate(*, seed: int, now: datetime, bulk: bool = False) -> str

it is called as ``demo_generate(seed=seed, now=now)`` and the one-line summary
it returns is printed. ``now`` is timezone-aware (the --as-of day at 18:00
local time, else the clock); the hook derives every date from it and every
random choice from ``seed``. With more than 20,000 customers, ``bulk=True`` is
passed too, but only to a function whose signature accepts ``bulk`` (or
``**kwargs``): it should then write with bulk_create/COPY rather than one
service call per row. The demo users and customers already exist when a hook
runs (find them by username and ``Customer.source == "demo"``). A module may
also define ``demo_reset()``: --reset calls it before the CRM demo data is
deleted, so the app can remove demo rows that do not cascade from customers,
and ``demo_finish(*, now)``: called after every hook ran, for what depends on
a later app's data (survey snapshots keep the tier, known after segmentation).
A missing module or function is skipped.
"""
from __future__ import annotations

import importlib
import inspect
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from crm import demo
from crm.models import Customer

HOOK_APPS = ("tickets", "surveys", "segmentation", "reviews", "care", "xsell")
BULK_THRESHOLD = 20_000


def _hook_module(app: str):
    try:
        return importlib.import_module(f"{app}.demo")
    except ModuleNotFoundError as exc:
        if exc.name in (app, f"{app}.demo"):
            return None
        raise


def _accepts_bulk(fn) -> bool:
    params = inspect.signature(fn).parameters.values()
    return any(p.name == "bulk" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


class Command(BaseCommand):
    help = "Load deterministic demo data (see the module docstring for the app hook contract)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=500)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--transactions-per-customer", type=float, default=10)
        parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                            help="Day the data ends (YYYY-MM-DD); default today.")
        parser.add_argument("--reset", action="store_true", help="Delete existing demo data first.")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already has customers (used by bin/dev).")

    def handle(self, *args, customers: int, seed: int, transactions_per_customer: float, as_of: date | None,
               reset: bool, if_empty: bool, **options):
        if if_empty and Customer.objects.exists():
            self.stdout.write("The database already has customers: no demo data loaded.")
            return
        if customers < 0:
            raise CommandError("--customers must be 0 or more.")
        if transactions_per_customer < 1:
            raise CommandError("--transactions-per-customer must be at least 1.")
        now = demo.as_of_now(as_of)
        hooks = [(app, _hook_module(app)) for app in HOOK_APPS]
        if reset:
            for app, module in hooks:
                if module is not None and hasattr(module, "demo_reset"):
                    module.demo_reset()
            deleted = demo.demo_delete()
            self.stdout.write(f"Deleted {deleted} demo customers and their data.")
        elif demo.demo_exists():
            raise CommandError(
                f"Demo data already exists ({Customer.objects.filter(source=demo.DEMO_SOURCE).count()} demo "
                "customers). Run again with --reset to delete it and load fresh demo data."
            )
        users = demo.demo_users_ensure()

        def progress(done: int, seconds: float) -> None:
            if options["verbosity"] >= 1 and customers > demo.CHUNK_SIZE:
                self.stdout.write(f"  {done:,} / {customers:,} customers ({seconds:.0f}s)")

        result = demo.demo_load(customers=customers, seed=seed, now=now,
                                transactions_per_customer=transactions_per_customer, users=users,
                                progress=progress)
        self.stdout.write("CRM: " + ", ".join(f"{v:,} {k}" for k, v in result.counts.items())
                          + f" in {result.seconds:.1f}s (as of {now:%Y-%m-%d}).")
        for app, module in hooks:
            fn = getattr(module, "demo_generate", None) if module is not None else None
            if fn is None:
                continue
            kwargs = {"seed": seed, "now": now}
            if customers > BULK_THRESHOLD and _accepts_bulk(fn):
                kwargs["bulk"] = True
            summary = str(fn(**kwargs))
            self.stdout.write(summary if summary.startswith(f"{app}:") else f"{app}: {summary}")
        for _app, module in hooks:
            if module is not None and hasattr(module, "demo_finish"):
                module.demo_finish(now=now)
        if if_empty:
            return  # bin/dev (the --if-empty caller) prints the logins itself at every start
        self.stdout.write(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, _role, _team, _name, about in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<9} {about}")
