"""Issue #11 item 5: product lines of transactions come in through the import too
(entity ``transaction_lines``): each row names a stored transaction by its
(source, external ID) and a product of the catalogue by its code; re-importing
updates a line instead of adding another; a transaction's lines add up to its
amount (crm.validation.lines_total_check, the API's rule); all or nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.jobs import job_run
from crm.importing import specs, writing
from crm.models import Product, Transaction, TransactionLine
from crm.tests.test_import_api import _file, _post
from crm.tests.test_import_engine import commit, errors, validate

pytestmark = pytest.mark.django_db
HEAD = "transaction_external_id,source,product_code,quantity,amount\n"


@pytest.fixture
def catalogue(db) -> dict[str, Product]:
    return {code: Product.objects.create(code=code, name=f"{code}模块", line="modules") for code in ("A", "B", "C")}


@pytest.fixture
def so1(alice, make_customer) -> Transaction:
    acme = make_customer(owner=alice, external_id="C1")
    return Transaction.objects.create(customer=acme, source="erp", external_id="SO1", amount=Decimal("300.00"),
                                      occurred_on=dt.date(2026, 5, 1))


def _lines(txn) -> list[tuple[str, int, Decimal]]:
    return list(txn.lines.order_by("product__code").values_list("product__code", "quantity", "amount"))


def test_chinese_headers_map_to_the_line_columns():
    headers = ["交易编号", "来源", "产品编号", "数量", "金额"]
    assert specs.auto_mapping(headers, "transaction_lines") == {
        "交易编号": "transaction_external_id", "来源": "source", "产品编号": "product_code", "数量": "quantity",
        "金额": "amount"}
    assert specs.auto_mapping(["产品代码"], "transaction_lines") == {"产品代码": "product_code"}


def test_lines_find_their_transaction_and_product_and_quantity_defaults_to_one(alice, so1, catalogue):
    v = commit(alice, "transaction_lines", "交易编号,来源,产品编号,数量,金额\nSO1,erp,A,2,100\nSO1,erp,B,,200\n")
    assert v.summary() == {"created": 2, "updated": 0, "unchanged": 0, "errors": 0}
    assert _lines(so1) == [("A", 2, Decimal("100.00")), ("B", 1, Decimal("200.00"))]


def test_unknown_product_unknown_transaction_and_another_teams_transaction_are_row_errors(
        alice, charlie, make_customer, so1, catalogue):
    theirs = make_customer(owner=charlie, external_id="C9")
    Transaction.objects.create(customer=theirs, source="erp", external_id="SO9", amount=10,
                               occurred_on=dt.date(2026, 5, 1))
    v = validate(alice, "transaction_lines", HEAD + "SO1,erp,A,1,300\nSO1,erp,ZZ,1,5\nSO2,erp,A,1,5\n"
                 "SO1,other,A,1,5\nSO9,erp,A,1,10\nSO1,erp,C,x,5\n")
    e = errors(v)
    assert e[(3, "product_code")] == "No product has the code ZZ."
    assert e[(4, "transaction_external_id")] == "No transaction has external ID SO2 (source “erp”)."
    assert e[(5, "transaction_external_id")] == "No transaction has external ID SO1 (source “other”)."
    assert e[(6, "transaction_external_id")] == "This transaction belongs to a customer you cannot edit."
    assert e[(7, "quantity")] == "“x” is not a quantity. Enter a whole number such as 2."
    assert (2, "product_code") not in e and (2, "transaction_external_id") not in e


def test_required_columns(alice, so1, catalogue):
    e = errors(validate(alice, "transaction_lines", HEAD + ",erp,A,1,300\nSO1,erp,,1,300\nSO1,erp,B,1,\n"))
    assert e[(2, "transaction_external_id")] == e[(3, "product_code")] == e[(4, "amount")] == \
        "This field is required."


def test_the_lines_of_a_transaction_add_up_to_its_amount_with_the_apis_message(alice, so1, catalogue):
    v = validate(alice, "transaction_lines", HEAD + "SO1,erp,A,1,100\nSO1,erp,B,1,150\n")
    e = errors(v)
    message = "The lines add up to 250.00, the transaction's amount is 300.00."
    assert e[(2, "amount")] == e[(3, "amount")] == message
    # The same words as the API's check (one definition: crm.validation.lines_total_check).
    from django.core.exceptions import ValidationError

    from crm.services import transaction_lines_check
    with pytest.raises(ValidationError) as api:
        transaction_lines_check(amount=so1.amount, lines=[{"product": catalogue["A"], "amount": Decimal("100.00")},
                                                          {"product": catalogue["B"], "amount": Decimal("150.00")}])
    assert api.value.message_dict["lines"] == [message]


def test_stored_lines_of_other_products_count_toward_the_amount(alice, so1, catalogue):
    TransactionLine.objects.create(transaction=so1, product=catalogue["A"], amount=100)
    assert "add up to 400.00" in errors(validate(alice, "transaction_lines", HEAD + "SO1,erp,B,1,300\n"))[
        (2, "amount")]
    commit(alice, "transaction_lines", HEAD + "SO1,erp,B,1,200\n")
    assert _lines(so1) == [("A", 1, Decimal("100.00")), ("B", 1, Decimal("200.00"))]


def test_the_check_adds_up_lines_across_chunks(alice, so1, catalogue):
    v = validate(alice, "transaction_lines", HEAD + "SO1,erp,A,1,100\nSO1,erp,B,1,100\nSO1,erp,C,1,100\n",
                 chunk_rows=1)
    assert v.ok, errors(v)


def test_reimporting_updates_the_line_of_the_same_transaction_and_product(alice, so1, catalogue):
    text = HEAD + "SO1,erp,A,1,100\nSO1,erp,B,1,200\n"
    commit(alice, "transaction_lines", text)
    assert commit(alice, "transaction_lines", text).summary() == {"created": 0, "updated": 0, "unchanged": 2,
                                                                  "errors": 0}
    v = commit(alice, "transaction_lines", HEAD + "SO1,erp,A,3,120\nSO1,erp,B,1,180\n")
    assert v.summary() == {"created": 0, "updated": 2, "unchanged": 0, "errors": 0}
    assert _lines(so1) == [("A", 3, Decimal("120.00")), ("B", 1, Decimal("180.00"))]
    # A quantity alone (no amount) changes the quantity and keeps the stored amount.
    commit(alice, "transaction_lines", "transaction_external_id,source,product_code,quantity\nSO1,erp,B,4\n")
    assert _lines(so1) == [("A", 3, Decimal("120.00")), ("B", 4, Decimal("180.00"))]


def test_the_same_transaction_and_product_twice_with_other_values_is_an_error(alice, so1, catalogue):
    v = validate(alice, "transaction_lines", HEAD + "SO1,erp,A,1,300\nSO1,erp,A,1,300\nSO1,erp,A,2,300\n")
    assert errors(v) == {(4, "product_code"): "Same transaction and product as row 2, with other values."}
    assert v.summary()["unchanged"] == 1


def test_a_file_with_a_row_error_writes_no_line(alice, so1, catalogue, api_client_for):
    client = api_client_for(alice)
    r = _post(client, "transaction_lines", _file(HEAD + "SO1,erp,A,1,300\nSO1,erp,ZZ,1,0\n"), dry_run="false")
    assert r.status_code == 202, r.content
    job_run(job_id=r.json()["id"])
    body = client.get(f"/api/v1/imports/{r.json()['id']}/").json()
    assert body["status"] == "failed"
    assert not TransactionLine.objects.exists()
    r = _post(client, "transaction_lines", _file(HEAD + "SO1,erp,A,1,300\n"), dry_run="false")
    job_run(job_id=r.json()["id"])
    assert client.get(f"/api/v1/imports/{r.json()['id']}/").json()["status"] == "succeeded"
    assert _lines(so1) == [("A", 1, Decimal("300.00"))]


def test_a_stage_whose_line_appeared_meanwhile_writes_nothing(alice, so1, catalogue):
    v = validate(alice, "transaction_lines", HEAD + "SO1,erp,A,1,300\n")
    TransactionLine.objects.create(transaction=so1, product=catalogue["A"], amount=300)
    with pytest.raises(writing.StaleStage):
        writing.write_stage(stage=v.stage)
    assert TransactionLine.objects.count() == 1


def test_validation_queries_do_not_grow_with_the_rows(alice, make_customer, catalogue,
                                                       django_assert_max_num_queries):
    acme = make_customer(owner=alice, external_id="C1")
    for i in range(50):
        Transaction.objects.create(customer=acme, source="erp", external_id=f"T{i}", amount=10,
                                   occurred_on=dt.date(2026, 5, 1))
    small = HEAD + "T0,erp,A,1,10\n"
    big = HEAD + "".join(f"T{i},erp,A,1,4\nT{i},erp,B,1,6\n" for i in range(50))
    # transactions, products, stored lines; then the amounts and the stored lines of the check.
    with django_assert_max_num_queries(5):
        assert validate(alice, "transaction_lines", small).ok
    with django_assert_max_num_queries(5):
        v = validate(alice, "transaction_lines", big)
    assert v.ok and v.summary()["created"] == 100


def test_cross_sell_mining_reads_imported_lines(alice, make_customer, catalogue, now):
    from xsell import services
    from xsell.models import ProductAffinity

    for n in range(4):
        c = make_customer(owner=alice, name=f"c{n}", external_id=f"C{n}")
        Transaction.objects.create(customer=c, source="erp", external_id=f"SO{n}", amount=20,
                                   occurred_on=dt.date(2026, 5, 1))
    # c0, c1, c2 bought A and B; c3 only A.
    commit(alice, "transaction_lines", HEAD + "".join(f"SO{n},erp,A,1,10\nSO{n},erp,B,1,10\n" for n in range(3))
           + "SO3,erp,A,1,20\n")
    services.affinities_mine(as_of=dt.date(2026, 6, 1), now=now)
    ba = ProductAffinity.objects.get(team=alice.team, antecedent=catalogue["B"], consequent=catalogue["A"])
    assert (ba.customers, ba.with_antecedent, ba.with_both) == (4, 3, 3)
    ab = ProductAffinity.objects.get(team=alice.team, antecedent=catalogue["A"], consequent=catalogue["B"])
    assert ab.confidence == pytest.approx(3 / 4)

