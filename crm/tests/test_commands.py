"""Management commands: create_user and generate_demo_data."""
from __future__ import annotations

import datetime as dt
import re
import sys
import types
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F, Max, Q, Sum

from core.roles import Role
from crm import demo
from crm.management.commands import generate_demo_data as command
from crm.models import Contact, Customer, FollowUp, Interaction, Team, Transaction, User

pytestmark = pytest.mark.django_db
AS_OF = "2026-06-15"


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def no_app_hooks(monkeypatch):
    """The CRM part on its own; the app hooks have their own test below."""
    monkeypatch.setattr(command, "HOOK_APPS", ())


def load(n: int = 40, seed: int = 7, **extra) -> str:
    return run("generate_demo_data", customers=n, seed=seed, as_of=dt.date.fromisoformat(AS_OF), **extra)


# ---------------------------------------------------------------- create_user

def test_create_user_creates_the_team_and_the_user_with_its_role():
    run("create_user", "zoe", role="team_lead", team="West", password="pw-zoe-123", email="zoe@example.com")
    zoe = User.objects.get(username="zoe")
    assert zoe.role == Role.TEAM_LEAD
    assert zoe.team.name == "West"
    assert zoe.email == "zoe@example.com"
    assert authenticate(username="zoe", password="pw-zoe-123") == zoe


def test_create_user_is_idempotent_and_updates_role_team_and_password():
    run("create_user", "zoe", role="account_manager", team="West", password="first-pw-1")
    run("create_user", "zoe", role="admin", team="East", password="second-pw-2")
    run("create_user", "zoe", role="admin", team="East", password="second-pw-2")
    assert User.objects.filter(username="zoe").count() == 1
    zoe = User.objects.get(username="zoe")
    assert (zoe.role, zoe.team.name, zoe.is_superuser) == (Role.ADMIN, "East", True)
    assert zoe.check_password("second-pw-2")
    assert sorted(Team.objects.values_list("name", flat=True)) == ["East", "West"]


def test_create_user_rejects_an_unknown_role_with_the_valid_ones_listed():
    with pytest.raises(CommandError, match="Unknown role 'boss'.*account_manager.*support.*team_lead.*admin"):
        run("create_user", "zoe", role="boss", team="West", password="pw-zoe-123")
    assert not User.objects.filter(username="zoe").exists()
    assert not Team.objects.exists()


# ---------------------------------------------------------------- generate_demo_data

def _fingerprint():
    return (
        sorted(Customer.objects.values_list("name", "region", "kind", "first_deal_date")),
        Transaction.objects.aggregate(total=Sum("amount"))["total"],
        sorted(Transaction.objects.values_list("occurred_on", "amount", "due_on", "paid_on")),
        sorted(Interaction.objects.values_list("occurred_at", "summary", "next_action")),
        Contact.objects.count(), FollowUp.objects.count(),
        sorted(Customer.objects.values_list("name", "phone", "id_number")),
    )


def test_demo_data_is_the_same_for_the_same_seed(no_app_hooks):
    load(seed=7)
    first = _fingerprint()
    load(seed=7, reset=True)
    assert _fingerprint() == first
    load(seed=8, reset=True)
    assert _fingerprint()[0] != first[0]


def test_demo_personal_fields_are_encrypted_at_rest(no_app_hooks):
    load()
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, email, id_number, address FROM crm_customer")
        customer_rows = cursor.fetchall()
        cursor.execute("SELECT phone, email FROM crm_contact")
        contact_rows = cursor.fetchall()
    assert customer_rows and contact_rows
    for value in [v for row in customer_rows + contact_rows for v in row]:
        assert value.startswith("v1:"), value
    person = Customer.objects.filter(kind="person").first()
    assert re.fullmatch(r"1[3-9]\d{9}", person.phone)
    assert re.fullmatch(r"\d{17}[\dX]", person.id_number)
    assert person.id_number[6:14] == person.birthday.strftime("%Y%m%d")


def test_demo_creates_the_five_logins_with_the_documented_password(no_app_hooks):
    out = load()
    expected = {"admin": (Role.ADMIN, None), "lead": (Role.TEAM_LEAD, "华东"),
                "manager": (Role.ACCOUNT_MANAGER, "华东"), "manager2": (Role.ACCOUNT_MANAGER, "华南"),
                "support": (Role.SUPPORT, None)}
    for username, (role, team) in expected.items():
        user = authenticate(username=username, password="demo-pass-2026")
        assert user is not None, username
        assert (user.role, user.team.name if user.team else None) == (role, team)
        assert username in out
    assert "demo-pass-2026" in out


def test_demo_customers_are_spread_over_both_managers_and_teams(no_app_hooks):
    load(n=60)
    manager, manager2 = User.objects.get(username="manager"), User.objects.get(username="manager2")
    assert Customer.objects.filter(owner=manager, team__name="华东").count() > 10
    assert Customer.objects.filter(owner=manager2, team__name="华南").count() > 10
    assert Customer.objects.filter(Q(owner__isnull=True) | Q(team__isnull=True)).count() == 0
    assert set(Customer.objects.values_list("region", flat=True)) == {"华东", "华北", "华南", "西南"}


def test_demo_activity_varies_so_that_tiers_differ(no_app_hooks):
    load(n=80)
    as_of = dt.date.fromisoformat(AS_OF)
    cutoff = as_of - dt.timedelta(days=90)
    last = Customer.objects.annotate(t=Max("transactions__occurred_on"), i=Max("interactions__occurred_at"))
    silent = [c for c in last if c.t < cutoff and c.i.date() < cutoff]
    new = Customer.objects.filter(created_at__date__gt=cutoff)
    assert silent and new.exists()
    assert Interaction.objects.filter(is_objection=True, objection_resolved_at__isnull=True).exists()
    purchases = Transaction.objects.filter(kind="purchase")
    assert purchases.filter(paid_on__isnull=True, due_on__lt=as_of).exists()  # unpaid
    assert purchases.filter(paid_on__gt=F("due_on")).exists()  # late
    assert purchases.filter(paid_on__lte=F("due_on")).count() > purchases.count() / 2  # mostly on time
    assert Transaction.objects.filter(kind="refund").exists()
    assert Transaction.objects.filter(occurred_on__lt=as_of - dt.timedelta(days=365)).exists()
    assert not Transaction.objects.filter(occurred_on__gt=as_of).exists()
    assert 8 <= Transaction.objects.count() / Customer.objects.count() <= 12


def test_demo_next_actions_open_follow_ups_and_later_interactions_close_them(no_app_hooks):
    load(n=60)
    for followup in FollowUp.objects.all():
        interaction = Interaction.objects.get(pk=int(followup.origin.split(":")[1]))
        assert (followup.customer_id, followup.reason) == (interaction.customer_id, interaction.next_action)
        later = Interaction.objects.filter(customer_id=followup.customer_id, occurred_at__gt=interaction.occurred_at)
        if later.exists():
            assert followup.done_at == later.order_by("occurred_at").first().occurred_at
        else:
            assert followup.done_at is None
    assert FollowUp.objects.filter(done_at__isnull=True).exists()
    assert FollowUp.objects.filter(done_at__isnull=False).exists()


def test_demo_refuses_to_run_twice_without_reset(no_app_hooks):
    load(n=20)
    with pytest.raises(CommandError, match="already exists.*--reset"):
        load(n=20)
    assert Customer.objects.count() == 20
    load(n=30, reset=True)
    assert Customer.objects.count() == 30
    assert User.objects.filter(username__in=[u[0] for u in demo.DEMO_USERS]).count() == 5


def test_demo_if_empty_does_nothing_when_customers_exist(no_app_hooks, alice, make_customer):
    make_customer(owner=alice, name="Alice's real customer")
    out = load(n=20, if_empty=True)
    assert "no demo data loaded" in out
    assert Customer.objects.count() == 1
    assert not User.objects.filter(username="manager").exists()


def test_demo_if_empty_loads_into_an_empty_database(no_app_hooks):
    load(n=20, if_empty=True)
    assert Customer.objects.filter(source=demo.DEMO_SOURCE).count() == 20


def test_demo_reset_keeps_customers_that_are_not_demo_data(no_app_hooks, alice, make_customer):
    mine = make_customer(owner=alice, name="Alice's real customer")
    load(n=20)
    load(n=10, reset=True)
    assert Customer.objects.filter(pk=mine.pk).exists()
    assert Customer.objects.filter(source=demo.DEMO_SOURCE).count() == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE path is PostgreSQL only")
def test_demo_reset_of_a_large_demo_truncates_on_postgresql(no_app_hooks, monkeypatch):
    monkeypatch.setattr(demo, "TRUNCATE_ABOVE", 10)
    load(n=20)
    load(n=15, seed=9, reset=True)
    assert Customer.objects.count() == 15
    assert Transaction.objects.filter(customer__source=demo.DEMO_SOURCE).count() == Transaction.objects.count()


def _fake_hook(monkeypatch, app: str, calls: list, with_bulk: bool):
    module = types.ModuleType(f"{app}.demo")
    if with_bulk:
        def demo_generate(*, seed, now, bulk=False):
            calls.append((app, seed, now, bulk, Customer.objects.count()))
            return f"{app} made 3 things"
    else:
        def demo_generate(*, seed, now):
            calls.append((app, seed, now, None, Customer.objects.count()))
            return f"{app} made 2 things"
    module.demo_generate = demo_generate
    monkeypatch.setitem(sys.modules, f"{app}.demo", module)


def test_demo_calls_each_app_hook_after_the_crm_data_and_prints_its_summary(monkeypatch):
    calls: list = []
    monkeypatch.setattr(command, "HOOK_APPS", ("tickets", "surveys", "nosuchapp"))
    monkeypatch.setattr(command, "BULK_THRESHOLD", 10)
    _fake_hook(monkeypatch, "tickets", calls, with_bulk=True)
    _fake_hook(monkeypatch, "surveys", calls, with_bulk=False)
    out = load(n=12, seed=5)
    now = demo.as_of_now(dt.date.fromisoformat(AS_OF))
    # Above the bulk threshold, bulk=True goes only to a hook that accepts it.
    assert calls == [("tickets", 5, now, True, 12), ("surveys", 5, now, None, 12)]
    assert "tickets: tickets made 3 things" in out and "surveys: surveys made 2 things" in out


def test_demo_hooks_of_the_real_apps_run_and_report():
    out = load(n=15, seed=3)
    assert "CRM: 15 customers" in out
    present = [app for app in command.HOOK_APPS if getattr(command._hook_module(app), "demo_generate", None)]
    for app in present:
        assert f"\n{app}: " in out, app


def test_every_demo_record_comes_after_its_customers_customer_since_date():
    from django.utils import timezone

    from crm.models import FollowUp, Interaction, Transaction
    from surveys.models import SurveyInvitation, SurveyResponse
    from tickets.models import Ticket

    load(n=60, seed=5)
    since = dict(Customer.objects.with_customer_since().values_list("pk", "customer_since"))
    early = []
    for model, field in ((Transaction, "occurred_on"), (Interaction, "occurred_at"), (FollowUp, "created_at"),
                         (Ticket, "created_at"), (SurveyInvitation, "created_at"), (SurveyResponse, "answered_at")):
        for customer_id, at in model.objects.values_list("customer_id", field):
            day = at if isinstance(at, dt.date) and not isinstance(at, dt.datetime) else timezone.localdate(at)
            if day < since[customer_id]:
                early.append(f"{model.__name__} {day} < {since[customer_id]}")
    assert early == [], sorted(set(e.split()[0] for e in early))


def test_demo_logins_are_printed_by_the_command_but_left_to_bin_dev_with_if_empty(no_app_hooks):
    # bin/dev passes --if-empty and prints the logins itself at every start: once, not twice.
    assert "Demo logins" not in load(if_empty=True)
    assert "Demo logins" in load(reset=True)
