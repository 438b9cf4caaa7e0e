"""crm.services called directly (the API tests cover the parsing in front of them)."""
import datetime as dt

import pytest

from crm import services
from crm.models import Customer

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.timezone.utc)


def _row(external_id, **data):
    return {"external_id": external_id, "data": {"external_id": external_id, **data}}


def test_bulk_upsert_writes_nothing_when_a_later_row_fails_in_the_write(alice, charlie, make_customer):
    """Rule: all or nothing. Row 0 is created before row 1 hits another team's
    customer; the whole batch is rolled back and row 0 reports not_written."""
    make_customer(owner=charlie, name="South Co", external_id="ERP-9")
    written, results = services.customer_bulk_upsert(
        actor=alice, rows=[_row("ERP-1", name="Mine"), _row("ERP-9", name="Taken")], now=NOW)
    assert written is False
    assert [r["status"] for r in results] == ["not_written", "error"]
    assert "id" not in results[0]
    assert "external_id" in results[1]["errors"]
    assert list(Customer.objects.values_list("name", flat=True)) == ["South Co"]


def test_bulk_upsert_with_a_row_that_did_not_parse_writes_nothing(alice):
    """Rule: a parse error in any row means no row is written."""
    written, results = services.customer_bulk_upsert(
        actor=alice, rows=[_row("A", name="A Co"), {"external_id": "B", "errors": {"name": ["Required."]}}], now=NOW)
    assert written is False
    assert [r["status"] for r in results] == ["not_written", "error"]
    assert results[1]["errors"] == {"name": ["Required."]}
    assert not Customer.objects.exists()


def test_bulk_upsert_creates_then_updates(alice):
    """Rule: keyed on external_id, a second run updates the rows the first created."""
    rows = [_row("A", name="A Co"), _row("B", name="B Co")]
    written, results = services.customer_bulk_upsert(actor=alice, rows=rows, now=NOW)
    assert written and [r["status"] for r in results] == ["created", "created"]
    ids = [r["id"] for r in results]
    written, results = services.customer_bulk_upsert(
        actor=alice, rows=[_row("A", name="A2"), _row("B", name="B2")], now=NOW)
    assert [r["status"] for r in results] == ["updated", "updated"] and [r["id"] for r in results] == ids
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["A2", "B2"]
