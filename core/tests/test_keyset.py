"""Keyset paging walks every row once, in the list's order, forwards and backwards."""
from __future__ import annotations

import datetime as dt

import pytest

from core.keyset import keyset_page
from crm.forms import KEYSET_SORTS, SORTS
from crm.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(alice, make_customer, now):
    # Ties on every sort column and NULL first-deal dates in the middle of the ids.
    for i in range(11):
        make_customer(owner=alice, name=f"C{i % 4}", created_at=now - dt.timedelta(days=i % 3),
                      first_deal_date=None if i % 3 == 1 else dt.date(2025, 1, 1 + i % 5))


def _forward(qs, sort, size):
    pages, cursor = [], None
    while True:
        page = keyset_page(qs, sort=sort, cursor=cursor, size=size)
        pages.append(page)
        if not page.has_next:
            return pages
        cursor = page.next_cursor
        assert len(pages) < 50


@pytest.mark.parametrize("key", list(KEYSET_SORTS))
def test_forward_pages_are_the_ordered_list_and_backward_pages_retrace_them(customers, key):
    qs = Customer.objects.all()
    expected = list(qs.order_by(*SORTS[key]).values_list("pk", flat=True))
    pages = _forward(qs, KEYSET_SORTS[key], 3)
    assert [c.pk for p in pages for c in p] == expected
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    # Back from the last page to the first, through the previous-cursors.
    page = pages[-1]
    while page.has_previous:
        back = keyset_page(qs, sort=KEYSET_SORTS[key], cursor=page.previous_cursor, size=3)
        assert [c.pk for c in back] == [c.pk for c in pages[back.number - 1]]
        page = back
    assert page.number == 1 and not page.previous_cursor


def test_a_malformed_cursor_shows_the_first_page(customers):
    page = keyset_page(Customer.objects.all(), sort=KEYSET_SORTS["name"], cursor="not!base64", size=3)
    assert page.number == 1 and len(page) == 3
