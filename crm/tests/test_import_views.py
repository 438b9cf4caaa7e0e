"""The import pages: upload → column mapping → dry-run job (progress, result) →
commit job writing the preview's stage; past imports listed."""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.jobs import job_run
from core.models import Job
from crm import importing
from crm.importing import engine
from crm.models import Customer, ImportFile

pytestmark = pytest.mark.django_db


def _csv(text: str, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def _upload(client, user, text: str, entity: str = "customers", name: str = "customers.csv", **extra):
    client.force_login(user)
    return client.post(reverse("customer-import"), {"entity": entity, "file": _csv(text, name), **extra})


def _mapping_pk(response) -> int:
    assert response.status_code == 302, response.content.decode()[:3000]
    return int(re.search(r"/customers/import/file/(\d+)/$", response["Location"]).group(1))


def _preview(client, pk: int, data: dict | None = None) -> Job:
    url = reverse("customer-import-mapping", args=[pk])
    if data is None:
        form = client.get(url).context["form"]
        data = {name: field.initial or "" for name, field in form.fields.items()}
    r = client.post(url, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    job = Job.objects.get(pk=int(re.search(r"/customers/import/(\d+)/$", r["Location"]).group(1)))
    return job


def test_support_cannot_reach_the_import_pages_and_sees_no_link(client, sam):
    client.force_login(sam)
    assert client.get(reverse("customer-import")).status_code == 403
    assert client.post(reverse("customer-import"), {"entity": "customers", "file": _csv("name\nX\n")}).status_code == 403
    assert client.get(reverse("customer-import-template", args=["customers"])).status_code == 403
    assert 'id="import-link"' not in client.get(reverse("customer-list")).content.decode()
    assert not ImportFile.objects.exists()


def test_upload_shows_the_mapping_prefilled_and_the_preview_is_a_job_that_writes_nothing(client, alice):
    pk = _mapping_pk(_upload(client, alice, "客户名称,电话,外部编号,备注x\nAcme,１３８１２３４５６７８,E1,hi\nBeta,139,E2,\n"))
    form = client.get(reverse("customer-import-mapping", args=[pk])).context["form"]
    assert [form[f"col_{i}"].initial for i in range(4)] == ["name", "phone", "external_id", ""]
    job = _preview(client, pk)
    page = client.get(reverse("customer-import-job", args=[job.pk]))
    assert page.context["active"] and 'id="job-' in page.content.decode()  # the live progress bar
    job_run(job_id=job.pk)
    page = client.get(reverse("customer-import-job", args=[job.pk]))
    body = page.content.decode()
    assert page.context["summary"] == {"created": 1, "updated": 0, "unchanged": 0, "errors": 1}
    row3 = re.search(r'<tr id="row-3" data-action="error">(.*?)</tr>', body, re.S).group(1)
    assert "电话 (Phone)" in row3 and "is not a phone number" in row3
    assert 'id="import-btn" disabled' in body
    assert not Customer.objects.exists()


def test_bad_files_are_errors_beside_the_field(client, alice, settings):
    client.force_login(alice)
    r = client.post(reverse("customer-import"), {"entity": "customers"})
    assert r.status_code == 200 and r.context["form"].errors["file"]
    r = client.post(reverse("customer-import"),
                    {"entity": "customers", "file": SimpleUploadedFile("x.xlsx", b"not a workbook")})
    assert r.context["form"].errors["file"] == ["The file could not be read as CSV or XLSX."]
    r = client.post(reverse("customer-import"), {"entity": "customers", "file": _csv("a,b\n1,2\n", "x.pdf")})
    assert r.context["form"].errors["file"] == ["Upload a CSV or XLSX file."]
    r = client.post(reverse("customer-import"), {"entity": "customers", "file": _csv("name\n")})
    assert r.context["form"].errors["file"] == ["The file has no data rows."]
    settings.CRM_IMPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024 + 100
    big = "name\n" + "".join(f"Customer {i}\n" for i in range(120_000))
    r = client.post(reverse("customer-import"), {"entity": "customers", "file": _csv(big)})
    assert r.context["form"].errors["file"] == ["The file is larger than 1 MB."]
    assert 'class="field has-error"' in r.content.decode()
    assert not ImportFile.objects.exists()


def test_commit_writes_exactly_the_previews_stage_without_reading_the_file_again(client, alice, make_customer,
                                                                                  monkeypatch):
    make_customer(owner=alice, name="Old name", external_id="E0")
    pk = _mapping_pk(_upload(client, alice, "客户名称,电话,外部编号\nAcme,13812345678,E1\nBeta,13900001111,\n"
                                            "Beta,13900001111,\nNew name,,E0\n"))
    preview = _preview(client, pk)
    job_run(job_id=preview.pk)
    # The upload stays (encrypted) for the preview to be mapped again, until the commit.
    assert ImportFile.objects.filter(purpose="upload", pk=pk, job__isnull=True).exists()

    def no_second_validation(**kwargs):
        raise AssertionError("the commit validated the file again")

    monkeypatch.setattr(engine, "import_validate", no_second_validation)
    r = client.post(reverse("customer-import-commit", args=[preview.pk]))
    commit = Job.objects.get(params__commit_of=preview.pk)
    assert r["Location"] == reverse("customer-import-job", args=[commit.pk])
    job_run(job_id=commit.pk)
    body = client.get(r["Location"]).content.decode()
    assert "2 created, 1 updated, 1 unchanged or duplicate" in body
    assert Customer.objects.get(external_id="E0").name == "New name"
    c = Customer.objects.get(external_id="E1")
    assert (c.name, c.phone, c.owner, c.team) == ("Acme", "13812345678", alice, alice.team)
    assert not ImportFile.objects.filter(purpose__in=["stage", "upload"]).exists()
    # A second click cannot import twice.
    client.post(reverse("customer-import-commit", args=[preview.pk]))
    assert Job.objects.filter(params__commit_of=preview.pk).count() == 1


def test_the_import_page_lists_past_imports_with_who_when_file_and_result(client, alice, bob, charlie):
    job = _preview(client, _mapping_pk(_upload(client, alice, "name\nAcme\n", name="acme.csv")))
    job_run(job_id=job.pk)
    client.force_login(bob)
    _upload(client, bob, "name\nB\n", name="bob.csv")
    client.force_login(alice)
    body = client.get(reverse("customer-import")).content.decode()
    row = re.search(rf'<tr id="import-{job.pk}">(.*?)</tr>', body, re.S).group(1)
    assert "alice" in row and "acme.csv" in row and "1 new, 0 updated, 0 unchanged, 0 with errors" in row
    client.force_login(charlie)
    assert f'id="import-{job.pk}"' not in client.get(reverse("customer-import")).content.decode()


def test_cancel_from_the_page_writes_nothing(client, alice):
    job = _preview(client, _mapping_pk(_upload(client, alice, "name\nAcme\n")))
    client.post(reverse("customer-import-cancel", args=[job.pk]))
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "cancelled" and not ImportFile.objects.exists()
    assert 'id="import-cancelled"' in client.get(reverse("customer-import-job", args=[job.pk])).content.decode()


def test_an_admin_picks_the_team_of_new_customers(client, ada, south):
    job = _preview(client, _mapping_pk(_upload(client, ada, "name\nAcme\n", team=south.pk)))
    job_run(job_id=job.pk)
    client.post(reverse("customer-import-commit", args=[job.pk]))
    job_run(job_id=Job.objects.get(params__commit_of=job.pk).pk)
    assert Customer.objects.get().team == south


def test_another_users_upload_and_import_are_404(client, alice, bob):
    pk = _mapping_pk(_upload(client, alice, "name\nAcme\n"))
    client.force_login(bob)
    assert client.get(reverse("customer-import-mapping", args=[pk])).status_code == 404
    client.force_login(alice)
    job = _preview(client, pk)
    client.force_login(bob)
    for name in ("customer-import-job", "customer-import-errors"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("customer-import-commit", args=[job.pk])).status_code == 404
    assert client.post(reverse("customer-import-cancel", args=[job.pk])).status_code == 404


def test_mapping_labels_do_not_repeat_a_word_and_two_columns_for_one_field_is_an_error(client, alice):
    pk = _mapping_pk(_upload(client, alice, "kind,b\ncompany,Y\n"))
    url = reverse("customer-import-mapping", args=[pk])
    labels = dict(client.get(url).context["form"].fields["col_0"].choices)
    assert labels["kind"] == "Kind" and labels["phone"] == "Phone" and labels["email"] == "E-mail (email)"
    r = client.post(url, {"col_0": "name", "col_1": "name"})
    assert r.context["form"].errors["col_1"] and not Job.objects.exists()


@pytest.mark.parametrize("entity", importing.ENTITIES)
def test_template_csv_headers_are_recognised_by_the_importer(client, alice, entity):
    client.force_login(alice)
    r = client.get(reverse("customer-import-template", args=[entity]))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    headers = next(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert headers == list(importing.ENTITY_FIELDS[entity])
    assert importing.auto_mapping(headers, entity) == {h: h for h in headers}
    assert client.get(reverse("customer-import-template", args=["users"])).status_code == 404


@pytest.mark.parametrize("entity", importing.ENTITIES)
def test_every_template_has_a_realistic_example_row_under_its_header(client, alice, entity):
    client.force_login(alice)
    rows = list(csv.reader(io.StringIO(client.get(reverse("customer-import-template", args=[entity]))
                                       .content.decode("utf-8-sig"))))
    assert len(rows) == 2 and len(rows[1]) == len(rows[0]) and sum(bool(v) for v in rows[1]) >= 4


def test_the_customer_templates_example_row_imports_without_an_error(client, alice):
    client.force_login(alice)
    text = client.get(reverse("customer-import-template", args=["customers"])).content.decode("utf-8-sig")
    job = _preview(client, _mapping_pk(_upload(client, alice, text)))
    job_run(job_id=job.pk)
    page = client.get(reverse("customer-import-job", args=[job.pk]))
    assert page.context["summary"] == {"created": 1, "updated": 0, "unchanged": 0, "errors": 0}


def test_a_row_error_names_the_column_once_when_the_header_is_the_field_name(client, alice):
    job = _preview(client, _mapping_pk(_upload(client, alice, "name,kind\nAcme,vip\n")))
    job_run(job_id=job.pk)
    body = client.get(reverse("customer-import-job", args=[job.pk])).content.decode()
    row2 = re.search(r'<tr id="row-2" data-action="error">(.*?)</tr>', body, re.S).group(1)
    assert "<strong>kind</strong>: “vip” is not a valid choice. Choose one of: company (Company), person (Person)." \
        in row2
    assert "kind (kind)" not in body and "kind (Kind)" not in body


def test_an_import_whose_rows_have_errors_ends_failed_and_its_page_says_nothing_was_written(client, alice):
    """#16 item 3: not a dry run, a row with an error → status "failed", the page says nothing was
    imported and why, with the counts and the row errors (the error CSV too); no customer written."""
    from crm.importing import services
    from django.utils import timezone

    f = _csv("name,phone\nAcme,13812345678\nBeta,12345\n")
    job = services.import_start(actor=alice, entity="customers", upload=f, mapping=None, dry_run=False, team=None,
                                now=timezone.now())
    job = job_run(job_id=job.pk)
    assert job.status == Job.Status.FAILED and job.summary["errors"] == 1 and job.summary["written"] is False
    client.force_login(alice)
    page = client.get(reverse("customer-import-job", args=[job.pk])).content.decode()
    failed = re.search(r'id="import-failed">(.*?)</div>', page, re.S).group(1)
    assert "Nothing was imported: 1 row has errors" in failed
    assert 'id="row-3"' in page and 'id="errors-csv"' in page and 'id="import-success"' not in page
    assert not Customer.objects.exists()


def test_a_preview_is_mapped_again_and_rechecked_without_a_second_upload(client, alice):
    """#16 item 4: from a finished preview, "Change the column mapping" opens the mapping of the
    same stored upload (the last mapping chosen), and a new preview checks it again; the commit
    writes the stage of the preview it is started from, and deletes the upload."""
    pk = _mapping_pk(_upload(client, alice, "客户名称,电话,外部编号\nAcme,12345,E1\nBeta,13900001111,E2\n"))
    first = _preview(client, pk)
    job_run(job_id=first.pk)
    page = client.get(reverse("customer-import-job", args=[first.pk])).content.decode()
    assert f'href="{reverse("customer-import-mapping", args=[pk])}" id="remap-btn"' in page
    form = client.get(reverse("customer-import-mapping", args=[pk])).context["form"]
    assert [form[f"col_{i}"].initial for i in range(3)] == ["name", "phone", "external_id"]
    second = _preview(client, pk, {"col_0": "name", "col_1": "", "col_2": "external_id"})  # ignore the phones
    assert second.pk != first.pk and second.params["mapping"] == {"客户名称": "name", "外部编号": "external_id"}
    job_run(job_id=second.pk)
    second.refresh_from_db()
    assert (second.status, second.summary["created"], second.summary["errors"]) == ("succeeded", 2, 0)
    assert client.get(reverse("customer-import-mapping", args=[pk])).context["form"]["col_1"].initial == ""
    client.post(reverse("customer-import-commit", args=[second.pk]))
    assert not ImportFile.objects.filter(pk=pk).exists()  # the upload went with the commit
    assert client.get(reverse("customer-import-mapping", args=[pk])).status_code == 404
    job_run(job_id=Job.objects.get(params__commit_of=second.pk).pk)
    assert sorted(Customer.objects.values_list("name", "phone")) == [("Acme", ""), ("Beta", "")]
    page = client.get(reverse("customer-import-job", args=[second.pk])).content.decode()
    assert 'id="remap-btn"' not in page and 'id="commit-link"' in page
