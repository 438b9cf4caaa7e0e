"""Imports over the API as jobs: POST → 202 queued; the worker's run (called here
in-process, as core.tasks.job_run does); GET status, errors, errors.csv; cancel."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from core.jobs import job_run
from core.models import Job
from crm.models import Customer, ImportFile, ImportFileChunk, Transaction

pytestmark = pytest.mark.django_db


def _file(text: str, name: str = "c.csv", encoding: str = "utf-8-sig") -> io.BytesIO:
    f = io.BytesIO(text.encode(encoding))
    f.name = name
    return f


def _post(client, entity: str, f, **data):
    return client.post(f"/api/v1/imports/{entity}/", {"file": f, **data}, format="multipart")


def _run(client, response) -> dict:
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    job_run(job_id=response.json()["id"])
    return client.get(f"/api/v1/imports/{response.json()['id']}/").json()


def test_post_answers_202_queued_and_the_job_reports_progress_summary_and_rows(alice, api_client_for):
    client = api_client_for(alice)
    r = _post(client, "customers", _file("客户名称,电话,外部编号\nAcme,１３８１２３４５６７８,E1\n,12345,E2\n"),
              dry_run="false")
    body = _run(client, r)
    # Rule (#16 item 3): an import (not a dry run) with row errors writes nothing and ends "failed",
    # with a message saying so, the rows with errors counted and listed, nothing counted as created.
    assert body["status"] == "failed" and body["entity"] == "customers" and body["dry_run"] is False
    assert body["summary"] == {"created": 0, "updated": 0, "unchanged": 0, "errors": 1}
    assert body["written"] is False
    assert body["error"].startswith("Nothing was imported: 1 row has errors")
    assert {"row": 3, "field": "name", "message": "This field is required."} in body["rows"]
    assert any(e["row"] == 3 and e["field"] == "phone" and "not a phone number" in e["message"] for e in body["rows"])
    assert body["progress"]["done"] == body["progress"]["total"]
    assert body["created_at"] and body["finished_at"]
    assert not Customer.objects.exists()  # all-or-nothing


def test_a_valid_file_is_written_with_cleaned_values_and_duplicates_counted_unchanged(alice, api_client_for):
    client = api_client_for(alice)
    f = _file("name,phone,email,external_id\nAcme,+86 138 1234 5678,LI@ACME.CN,E1\n"
              "Acme,+86 138 1234 5678,LI@ACME.CN,E1\nBeta,010 1234 5678,,E2\n")
    body = _run(client, _post(client, "customers", f, dry_run="false"))
    assert body["summary"] == {"created": 2, "updated": 0, "unchanged": 1, "errors": 0} and body["written"]
    c = Customer.objects.get(external_id="E1")
    assert (c.phone, c.email, c.owner, c.team) == ("13812345678", "li@acme.cn", alice, alice.team)
    assert Customer.objects.get(external_id="E2").phone == "010-12345678"


def test_reimport_updates_changed_rows_and_counts_unchanged_ones(alice, make_customer, api_client_for):
    make_customer(owner=alice, name="Old", external_id="E1", phone="13812345678")
    make_customer(owner=alice, name="Same", external_id="E2")
    client = api_client_for(alice)
    body = _run(client, _post(client, "customers", _file("name,external_id\nNew,E1\nSame,E2\n"), dry_run="false"))
    assert body["summary"] == {"created": 0, "updated": 1, "unchanged": 1, "errors": 0}
    e1 = Customer.objects.get(external_id="E1")
    assert (e1.name, e1.phone) == ("New", "13812345678")  # unmapped columns are kept


def test_a_dry_run_with_row_errors_succeeds_and_lists_them(alice, api_client_for):
    """A preview's job is to find the errors: it ends "succeeded" (written false) with its counts."""
    client = api_client_for(alice)
    body = _run(client, _post(client, "customers", _file("name,phone\nAcme,13812345678\nBeta,12345\n")))
    assert body["status"] == "succeeded" and body["error"] == "" and body["written"] is False
    assert body["summary"] == {"created": 1, "updated": 0, "unchanged": 0, "errors": 1}
    assert [e["row"] for e in body["rows"]] == [3]


def test_dry_run_is_the_default_and_writes_nothing(alice, api_client_for):
    client = api_client_for(alice)
    body = _run(client, _post(client, "customers", _file("name\nAcme\n")))
    assert body["dry_run"] is True and body["summary"]["created"] == 1 and body["written"] is False
    assert not Customer.objects.exists()


def test_the_error_csv_has_every_error(alice, api_client_for):
    client = api_client_for(alice)
    rows = "".join(f"Name {i},12345\n" for i in range(1500))
    r = _post(client, "customers", _file("name,phone\n" + rows))
    body = _run(client, r)
    assert body["summary"]["errors"] == 1500 and len(body["rows"]) == 1000
    csv_text = client.get(f"/api/v1/imports/{r.json()['id']}/errors.csv").content.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0] == "row,field,message" and len(lines) == 1501
    assert lines[1].startswith("2,phone,")


@pytest.mark.parametrize("entity, f, data, field", [
    ("customers", _file("", "empty.csv"), {}, "file"),
    ("customers", _file("not a workbook", "x.xlsx"), {}, "file"),
    ("customers", _file("name\n"), {}, "file"),
    ("users", _file("name\nAcme\n"), {}, "entity"),
    ("customers", _file("name\nAcme\n"), {"mapping": json.dumps({"name": "salary"})}, "mapping"),
    ("customers", _file("name\nAcme\n"), {"mapping": json.dumps({"nope": "name"})}, "mapping"),
    ("customers", _file("name\nAcme\n"), {"mapping": "[1,2]"}, "mapping"),
    ("customers", _file("a,b\n\xff\xfe,1\n", encoding="latin-1"), {}, "file"),
])
def test_bad_input_is_a_400_with_field_messages_and_nothing_is_stored(alice, api_client_for, entity, f, data, field):
    r = _post(api_client_for(alice), entity, f, **data)
    assert r.status_code == 400, r.content
    assert r.json()[field] and all(isinstance(m, str) and m for m in r.json()[field])
    assert not Job.objects.exists() and not ImportFile.objects.exists()


def test_a_zero_byte_upload_says_the_file_is_empty(alice, api_client_for):
    r = _post(api_client_for(alice), "customers", _file("", "empty.csv"))
    assert r.json()["file"] == ["The file is empty."]


def test_gbk_and_utf8_without_bom_are_read(alice, api_client_for):
    client = api_client_for(alice)
    for encoding, name in (("gbk", "华东贸易"), ("gb18030", "北方物流"), ("utf-8", "西湖茶业")):
        body = _run(client, _post(client, "customers", _file(f"客户名称\n{name}\n", encoding=encoding),
                                  dry_run="false"))
        assert body["written"], body
    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(["华东贸易", "北方物流", "西湖茶业"])


def test_transactions_from_xlsx_only_for_customers_in_scope(alice, charlie, make_customer, api_client_for):
    make_customer(owner=alice, name="Mine", external_id="A1")
    make_customer(owner=charlie, name="Theirs", external_id="C1")
    wb = Workbook()
    wb.active.append(["客户外部编号", "金额", "日期", "回款日期"])
    wb.active.append(["A1", "1,200.50", "2026-05-01", "2026-05-03"])
    wb.active.append(["C1", "99", "2026-05-02", ""])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "t.xlsx"
    client = api_client_for(alice)
    body = _run(client, _post(client, "transactions", buf, dry_run="false"))
    assert body["rows"] == [{"row": 3, "field": "customer_external_id",
                             "message": "No customer of yours has external ID C1."}]
    assert not Transaction.objects.exists()


def test_an_import_of_transactions_leaves_the_activity_spells_built_for_the_next_read(alice, make_customer,
                                                                                      api_client_for):
    import datetime as dt

    from crm import activity
    from crm.models import ActivityDirty, ActivitySpell

    customer = make_customer(owner=alice, name="Mine", external_id="A1")
    activity.refresh()
    client = api_client_for(alice)
    body = _run(client, _post(client, "transactions", _file("客户外部编号,金额,日期\nA1,100,2026-05-01\n"),
                              dry_run="false"))
    assert body["written"], body
    assert not ActivityDirty.objects.exists()  # done by the job, not left to the first metric read
    assert list(ActivitySpell.objects.filter(customer=customer).values_list("active_from", "active_until")) == [
        (dt.date(2026, 5, 2), dt.date(2026, 7, 30))]


def test_cancel_of_a_queued_import_writes_nothing_and_drops_the_upload(alice, api_client_for):
    client = api_client_for(alice)
    r = _post(client, "customers", _file("name\nAcme\n"), dry_run="false")
    job_id = r.json()["id"]
    assert client.post(f"/api/v1/imports/{job_id}/cancel/").json()["status"] == "cancelled"
    job_run(job_id=job_id)  # a late delivery of the runner task does nothing
    assert client.get(f"/api/v1/imports/{job_id}/").json()["status"] == "cancelled"
    assert not Customer.objects.exists() and not ImportFile.objects.exists()
    assert client.post(f"/api/v1/imports/{job_id}/cancel/").status_code == 409


def test_the_stored_upload_holds_no_phone_email_or_id_number_in_clear(alice, api_client_for):
    phone, email, id_number = "13812345678", "li.lei@example.cn", "110101199001011237"
    r = _post(api_client_for(alice), "customers",
              _file(f"name,kind,phone,email,id_number\nLi,person,{phone},{email},{id_number}\n"))
    stored = b"".join(bytes(c) for c in ImportFileChunk.objects.filter(
        file__job_id=r.json()["id"]).values_list("data", flat=True))
    assert stored
    for secret in (phone, email, id_number, "Li,person"):
        assert secret.encode() not in stored
    job_run(job_id=r.json()["id"])
    assert not ImportFile.objects.filter(purpose=ImportFile.Purpose.UPLOAD).exists()  # deleted at the job's end
    # The preview's stage (kept for the commit) is sealed the same way.
    stage = b"".join(bytes(c) for c in ImportFileChunk.objects.filter(
        file__purpose=ImportFile.Purpose.STAGE).values_list("data", flat=True))
    assert stage
    for secret in (phone, email, id_number):
        assert secret.encode() not in stage


def test_charlie_cannot_read_alices_import(alice, charlie, api_client_for):
    r = _post(api_client_for(alice), "customers", _file("name\nAcme\n"))
    client = api_client_for(charlie)
    assert client.get(f"/api/v1/imports/{r.json()['id']}/").status_code == 404
    assert client.get(f"/api/v1/imports/{r.json()['id']}/errors.csv").status_code == 404
    assert client.post(f"/api/v1/imports/{r.json()['id']}/cancel/").status_code == 404


def test_support_cannot_import(sam, api_client_for):
    assert _post(api_client_for(sam), "customers", _file("name\nX\n")).status_code == 403


def test_a_file_over_the_upload_cap_is_a_400_saying_so(alice, api_client_for, settings):
    settings.CRM_IMPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024 + 100  # as config.settings.base derives it
    big = _file("name\n" + "".join(f"Customer {i}\n" for i in range(120_000)))
    r = _post(api_client_for(alice), "customers", big)
    assert r.status_code == 400 and r.json()["file"] == ["The file is larger than 1 MB."]
    assert not Job.objects.exists() and not ImportFile.objects.exists()
