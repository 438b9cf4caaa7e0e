"""Issue #11 item 5: the product catalogue and product lines on transactions in the
REST API, refused field by field and never half-written."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crm.models import Product, Transaction, TransactionLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def modules(db):
    return {code: Product.objects.create(code=code, name=f"{code}模块", line="modules") for code in "AB"}


def test_everyone_reads_the_catalogue_and_only_an_admin_changes_it(api_client_for, alice, ada, sam, modules):
    assert [p["code"] for p in api_client_for(alice).get("/api/v1/products/").json()["results"]] == ["A", "B"]
    assert api_client_for(sam).get("/api/v1/products/").status_code == 200
    new = {"code": "C", "name": "C模块", "line": "modules"}
    assert api_client_for(alice).post("/api/v1/products/", new, format="json").status_code == 403
    r = api_client_for(ada).post("/api/v1/products/", new, format="json")
    assert r.status_code == 201 and r.json()["active"] is True
    again = api_client_for(ada).post("/api/v1/products/", {**new, "name": "again"}, format="json")
    assert again.status_code == 400 and "code" in again.json()
    r = api_client_for(ada).patch(f"/api/v1/products/{modules['A'].pk}/", {"active": False}, format="json")
    assert r.status_code == 200 and not Product.objects.get(code="A").active


def test_a_transaction_is_created_and_read_with_its_lines(api_client_for, alice, make_customer, modules):
    customer = make_customer(owner=alice)
    client = api_client_for(alice)
    r = client.post("/api/v1/transactions/", {
        "customer": customer.pk, "amount": "300.00", "occurred_on": "2026-05-01",
        "lines": [{"product": "A", "quantity": 2, "amount": "200.00"}, {"product": "B", "amount": "100.00"}]},
        format="json")
    assert r.status_code == 201, r.json()
    txn = Transaction.objects.get(pk=r.json()["id"])
    assert sorted((line.product.code, line.quantity, line.amount) for line in txn.lines.all()) == [
        ("A", 2, Decimal("200.00")), ("B", 1, Decimal("100.00"))]
    read = client.get(f"/api/v1/transactions/{txn.pk}/").json()
    assert read["lines"] == [{"product": "A", "product_name": "A模块", "quantity": 2, "amount": "200.00"},
                             {"product": "B", "product_name": "B模块", "quantity": 1, "amount": "100.00"}]
    # Lines given replace the stored ones; a change without lines keeps them.
    r = client.patch(f"/api/v1/transactions/{txn.pk}/", {"lines": [{"product": "B", "amount": "300.00"}]},
                     format="json")
    assert r.status_code == 200 and [line["product"] for line in r.json()["lines"]] == ["B"]
    assert client.patch(f"/api/v1/transactions/{txn.pk}/", {"notes": "x"}, format="json").json()["lines"][0][
        "product"] == "B"


def test_bad_lines_are_refused_per_field_and_nothing_is_written(api_client_for, alice, make_customer, modules):
    customer = make_customer(owner=alice)
    client = api_client_for(alice)
    base = {"customer": customer.pk, "amount": "100.00", "occurred_on": "2026-05-01"}
    Product.objects.filter(code="B").update(active=False)
    r = client.post("/api/v1/transactions/", {**base, "lines": [
        {"product": "A", "amount": "50.00", "quantity": 0}, {"product": "NOPE", "amount": "-1"},
        {"product": "B", "amount": "50.00"}]}, format="json")
    assert r.status_code == 400
    errors = r.json()["lines"]  # by line number (from 0), then by field
    assert {line: set(fields) for line, fields in errors.items()} == {
        "0": {"quantity"}, "1": {"product", "amount"}, "2": {"product"}}
    r = client.post("/api/v1/transactions/", {**base, "lines": [{"product": "A", "amount": "60.00"},
                                                               {"product": "A", "amount": "40.00"}]}, format="json")
    assert r.status_code == 400 and "Line 2" in r.json()["lines"][0]
    r = client.post("/api/v1/transactions/", {**base, "lines": [{"product": "A", "amount": "60.00"}]}, format="json")
    assert r.status_code == 400 and "add up to 60.00" in r.json()["lines"][0]
    assert not Transaction.objects.exists() and not TransactionLine.objects.exists()


def test_support_sees_no_lines_and_another_team_cannot_put_lines_on_a_customer(api_client_for, alice, charlie,
                                                                             sam, make_customer, modules):
    from crm.services import transaction_save

    mine = make_customer(owner=alice)
    txn = transaction_save(txn=Transaction(customer=mine), data={
        "amount": Decimal("100.00"), "occurred_on": "2026-05-01",
        "lines": [{"product": modules["A"], "amount": Decimal("100.00")}]})
    assert TransactionLine.objects.for_user(sam).count() == 0
    assert TransactionLine.objects.for_user(charlie).count() == 0
    assert TransactionLine.objects.for_user(alice).count() == 1
    r = api_client_for(charlie).patch(f"/api/v1/transactions/{txn.pk}/", {"lines": []}, format="json")
    assert r.status_code == 404 and txn.lines.count() == 1
