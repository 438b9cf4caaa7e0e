"""Feedback priority weighs affected customers and affected contract value
(DESIGN "Tickets"): per category over the caller's open and recent tickets,
score = 50 × customers ÷ max customers + 50 × value ÷ max value."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from crm.models import Transaction
from tickets import selectors
from tickets.analytics import feedback_priority_scores
from tickets.models import Status, Ticket
from tickets.tests.factories import make_ticket

AS_OF = dt.date(2026, 6, 15)
URL = "/api/v1/tickets/feedback-priority/"


def spend(customer, amount, *, kind="purchase", on=AS_OF - dt.timedelta(days=30)):
    return Transaction.objects.create(customer=customer, kind=kind, amount=Decimal(amount), occurred_on=on)


@pytest.fixture
def hand_made(make_customer, alice, sam, now):
    """Category "product": 3 customers worth 3,000 + 3,000 + 4,000 = 10,000;
    category "billing": 1 customer worth 50,000."""
    small = [make_customer(owner=alice, name=f"Small {i}") for i in range(3)]
    for customer, amount in zip(small, ["3000", "3000", "4000"]):
        spend(customer, amount)
        make_ticket(customer=customer, actor=sam, now=now, category="product")
    big = make_customer(owner=alice, name="Big")
    spend(big, "50000")
    make_ticket(customer=big, actor=sam, now=now, category="billing")
    return small, big


def by_category(rows):
    return {r["category"]: r for r in rows}


def test_the_score_weighs_customers_and_value_half_each(hand_made, lena):
    rows = selectors.feedback_priority(user=lena, as_of=AS_OF)
    # product: 0.5 × 3/3 + 0.5 × 10,000/50,000 = 0.6 → 60
    # billing: 0.5 × 1/3 + 0.5 × 50,000/50,000 = 0.6667 → 66.7: billing first
    assert [r["category"] for r in rows] == ["billing", "product"]
    rows = by_category(rows)
    assert rows["product"]["customers"] == 3 and rows["product"]["value"] == Decimal("10000")
    assert rows["product"]["score"] == pytest.approx(60.0)
    assert rows["billing"]["customers"] == 1 and rows["billing"]["value"] == Decimal("50000")
    assert rows["billing"]["score"] == pytest.approx(66.7)
    assert rows["product"]["open"] == 3 and rows["billing"]["open"] == 1


def test_refunds_reduce_the_affected_value(hand_made, lena):
    small, big = hand_made
    spend(big, "20000", kind="refund")  # billing now 30,000
    rows = by_category(selectors.feedback_priority(user=lena, as_of=AS_OF))
    assert rows["billing"]["value"] == Decimal("30000")
    # product: 0.5 + 0.5 × 10/30 = 66.7; billing: 0.5 × 1/3 + 0.5 = 66.7 → tie on score, billing has more value
    assert rows["product"]["score"] == pytest.approx(66.7)
    assert rows["billing"]["score"] == pytest.approx(66.7)
    assert [r["category"] for r in selectors.feedback_priority(user=lena, as_of=AS_OF)] == ["billing", "product"]


def test_spend_older_than_365_days_or_after_as_of_is_not_contract_value(hand_made, lena):
    small, big = hand_made
    spend(big, "99999", on=AS_OF - dt.timedelta(days=365))
    spend(big, "88888", on=AS_OF + dt.timedelta(days=1))
    assert by_category(selectors.feedback_priority(user=lena, as_of=AS_OF))["billing"]["value"] == Decimal("50000")


def test_a_customer_with_two_tickets_in_a_category_counts_once(hand_made, lena, sam, now):
    small, big = hand_made
    make_ticket(customer=big, actor=sam, now=now, category="billing", subject="Again")
    row = by_category(selectors.feedback_priority(user=lena, as_of=AS_OF))["billing"]
    assert row["customers"] == 1 and row["open"] == 2 and row["value"] == Decimal("50000")


def test_closed_tickets_older_than_the_window_are_ignored(make_customer, alice, sam, lena, now):
    old_customer = make_customer(owner=alice, name="Old")
    spend(old_customer, "70000")
    old = make_ticket(customer=old_customer, actor=sam, now=now - dt.timedelta(days=120), category="service")
    Ticket.objects.filter(pk=old.pk).update(status=Status.CLOSED, closed_at=now - dt.timedelta(days=100))
    recent_closed = make_ticket(customer=old_customer, actor=sam, now=now - dt.timedelta(days=10),
                                category="invoice")
    Ticket.objects.filter(pk=recent_closed.pk).update(status=Status.CLOSED, closed_at=now - dt.timedelta(days=9))
    still_open = make_ticket(customer=old_customer, actor=sam, now=now - dt.timedelta(days=200), category="technical")
    rows = by_category(selectors.feedback_priority(user=lena, as_of=AS_OF))
    assert "service" not in rows  # closed and created before the 90-day window
    assert rows["invoice"]["open"] == 0 and rows["invoice"]["customers"] == 1  # closed, but in the window
    assert rows["technical"]["open"] == 1  # old, but still open
    assert still_open.status in (Status.NEW, Status.ASSIGNED)


def test_categories_without_value_still_rank_by_customers(make_customer, alice, sam, lena, now):
    for i in range(2):
        make_ticket(customer=make_customer(owner=alice, name=f"P{i}"), actor=sam, now=now, category="product")
    make_ticket(customer=make_customer(owner=alice, name="S"), actor=sam, now=now, category="service")
    rows = selectors.feedback_priority(user=lena, as_of=AS_OF)
    assert [(r["category"], r["score"]) for r in rows] == [("product", 50.0), ("service", 25.0)]


def test_the_pure_score_breaks_ties_by_value():
    rows = feedback_priority_scores([
        {"category": "a", "customers": 2, "value": Decimal("0")},
        {"category": "b", "customers": 1, "value": Decimal("100")},
        {"category": "c", "customers": 1, "value": Decimal("0")},
    ])
    # a: 50 + 0 = 50; b: 25 + 50 = 75; c: 25
    assert [(r["category"], r["score"]) for r in rows] == [("b", 75.0), ("a", 50.0), ("c", 25.0)]
    tie = feedback_priority_scores([{"category": "x", "customers": 2, "value": 10},
                                    {"category": "y", "customers": 1, "value": 20}])
    assert [r["category"] for r in tie] == ["y", "x"]  # both 75: more value first
    assert feedback_priority_scores([]) == []


def test_charlie_never_sees_norths_tickets(hand_made, make_customer, charlie, sam, now, api_client_for):
    south_co = make_customer(owner=charlie, name="South Co")
    spend(south_co, "500")
    make_ticket(customer=south_co, actor=sam, now=now, category="service")
    rows = selectors.feedback_priority(user=charlie, as_of=AS_OF)
    assert [(r["category"], r["customers"], r["value"]) for r in rows] == [("service", 1, Decimal("500"))]
    data = api_client_for(charlie).get(URL, {"as_of": "2026-06-15"}).json()
    assert [(r["category"], r["customers"], r["value"]) for r in data["results"]] == [("service", 1, "500.00")]


def test_the_api_returns_the_ranking_and_rejects_a_bad_date(hand_made, lena, api_client_for):
    client = api_client_for(lena)
    data = client.get(URL, {"as_of": "2026-06-15"}).json()
    assert data["as_of"] == "2026-06-15" and data["window_days"] == 90
    assert [(r["category"], r["score"]) for r in data["results"]] == [("billing", 66.7), ("product", 60.0)]
    bad = client.get(URL, {"as_of": "15/06/2026", "window_days": "0"})
    assert bad.status_code == 400
    assert "as_of" in bad.json() and "window_days" in bad.json()
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code in (401, 403)


def test_query_count_does_not_grow_with_rows(make_customer, alice, sam, lena, now, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            customer = make_customer(owner=alice, name=f"C{n}-{i}")
            spend(customer, "100")
            spend(customer, "10", kind="refund")
            for category in ("product", "billing", "service"):
                make_ticket(customer=customer, actor=sam, now=now, category=category)

    add(1)
    with django_assert_max_num_queries(3):
        selectors.feedback_priority(user=lena, as_of=AS_OF)
    add(6)
    with django_assert_max_num_queries(3):
        rows = selectors.feedback_priority(user=lena, as_of=AS_OF)
    assert {r["customers"] for r in rows} == {7} and {r["value"] for r in rows} == {Decimal("630")}


def test_the_weekly_page_shows_the_table_in_chinese(hand_made, lena, frozen):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(lena)
    html = client.get("/tickets/weekly/").content.decode()
    assert "反馈优先级" in html and "受影响客户" in html
    table = html[html.index('id="feedback-priority"'):]
    assert table.index('data-category="billing"') < table.index('data-category="product"')
    assert "66.7" in table and "50,000.00" in table


def test_the_weekly_page_in_english(hand_made, lena, frozen):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(lena)
    html = client.get("/tickets/weekly/").content.decode()
    assert "Feedback priority" in html and "Affected contract value (CNY)" in html
