"""Every export escapes user text: no spreadsheet formula, no reportlab markup (core.safe_export)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from core.safe_export import FORMULA_START, pdf_text, spreadsheet_cell

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_starting_like_a_formula_is_prefixed(value):
    assert spreadsheet_cell(value) == "'" + value


def test_plain_text_numbers_and_dates_are_left_alone():
    assert spreadsheet_cell("Acme 有限公司") == "Acme 有限公司"
    assert spreadsheet_cell(-3) == -3
    assert spreadsheet_cell(dt.date(2026, 5, 1)) == dt.date(2026, 5, 1)
    assert spreadsheet_cell(None) is None


def test_pdf_text_shows_markup_as_text():
    assert pdf_text("<b>bold & <img src='/etc/passwd'/>") == "&lt;b&gt;bold &amp; &lt;img src='/etc/passwd'/&gt;"
    assert pdf_text("a\nb") == "a<br/>b"


def _assert_no_formula(values):
    for value in values:
        if isinstance(value, str) and value:
            assert not value.startswith(FORMULA_START), value


@pytest.fixture
def hostile_customer(alice, make_customer):
    from crm.models import Team

    alice.team.name = "=Team()"
    alice.team.save(update_fields=["name"])
    assert Team.objects.filter(name="=Team()").exists()
    return make_customer(owner=alice, external_id="+1+1", name=HOSTILE[0], industry="-2+3", region="@SUM(A1)",
                         tags=",=cmd,", phone="+86 138 1234 5678", email="=x@example.com", id_number="-1",
                         address="\t=1", notes="=notes")


def test_customer_csv_has_no_cell_that_starts_a_formula(client, alice, hostile_customer):
    client.force_login(alice)
    body = b"".join(client.get(reverse("customer-export-csv")).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][2] == "'" + HOSTILE[0]
    assert "'+86 138 1234 5678" in rows[1] and "'=x@example.com" in rows[1] and "'@SUM(A1)" in rows[1]
    for row in rows:
        _assert_no_formula(row)


def test_customer_xlsx_has_no_formula_cell(client, alice, hostile_customer):
    from openpyxl import load_workbook

    client.force_login(alice)
    data = b"".join(client.get(reverse("customer-export-xlsx")).streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    _assert_no_formula(c.value for c in cells)
    assert "'" + HOSTILE[0] in {c.value for c in cells}


@pytest.fixture
def server_image(tmp_path):
    """A file of the server that an <img> tag in the markup would embed."""
    from PIL import Image

    path = tmp_path / "secret.png"
    Image.new("RGB", (4, 4), "red").save(path)
    return path


def test_raw_markup_would_embed_the_file_so_the_check_below_can_fail(server_image):
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    out = io.BytesIO()
    SimpleDocTemplate(out).build([Paragraph(f'<img src="{server_image}" width="10" height="10"/>')])
    assert b"/Subtype /Image" in out.getvalue()


@pytest.fixture
def hostile_review(lena, alice, now, server_image):
    from reviews import services

    review = services.review_create(user=lena, title="=HYPERLINK(\"http://evil\") <b>unclosed",
                                    period_start=dt.date(2026, 5, 1), period_end=dt.date(2026, 5, 31),
                                    scope_kind="team", summary=f'<img src="{server_image}"/> +summary',
                                    targets=[{"metric": "repurchase_rate", "target": 40, "analysis": "@SUM(A1) <i>"}],
                                    now=now)
    services.review_finding_add(review=review, kind="problem", title="-2+3 <font name=x>",
                                detail=f'<img src="{server_image}" width="10" height="10"/>', cause="=cause()")
    services.review_finding_add(review=review, kind="strength", title="+1", detail="@x", cause="<para>")
    services.review_action_create(actor=lena, review=review, title="+cmd|' /C calc'!A0 <u>", owner=alice,
                                  deadline=dt.date(2026, 6, 30), metric="", now=now)
    return review


def test_review_xlsx_has_no_formula_cell(client, lena, hostile_review):
    from openpyxl import load_workbook

    client.force_login(lena)
    response = client.get(reverse("reviews:export", args=[hostile_review.pk, "xlsx"]) + "?lang=en")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    _assert_no_formula(c.value for c in cells)
    values = {c.value for c in cells}
    assert {"'=HYPERLINK(\"http://evil\") <b>unclosed", "'-2+3 <font name=x>", "'=cause()", "'+1", "'@x",
            "'@SUM(A1) <i>", "'+cmd|' /C calc'!A0 <u>"} <= values


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_review_pdf_shows_markup_as_text_and_embeds_no_file(client, lena, hostile_review, lang):
    client.force_login(lena)
    response = client.get(reverse("reviews:export", args=[hostile_review.pk, "pdf"]) + f"?lang={lang}")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert b"/Subtype /Image" not in response.content


def test_review_pdf_of_the_api_builds_with_an_unclosed_tag(api_client_for, lena, hostile_review):
    response = api_client_for(lena).get(f"/api/v1/reviews/{hostile_review.pk}/export/pdf/")
    assert response.status_code == 200
    assert b"/Subtype /Image" not in response.content
