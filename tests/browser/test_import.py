"""Importing in real Chromium, as background jobs run by a real Celery worker:
alice uploads 20,000 customers with one bad row, watches the preview's progress
bar, reads the error on that row, downloads the error CSV, fixes the file,
uploads it again and imports it; another import is cancelled while queued."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.models import Job
from crm.models import Customer, ImportFile

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 20_000
BAD_ROW = 10_001  # spreadsheet row number (the header is row 1)


def _file(bad: bool) -> str:
    lines = ["客户名称,电话,外部编号,负责人"]
    for i in range(ROWS):
        phone = "12345" if bad and i + 2 == BAD_ROW else f"+86 138-{i // 10000:04d}-{i % 10000:04d}"
        lines.append(f"华东客户{i},{phone},HD-{i:05d},")
    return "\n".join(lines) + "\n"


def _upload(page, text: str, name: str = "customers.csv"):
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "text/csv",
                                              "buffer": text.encode("utf-8-sig")}])
    page.click("#upload-btn")
    page.wait_for_load_state()


@pytest.mark.worker
def test_alice_imports_20000_customers_after_fixing_a_bad_row(alice, login_as, live_server, screenshot,
                                                              celery_worker_real):
    page = login_as(alice)
    page.click("#import-link")
    expect(page.locator("h1")).to_have_text("Import data")
    page.click("#upload-btn")  # nothing chosen: the error stands beside the file field
    expect(page.locator("#import-upload .field.has-error")).to_contain_text("This field is required.")

    _upload(page, _file(bad=True))
    expect(page.locator("h1")).to_have_text("Map columns")
    first_upload = int(re.search(r"/customers/import/file/(\d+)/", page.url).group(1))
    expect(page.locator("#id_col_0")).to_have_value("name")  # Chinese headers mapped automatically
    expect(page.locator("#id_col_1")).to_have_value("phone")
    expect(page.locator("#id_col_2")).to_have_value("external_id")
    expect(page.locator("#id_col_3")).to_have_value("owner")
    screenshot("import-mapping-en")
    page.click("#preview-btn")
    expect(page.locator("h1")).to_have_text("Import preview")
    expect(page.locator(".job-progress progress")).to_be_visible()
    screenshot("import-preview-progress-en")
    expect(page.locator("#import-main")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.locator("#kpi-create .value")).to_have_text(str(ROWS - 1))
    expect(page.locator("#kpi-error .value")).to_have_text("1")
    expect(page.locator(f"#row-{BAD_ROW}")).to_contain_text("电话 (Phone)")
    expect(page.locator(f"#row-{BAD_ROW}")).to_contain_text("“12345” is not a phone number")
    expect(page.locator("#import-btn")).to_be_disabled()
    with page.expect_download() as download:
        page.click("#errors-csv")
    rows = open(download.value.path(), encoding="utf-8-sig").read().strip().splitlines()
    assert rows[0] == "row,field,message" and rows[1].startswith(f"{BAD_ROW},phone,")
    screenshot("import-preview-errors-en")
    assert not Customer.objects.exists()

    # The same stored file mapped again (phones ignored) and checked again, without uploading it.
    page.click("#remap-btn")
    expect(page.locator("h1")).to_have_text("Map columns")
    expect(page.locator("#id_col_1")).to_have_value("phone")  # the mapping chosen last
    page.select_option("#id_col_1", "")
    page.click("#preview-btn")
    expect(page.locator("#import-main")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.locator("#kpi-create .value")).to_have_text(str(ROWS))
    expect(page.locator("#kpi-error .value")).to_have_text("0")
    screenshot("import-preview-remapped-en")
    assert not Customer.objects.exists()

    page.click("#upload-another")
    _upload(page, _file(bad=False))
    page.click("#preview-btn")
    expect(page.locator("#import-main")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.locator("#kpi-create .value")).to_have_text(str(ROWS))
    expect(page.locator("#kpi-error .value")).to_have_text("0")
    screenshot("import-preview-ok-en")
    assert not Customer.objects.exists()  # the preview is a dry run

    page.click("#import-btn")
    expect(page.locator("h1")).to_have_text("Import")
    expect(page.locator("#import-success")).to_contain_text(f"{ROWS} created, 0 updated", timeout=60_000)
    screenshot("import-done-en")
    assert Customer.objects.count() == ROWS
    c = Customer.objects.get(external_id="HD-00042")
    assert (c.phone, c.owner, c.team) == ("13800000042", alice, alice.team)
    # The imported file's upload and stage are gone; what is left is the first file's, abandoned
    # for the second (its upload and its re-mapped preview's stage), for the 24-hour sweep.
    remapped = Job.objects.order_by("id")[1]
    assert set(ImportFile.objects.filter(purpose__in=["upload", "stage"]).values_list("pk", flat=True)) == {
        first_upload, ImportFile.objects.get(job=remapped, purpose="stage").pk}

    page.goto(f"{live_server.url}/customers/import/")
    expect(page.locator("#import-list tbody tr")).to_have_count(4)
    expect(page.locator("#import-list tbody tr").first).to_contain_text(f"{ROWS} new")
    screenshot("import-history-en")


def test_a_queued_import_is_cancelled_and_writes_nothing_in_chinese(alice, login_as, live_server, screenshot):
    page = login_as(alice, lang="zh-hans")
    page.goto(f"{live_server.url}/customers/import/")
    expect(page.locator("h1")).to_have_text("导入数据")
    _upload(page, "客户名称,电话\n西湖茶业,13900001111\n")
    expect(page.locator("#preview-btn")).to_have_text("预览")
    page.click("#preview-btn")  # no worker runs here: the job stays queued
    expect(page.locator("h1")).to_have_text("导入预览")
    screenshot("import-queued-zh")
    page.click("#cancel-btn")
    expect(page.locator("#import-cancelled")).to_contain_text("未写入任何数据")
    screenshot("import-cancelled-zh")
    assert Job.objects.get().status == "cancelled"
    assert not Customer.objects.exists() and not ImportFile.objects.exists()
