"""The import pages: upload → column mapping + dry run → all-or-nothing import."""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from crm import importing
from crm.models import Customer, Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.CRM_IMPORT_DIR = tmp_path / "imports"
    return settings.CRM_IMPORT_DIR


def _csv(text: str, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def _upload(client, user, text: str, entity: str = "customers", name: str = "customers.csv"):
    client.force_login(user)
    return client.post(reverse("customer-import"), {"entity": entity, "file": _csv(text, name)})


def _token(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return re.search(r"/customers/import/([^/]+)/$", response["Location"]).group(1)


def test_support_cannot_reach_the_import_pages_and_sees_no_link(client, sam):
    client.force_login(sam)
    assert client.get(reverse("customer-import")).status_code == 403
    assert client.post(reverse("customer-import"), {"entity": "customers", "file": _csv("name\nX\n")}).status_code == 403
    assert client.get(reverse("customer-import-template", args=["customers"])).status_code == 403
    assert 'id="import-link"' not in client.get(reverse("customer-list")).content.decode()
    assert not Customer.objects.exists()


def test_editors_see_the_import_link_in_the_list_toolbar(client, alice):
    client.force_login(alice)
    body = client.get(reverse("customer-list")).content.decode()
    assert f'href="{reverse("customer-import")}"' in body


def test_upload_shows_mapping_prefilled_and_dry_run_writes_nothing(client, alice):
    token = _token(_upload(client, alice, "客户名称,电话,外部编号,备注x\nAcme,１３８１２３４５６７８,E1,hi\nBeta,13900001111,E2,\n"))
    r = client.get(reverse("customer-import-preview", args=[token]))
    body = r.content.decode()
    assert r.status_code == 200
    form = r.context["form"]
    assert [form[f"col_{i}"].value() for i in range(4)] == ["name", "phone", "external_id", ""]
    assert r.context["summary"] == {"create": 2, "update": 0, "duplicate": 0, "error": 0}
    assert 'id="row-2"' in body and 'id="row-3"' in body
    assert not Customer.objects.exists()


def test_missing_unreadable_or_too_large_file_is_an_error_beside_the_field(client, alice, monkeypatch):
    client.force_login(alice)
    r = client.post(reverse("customer-import"), {"entity": "customers"})
    assert r.status_code == 200 and r.context["form"].errors["file"]
    r = client.post(reverse("customer-import"),
                    {"entity": "customers", "file": SimpleUploadedFile("x.xlsx", b"not a workbook")})
    assert r.context["form"].errors["file"] == ["The file could not be read as CSV or XLSX."]
    r = client.post(reverse("customer-import"), {"entity": "customers", "file": _csv("a,b\n1,2\n", "x.pdf")})
    assert r.context["form"].errors["file"] == ["Upload a CSV or XLSX file."]
    monkeypatch.setattr("crm.import_forms.MAX_UPLOAD_BYTES", 10)
    r = client.post(reverse("customer-import"), {"entity": "customers", "file": _csv("name\nlonger than ten\n")})
    assert r.context["form"].errors["file"] == ["The file is larger than 20 MB."]
    assert 'class="field has-error"' in r.content.decode()


def test_commit_writes_and_reports_counts_with_a_link_back(client, alice, make_customer):
    make_customer(owner=alice, name="Old name", external_id="E0")
    token = _token(_upload(client, alice, "客户名称,电话,外部编号\nAcme,13812345678,E1\nBeta,13900001111,\nBeta,13900001111,\n"
                                          "New name,,E0\n"))
    r = client.post(reverse("customer-import-preview", args=[token]),
                    {"col_0": "name", "col_1": "phone", "col_2": "external_id", "action": "import"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "2 created, 1 updated, 1 duplicates skipped" in body
    assert f'href="{reverse("customer-list")}"' in body
    assert Customer.objects.get(external_id="E0").name == "New name"
    c = Customer.objects.get(external_id="E1")
    assert (c.name, c.phone, c.external_id, c.owner) == ("Acme", "13812345678", "E1", alice)
    # The upload is gone once imported: a second click cannot import twice.
    assert client.post(reverse("customer-import-preview", args=[token]),
                       {"col_0": "name", "action": "import"}).status_code == 404


def test_the_mapping_chosen_by_the_user_is_the_one_imported(client, alice):
    token = _token(_upload(client, alice, "col a,col b\nAcme,Shanghai\n"))
    r = client.get(reverse("customer-import-preview", args=[token]))
    assert r.context["report"] is None and r.context["nothing_mapped"]
    client.post(reverse("customer-import-preview", args=[token]),
                {"col_0": "name", "col_1": "region", "action": "import"})
    assert Customer.objects.values_list("name", "region").get() == ("Acme", "Shanghai")


def test_one_bad_row_writes_nothing_and_shows_the_error_on_that_row(client, alice):
    token = _token(_upload(client, alice, "客户名称,电话,外部编号\nGood,13800001111,E1\n,13900001111,E2\nAlso good,13700001111,E3\n"))
    r = client.post(reverse("customer-import-preview", args=[token]),
                    {"col_0": "name", "col_1": "phone", "col_2": "external_id", "action": "import"})
    body = r.content.decode()
    assert r.status_code == 200 and r.context["report"].written is False
    assert r.context["summary"]["error"] == 1
    assert 'id="import-refused"' in body
    row3 = re.search(r'<tr id="row-3" data-action="error">(.*?)</tr>', body, re.S).group(1)
    assert "客户名称 (name)" in row3
    assert not Customer.objects.exists()


def test_charlies_import_cannot_touch_alices_customer(client, alice, charlie, make_customer):
    make_customer(owner=alice, name="Alice's", external_id="A1")
    token = _token(_upload(client, charlie, "name,external_id\nTaken over,A1\nFresh,C9\n"))
    r = client.post(reverse("customer-import-preview", args=[token]),
                    {"col_0": "name", "col_1": "external_id", "action": "import"})
    rows = {row["row"]: row for row in r.context["rows"]}
    assert rows[2]["action"] == "error" and rows[2]["errors"][0]["field"] == "external_id"
    assert r.context["report"].written is False
    assert list(Customer.objects.values_list("name", flat=True)) == ["Alice's"]


def test_another_users_upload_id_is_a_404(client, alice, bob):
    token = _token(_upload(client, alice, "name\nAcme\n"))
    client.force_login(bob)
    url = reverse("customer-import-preview", args=[token])
    assert client.get(url).status_code == 404
    assert client.post(url, {"col_0": "name", "action": "import"}).status_code == 404
    assert client.get(reverse("customer-import-preview", args=["." * 20])).status_code == 404
    assert not Customer.objects.exists()
    client.force_login(alice)
    assert client.get(url).status_code == 200


def test_transactions_from_xlsx_find_their_customer_by_external_id(client, alice, make_customer):
    customer = make_customer(owner=alice, name="Mine", external_id="A1")
    wb = Workbook()
    wb.active.append(["客户外部编号", "金额", "日期"])
    wb.active.append(["A1", "1,200.50", "2026-05-01"])
    buf = io.BytesIO()
    wb.save(buf)
    client.force_login(alice)
    r = client.post(reverse("customer-import"),
                    {"entity": "transactions", "file": SimpleUploadedFile("t.xlsx", buf.getvalue())})
    url = reverse("customer-import-preview", args=[_token(r)])
    assert client.get(url).context["summary"]["create"] == 1
    client.post(url, {"col_0": "customer_external_id", "col_1": "amount", "col_2": "occurred_on",
                      "action": "import"})
    assert str(Transaction.objects.get(customer=customer).amount) == "1200.50"


def test_two_columns_mapped_to_one_field_is_a_mapping_error(client, alice):
    token = _token(_upload(client, alice, "a,b\nX,Y\n"))
    r = client.post(reverse("customer-import-preview", args=[token]),
                    {"col_0": "name", "col_1": "name", "action": "import"})
    assert r.context["form"].errors["col_1"] and r.context["report"] is None
    assert not Customer.objects.exists()


@pytest.mark.parametrize("entity", importing.ENTITIES)
def test_template_csv_headers_are_recognised_by_the_importer(client, alice, entity):
    client.force_login(alice)
    r = client.get(reverse("customer-import-template", args=[entity]))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    headers = next(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert headers == list(importing.ENTITY_FIELDS[entity])
    assert importing.auto_mapping(headers) == {h: h for h in headers}
    assert client.get(reverse("customer-import-template", args=["users"])).status_code == 404
