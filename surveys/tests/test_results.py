"""Daily snapshots (rebuilt, never double-counted) and the results read from them,
scoped by role."""
import datetime as dt

import pytest
from django.urls import reverse

from surveys import results, services
from surveys.models import SurveyDailySnapshot, SurveyInvitation
from surveys.tests.factories import default_survey, make_response

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 10)
AT = dt.datetime(2026, 6, 10, 4, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def data(make_customer, alice, bob, charlie, now):
    a = make_customer(owner=alice, name="A")
    b = make_customer(owner=bob, name="B")
    c = make_customer(owner=charlie, name="C")
    make_response(a, at=AT, nps=10, overall=9, quality=8, ces=2, reason="Great service")
    make_response(b, at=AT, nps=5, overall=5, quality=4, ces=6, reason="Too slow")
    make_response(c, at=AT, nps=0, overall=1, reason="South complaint")
    for customer in (a, b, c):
        SurveyInvitation.objects.create(customer=customer, survey=default_survey(), trigger="campaign",
                                        trigger_key="campaign:9", created_at=AT, sent_at=AT)
    SurveyInvitation.objects.filter(customer=a).update(answered_at=AT)
    return a, b, c


def test_rebuilding_a_day_twice_does_not_double_count(data, ada, now):
    services.snapshots_rebuild_day(day=DAY, now=now)
    first = results.survey_results(user=ada, start=DAY, end=DAY)["summary"]
    services.snapshots_rebuild_day(day=DAY, now=now)
    services.snapshots_rebuild_recent(now=dt.datetime(2026, 6, 12, 1, 0, tzinfo=dt.timezone.utc))
    again = results.survey_results(user=ada, start=DAY, end=DAY)["summary"]
    assert first == again and again["responses"] == 3 and again["invitations_sent"] == 3


def test_results_compute_nps_satisfaction_dimensions_ces_and_response_rate(data, ada, now):
    services.snapshots_rebuild_day(day=DAY, now=now)
    s = results.survey_results(user=ada, start=DAY, end=DAY)["summary"]
    assert s["nps"] == round(100 * (1 - 2) / 3, 1)
    assert s["satisfaction_100"] == 50.0  # (9 + 5 + 1) / 3 × 10
    assert s["dimensions"]["quality"] == 6.0 and s["dimensions"]["care"] is None
    assert s["ces"] == 4.0
    assert s["response_rate"] == pytest.approx(1 / 3)


def test_account_managers_see_only_their_teams_results(data, alice, charlie, now):
    services.snapshots_rebuild_day(day=DAY, now=now)
    north = results.survey_results(user=alice, start=DAY, end=DAY)["summary"]
    south = results.survey_results(user=charlie, start=DAY, end=DAY)["summary"]
    assert (north["responses"], north["nps"]) == (2, 0.0)
    assert (south["responses"], south["nps"]) == (1, -100.0)
    reasons = [r.reason for r in results.reasons_for_user(user=charlie, start=DAY, end=DAY)]
    assert reasons == ["South complaint"]


def test_results_break_down_by_owner_and_show_a_monthly_trend(data, lena, alice, bob, now):
    services.snapshots_rebuild_day(day=DAY, now=now)
    r = results.survey_results(user=lena, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30), group_by="owner")
    assert {g["label"]: g["nps"] for g in r["groups"]} == {"alice": 100.0, "bob": -100.0}
    assert [(t["month"], t["responses"]) for t in r["trend"]] == [(dt.date(2026, 6, 1), 2)]


def test_no_answers_shows_no_value_rather_than_zero(ada):
    s = results.survey_results(user=ada, start=DAY, end=DAY)["summary"]
    assert s["nps"] is None and s["satisfaction_100"] is None and s["response_rate"] is None


def test_the_results_page_shows_the_kpis_and_the_reasons_beside_scores(client, data, lena, now,
                                                                        django_assert_max_num_queries):
    services.snapshots_rebuild_day(day=DAY, now=now)
    client.force_login(lena)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("surveys:results"), {"start": "2026-06-01", "end": "2026-06-30",
                                                        "group_by": "owner"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="kpi-nps">0<' in html and "Too slow" in html
    assert "South complaint" not in html


def test_the_snapshot_rows_carry_tier_and_ticket_category(make_customer, alice, now):
    c = make_customer(owner=alice, name="T")
    inv = SurveyInvitation.objects.create(customer=c, survey=default_survey(), trigger="ticket_closed",
                                          trigger_key="ticket:1", ticket_id=1, ticket_category="billing",
                                          created_at=AT, sent_at=AT, answered_at=AT)
    make_response(c, at=AT, nps=9, invitation=inv)
    services.snapshots_rebuild_day(day=DAY, now=now)
    row = SurveyDailySnapshot.objects.get()
    assert (row.ticket_category, row.promoters, row.invitations_sent, row.invitations_answered) == ("billing", 1, 1, 1)


def test_what_customers_said_is_paged_not_cut_at_fifty(client, lena, alice, make_customer):
    customer = make_customer(owner=alice, name="Talkative")
    for i in range(60):
        make_response(customer, at=AT + dt.timedelta(minutes=i), nps=8, reason=f"Comment {i:02d}")
    client.force_login(lena)
    query = {"start": "2026-06-01", "end": "2026-06-30"}
    first = client.get(reverse("surveys:results"), query, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    third = client.get(reverse("surveys:results"), {**query, "page": 3}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Comment 59" in first and "Page 1 of 3" in first
    assert "Comment 00" in third and "Comment 59" not in third


def test_answers_before_any_segmentation_are_grouped_as_not_segmented_yet(data, ada, now):
    services.snapshots_rebuild_day(day=DAY, now=now)
    from django.utils import translation

    with translation.override("en"):
        groups = results.survey_results(user=ada, start=DAY, end=DAY, group_by="tier")["groups"]
    assert [(g["label"], g["responses"]) for g in groups] == [("Not segmented yet", 3)]


def test_demo_finish_rebuilds_the_snapshots_with_the_tiers_known(data, ada, now):
    from segmentation.services import segments_recompute
    from surveys import demo

    services.snapshots_rebuild_day(day=DAY, now=now)
    segments_recompute(as_of=DAY, now=now)
    demo.demo_finish(now=dt.datetime(2026, 6, 12, 10, tzinfo=dt.timezone.utc))
    groups = results.survey_results(user=ada, start=DAY, end=DAY, group_by="tier")["groups"]
    assert "" not in {g["key"] for g in groups} and sum(g["responses"] for g in groups) == 3


def _tier(customer, as_of: dt.date, tier: str) -> None:
    from segmentation.models import SegmentHistory

    SegmentHistory.objects.create(customer=customer, as_of=as_of, tier=tier, value_tier="medium", health_score=50,
                                  rfm_segment="loyal")


def test_an_answer_counts_under_the_tier_its_customer_had_when_answering_whatever_came_later(data, ada, now,
                                                                                             client):
    """The standard breakdown: the tier at answer time. A later recompute that moves the customer
    changes neither a rebuilt snapshot nor the reasons listed under the tier filter."""
    a, b, c = data
    _tier(a, DAY - dt.timedelta(days=30), "high_value")
    _tier(b, DAY - dt.timedelta(days=30), "potential")
    _tier(b, DAY, "churn_risk")  # recomputed that very day: counts
    services.snapshots_rebuild_day(day=DAY, now=now)
    before = {g["key"]: g["responses"] for g in
              results.survey_results(user=ada, start=DAY, end=DAY, group_by="tier")["groups"]}

    _tier(a, DAY + dt.timedelta(days=5), "churn_risk")  # later moves
    _tier(c, DAY + dt.timedelta(days=5), "new")
    services.snapshots_rebuild_day(day=DAY, now=now + dt.timedelta(days=6))
    after = {g["key"]: g["responses"] for g in
             results.survey_results(user=ada, start=DAY, end=DAY, group_by="tier")["groups"]}

    assert before == after == {"high_value": 1, "churn_risk": 1, "": 1}
    said = results.reasons_for_user(user=ada, start=DAY, end=DAY, tier="high_value")
    assert [r.reason for r in said] == ["Great service"]
    assert [r.reason for r in results.reasons_for_user(user=ada, start=DAY, end=DAY, tier="new")] == []

    client.force_login(ada)
    page = client.get(reverse("surveys:results"), {"start": DAY.isoformat(), "end": DAY.isoformat(),
                                                   "group_by": "tier"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="tier-help"' in page and "the tier its customer had on the day they answered" in page
