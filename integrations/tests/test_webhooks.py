"""Webhooks: signed deliveries to a real HTTP server on 127.0.0.1 that checks the
signature; rows written in the change's transaction; back-off computed from ``now``."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction

from crm.services import customer_create
from integrations import services
from integrations.models import WebhookDelivery
from integrations.services.webhooks import RETRY_WINDOW, retry_delay, webhook_events_emit

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(ada, webhook_receiver, now):
    webhook, _secret = services.webhook_create(actor=ada, url=webhook_receiver.url, now=now,
                                               events=["customer.created", "segment.changed"],
                                               secret=webhook_receiver.secret)
    return webhook


def _only_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.get()


def test_a_new_customer_is_posted_signed_with_the_event_and_delivery_headers(hook, webhook_receiver, ada, now):
    customer = customer_create(actor=ada, data={"name": "Acme", "email": "a@acme.example"}, now=now)
    delivery = _only_delivery()

    services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=now)

    got = webhook_receiver.received[0]
    assert got.signature_ok
    assert got.headers["X-CRM-Event"] == "customer.created"
    assert got.headers["X-CRM-Delivery"] == str(delivery.uuid)
    body = json.loads(got.body)
    assert (body["id"], body["event"]) == (str(delivery.uuid), "customer.created")
    assert body["data"]["id"] == customer.pk and body["data"]["email"] == "a@acme.example"  # as an admin sees it
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)


def test_a_rolled_back_change_leaves_no_delivery(hook, ada, now):
    with pytest.raises(RuntimeError), transaction.atomic():
        customer_create(actor=ada, data={"name": "Ghost"}, now=now)
        raise RuntimeError("the caller fails after the write")

    assert not WebhookDelivery.objects.exists()


def test_an_unsubscribed_event_creates_no_delivery(hook, ada, now):
    from crm.services import customer_update

    customer = customer_create(actor=ada, data={"name": "Acme"}, now=now)
    WebhookDelivery.objects.all().delete()
    customer_update(actor=ada, customer=customer, data={"name": "Acme Ltd"})

    assert not WebhookDelivery.objects.exists()


def test_a_500_is_retried_with_back_off_and_the_same_delivery_id(hook, webhook_receiver, ada, now):
    webhook_receiver.answers = [500]
    customer_create(actor=ada, data={"name": "Acme"}, now=now)
    delivery = _only_delivery()

    services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.next_attempt_at) == (
        "pending", 500, now + retry_delay(1))
    assert services.webhook_deliveries_due_send(now=now + dt.timedelta(seconds=30)) == 0  # not due yet
    assert services.webhook_deliveries_due_send(now=now + retry_delay(1)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    first, second = webhook_receiver.received
    assert first.headers["X-CRM-Delivery"] == second.headers["X-CRM-Delivery"] == str(delivery.uuid)
    assert first.body == second.body and second.signature_ok
    assert [(a.status_code, a.ok) for a in delivery.attempt_log.all()] == [(500, False), (200, True)]


def test_a_timeout_counts_as_a_failure_and_is_retried(hook, webhook_receiver, ada, now):
    webhook_receiver.answers = ["hang"]  # answers after 7 s; the sender waits 5 s
    customer_create(actor=ada, data={"name": "Acme"}, now=now)
    delivery = _only_delivery()

    attempt = services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=now)

    assert attempt.status_code is None and "timed out" in attempt.error.lower()
    assert 4500 <= attempt.duration_ms < 7000
    services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=now + retry_delay(1))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_the_five_second_timeout_is_a_total_deadline_not_one_per_read(hook, webhook_receiver, ada, now):
    """A server trickling its answer a byte every 0.4 s (about 25 s in all) never lets one read
    wait 5 s; the delivery must still give up 5 s after it started."""
    webhook_receiver.answers = ["trickle"]
    customer_create(actor=ada, data={"name": "Acme"}, now=now)
    delivery = _only_delivery()

    attempt = services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=now)

    assert attempt.status_code is None and "timed out" in attempt.error.lower()
    assert 4500 <= attempt.duration_ms < 6500
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 1, now + retry_delay(1))


def test_retries_stop_after_24_hours_and_a_failed_delivery_can_be_sent_again(hook, webhook_receiver, ada, now):
    webhook_receiver.answers = [503] * 100
    customer_create(actor=ada, data={"name": "Acme"}, now=now)
    delivery = _only_delivery()
    at = now
    while delivery.status == "pending":
        services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=at)
        delivery.refresh_from_db()
        gaps = delivery.next_attempt_at - at if delivery.next_attempt_at else None
        at = delivery.next_attempt_at or at
        assert gaps is None or gaps == retry_delay(delivery.attempts)
    assert delivery.status == "failed"
    assert at <= now + RETRY_WINDOW
    assert delivery.attempts == len(webhook_receiver.received) > 5

    webhook_receiver.answers = []
    services.webhook_delivery_redeliver(delivery=delivery, now=at + dt.timedelta(hours=1))
    services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=at + dt.timedelta(hours=1))

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert webhook_receiver.received[-1].headers["X-CRM-Delivery"] == str(delivery.uuid)


def test_only_a_failed_delivery_can_be_sent_again(hook, ada, now):
    from django.core.exceptions import ValidationError

    customer_create(actor=ada, data={"name": "Acme"}, now=now)
    with pytest.raises(ValidationError):
        services.webhook_delivery_redeliver(delivery=_only_delivery(), now=now)


def test_two_senders_never_send_one_delivery_twice(hook, webhook_receiver, ada, now):
    customer_create(actor=ada, data={"name": "Acme"}, now=now)
    delivery = _only_delivery()

    services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=now)
    services.webhook_delivery_send(delivery_uuid=delivery.uuid, now=now)  # a redelivered task

    assert len(webhook_receiver.received) == 1


def test_segment_changes_are_batched_a_thousand_customers_per_delivery(hook, webhook_receiver, now):
    changes = [{"customer": i, "previous_tier": "new", "tier": "potential"} for i in range(2500)]

    webhook_events_emit(event="segment.changed", obj={"as_of": "2026-06-15", "customers": changes}, now=now)

    sizes = sorted(len(json.loads(d.body)["data"]["customers"]) for d in WebhookDelivery.objects.all())
    assert sizes == [500, 1000, 1000]


def test_private_addresses_are_refused_unless_allowed(ada, now, settings):
    from django.core.exceptions import ValidationError

    settings.WEBHOOK_ALLOW_PRIVATE = False
    for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest",
                "http://localhost/x", "ftp://example.com/x", "http://example.com:99999/x"):
        with pytest.raises(ValidationError) as err:
            services.webhook_create(actor=ada, url=url, events=["customer.created"], now=now)
        assert "url" in err.value.message_dict


def test_a_delivery_to_an_address_that_turned_private_is_refused_at_send_time(hook, webhook_receiver, ada, now,
                                                                             settings):
    customer_create(actor=ada, data={"name": "Acme"}, now=now)
    settings.WEBHOOK_ALLOW_PRIVATE = False

    attempt = services.webhook_delivery_send(delivery_uuid=_only_delivery().uuid, now=now)

    assert attempt.status_code is None and "not a public address" in attempt.error
    assert webhook_receiver.received == []


def test_ticket_and_crm_events_carry_the_resource_as_the_api_shows_it(ada, sam, webhook_receiver, now):
    from crm.services import interaction_log, transaction_save
    from crm.models import Transaction
    from tickets import services as ticket_services
    from tickets.api import TicketSerializer  # noqa: F401  (the shape compared below)

    services.webhook_create(actor=ada, url=webhook_receiver.url, now=now, secret="s",
                            events=["ticket.created", "ticket.updated", "ticket.resolved", "ticket.breached",
                                    "transaction.created", "interaction.created"])
    customer = customer_create(actor=ada, data={"name": "Acme"}, now=now)
    ticket = ticket_services.ticket_create(actor=sam, customer=customer, subject="Jam", now=now)
    ticket_services.sla_breach_scan(now=now + dt.timedelta(hours=1))
    ticket_services.ticket_resolve(ticket=ticket, actor=sam, now=now + dt.timedelta(hours=2), resolution="Fixed")
    transaction_save(txn=Transaction(customer=customer), data={"amount": "10.00", "occurred_on": now.date()})
    interaction_log(actor=ada, customer=customer, data={"occurred_at": now, "summary": "Called"})

    events = list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True))
    assert events[0] == "ticket.created"
    assert {"ticket.breached", "ticket.resolved", "ticket.updated", "transaction.created",
            "interaction.created"} <= set(events)
    created = json.loads(WebhookDelivery.objects.filter(event="ticket.created").get().body)["data"]
    assert (created["number"], created["subject"], created["channel"]) == (ticket.number, "Jam", "phone")
    assert "sla" in created
    breach = json.loads(WebhookDelivery.objects.filter(event="ticket.breached").first().body)["data"]
    assert breach["ticket_number"] == ticket.number


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_delivery_after_the_change_commits(celery_worker_real, ada, webhook_receiver):
    from django.utils import timezone

    from conftest import wait_until

    real_now = timezone.now()
    services.webhook_create(actor=ada, url=webhook_receiver.url, events=["customer.created"], now=real_now,
                            secret=webhook_receiver.secret)
    with transaction.atomic():
        customer_create(actor=ada, data={"name": "Acme"}, now=real_now)
        assert webhook_receiver.received == []  # nothing leaves before the commit

    assert wait_until(lambda: WebhookDelivery.objects.filter(status="succeeded").exists())
    assert len(webhook_receiver.received) == 1 and webhook_receiver.received[0].signature_ok


def test_survey_review_and_segment_events_reach_their_webhooks(ada, webhook_receiver, now, make_customer):
    from segmentation.services import segments_recompute
    from surveys.services import response_enter
    from surveys.tests.factories import default_survey
    from reviews.services import review_create, review_update

    services.webhook_create(actor=ada, url=webhook_receiver.url, now=now, secret="s",
                            events=["survey_response.created", "review.finalized", "segment.changed"])
    customer = make_customer(name="Acme", created_at=now - dt.timedelta(days=30))
    response = response_enter(actor=ada, customer=customer, survey=default_survey(),
                              data={"answered_at": now, "nps": 9, "overall": 8}, now=now)
    review = review_create(user=ada, title="June", period_start=dt.date(2026, 6, 1), period_end=dt.date(2026, 6, 30),
                           scope_kind="all", now=now)
    review_update(review=review, status="final")
    review_update(review=review, status="final")  # already final: announced once
    segments_recompute(as_of=now.date() - dt.timedelta(days=10), now=now)  # first: nothing to compare with
    segments_recompute(as_of=now.date() + dt.timedelta(days=70), now=now)  # "new" customer is no longer new

    by_event = {}
    for d in WebhookDelivery.objects.order_by("id"):
        by_event.setdefault(d.event, []).append(json.loads(d.body)["data"])
    assert by_event["survey_response.created"][0]["id"] == response.pk
    assert by_event["survey_response.created"][0]["nps"] == 9
    assert [r["id"] for r in by_event["review.finalized"]] == [review.pk]
    [segment] = by_event["segment.changed"]
    assert segment["customers"][0]["customer"] == customer.pk
    assert segment["customers"][0]["previous_tier"] == "new" and segment["customers"][0]["tier"] != "new"


def test_a_payload_that_cannot_be_rendered_never_breaks_the_change_it_announces(hook, ada, now, monkeypatch):
    from integrations import payloads

    def broken(obj, now):
        raise RuntimeError("serializer bug")

    monkeypatch.setitem(payloads.RENDERERS, "customer.created", broken)
    customer = customer_create(actor=ada, data={"name": "Acme"}, now=now)

    assert json.loads(_only_delivery().body)["data"] == {"id": customer.pk, "incomplete": True}
