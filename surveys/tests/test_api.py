"""REST API: scoped to the caller's customers (another team's object is a 404),
per-field JSON errors, no query per row, and the NPS metric."""
import datetime as dt

import pytest

from surveys.models import SurveyInvitation, SurveyResponse
from surveys.tests.factories import default_survey, make_response

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 6, 10, 4, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def answers(make_customer, alice, charlie):
    north = make_customer(owner=alice, name="North Co")
    south = make_customer(owner=charlie, name="South Co")
    for nps in (10, 9, 7, 3):
        make_response(north, at=AT, nps=nps, overall=8)
    make_response(south, at=AT, nps=0, overall=2)
    return north, south


def test_nps_metric_returns_the_documented_shape(api_client_for, alice, answers):
    body = api_client_for(alice).get("/api/v1/metrics/nps/?start=2026-06-01&end=2026-06-30").json()
    assert body == {"metric": "nps", "start": "2026-06-01", "end": "2026-06-30", "nps": 25.0, "value": 25.0,
                    "promoters": 2, "passives": 1, "detractors": 1, "responses": 4, "numerator": 1,
                    "denominator": 4,
                    "parts": {"promoters": 2, "passives": 1, "detractors": 1, "responses": 4}}


def test_nps_metric_of_an_empty_period_is_null(api_client_for, alice, answers):
    body = api_client_for(alice).get("/api/v1/metrics/nps/?start=2026-01-01&end=2026-01-31").json()
    assert body["nps"] is None and body["value"] is None and body["responses"] == 0


def test_admin_sees_every_team_in_the_nps(api_client_for, ada, answers):
    body = api_client_for(ada).get("/api/v1/metrics/nps/?start=2026-06-01&end=2026-06-30").json()
    assert body["responses"] == 5 and body["detractors"] == 2


def test_nps_metric_filters_by_owner_team_and_tier(api_client_for, ada, alice, north, answers):
    client = api_client_for(ada)
    assert client.get(f"/api/v1/metrics/nps/?start=2026-06-01&end=2026-06-30&owner={alice.pk}").json()["responses"] == 4
    assert client.get(f"/api/v1/metrics/nps/?start=2026-06-01&end=2026-06-30&team={north.pk}").json()["responses"] == 4
    assert client.get("/api/v1/metrics/nps/?start=2026-06-01&end=2026-06-30&tier=high_value").json()["nps"] is None


def test_nps_metric_errors_are_per_field(api_client_for, alice):
    body = api_client_for(alice).get("/api/v1/metrics/nps/?start=nope").json()
    assert set(body) == {"start", "end"}


def test_charlie_cannot_read_alices_answers(api_client_for, charlie, answers):
    north, _south = answers
    client = api_client_for(charlie)
    listed = client.get("/api/v1/survey-responses/").json()["results"]
    assert {r["customer"] for r in listed} == {answers[1].pk}
    other = SurveyResponse.objects.filter(customer=north).first()
    assert client.get(f"/api/v1/survey-responses/{other.pk}/").status_code == 404


def test_response_list_does_not_query_per_row(api_client_for, alice, answers, django_assert_max_num_queries):
    client = api_client_for(alice)
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/survey-responses/").json()
    assert len(body["results"]) == 4


def test_staff_enter_a_phone_survey_through_the_api(api_client_for, alice, make_customer, now):
    customer = make_customer(owner=alice, name="Caller")
    resp = api_client_for(alice).post("/api/v1/survey-responses/", {
        "customer": customer.pk, "survey": default_survey().pk, "answered_at": "2026-06-14T09:00:00Z",
        "nps": 4, "overall": 7, "quality": 7, "speed": 5, "resolution": 6, "care": 8,
        "reason": "Slow delivery", "suggestions": "Call before shipping"}, format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert (body["channel"], body["entered_by"], body["nps_class"], body["satisfaction_100"]) == (
        "phone", alice.pk, "detractor", 70.0)
    assert customer.followups.get().source == "detractor"


def test_phone_survey_errors_are_json_per_field_and_write_nothing(api_client_for, alice, make_customer):
    customer = make_customer(owner=alice, name="Caller")
    resp = api_client_for(alice).post("/api/v1/survey-responses/", {
        "customer": customer.pk, "survey": default_survey().pk, "nps": 11, "overall": 0}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"nps", "overall", "answered_at"}
    assert SurveyResponse.objects.count() == 0


def test_a_phone_survey_for_another_teams_customer_is_refused(api_client_for, charlie, alice, make_customer):
    customer = make_customer(owner=alice, name="Not yours")
    resp = api_client_for(charlie).post("/api/v1/survey-responses/", {
        "customer": customer.pk, "survey": default_survey().pk, "answered_at": "2026-06-14T09:00:00Z", "nps": 9},
        format="json")
    assert resp.status_code == 400 and "customer" in resp.json()
    assert SurveyResponse.objects.count() == 0


def test_invitations_are_scoped_and_listed_without_a_query_per_row(api_client_for, alice, charlie, make_customer,
                                                                   now, django_assert_max_num_queries):
    for i in range(5):
        SurveyInvitation.objects.create(customer=make_customer(owner=alice, name=f"N{i}"), survey=default_survey(),
                                        trigger="campaign", trigger_key="campaign:1", created_at=now)
    theirs = SurveyInvitation.objects.create(customer=make_customer(owner=charlie, name="S"), survey=default_survey(),
                                             trigger="campaign", trigger_key="campaign:1", created_at=now)
    client = api_client_for(alice)
    with django_assert_max_num_queries(3):
        body = client.get("/api/v1/survey-invitations/").json()
    assert len(body["results"]) == 5 and body["results"][0]["answered"] is False
    assert client.get(f"/api/v1/survey-invitations/{theirs.pk}/").status_code == 404


def test_a_team_lead_builds_a_template_through_the_api(api_client_for, lena, alice):
    payload = {"name_zh": "售后回访", "name_en": "After-sales check", "questions": [
        {"kind": "nps", "text_zh": "推荐可能性?", "text_en": "Would you recommend us?", "required": True},
        {"kind": "ces", "text_zh": "办理是否容易?", "text_en": "How easy was it?"},
        {"kind": "single", "text_zh": "渠道", "text_en": "Channel",
         "choices": [{"zh": "电话", "en": "Phone"}, {"zh": "邮件", "en": "E-mail"}]},
    ]}
    resp = api_client_for(lena).post("/api/v1/surveys/", payload, format="json")
    assert resp.status_code == 201, resp.json()
    assert [q["kind"] for q in resp.json()["questions"]] == ["nps", "ces", "single"]
    assert resp.json()["team"] == lena.team_id
    assert api_client_for(alice).post("/api/v1/surveys/", payload, format="json").status_code == 403


def test_template_errors_name_the_question_and_field(api_client_for, lena):
    resp = api_client_for(lena).post("/api/v1/surveys/", {"name_zh": "x", "name_en": "x", "questions": [
        {"kind": "nps", "text_zh": "a", "text_en": "a"}, {"kind": "nps", "text_zh": "b", "text_en": ""}]},
        format="json")
    assert resp.status_code == 400
    body = resp.json()
    assert "questions[1].text_en" in body and "questions[1].kind" in body


def test_another_teams_template_is_a_404(api_client_for, lena, charlie, now):
    from crm.models import Team, User
    from surveys import services

    south_lead = User.objects.create(username="sol", role="team_lead", team=Team.objects.get(name="South"))
    survey = services.survey_create(actor=south_lead, data={"name_zh": "南", "name_en": "South"}, questions=[
        {"kind": "nps", "text_zh": "a", "text_en": "a"}], now=now)
    assert api_client_for(lena).get(f"/api/v1/surveys/{survey.pk}/").status_code == 404
    assert api_client_for(lena).get(f"/api/v1/surveys/{default_survey().pk}/").status_code == 200
