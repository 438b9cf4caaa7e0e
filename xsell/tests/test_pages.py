"""The customer page and the follow-up queue show suggestions at a fixed number of
queries, whatever the number of customers and rules (no query per row)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Product
from segmentation import queue
from xsell import services
from xsell.tests.factories import AS_OF, buy_lines, segment_set

pytestmark = pytest.mark.django_db


def _world(alice, make_customer, n: int, codes: str = "ABC"):
    a, b, c = (Product.objects.create(code=code, name=f"{code}模块") for code in codes)
    for i in range(n):
        buy_lines(make_customer(owner=alice, name=f"AB {i}"), [a, b, c] if i % 3 == 0 else [a, b])
    targets = []
    for i in range(n):
        target = make_customer(owner=alice, name=f"target {i}")
        buy_lines(target, [a])
        segment_set(target, "high_value")
        targets.append(target)
    return targets


def _queue(alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        items = queue.followup_queue_page(user=alice, today=AS_OF)["items"]
    return {i["customer"].pk: i for i in items}, len(ctx.captured_queries)


def test_the_queue_shows_each_customers_suggestion_at_a_fixed_cost(alice, make_customer, now):
    targets = _world(alice, make_customer, 2)
    services.affinities_mine(as_of=AS_OF, now=now)
    items, few = _queue(alice)
    assert [s.product.code for s in items[targets[0].pk]["cross_sell"]] == ["B"]
    targets += _world(alice, make_customer, 10, codes="DEF")
    services.affinities_mine(as_of=AS_OF, now=now)
    items, many = _queue(alice)
    assert all(items[t.pk]["cross_sell"] for t in targets) and len(items) == 12
    assert many == few


def test_the_customer_page_shows_the_suggestion(client, alice, make_customer, now):
    [target, _other] = _world(alice, make_customer, 2)
    services.affinities_mine(as_of=AS_OF, now=now)
    client.force_login(alice)
    html = client.get(reverse("customer-detail", args=[target.pk])).content.decode()
    assert 'id="cross-sell-panel"' in html and "B模块" in html
