"""The follow-up queue read per owner / team in due order, a page at a time."""
from __future__ import annotations

import pytest

from crm import services as crm_services
from segmentation import queue, services
from segmentation.models import CustomerSegment
from segmentation.queue import QueueCursor
from segmentation.tests.factories import AS_OF, customer_since, followup, talk

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_queue(alice, bob, make_customer, now):
    """Alice: 7 overdue customers (contacted 40..46 days ago) with a follow-up each; Bob: one."""
    mine = []
    for i in range(7):
        c = customer_since(make_customer, owner=alice, name=f"Alice {i}", days=300)
        talk(c, days=40 + i)
        followup(c, owner=alice, due_days=i)
        mine.append(c)
    theirs = customer_since(make_customer, owner=bob, name="Bob's", days=300)
    talk(theirs, days=50)
    services.segments_recompute(as_of=AS_OF, now=now)
    return mine


def _walk(user, *, limit: int) -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        page = queue.followup_queue_page(user=user, today=AS_OF, cursor=cursor, limit=limit)
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("the cursor never reached the last page")


def _keys(items):
    return [(it["kind"], it["customer"].pk, it["followup"].pk if it["followup"] else None) for it in items]


def test_pages_of_three_walk_the_same_queue_as_one_page_in_due_order(alices_queue, alice):
    whole = queue.followup_queue_page(user=alice, today=AS_OF, limit=100)
    assert whole["next_cursor"] == "" and len(whole["items"]) == 14
    assert _keys(_walk(alice, limit=3)) == _keys(whole["items"])
    dues = [it["due"] for it in whole["items"]]
    assert dues == sorted(dues)
    # The longest overdue first: the customer last contacted 46 days ago.
    assert whole["items"][0]["customer"].name == "Alice 6"


def test_a_customer_handed_to_bob_leaves_alices_queue_and_joins_bobs(alices_queue, alice, bob):
    moved = alices_queue[0]
    crm_services.customer_update(actor=alice, customer=moved, data={"owner": bob})
    # The copy of the owner the queue's index reads follows the customer (database trigger).
    assert CustomerSegment.objects.get(customer=moved).owner_id == bob.pk
    alice_cadence = {it["customer"].pk for it in _walk(alice, limit=4) if it["kind"] == "cadence"}
    bob_cadence = {it["customer"].pk for it in _walk(bob, limit=4) if it["kind"] == "cadence"}
    assert moved.pk not in alice_cadence and moved.pk in bob_cadence


def test_a_stale_owner_copy_never_shows_a_customer_outside_the_callers_scope(alices_queue, alice, charlie):
    CustomerSegment.objects.filter(customer__owner=alice).update(owner_id=charlie.pk, team_id=charlie.team_id)
    assert [it for it in _walk(charlie, limit=5) if it["kind"] == "cadence"] == []


def test_the_team_lead_pages_through_the_whole_team(alices_queue, lena):
    names = {it["customer"].name for it in _walk(lena, limit=4) if it["kind"] == "cadence"}
    assert names == {f"Alice {i}" for i in range(7)} | {"Bob's"}


def test_count_is_capped_and_exact_below_the_cap(alices_queue, alice, monkeypatch):
    assert queue.followup_queue_count(user=alice, today=AS_OF) == (14, False)
    monkeypatch.setattr(queue, "COUNT_CAP", 10)
    assert queue.followup_queue_count(user=alice, today=AS_OF) == (10, True)


def test_a_malformed_cursor_starts_from_the_top():
    assert QueueCursor.decode("s2026-13-01_x.fnot-a-date_3.zzz") == QueueCursor()
    cursor = QueueCursor.decode(QueueCursor(segment=(AS_OF, 0.1 + 0.2, 7)).encode())
    assert cursor.segment == (AS_OF, 0.1 + 0.2, 7) and cursor.followup is None


def test_the_page_links_to_the_next_page_and_shows_it(alices_queue, alice, client, monkeypatch):
    monkeypatch.setattr(queue, "QUEUE_PAGE", 5)
    client.force_login(alice)
    first = client.get("/segments/follow-ups/").content.decode()
    assert 'rel="next"' in first and "14 items due" in first
    page = queue.followup_queue_page(user=alice, today=AS_OF)
    following = queue.followup_queue_page(user=alice, today=AS_OF, cursor=page["next_cursor"])
    second = client.get("/segments/follow-ups/", {"after": page["next_cursor"]}).content.decode()
    assert second.count('<tr data-kind=') == len(following["items"]) == 5
    for item in following["items"]:
        assert f'queue-customer-{item["customer"].pk}"' in second
