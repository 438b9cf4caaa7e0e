"""Review reports, actions, drafts, reminders, exports, API and pages."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from core.models import Notification
from reviews import services
from reviews.models import Review, ReviewAction
from reviews.tests.factories import buy

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def may_data(alice, make_customer):
    a, b, c = (make_customer(owner=alice, name=n) for n in "ABC")
    buy(a, D(2026, 5, 2)); buy(a, D(2026, 5, 20))  # noqa: E702
    buy(b, D(2026, 5, 2)); buy(c, D(2026, 5, 9))  # noqa: E702
    buy(a, D(2026, 4, 2)); buy(a, D(2026, 4, 3)); buy(b, D(2026, 4, 9))  # noqa: E702  April: 1 of 2
    return a, b, c


def make_review(lena, now, targets=None):
    return services.review_create(user=lena, title="May review", period_start=D(2026, 5, 1),
                                  period_end=D(2026, 5, 31), scope_kind="team",
                                  targets=targets or [{"metric": "repurchase_rate", "target": 40},
                                                      {"metric": "churn_rate", "target": 5}], now=now)


def test_report_rows_show_computed_actual_deviation_and_previous(lena, may_data, now):
    from reviews.report import review_rows

    review = make_review(lena, now)
    row = {r["metric"]: r for r in review_rows(review=review)}["repurchase_rate"]
    # May: A bought twice, B and C once -> 1/3 = 33.33 %; April: 1/2 = 50 %.
    assert row["actual"] == 33.33 and row["previous"] == 50.0
    assert row["deviation"] == -6.67 and row["deviation_pct"] == -16.7 and row["on_target"] is False
    assert row["change"] == -16.67 and row["improved"] is False


def test_lead_reports_only_on_own_team(lena, south, now):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.review_create(user=lena, title="x", period_start=D(2026, 5, 1), period_end=D(2026, 5, 31),
                               scope_kind="team", team=south, targets=[], now=now)
    assert "team" in exc.value.message_dict


def test_monthly_draft_is_created_once_per_team_and_month(lena, north, south, now):
    first = make_review(lena, now, targets=[{"metric": "nps", "target": 30}])
    june_1 = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.timezone.utc)
    created = services.review_monthly_drafts_create(now=june_1)
    assert len(created) == 2  # North and South
    assert services.review_monthly_drafts_create(now=june_1) == []  # a second run drafts nothing
    north_draft = Review.objects.get(team=north, auto_month=D(2026, 6, 1))
    assert (north_draft.period_start, north_draft.period_end) == (D(2026, 5, 1), D(2026, 5, 31))
    # The targets of North's last report are carried over; actuals are filled.
    assert [(m.metric, m.target) for m in north_draft.metric_rows.all()] == [("nps", 30.0)]
    assert north_draft.actuals_computed_at == june_1
    assert Review.objects.filter(auto_month__isnull=False).count() == 2
    assert first.auto_month is None


def test_the_unique_constraint_stops_a_second_draft(north, now):
    from django.db import IntegrityError, transaction

    Review.objects.create(title="a", period_start=D(2026, 5, 1), period_end=D(2026, 5, 31), team=north,
                          created_at=now, auto_month=D(2026, 6, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(title="b", period_start=D(2026, 5, 1), period_end=D(2026, 5, 31), team=north,
                              created_at=now, auto_month=D(2026, 6, 1))


def test_charlie_cannot_open_a_north_report(lena, charlie, client, api_client_for, now):
    review = make_review(lena, now)
    client.force_login(charlie)
    assert client.get(reverse("reviews:detail", args=[review.pk])).status_code == 404
    assert client.get(reverse("reviews:export", args=[review.pk, "xlsx"])).status_code == 404
    api = api_client_for(charlie)
    assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert api.get("/api/v1/reviews/").json()["results"] == []


def test_alice_reads_her_teams_report_but_cannot_edit_it(lena, alice, client, now):
    review = make_review(lena, now)
    client.force_login(alice)
    assert client.get(reverse("reviews:detail", args=[review.pk])).status_code == 200
    assert client.post(reverse("reviews:refresh", args=[review.pk])).status_code == 404


def test_xlsx_export_holds_the_numbers_of_the_page(lena, may_data, client, now):
    from openpyxl import load_workbook

    review = make_review(lena, now)
    client.force_login(lena)
    page = client.get(reverse("reviews:detail", args=[review.pk]))
    rows = {r["metric"]: r for r in page.context["rows"]}
    response = client.get(reverse("reviews:export", args=[review.pk, "xlsx"]) + "?lang=en")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    sheet = {row[0]: row for row in ws.iter_rows(min_row=6, values_only=True) if row[0]}
    for metric in ("repurchase_rate", "churn_rate"):
        r = rows[metric]
        got = sheet[r["name"]]
        assert (got[3], got[4], got[5], got[6], got[8]) == (r["target"], r["actual"], r["deviation"],
                                                            r["deviation_pct"], r["previous"])
    assert sheet["Repurchase rate"][4] == 33.33
    zh = client.get(reverse("reviews:export", args=[review.pk, "xlsx"]) + "?lang=zh-hans")
    assert "复购率" in {row[0] for row in load_workbook(io.BytesIO(zh.content)).active.iter_rows(values_only=True)}


def test_pdf_export_renders_in_chinese_and_english(lena, may_data, client, now):
    review = make_review(lena, now)
    services.review_finding_add(review=review, kind="problem", title="流失率偏高", cause="服务响应慢")
    client.force_login(lena)
    for lang in ("zh-hans", "en"):
        response = client.get(reverse("reviews:export", args=[review.pk, "pdf"]) + f"?lang={lang}")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_api_creates_a_report_and_reads_rows(lena, may_data, api_client_for):
    api = api_client_for(lena)
    response = api.post("/api/v1/reviews/", {
        "title": "May", "period_start": "2026-05-01", "period_end": "2026-05-31", "scope": "team",
        "targets": [{"metric": "repurchase_rate", "target": 40}],
        "problems": [{"title": "Low repurchase", "cause": "No follow-up after first order"}]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    row = body["rows"][0]
    # Each part opens its records (the drill-down endpoint), in the report's period and scope.
    assert row.pop("parts") == {"numerator": 1, "denominator": 3}
    assert row.pop("records")["numerator"].endswith(
        f"/api/v1/metrics/repurchase_rate/records/?start=2026-05-01&end=2026-05-31&part=numerator&team={lena.team_id}")
    assert row == {"metric": "repurchase_rate", "name": "Repurchase rate", "unit": "%",
                               "direction": "higher", "target": 40.0, "actual": 33.33, "numerator": 1.0,
                               "denominator": 3.0, "deviation": -6.67, "deviation_pct": -16.7, "on_target": False,
                               "previous": 50.0, "change": -16.67, "improved": False, "analysis": ""}
    assert body["problems"][0]["cause"] == "No follow-up after first order"
    assert set(body["exports"]) == {"xlsx_zh-hans", "xlsx_en", "pdf_zh-hans", "pdf_en"}


def test_api_rejects_bad_input_per_field(lena, api_client_for):
    response = api_client_for(lena).post("/api/v1/reviews/", {
        "title": "", "period_start": "2026-05-31", "period_end": "2026-05-01", "scope": "team",
        "targets": [{"metric": "nope"}]}, format="json")
    assert response.status_code == 400
    assert {"title", "targets"} <= set(response.json())
    assert Review.objects.count() == 0


def test_metric_api_lists_catalogue_and_computes_value(alice, may_data, api_client_for, charlie, north):
    api = api_client_for(alice)
    keys = [m["key"] for m in api.get("/api/v1/metrics/").json()["results"]]
    assert "churn_rate" in keys and len(keys) == 20
    body = api.get("/api/v1/metrics/repurchase_rate/?start=2026-05-01&end=2026-05-31").json()
    assert (body["value"], body["numerator"], body["denominator"]) == (33.33, 1, 3)
    assert body["period"] == {"start": "2026-05-01", "end": "2026-05-31"}
    assert body["scope"]["team"] == north.pk
    # Charlie asking for North's numbers gets 404; an unknown metric too.
    assert api_client_for(charlie).get(f"/api/v1/metrics/repurchase_rate/?team={north.pk}").status_code == 404
    assert api.get("/api/v1/metrics/nope/").status_code == 404
    assert api.get("/api/v1/metrics/churn_rate/?start=2026-05-31&end=2026-05-01").status_code == 400


def test_actions_reach_owner_task_list_and_remind_once(lena, alice, client, now):
    review = make_review(lena, now)
    action = services.review_action_create(actor=lena, review=review, title="Call every one-time buyer",
                                           owner=alice, deadline=D(2026, 6, 18), metric="repurchase_rate", now=now)
    assert action.baseline == review.metric_rows.get(metric="repurchase_rate").actual
    client.force_login(alice)
    assert "Call every one-time buyer" in client.get(reverse("reviews:my-actions")).content.decode()
    # 15 June: 3 days left -> the 3-day reminder, once.
    assert services.review_action_reminders_send(now=now) == 1
    assert services.review_action_reminders_send(now=now) == 0
    # 17 June: 1 day left -> the 1-day reminder, once.
    later = now + dt.timedelta(days=2)
    assert services.review_action_reminders_send(now=later) == 1
    assert services.review_action_reminders_send(now=later) == 0
    assert Notification.objects.filter(recipient=alice, kind="review_action_due").count() == 2
    services.review_action_status_set(action=action, user=alice, status="done", now=later)
    assert ReviewAction.objects.get(pk=action.pk).completed_at == later


def test_owner_must_be_in_the_reports_team(lena, charlie, now):
    from django.core.exceptions import ValidationError

    review = make_review(lena, now)
    with pytest.raises(ValidationError) as exc:
        services.review_action_create(actor=lena, review=review, title="x", owner=charlie, deadline=D(2026, 7, 1),
                                      now=now)
    assert "owner" in exc.value.message_dict


def test_next_report_shows_earlier_actions_and_their_metric_movement(lena, alice, may_data, make_customer, now):
    from reviews.report import review_earlier_actions

    may = make_review(lena, now)
    services.review_action_create(actor=lena, review=may, title="Second-order offer", owner=alice,
                                  deadline=D(2026, 6, 20),
                                  metric="repurchase_rate", now=now)
    a, b, c = may_data
    buy(b, D(2026, 6, 3)); buy(b, D(2026, 6, 4)); buy(c, D(2026, 6, 5))  # noqa: E702  June: 1 of 2 = 50 %
    june = services.review_create(user=lena, title="June", period_start=D(2026, 6, 1), period_end=D(2026, 6, 30),
                                  scope_kind="team", targets=[{"metric": "repurchase_rate", "target": 40}], now=now)
    [earlier] = review_earlier_actions(review=june)
    assert (earlier["baseline"], earlier["current"], earlier["change"], earlier["improved"]) == (
        33.33, 50.0, 16.67, True)


def test_review_list_issues_a_fixed_number_of_queries(lena, now, client, django_assert_max_num_queries):
    for i in range(5):
        make_review(lena, now, targets=[{"metric": "nps"}])
    client.force_login(lena)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("reviews:list"))
    assert response.status_code == 200 and response.content.decode().count("May review") == 5


def test_review_api_list_issues_a_fixed_number_of_queries(lena, now, api_client_for,
                                                          django_assert_max_num_queries):
    for i in range(5):
        make_review(lena, now, targets=[{"metric": "nps"}])
    api = api_client_for(lena)
    with django_assert_max_num_queries(11):  # the header's participants: one prefetch for the page
        assert len(api.get("/api/v1/reviews/").json()["results"]) == 5


def test_web_create_report_with_targets(lena, may_data, client):
    client.force_login(lena)
    response = client.post(reverse("reviews:create"), {
        "title": "May web", "period_start": "2026-05-01", "period_end": "2026-05-31", "scope_kind": "team",
        "use_repurchase_rate": "on", "target_repurchase_rate": "40"})
    review = Review.objects.get(title="May web")
    assert response.status_code == 302
    assert [(m.metric, m.target, m.actual) for m in review.metric_rows.all()] == [("repurchase_rate", 40.0, 33.33)]


def test_web_create_shows_errors_beside_fields(lena, client):
    client.force_login(lena)
    response = client.post(reverse("reviews:create"), {
        "title": "", "period_start": "2026-05-31", "period_end": "2026-05-01", "scope_kind": "team"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"title", "period_end"}
    assert Review.objects.count() == 0


def test_dashboard_renders_charts_and_tables_from_snapshots(lena, may_data, client, now,
                                                           django_assert_max_num_queries):
    from reviews.models import MetricSnapshot

    services.metric_snapshots_rebuild(as_of=D(2026, 6, 15), now=now)
    assert MetricSnapshot.objects.filter(scope_key=f"team:{lena.team_id}", metric="repurchase_rate",
                                         period_start=D(2026, 5, 1)).get().value == 33.33
    client.force_login(lena)
    import unittest.mock as mock

    with mock.patch("django.utils.timezone.now", return_value=now), django_assert_max_num_queries(20):
        response = client.get(reverse("reviews:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-chart="chart-data-nps-trend"' in html and "Table view" in html
    assert "33.33" in html


def test_snapshot_rebuild_is_idempotent(lena, may_data, now):
    from reviews.models import DashboardSnapshot, MetricSnapshot

    services.metric_snapshots_rebuild(as_of=D(2026, 6, 15), now=now)
    counts = MetricSnapshot.objects.count(), DashboardSnapshot.objects.count()
    services.metric_snapshots_rebuild(as_of=D(2026, 6, 15), now=now)
    assert (MetricSnapshot.objects.count(), DashboardSnapshot.objects.count()) == counts


def test_demo_hook_drafts_last_months_report_per_team_with_an_action(lena, alice, charlie, ada, may_data, now):
    from reviews.demo import demo_generate, demo_reset
    from reviews.models import MetricSnapshot

    summary = demo_generate(seed=1, now=now)
    assert summary.startswith("2 review reports for 2026-05")
    north = Review.objects.get(team=lena.team)
    assert north.created_by == lena and north.actions.get().owner in (alice,)
    assert north.metric_rows.get(metric="repurchase_rate").actual == 33.33
    assert Review.objects.get(team=charlie.team).created_by == ada
    assert MetricSnapshot.objects.filter(scope_key="all").exists()
    demo_reset()
    assert not Review.objects.exists()


def test_nps_metric_route_stays_with_surveys_and_generic_route_serves_the_rest(alice, api_client_for):
    from django.urls import resolve

    assert resolve("/api/v1/metrics/nps/").url_name == "api-metric-nps"
    assert resolve("/api/v1/metrics/churn_rate/").url_name == "api-metric-value"
    assert api_client_for(alice).get("/api/v1/metrics/nps/?start=2026-05-01&end=2026-05-31").status_code == 200


def test_review_actions_api_scope_and_status(lena, alice, charlie, api_client_for, now,
                                             django_assert_max_num_queries):
    review = make_review(lena, now)
    api = api_client_for(lena)
    created = api.post("/api/v1/review-actions/", {"review": review.pk, "title": "Call back", "owner": alice.pk,
                                                    "deadline": "2026-07-01", "metric": "churn_rate"}, format="json")
    assert created.status_code == 201, created.json()
    action_id = created.json()["id"]
    # Charlie (South) can neither see it nor attach an action to North's report.
    charlie_api = api_client_for(charlie)
    assert charlie_api.get(f"/api/v1/review-actions/{action_id}/").status_code == 404
    bad = charlie_api.post("/api/v1/review-actions/", {"review": review.pk, "title": "x", "owner": charlie.pk,
                                                        "deadline": "2026-07-01"}, format="json")
    assert bad.status_code == 400 and "review" in bad.json()
    # Alice owns it: she moves it to done.
    alice_api = api_client_for(alice)
    assert alice_api.patch(f"/api/v1/review-actions/{action_id}/", {"status": "done"},
                           format="json").json()["status"] == "done"
    for i in range(4):
        services.review_action_create(actor=lena, review=review, title=f"a{i}", owner=alice, deadline=D(2026, 7, 1),
                                      now=now)
    with django_assert_max_num_queries(6):
        assert len(alice_api.get("/api/v1/review-actions/").json()["results"]) == 5


def test_grid_cell_lists_the_customers_of_the_cell(lena, alice, charlie, make_customer, client, now):
    from segmentation.models import CustomerSegment

    def seg(customer, value_tier, health):
        CustomerSegment.objects.create(customer=customer, as_of=D(2026, 6, 15), tier="potential", rfm_segment="loyal",
                                       value_tier=value_tier, membership_level="bronze", health_score=health,
                                       next_contact_due=D(2026, 6, 20), computed_at=now)

    seg(make_customer(owner=alice, name="High-engaged"), "high", 85)
    seg(make_customer(owner=alice, name="High-medium"), "high", 55)
    seg(make_customer(owner=charlie, name="South high"), "high", 90)
    client.force_login(lena)
    import unittest.mock as mock

    with mock.patch("django.utils.timezone.now", return_value=now):
        dash = client.get(reverse("reviews:dashboard")).content.decode()
        link = "/reviews/metrics/value_engagement/records/?start=2026-06-01&amp;end=2026-06-15&amp;part=high%3Ahigh"
        assert link in dash
        html = client.get(link.replace("&amp;", "&")).content.decode()
        assert "High-engaged" in html and "High-medium" not in html and "South high" not in html
        # The old cell link leads to the same list.
        old = client.get(reverse("reviews:grid-cell") + "?value=high&engagement=high")
        assert old.status_code == 302 and "part=high%3Ahigh" in old["Location"]
    assert client.get(reverse("reviews:grid-cell") + "?value=top&engagement=high").status_code == 404


def test_alices_dashboard_is_personal(alice, bob, make_customer, client, now):
    from crm.models import FollowUp

    for owner in (alice, bob):
        c = make_customer(owner=owner, name=f"{owner.username}'s")
        FollowUp.objects.create(customer=c, owner=owner, reason="call", due_at=now - dt.timedelta(days=2),
                                created_at=now - dt.timedelta(days=5))
    client.force_login(alice)
    response = client.get(reverse("reviews:dashboard"))
    assert response.context["personal"] is True
    assert [r["owner"] for r in response.context["overdue"]] == ["alice"]  # no name set: the username


def test_api_patch_replaces_targets_and_keeps_actuals_computed(lena, may_data, api_client_for, now):
    review = make_review(lena, now)
    api = api_client_for(lena)
    body = api.patch(f"/api/v1/reviews/{review.pk}/", {
        "status": "final", "targets": [{"metric": "repurchase_rate", "target": 30, "analysis": "ok"},
                                       {"metric": "collection_rate", "target": 90}]}, format="json").json()
    assert body["status"] == "final"
    rows = {r["metric"]: r for r in body["rows"]}
    assert set(rows) == {"repurchase_rate", "collection_rate"}
    assert rows["repurchase_rate"]["on_target"] is True and rows["repurchase_rate"]["analysis"] == "ok"
    # Actual values can never be typed: an "actual" in the payload is ignored.
    api.patch(f"/api/v1/reviews/{review.pk}/", {"targets": [{"metric": "repurchase_rate", "actual": 99}]},
              format="json")
    assert review.metric_rows.get(metric="repurchase_rate").actual == 33.33


def test_lead_marks_a_report_final_and_alice_cannot(lena, alice, client, now):
    review = make_review(lena, now)
    client.force_login(alice)
    assert client.post(reverse("reviews:status", args=[review.pk]), {"status": "final"}).status_code == 404
    client.force_login(lena)
    client.post(reverse("reviews:status", args=[review.pk]), {"status": "final"})
    assert Review.objects.get(pk=review.pk).status == "final"


def test_dashboard_at_risk_reasons_are_readable_and_owners_named(alice):
    from django.utils import translation

    from reviews.dashboard import _readable_at_risk

    alice.first_name, alice.last_name = "丽", "王"
    alice.save(update_fields=["first_name", "last_name"])
    rows = [{"id": 1, "name": "Acme", "owner": "alice", "health_score": 20, "m_amount": 100.0,
             "reason": "satisfaction:40:60;objection:1;inactive:279"}]
    with translation.override("en"):
        (row,) = _readable_at_risk(rows)
    assert "satisfaction 40 < 60" in row["reason"] and "no activity for 279 days" in row["reason"]
    assert ":" not in row["reason"] and row["owner"] == "王丽"


def test_the_pdf_embeds_a_truetype_cjk_font_that_has_every_glyph(lena, may_data, now):
    from pathlib import Path

    from reviews.exports import review_pdf
    from reviews.pdf_font import TRUETYPE_CJK

    if not any(Path(path).exists() for path, _index in TRUETYPE_CJK):
        pytest.skip("no TrueType CJK font installed (apt-get install fonts-wqy-microhei)")
    review = make_review(lena, now)
    pdf = review_pdf(review=review, language="en")
    assert b"/FontFile2" in pdf  # an embedded TrueType font, not the unembedded CID font
    assert b"STSong" not in pdf


def test_without_a_cjk_font_file_the_pdf_falls_back_to_the_cid_font_without_missing_dots():
    from reviews.pdf_font import CID_FALLBACK, pdf_font, pdf_safe

    assert pdf_font.__wrapped__(candidates=(("/no/such/font.ttc", 0),)) == CID_FALLBACK
    assert pdf_safe("North · May", CID_FALLBACK) == "North ・ May"
    assert pdf_safe("North · May", "CRM-CJK") == "North · May"


@pytest.mark.parametrize("text, mode", [("Deviation", None), ("669,114.63", None), ("偏差率", "CJK"),
                                        ("流失率 churn", "CJK")])
def test_latin_text_wraps_between_words_and_chinese_between_characters(text, mode):
    from reviews.pdf_font import wrap_mode

    assert wrap_mode(text) == mode


def test_the_overdue_count_is_what_was_open_and_past_due_at_the_instant(alice, bob, charlie, make_customer, now):
    """Open and due before the instant, or done only after it; per owner, most first, then by username;
    a team's are its members'; follow-ups without an owner are counted under "—"."""
    from crm.models import FollowUp
    from reviews.scoping import Scope
    from reviews.selectors import overdue_followups_by_owner

    instant = now - dt.timedelta(days=10)
    days = dt.timedelta(days=1)
    rows = [  # (owner, due, done) — counted at the instant?
        (alice, instant - 3 * days, None),  # open, overdue: yes
        (alice, instant - 2 * days, instant + days),  # done after the instant: yes
        (alice, instant - 2 * days, instant - days),  # done before: no
        (alice, instant + days, None),  # not due yet: no
        (bob, instant - days, instant + 5 * days),  # yes
        (charlie, instant - days, None),  # yes (another team)
        (None, instant - days, None),  # yes, no owner
    ]
    customer = make_customer(owner=alice)
    for owner, due, done in rows:
        FollowUp.objects.create(customer=customer, owner=owner, reason="call", due_at=due, done_at=done,
                                created_at=instant - 20 * days)
    everyone = overdue_followups_by_owner(scope=Scope(), now=instant)
    assert [(r["owner"], r["count"]) for r in everyone] == [("alice", 2), ("bob", 1), ("charlie", 1), ("—", 1)]
    north = overdue_followups_by_owner(scope=Scope(team_id=alice.team_id), now=instant)
    assert [(r["owner_id"], r["count"]) for r in north] == [(alice.pk, 2), (bob.pk, 1)]
    assert overdue_followups_by_owner(scope=Scope(owner_id=bob.pk), now=instant) == [
        {"owner_id": bob.pk, "count": 1, "owner": "bob"}]
    # At the present nothing is done in the future: only the open ones count.
    assert [(r["owner"], r["count"]) for r in overdue_followups_by_owner(scope=Scope(), now=now)] == [
        ("alice", 2), ("charlie", 1), ("—", 1)]
