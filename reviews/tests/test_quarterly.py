"""Issue 12 item 6: quarterly reviews beside the monthly ones, and seed 000's report
header (purpose, period, participants, data sources) in the page, the API, the
XLSX and the PDF."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Review
from reviews.tests.factories import at, buy

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def repurchases(make_customer, alice):
    """Acme buys in April and May (2 purchases in Q2, 1 a month); Beta buys once in June."""
    acme, beta = make_customer(owner=alice, name="Acme"), make_customer(owner=alice, name="Beta")
    buy(acme, D(2026, 4, 10)); buy(acme, D(2026, 5, 10)); buy(beta, D(2026, 6, 10))  # noqa: E702
    return acme, beta


def test_at_a_quarters_start_the_task_drafts_the_quarter_before_once_per_team(repurchases, north, south, lena,
                                                                               alice):
    from reviews.tasks import monthly_drafts_create

    july_1 = at(D(2026, 7, 1), 6)
    monthly, quarterly = (services.review_monthly_drafts_create(now=july_1),
                          services.review_quarterly_drafts_create(now=july_1))
    assert len(monthly) == len(quarterly) == 2  # North and South
    q2 = Review.objects.get(team=north, auto_quarter=D(2026, 7, 1))
    assert (q2.period_kind, q2.period_start, q2.period_end) == ("quarter", D(2026, 4, 1), D(2026, 6, 30))
    assert "2026-Q2" in q2.title
    # Metrics over the quarter: Acme's two purchases are a repurchase in Q2, in no single month.
    rows = {m.metric: m for m in q2.metric_rows.all()}
    assert (rows["repurchase_rate"].numerator, rows["repurchase_rate"].denominator) == (1, 2)
    june = Review.objects.get(team=north, auto_month=D(2026, 7, 1))
    assert june.period_kind == "month" and june.metric_rows.get(metric="repurchase_rate").numerator == 0
    # Seed 000's header: the team's members take part; the data sources are its metrics'.
    assert set(q2.participants.all()) == {lena, alice}
    assert {"crm", "surveys", "tickets"} <= set(q2.data_sources)
    # Run again (a redelivered task, or later in the quarter): nothing more.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.now", lambda: july_1)
        assert monthly_drafts_create() == []
    assert Review.objects.filter(auto_quarter__isnull=False).count() == 2
    assert services.review_quarterly_drafts_create(now=at(D(2026, 8, 1), 6)) == []


def test_a_lead_picks_a_quarter_and_the_report_covers_it(lena, repurchases, client):
    client.force_login(lena)
    response = client.post(reverse("reviews:create"), {
        "title": "Q2", "period_kind": "quarter", "period_start": "2026-05-20", "scope_kind": "team",
        "summary": "回顾第二季度的客户维护工作", "data_sources": ["crm", "feedback"], "participants": [lena.pk],
        "use_repurchase_rate": "on", "target_repurchase_rate": "40"})
    assert response.status_code == 302
    review = Review.objects.get(title="Q2")
    assert (review.period_start, review.period_end, review.period_kind) == (D(2026, 4, 1), D(2026, 6, 30), "quarter")
    assert review.metric_rows.get().actual == 50.0  # Acme of Acme and Beta
    assert review.data_sources == ["crm", "feedback"] and list(review.participants.all()) == [lena]
    # A custom period still needs its end, beside the field.
    response = client.post(reverse("reviews:create"), {
        "title": "x", "period_kind": "custom", "period_start": "2026-05-20", "scope_kind": "team"})
    assert response.status_code == 200 and "period_end" in response.context["form"].errors


def test_participants_are_people_the_author_may_name(lena, charlie, sam, now):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.review_create(user=lena, title="x", period_start=D(2026, 4, 1), period_kind="quarter",
                               scope_kind="team", participants=[charlie], now=now)
    assert set(exc.value.message_dict) == {"participants"}
    assert not Review.objects.exists()
    # Support staff (the service side of the review) may take part.
    review = services.review_create(user=lena, title="x", period_start=D(2026, 4, 1), period_kind="quarter",
                                    scope_kind="team", participants=[lena, sam], now=now)
    assert set(review.participants.all()) == {lena, sam}


def test_the_api_creates_a_quarterly_report_and_reads_its_header(lena, alice, charlie, api_client_for):
    api = api_client_for(lena)
    response = api.post("/api/v1/reviews/", {
        "title": "Q2", "period_kind": "quarter", "period_start": "2026-04-01", "scope": "team",
        "summary": "Purpose", "participants": [lena.pk, alice.pk], "data_sources": ["crm", "tickets"],
        "targets": []}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["period_start"], body["period_end"], body["period_kind"]) == ("2026-04-01", "2026-06-30", "quarter")
    assert body["header"]["purpose"] == "Purpose"
    assert [p["name"] for p in body["header"]["participants"]] == ["alice", "lena"] or \
        {p["name"] for p in body["header"]["participants"]} == {"alice", "lena"}
    assert [d["key"] for d in body["header"]["data_sources"]] == ["crm", "tickets"]
    # Another team's manager: 400 beside the field; an unknown source too.
    bad = api.patch(f"/api/v1/reviews/{body['id']}/", {"participants": [charlie.pk]}, format="json")
    assert bad.status_code == 400 and "participants" in bad.json()
    bad = api.patch(f"/api/v1/reviews/{body['id']}/", {"data_sources": ["rumours"]}, format="json")
    assert bad.status_code == 400 and "data_sources" in bad.json()
    ok = api.patch(f"/api/v1/reviews/{body['id']}/", {"participants": [lena.pk]}, format="json")
    assert [p["id"] for p in ok.json()["header"]["participants"]] == [lena.pk]


@pytest.fixture
def header_review(lena, alice, now):
    return services.review_create(
        user=lena, title="Q2 复盘", period_start=D(2026, 4, 1), period_kind="quarter", scope_kind="team",
        summary="=HYPERLINK(\"http://x\") <b>全面回顾</b>", participants=[lena, alice],
        data_sources=["crm", "surveys"], targets=[], now=now)


def test_the_xlsx_carries_the_header_escaped(header_review):
    from openpyxl import load_workbook

    from reviews.exports import review_xlsx

    for lang, labels in (("zh-hans", ("复盘目的", "参与人员", "数据来源")),
                         ("en", ("Purpose", "Participants", "Data sources"))):
        ws = load_workbook(io.BytesIO(review_xlsx(review=header_review, language=lang))).active
        lines = {r[0]: r[1] for r in ws.iter_rows(min_row=2, max_row=6, values_only=True)}
        purpose, participants, sources = (lines[label] for label in labels)
        assert purpose.startswith("'=HYPERLINK")  # a formula start is text (core.safe_export)
        assert "alice" in participants and "lena" in participants
        assert sources.count(";") == 1
        assert "2026-04-01 – 2026-06-30" in list(lines.values())[1]


def test_the_pdf_carries_the_header_through_the_escaping(header_review, monkeypatch):
    from core import safe_export
    from reviews import exports

    seen = []
    monkeypatch.setattr(exports, "pdf_text", lambda text: seen.append(text) or safe_export.pdf_text(text))
    pdf = exports.review_pdf(review=header_review, language="en")
    assert pdf.startswith(b"%PDF")
    assert {"Purpose", "Participants", "Data sources"} <= set(seen)
    assert any("<b>全面回顾</b>" in t for t in seen)  # escaped: shown as typed, not read as markup
    assert any("alice" in t and "lena" in t for t in seen)


def test_the_page_shows_the_header(header_review, lena, client):
    client.force_login(lena)
    page = client.get(reverse("reviews:detail", args=[header_review.pk]))
    header = page.context["header"]
    assert header["period_kind"] == "quarter" and [d["key"] for d in header["data_sources"]] == ["crm", "surveys"]
    assert b"id=\"header-participants\"" in page.content and "alice" in page.content.decode()
