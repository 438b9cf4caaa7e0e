"""REST API of tickets: scope (404 outside it), masking for support, filters, the
sla object without per-row queries, workflow actions, conflicts, history import."""
from __future__ import annotations

import datetime as dt

import pytest

from core.models import AuditLog
from tickets import services
from tickets.models import SlaBreach, Ticket
from tickets.tests.factories import make_ticket

MIN = dt.timedelta(minutes=1)
URL = "/api/v1/tickets/"


@pytest.fixture
def acme(make_customer, alice):
    return make_customer(owner=alice, name="Acme", phone="13812345678", email="boss@acme.example")


@pytest.fixture
def south_co(make_customer, charlie):
    return make_customer(owner=charlie, name="South Co")


@pytest.fixture
def acme_ticket(acme, sam, now):
    return make_ticket(customer=acme, actor=sam, now=now)


def test_the_list_shows_each_ticket_with_its_sla_object(api_client_for, sam, acme_ticket, frozen, now):
    frozen.set(now + 11 * MIN)
    data = api_client_for(sam).get(URL).json()
    row = data["results"][0]
    assert row["number"] == acme_ticket.number
    sla = row["sla"]
    assert sla["first_response_breached"] is True
    assert sla["first_response_due_at"].startswith("2026-06-15T")
    assert sla["commitment_breached"] is False and sla["commitment_due_at"] is not None
    assert sla["next_update_due_at"] is not None
    assert sla["update_breached"] is False and sla["resolution_breached"] is False


def test_the_list_costs_the_same_queries_for_5_or_25_tickets(api_client_for, sam, acme, now, frozen,
                                                            django_assert_max_num_queries):
    for i in range(5):
        make_ticket(customer=acme, actor=sam, now=now, subject=f"t{i}")
    client = api_client_for(sam)
    with django_assert_max_num_queries(8):
        assert len(client.get(URL).json()["results"]) == 5
    for i in range(20):
        make_ticket(customer=acme, actor=sam, now=now, subject=f"more{i}")
    with django_assert_max_num_queries(8):
        assert len(client.get(URL).json()["results"]) == 25


def test_the_list_evaluates_the_page_in_one_pass_with_each_calendar_built_once(
        api_client_for, sam, acme, now, frozen, monkeypatch):
    from tickets import selectors

    for i in range(6):
        make_ticket(customer=acme, actor=sam, now=now, subject=f"t{i}")
    built = []
    real = selectors.calendar_for
    monkeypatch.setattr(selectors, "calendar_for", lambda calendar: built.append(calendar) or real(calendar))
    frozen.set(now + 11 * MIN)
    rows = api_client_for(sam).get(URL).json()["results"]
    assert len(rows) == 6 and len(built) == len({t.sla_calendar_id for t in Ticket.objects.all()})
    # The same clocks as the one-ticket evaluation of the detail endpoint.
    for row in rows:
        assert row["sla"] == api_client_for(sam).get(f"{URL}{row['id']}/").json()["sla"]


def test_charlie_should_not_see_tickets_of_alices_team(api_client_for, charlie, acme_ticket):
    client = api_client_for(charlie)
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{acme_ticket.pk}/").status_code == 404
    assert client.post(f"{URL}{acme_ticket.pk}/replies/", {"body": "hi"}, format="json").status_code == 404
    assert client.patch(f"{URL}{acme_ticket.pk}/", {"subject": "x"}, format="json").status_code == 404


def test_bob_works_tickets_of_his_teams_customers(api_client_for, bob, acme_ticket):
    r = api_client_for(bob).post(f"{URL}{acme_ticket.pk}/replies/", {"body": "Hello"}, format="json")
    assert r.status_code == 201


def test_support_works_any_customers_tickets_but_sees_personal_fields_masked(api_client_for, sam, acme_ticket,
                                                                           south_co, now):
    make_ticket(customer=south_co, actor=sam, now=now)
    client = api_client_for(sam)
    results = client.get(URL).json()["results"]
    assert len(results) == 2
    acme_row = next(r for r in results if r["id"] == acme_ticket.pk)
    assert acme_row["customer"]["phone"] == "138****5678"
    assert acme_row["customer"]["email"] == "b***@acme.example"
    assert not AuditLog.objects.exists()


def test_an_account_manager_sees_the_phone_and_the_read_is_audited(api_client_for, alice, acme_ticket):
    row = api_client_for(alice).get(f"{URL}{acme_ticket.pk}/").json()
    assert row["customer"]["phone"] == "13812345678"
    assert AuditLog.objects.filter(object_type="crm.customer", object_id=str(acme_ticket.customer_id)).exists()


def test_create_routes_and_a_customer_outside_the_scope_does_not_exist(api_client_for, alice, acme, south_co,
                                                                       frozen, now):
    client = api_client_for(alice)
    r = client.post(URL, {"customer": acme.pk, "subject": "Invoice wrong", "category": "invoice",
                          "urgency": "urgent"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "new" and body["department"] is not None
    assert body["sla"]["first_response_due_at"] == "2026-06-15T18:10:00+08:00"
    r = client.post(URL, {"customer": south_co.pk, "subject": "x"}, format="json")
    assert r.status_code == 400 and "customer" in r.json()


def test_bad_input_gives_a_json_error_per_field(api_client_for, alice, acme):
    r = api_client_for(alice).post(URL, {"customer": acme.pk, "subject": "", "urgency": "whenever"}, format="json")
    assert r.status_code == 400
    assert set(r.json()) >= {"subject", "urgency"}
    assert not Ticket.objects.exists()


def test_only_an_admin_may_import_a_ticket_with_a_historical_created_at(api_client_for, alice, ada, acme, frozen,
                                                                          now):
    payload = {"customer": acme.pk, "subject": "Old case", "created_at": "2026-01-10T09:00:00Z"}
    r = api_client_for(alice).post(URL, payload, format="json")
    assert r.status_code == 400 and "created_at" in r.json()
    r = api_client_for(ada).post(URL, payload, format="json")
    assert r.status_code == 201 and r.json()["created_at"].startswith("2026-01-10T17:00")


def test_the_workflow_through_the_api(api_client_for, sam, acme_ticket, frozen, now):
    client = api_client_for(sam)
    base = f"{URL}{acme_ticket.pk}/"
    frozen.set(now + 3 * MIN)
    r = client.post(f"{base}replies/", {"body": "We are on it", "public": True}, format="json")
    assert r.status_code == 201 and r.json()["public"] is True
    frozen.set(now + 5 * MIN)
    r = client.post(f"{base}commit/", {"committed_resolution_at": "2026-06-15T16:00:00Z"}, format="json")
    assert r.status_code == 200
    assert r.json()["sla"]["resolution_due_at"] == "2026-06-16T00:00:00+08:00"
    assert client.post(f"{base}wait/", {}, format="json").json()["status"] == "waiting_customer"
    assert client.post(f"{base}resolve/", {"resolution": "Fixed"}, format="json").json()["status"] == "resolved"
    r = client.post(f"{base}close/", {"satisfaction": 7}, format="json")
    assert r.status_code == 400 and "satisfaction" in r.json()
    r = client.post(f"{base}close/", {"satisfaction": 5, "feedback": "great"}, format="json")
    assert r.status_code == 200 and r.json()["satisfaction"] == 5
    body = r.json()
    assert body["first_response_at"] is not None and not body["sla"]["first_response_breached"]
    r = client.post(f"{base}reopen/", {"reason": "again"}, format="json")
    assert r.json()["status"] == "in_progress"
    assert len(client.get(f"{base}replies/").json()) == 3  # reply, resolution, reopen note


def test_an_action_that_does_not_fit_the_status_is_a_field_error(api_client_for, sam, acme_ticket):
    r = api_client_for(sam).post(f"{URL}{acme_ticket.pk}/close/", {"satisfaction": 4}, format="json")
    assert r.status_code == 400 and "status" in r.json()


def test_a_stale_version_gets_409_and_the_current_version(api_client_for, sam, alice, acme_ticket):
    stale = acme_ticket.version
    assert api_client_for(alice).patch(f"{URL}{acme_ticket.pk}/", {"subject": "A", "version": stale},
                                       format="json").status_code == 200
    r = api_client_for(sam).patch(f"{URL}{acme_ticket.pk}/", {"subject": "B", "version": stale}, format="json")
    assert r.status_code == 409
    assert r.json()["version"] == stale + 1
    assert Ticket.objects.get(pk=acme_ticket.pk).subject == "A"


def test_filters(api_client_for, sam, bob, acme, south_co, now, frozen):
    urgent = make_ticket(customer=acme, actor=sam, now=now, urgency="urgent", category="billing", assignee=bob)
    old = make_ticket(customer=south_co, actor=sam, now=now - dt.timedelta(days=3))
    frozen.set(now + 15 * MIN)
    services.sla_breach_scan(now=now + 15 * MIN)
    fresh = make_ticket(customer=acme, actor=sam, now=now + 15 * MIN)
    client = api_client_for(sam)

    def ids(query):
        return {r["id"] for r in client.get(URL + query).json()["results"]}

    assert ids("?urgency=urgent") == {urgent.pk}
    assert ids("?category=billing") == {urgent.pk}
    assert ids(f"?assignee={bob.pk}") == {urgent.pk}
    assert ids(f"?customer={south_co.pk}") == {old.pk}
    assert ids(f"?department={urgent.department_id}") == {urgent.pk}
    assert ids("?status=assigned") == {urgent.pk}
    assert ids("?breached=true") == {urgent.pk, old.pk}
    assert ids("?breached=false") == {fresh.pk}
    assert ids("?created_after=2026-06-14T00:00:00Z") == {urgent.pk, fresh.pk}
    assert ids("?created_before=2026-06-14T00:00:00Z") == {old.pk}


def test_sla_breaches_are_listed_within_the_callers_scope(api_client_for, sam, charlie, acme_ticket, now):
    services.sla_breach_scan(now=now + 10 * MIN)
    assert SlaBreach.objects.count() == 1
    rows = api_client_for(sam).get("/api/v1/sla-breaches/").json()["results"]
    assert [(r["ticket"], r["clock"]) for r in rows] == [(acme_ticket.pk, "first_response")]
    assert api_client_for(charlie).get("/api/v1/sla-breaches/").json()["results"] == []


def test_only_an_admin_deletes_a_ticket(api_client_for, alice, ada, acme_ticket):
    assert api_client_for(alice).delete(f"{URL}{acme_ticket.pk}/").status_code == 403
    assert api_client_for(ada).delete(f"{URL}{acme_ticket.pk}/").status_code == 204
    assert not Ticket.objects.exists()
