"""Issue 12 item 5: the sources' targets are a new report's editable defaults, with
activation and win-back rows; first follow-up timeliness, complaint cycle time and
high-value satisfaction are catalogue metrics whose parts drill down."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reviews import services
from reviews.metrics import CATALOGUE, Period, Scope, metric_compute, metric_parts
from reviews.models import Review
from reviews.tests.factories import at, buy, survey_answer, talk, ticket

pytestmark = pytest.mark.django_db
D = dt.date
MAY = Period(D(2026, 5, 1), D(2026, 5, 31))
SEED_TARGETS = {"activation_30d": 80.0, "winback_rate": 50.0, "high_value_satisfaction": 90.0, "churn_rate": 5.0,
                "repurchase_rate": 40.0}


def _targets(review: Review) -> dict:
    return {m.metric: m.target for m in review.metric_rows.all()}


def test_a_report_created_without_targets_starts_with_the_seed_targets(lena, now):
    review = services.review_create(user=lena, title="May", period_start=MAY.start, period_end=MAY.end,
                                    scope_kind="team", now=now)
    targets = _targets(review)
    assert {k: targets[k] for k in SEED_TARGETS} == SEED_TARGETS
    # The new rows are there too, without a target the sources do not give.
    assert targets["first_followup_rate"] is None and targets["complaint_cycle_hours"] is None


def test_the_api_default_targets_are_editable_and_an_empty_target_stays_empty(lena, api_client_for):
    api = api_client_for(lena)
    body = api.post("/api/v1/reviews/", {"title": "May", "period_start": "2026-05-01", "period_end": "2026-05-31",
                                         "scope": "team"}, format="json").json()
    rows = {r["metric"]: r["target"] for r in body["rows"]}
    assert rows["activation_30d"] == 80.0 and rows["winback_rate"] == 50.0
    body = api.patch(f"/api/v1/reviews/{body['id']}/", {"targets": [
        {"metric": "activation_30d", "target": 70}, {"metric": "winback_rate"},
        {"metric": "churn_rate", "target": None}]}, format="json").json()
    rows = {r["metric"]: r["target"] for r in body["rows"]}
    # Edited; kept when the row names no target; emptied when it says so.
    assert rows == {"activation_30d": 70.0, "winback_rate": 50.0, "churn_rate": None}
    # A listed row without a target on a report that lacks it starts with the sources' target.
    body = api.patch(f"/api/v1/reviews/{body['id']}/", {"targets": [{"metric": "repurchase_rate"}]},
                     format="json").json()
    assert {r["metric"]: r["target"] for r in body["rows"]} == {"repurchase_rate": 40.0}


def test_the_create_form_offers_the_seed_targets_as_initial_values(lena, client):
    client.force_login(lena)
    form = client.get(reverse("reviews:create")).context["form"]
    assert form["target_activation_30d"].value() == 80.0 and form["use_activation_30d"].value() is True
    assert form["target_winback_rate"].value() == 50.0 and form["use_winback_rate"].value() is True
    assert form["target_nps"].value() is None


def test_a_teams_first_monthly_draft_starts_with_the_seed_targets(north, now):
    services.review_monthly_drafts_create(now=dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.timezone.utc))
    draft = Review.objects.get(team=north, auto_month=D(2026, 6, 1))
    targets = _targets(draft)
    assert {k: targets[k] for k in SEED_TARGETS} == SEED_TARGETS


def test_first_followup_timeliness_counts_an_interaction_within_7_days_of_the_first_deal(alice, make_customer):
    on_day_7 = make_customer(owner=alice, name="on day 7")
    buy(on_day_7, D(2026, 5, 5)); talk(on_day_7, D(2026, 5, 12))  # noqa: E702
    on_day_8 = make_customer(owner=alice, name="on day 8")
    buy(on_day_8, D(2026, 5, 10)); talk(on_day_8, D(2026, 5, 18))  # noqa: E702
    before_only = make_customer(owner=alice, name="talked before the deal")
    talk(before_only, D(2026, 5, 19)); buy(before_only, D(2026, 5, 20))  # noqa: E702
    same_day = make_customer(owner=alice, name="same day")
    buy(same_day, D(2026, 5, 31)); talk(same_day, D(2026, 5, 31))  # noqa: E702
    old = make_customer(owner=alice, name="first deal in April")
    buy(old, D(2026, 4, 20)); buy(old, D(2026, 5, 6)); talk(old, D(2026, 5, 7))  # noqa: E702
    value = metric_compute(key="first_followup_rate", period=MAY, scope=Scope())
    assert (value.value, value.numerator, value.denominator) == (50.0, 2, 4)
    parts = metric_parts(key="first_followup_rate", period=MAY, scope=Scope())
    assert set(parts["numerator"].records.values_list("name", flat=True)) == {"on day 7", "same day"}
    assert CATALOGUE["first_followup_rate"].direction == "higher"


def test_first_followup_counts_from_local_midnight_of_the_deal_day_to_the_last_second_of_day_7(alice,
                                                                                                make_customer):
    from crm.models import Interaction

    def talked_at(customer, instant):
        Interaction.objects.create(customer=customer, occurred_at=instant, summary="call")

    deal = D(2026, 5, 10)
    cases = {"00:00 of the deal day": (at(deal, 0, 0), True),
             "23:59:59 of day 7": (at(deal + dt.timedelta(days=7), 23, 59) + dt.timedelta(seconds=59), True),
             "00:00 of day 8": (at(deal + dt.timedelta(days=8), 0, 0), False),
             "23:59:59 the day before": (at(deal - dt.timedelta(days=1), 23, 59) + dt.timedelta(seconds=59), False)}
    for name, (instant, _) in cases.items():
        customer = make_customer(owner=alice, name=name)
        buy(customer, deal)
        talked_at(customer, instant)
    parts = metric_parts(key="first_followup_rate", period=MAY, scope=Scope())
    assert set(parts["numerator"].records.values_list("name", flat=True)) == {n for n, (_, ok) in cases.items() if ok}
    assert parts["denominator"].measure() == 4


def test_complaint_cycle_time_averages_the_complaints_resolved_in_the_period(alice, make_customer):
    c = make_customer(owner=alice)
    ticket(c, at(D(2026, 5, 3), 8), is_complaint=True, resolved_at=at(D(2026, 5, 3), 18))  # 10 h
    ticket(c, at(D(2026, 4, 30), 12), is_complaint=True, resolved_at=at(D(2026, 5, 1), 18))  # 30 h
    ticket(c, at(D(2026, 5, 3), 8), is_complaint=False, resolved_at=at(D(2026, 5, 8), 8))  # not a complaint
    ticket(c, at(D(2026, 5, 30), 8), is_complaint=True, resolved_at=at(D(2026, 6, 2), 8))  # resolved in June
    ticket(c, at(D(2026, 5, 30), 8), is_complaint=True)  # open
    value = metric_compute(key="complaint_cycle_hours", period=MAY, scope=Scope())
    assert (value.value, value.numerator, value.denominator) == (20.0, 40.0, 2)
    assert CATALOGUE["complaint_cycle_hours"].direction == "lower"


def test_high_value_satisfaction_reads_the_answers_of_customers_high_value_at_the_period_end(
        alice, make_customer):
    from segmentation.models import SegmentHistory

    tiers = {"X": "high_value", "Y": "high_value", "Z": "potential"}
    people = {}
    for name, tier in tiers.items():
        people[name] = make_customer(owner=alice, name=name)
        SegmentHistory.objects.create(customer=people[name], as_of=D(2026, 5, 31), tier=tier, value_tier="high",
                                      health_score=80, rfm_segment="champions")
    survey_answer(people["X"], at(D(2026, 5, 10)), overall=9)
    survey_answer(people["Y"], at(D(2026, 5, 11)), overall=8)
    survey_answer(people["Z"], at(D(2026, 5, 12)), overall=2)
    value = metric_compute(key="high_value_satisfaction", period=MAY, scope=Scope())
    assert (value.value, value.denominator) == (85.0, 2)
