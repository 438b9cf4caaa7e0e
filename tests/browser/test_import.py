"""Importing customers in real Chromium: alice uploads a CSV with Chinese headers
and one bad row, sees the error on that row, fixes the file and imports it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)

BAD = "客户名称,电话,外部编号\n华东贸易有限公司,+86 138-1234-5678,HD-001\n,13900001111,HD-002\n北方物流,１３７００００２２２２,HD-003\n"
FIXED = BAD.replace(",13900001111,HD-002", "西湖茶业,13900001111,HD-002")


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.CRM_IMPORT_DIR = tmp_path / "imports"


def _upload(page, text: str, name: str = "customers.csv"):
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "text/csv",
                                              "buffer": text.encode("utf-8-sig")}])
    page.click("#upload-btn")
    page.wait_for_load_state()


def test_alice_imports_customers_after_fixing_a_bad_row(alice, login_as, live_server, screenshot):
    page = login_as(alice)
    page.click("#import-link")
    expect(page.locator("h1")).to_have_text("Import data")
    page.click("#upload-btn")  # nothing chosen: the error stands beside the file field
    expect(page.locator("#import-upload .field.has-error")).to_contain_text("This field is required.")
    screenshot("import-upload-en")

    _upload(page, BAD)
    expect(page.locator("h1")).to_have_text("Import preview")
    # The Chinese headers were mapped automatically.
    expect(page.locator("#id_col_0")).to_have_value("name")
    expect(page.locator("#id_col_1")).to_have_value("phone")
    expect(page.locator("#id_col_2")).to_have_value("external_id")
    expect(page.locator("#kpi-create .value")).to_have_text("2")
    expect(page.locator("#kpi-error .value")).to_have_text("1")
    # The error is on row 3 of the file (the header is row 1), beside the column it concerns.
    expect(page.locator("#row-3 .badge")).to_have_text("error")
    expect(page.locator("#row-3")).to_contain_text("客户名称 (name)")
    expect(page.locator("#row-2 .badge")).to_have_text("create")
    expect(page.locator("#import-btn")).to_be_disabled()
    screenshot("import-preview-errors-en")
    assert not Customer.objects.exists()

    page.click("#upload-another")
    _upload(page, FIXED)
    expect(page.locator("#kpi-create .value")).to_have_text("3")
    expect(page.locator("#kpi-error .value")).to_have_text("0")
    expect(page.locator("#import-rows tbody tr")).to_have_count(3)
    screenshot("import-preview-ok-en")
    assert not Customer.objects.exists()  # the preview is a dry run

    page.click("#import-btn")
    expect(page.locator("#import-success")).to_contain_text("3 created, 0 updated, 0 duplicates skipped")
    screenshot("import-done-en")
    page.click("#back-to-list")
    expect(page.locator("#customer-table")).to_contain_text("西湖茶业")
    expect(page.locator("#customer-table")).to_contain_text("HD-002")
    c = Customer.objects.get(external_id="HD-003")
    assert (c.name, c.phone, c.owner) == ("北方物流", "13700002222", alice)


def test_the_import_pages_speak_chinese(alice, login_as, live_server, screenshot):
    page = login_as(alice, lang="zh-hans")
    page.goto(f"{live_server.url}/customers/import/")
    expect(page.locator("h1")).to_have_text("导入数据")
    screenshot("import-upload-zh")
    _upload(page, BAD)
    expect(page.locator("h1")).to_have_text("导入预览")
    expect(page.locator("#row-3 .badge")).to_have_text("错误")
    expect(page.locator("#import-btn")).to_have_text("导入")
    screenshot("import-preview-errors-zh")
    page.click("#upload-another")
    _upload(page, FIXED)
    page.click("#import-btn")
    expect(page.locator("#import-success")).to_contain_text("新建 3")
    screenshot("import-done-zh")
