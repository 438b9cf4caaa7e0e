import io

import pytest
from openpyxl import Workbook

from crm import importing
from crm.models import Customer, Transaction

pytestmark = pytest.mark.django_db


def _csv(text: str):
    return io.BytesIO(text.encode("utf-8-sig"))


def test_cleaning_folds_full_width_and_normalises_phone_and_email():
    assert importing.clean_text("  １３８ＡＢ ") == "138AB"
    assert importing.clean_phone("+86 138-1234-5678") == "13812345678"
    assert importing.clean_email(" Li@ACME.cn ") == "li@acme.cn"


def test_chinese_headers_are_mapped_automatically():
    assert importing.auto_mapping(["客户名称", "电话", "外部编号", "whatever"]) == {
        "客户名称": "name", "电话": "phone", "外部编号": "external_id"}


def test_dry_run_reports_rows_and_writes_nothing(alice, api_client_for):
    f = _csv("客户名称,电话,外部编号\nAcme,１３８１２３４５６７８,E1\n,13800000000,E2\n")
    f.name = "c.csv"
    r = api_client_for(alice).post("/api/v1/imports/customers/", {"file": f, "dry_run": "true"}, format="multipart")
    body = r.json()
    assert r.status_code == 400
    assert [row["action"] for row in body["rows"]] == ["create", "error"]
    assert body["rows"][1]["row"] == 3 and "name" in body["rows"][1]["errors"]
    assert not Customer.objects.exists()


def test_commit_is_all_or_nothing(alice, api_client_for):
    f = _csv("name,external_id\nGood,E1\n,E2\n")
    f.name = "c.csv"
    r = api_client_for(alice).post("/api/v1/imports/customers/", {"file": f, "dry_run": "false"}, format="multipart")
    assert r.status_code == 400 and r.json()["written"] is False
    assert not Customer.objects.exists()


def test_valid_file_is_written_with_cleaned_values_and_duplicates_skipped(alice, api_client_for):
    f = _csv("name,phone,email\nAcme,+86 138 1234 5678,LI@ACME.CN\nAcme,13812345678,x@y.cn\n")
    f.name = "c.csv"
    r = api_client_for(alice).post("/api/v1/imports/customers/", {"file": f, "dry_run": "false"}, format="multipart")
    assert r.status_code == 200, r.content
    assert [row["action"] for row in r.json()["rows"]] == ["create", "duplicate"]
    c = Customer.objects.get()
    assert (c.phone, c.email, c.owner, c.team) == ("13812345678", "li@acme.cn", alice, alice.team)


def test_reimport_by_external_id_updates(alice, make_customer, api_client_for):
    make_customer(owner=alice, name="Old", external_id="E1")
    f = _csv("name,external_id\nNew,E1\n")
    f.name = "c.csv"
    r = api_client_for(alice).post("/api/v1/imports/customers/", {"file": f, "dry_run": "false"}, format="multipart")
    assert [row["action"] for row in r.json()["rows"]] == ["update"]
    assert Customer.objects.get().name == "New"


def test_transactions_import_from_xlsx_only_for_customers_in_scope(alice, charlie, make_customer, api_client_for):
    make_customer(owner=alice, name="Mine", external_id="A1")
    make_customer(owner=charlie, name="Theirs", external_id="C1")
    wb = Workbook()
    ws = wb.active
    ws.append(["客户外部编号", "金额", "日期"])
    ws.append(["A1", "1,200.50", "2026-05-01"])
    ws.append(["C1", "99", "2026-05-02"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "t.xlsx"
    r = api_client_for(alice).post("/api/v1/imports/transactions/", {"file": buf, "dry_run": "false"},
                                   format="multipart")
    rows = r.json()["rows"]
    assert [x["action"] for x in rows] == ["create", "error"]
    assert "customer_external_id" in rows[1]["errors"]
    assert not Transaction.objects.exists()


def test_support_cannot_import(sam, api_client_for):
    f = _csv("name\nX\n")
    f.name = "c.csv"
    assert api_client_for(sam).post("/api/v1/imports/customers/", {"file": f}, format="multipart").status_code == 403
