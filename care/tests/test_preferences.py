"""Issue #11 item 3: preferences and core need on the customer (form, API, the
timeline), and the follow-up queue respecting the preferred contact window."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from segmentation import queue, services
from segmentation.tests.factories import AS_OF, customer_since, talk

pytestmark = pytest.mark.django_db


def _local(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(AS_OF, dt.time(hour, minute)))


def test_the_api_stores_preferences_and_refuses_a_half_or_reversed_window(alice, make_customer, api_client_for):
    customer = make_customer(owner=alice)
    api = api_client_for(alice)
    url = f"/api/v1/customers/{customer.pk}/"
    ok = api.patch(url, {"contact_window_start": "14:00", "contact_window_end": "17:30",
                         "preferred_topics": "行业趋势", "settled_notes": "发票抬头已确认", "core_need": "降低库存成本"},
                   format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["contact_window_end"] == "17:30:00"
    customer.refresh_from_db()
    assert (customer.contact_window_start, customer.core_need) == (dt.time(14, 0), "降低库存成本")

    # Changing one end is checked against the stored other end.
    reversed_ = api.patch(url, {"contact_window_end": "13:00"}, format="json")
    assert reversed_.status_code == 400
    assert "contact_window_end" in reversed_.json()
    half = api.patch(url, {"contact_window_start": None}, format="json")
    assert half.status_code == 400 and "contact_window_end" in half.json()
    customer.refresh_from_db()
    assert (customer.contact_window_start, customer.contact_window_end) == (dt.time(14, 0), dt.time(17, 30))


def test_the_form_saves_preferences_and_puts_a_window_error_beside_its_field(client, alice, make_customer):
    customer = make_customer(owner=alice, name="Acme")
    client.force_login(alice)
    url = reverse("customer-edit", args=[customer.pk])
    base = {"name": "Acme", "kind": "company", "owner": alice.pk}
    bad = client.post(url, {**base, "contact_window_start": "18:00", "contact_window_end": "09:00"})
    assert bad.status_code == 200
    assert "contact_window_end" in bad.context["form"].errors
    customer.refresh_from_db()
    assert customer.contact_window_start is None

    good = client.post(url, {**base, "contact_window_start": "09:00", "contact_window_end": "11:00",
                             "core_need": "Cut stock costs", "settled_notes": "Invoice title confirmed"})
    assert good.status_code == 302
    customer.refresh_from_db()
    assert customer.contact_window_end == dt.time(11, 0)

    page = client.get(reverse("customer-detail", args=[customer.pk])).content.decode()
    timeline = page.split('id="timeline"')[1]
    assert "Cut stock costs" in timeline and "Invoice title confirmed" in timeline and "09:00–11:00" in timeline


def test_the_queue_puts_customers_outside_their_window_last_and_says_when_to_call(alice, make_customer, now):
    # Both overdue; "Morning" is the more overdue one, so it leads in due order.
    morning = customer_since(make_customer, owner=alice, name="Morning", days=300,
                             contact_window_start=dt.time(9, 0), contact_window_end=dt.time(11, 0))
    anytime = customer_since(make_customer, owner=alice, name="Anytime", days=300)
    talk(morning, days=60)
    talk(anytime, days=45)
    services.segments_recompute(as_of=AS_OF, now=now)

    at_ten = queue.followup_queue_page(user=alice, today=AS_OF, now=_local(10))["items"]
    assert [i["customer"].name for i in at_ten] == ["Morning", "Anytime"]
    assert at_ten[0]["outside_window"] is False and at_ten[0]["contact_window"] == "09:00–11:00"

    # At 11:00 the window has closed (end exclusive): Morning waits after Anytime.
    at_eleven = queue.followup_queue_page(user=alice, today=AS_OF, now=_local(11))["items"]
    assert [i["customer"].name for i in at_eleven] == ["Anytime", "Morning"]
    assert at_eleven[1]["outside_window"] is True
    assert at_eleven[0]["outside_window"] is False and at_eleven[0]["contact_window"] == ""
