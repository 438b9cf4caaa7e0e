"""Customers and contacts written around the services (the import's set-based write,
the demo loader) reach the sender and phone indexes at once and the webhooks as
``customer.created`` / ``customer.updated`` deliveries of up to 1,000 customers
(crm.bulk), instead of waiting for the nightly rebuild and sending nothing."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from crm import demo
from crm.importing import engine, reading, specs, writing
from crm.models import Contact, Customer, PhoneIndex
from crm.phone_index import customer_ids_by_phone
from crm.services import customer_create
from integrations import services
from integrations.models import SenderAddress, WebhookDelivery
from integrations.services import webhooks
from integrations.services.senders import senders_match
from tests.imports import import_csv

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.timezone.utc)


def _import(actor, entity: str, text: str):
    return import_csv(actor, entity, text, today=TODAY, now=NOW)


@pytest.fixture
def hook(ada, webhook_receiver):
    webhook, _secret = services.webhook_create(actor=ada, url=webhook_receiver.url, now=NOW,
                                               events=["customer.created", "customer.updated"],
                                               secret=webhook_receiver.secret)
    return webhook


def _bodies(event: str) -> list[dict]:
    return [json.loads(d.body) for d in WebhookDelivery.objects.filter(event=event).order_by("created_at", "id")]


def test_an_import_refreshes_the_indexes_of_the_customers_it_wrote_and_only_theirs(alice):
    kept = customer_create(actor=alice, data={"name": "Untouched", "email": "keep@zeta.example"}, now=NOW)
    moved = customer_create(actor=alice, data={"name": "Moved", "external_id": "E9", "email": "old@beta.example",
                                               "phone": "13900001111"}, now=NOW)

    _import(alice, "customers", "name,external_id,email,phone\n"
            "Acme,E1,orders@acme.example,13800002222\nBeta,E9,new@beta.example,13900003333\n"
            "Gamma,,gamma@gamma.example,\n")

    acme = Customer.objects.get(external_id="E1")
    gamma = Customer.objects.get(name="Gamma")
    assert [s.customer for s in senders_match(address="ORDERS@acme.example")] == [acme]
    assert [s.customer for s in senders_match(address="gamma@gamma.example")] == [gamma]
    assert [s.customer for s in senders_match(address="new@beta.example")] == [moved]
    assert senders_match(address="old@beta.example") == []  # the updated customer's old address is gone
    assert [s.customer for s in senders_match(address="keep@zeta.example")] == [kept]
    assert customer_ids_by_phone("13800002222") == [acme.pk]
    assert customer_ids_by_phone("3333") == [moved.pk]
    assert customer_ids_by_phone("13900001111") == []
    assert SenderAddress.objects.filter(customer=moved).count() == 1


def test_an_import_of_contacts_indexes_their_addresses_and_numbers(alice, make_customer):
    acme = make_customer(owner=alice, external_id="A1")
    _import(alice, "contacts", "customer_external_id,name,email,phone\nA1,Li Lei,li.lei@acme.example,13600004444\n")

    li = Contact.objects.get(name="Li Lei")
    assert [(s.customer, s.contact) for s in senders_match(address="li.lei@acme.example")] == [(acme, li)]
    assert customer_ids_by_phone("13600004444") == [acme.pk]


def test_imported_customers_reach_webhooks_in_batches_not_one_request_each(alice, hook, webhook_receiver,
                                                                           monkeypatch):
    monkeypatch.setattr(webhooks, "SEGMENT_BATCH", 2)  # 1,000 in production: 5 customers make 3 deliveries
    existing = customer_create(actor=alice, data={"name": "Old name", "external_id": "E0"}, now=NOW)
    WebhookDelivery.objects.all().delete()  # the service's own customer.created

    _import(alice, "customers", "name,external_id\nOld name 2,E0\nA,E1\nB,E2\nC,E3\nD,E4\nE,E5\n")

    created = _bodies("customer.created")
    assert [(b["data"]["bulk"], b["data"]["batch"], b["data"]["batches"]) for b in created] == [
        (True, 1, 3), (True, 2, 3), (True, 3, 3)]
    names = [c["name"] for b in created for c in b["data"]["customers"]]
    assert names == ["A", "B", "C", "D", "E"]
    first = created[0]["data"]["customers"][0]
    assert {"id", "external_id", "email", "phone", "tier", "owner", "team"} <= set(first)  # as the API shows it
    updated = _bodies("customer.updated")
    assert [[c["id"] for c in b["data"]["customers"]] for b in updated] == [[existing.pk]]
    assert updated[0]["data"]["customers"][0]["name"] == "Old name 2"

    assert services.webhook_deliveries_due_send(now=NOW) == 4
    assert len(webhook_receiver.received) == 4 and all(r.signature_ok for r in webhook_receiver.received)


def test_a_write_that_fails_announces_nothing(alice, hook, make_customer):
    content = b"name,external_id\nA,E1\nB,E2\n"
    v = engine.import_validate(actor=alice, entity="customers", content=content, filename="f.csv",
                               mapping={"name": "name", "external_id": "external_id"}, today=TODAY, now=NOW,
                               default_team_id=alice.team_id)
    make_customer(owner=alice, name="Created meanwhile", external_id="E2")
    with pytest.raises(writing.StaleStage):
        writing.write_stage(stage=v.stage)

    assert not WebhookDelivery.objects.exists()
    assert not SenderAddress.objects.exists() and not PhoneIndex.objects.exists()


def test_transactions_and_interactions_imports_announce_no_customer_change(alice, hook, make_customer):
    make_customer(owner=alice, external_id="A1")
    _import(alice, "transactions", "customer_external_id,amount,occurred_on\nA1,5,2026-01-01\n")
    assert not WebhookDelivery.objects.exists()


def test_the_refresh_costs_the_same_queries_for_few_and_many_rows(alice, django_assert_max_num_queries):
    from crm.phone_index import phone_index_refresh
    from integrations.services.senders import sender_index_refresh

    few = [customer_create(actor=alice, data={"name": f"C{i}", "email": f"c{i}@x.example", "phone": f"1380000{i:04d}"},
                           now=NOW).pk for i in range(2)]
    many = few + [customer_create(actor=alice, data={"name": f"D{i}", "email": f"d{i}@x.example"}, now=NOW).pk
                  for i in range(20)]
    for ids in (few, many):
        with django_assert_max_num_queries(6):
            sender_index_refresh(entity="customers", ids=ids)
            phone_index_refresh(entity="customers", ids=ids)


def test_demo_data_is_in_the_indexes_without_the_nightly_rebuild(db):
    users = demo.demo_users_ensure()
    now = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone.utc)
    demo.demo_load(customers=30, seed=7, now=now, transactions_per_customer=1, users=users)

    with_email = Customer.objects.filter(source=demo.DEMO_SOURCE).exclude(email="")
    assert with_email.exists()
    for customer in with_email[:5]:
        assert customer.pk in [s.customer_id for s in senders_match(address=customer.email)]
    with_phone = Customer.objects.filter(source=demo.DEMO_SOURCE).exclude(phone="").first()
    assert with_phone.pk in customer_ids_by_phone(with_phone.phone)
    contact = Contact.objects.filter(customer__source=demo.DEMO_SOURCE).exclude(email="").first()
    assert contact.pk in [s.contact_id for s in senders_match(address=contact.email)]
