"""The segmentation API: who may recompute and read jobs, the scope of the
summary and the queue, and the customer API's segment fields and filters."""
from __future__ import annotations

import pytest

from core.jobs import job_run
from core.models import Job
from segmentation import services
from segmentation.tests.factories import AS_OF, buy, customer_since, followup, talk

pytestmark = pytest.mark.django_db


@pytest.fixture
def north_and_south(alice, bob, charlie, make_customer, now):
    """North: alice's quiet customer (churn risk, overdue) and bob's new one;
    South: charlie's customer. Recomputed at AS_OF."""
    quiet = customer_since(make_customer, owner=alice, name="Quiet North", days=300)
    talk(quiet, days=100)
    fresh = customer_since(make_customer, owner=bob, name="Fresh North", days=10)
    talk(fresh, days=1)
    south = customer_since(make_customer, owner=charlie, name="South Co", days=300)
    buy(south, days=2, amount=900)
    talk(south, days=30)
    services.segments_recompute(as_of=AS_OF, now=now)
    return {"quiet": quiet, "fresh": fresh, "south": south}


def test_recompute_returns_202_with_a_job_for_a_team_lead(lena, api_client_for):
    response = api_client_for(lena).post("/api/v1/segments/recompute/", {"as_of": "2026-06-15"}, format="json")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.kind == "segmentation.recompute" and job.params == {"as_of": "2026-06-15"} and job.created_by == lena
    assert response.json()["status"] == "queued"


def test_recompute_is_forbidden_to_account_managers_and_support(alice, sam, api_client_for):
    for user in (alice, sam):
        response = api_client_for(user).post("/api/v1/segments/recompute/", {"as_of": "2026-06-15"}, format="json")
        assert response.status_code == 403
    assert not Job.objects.exists()


def test_recompute_with_a_bad_date_says_which_field(ada, api_client_for):
    response = api_client_for(ada).post("/api/v1/segments/recompute/", {"as_of": "15/06/2026"}, format="json")
    assert response.status_code == 400 and "as_of" in response.json()
    assert not Job.objects.exists()


def test_a_job_is_readable_by_its_requester_and_leads_but_not_by_charlie(lena, ada, charlie, api_client_for, now):
    job = services.recompute_request(actor=lena, as_of=AS_OF, now=now)
    job_run(job_id=job.pk, clock=lambda: now)
    body = api_client_for(lena).get(f"/api/v1/jobs/{job.pk}/").json()
    assert body["status"] == "succeeded" and body["summary"]["customers"] == 0 and "tier" in body["summary"]
    assert api_client_for(ada).get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    assert api_client_for(charlie).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert api_client_for(charlie).get("/api/v1/jobs/999999/").status_code == 404


def test_summary_counts_only_the_callers_scope(north_and_south, alice, lena, charlie, ada, api_client_for):
    north = api_client_for(alice).get("/api/v1/segments/summary/").json()
    assert north["tier"] == {"churn_risk": 1, "new": 1} and north["segmented"] == 2
    assert north["as_of"] == "2026-06-15"
    # Charlie sees none of North.
    south = api_client_for(charlie).get("/api/v1/segments/summary/").json()
    assert south["segmented"] == 1 and south["tier"] == {"high_value": 1}
    assert south["value_tier"] == {"high": 1}
    assert api_client_for(ada).get("/api/v1/segments/summary/").json()["segmented"] == 3
    assert api_client_for(lena).get("/api/v1/segments/summary/").json()["segmented"] == 2


def test_queue_holds_the_callers_own_overdue_customers_most_urgent_first(
        north_and_south, alice, bob, charlie, lena, api_client_for, today_is_as_of, make_customer, now):
    quiet = north_and_south["quiet"]
    fu = followup(quiet, owner=alice, due_days=3)
    body = api_client_for(alice).get("/api/v1/follow-ups/").json()
    kinds = [(r["kind"], r["customer"]["name"]) for r in body["results"]]
    # Churn risk every 3 days, last contact 100 days ago: 97 days overdue, ahead of the 3-day-old follow-up.
    assert kinds == [("cadence", "Quiet North"), ("followup", "Quiet North")]
    first = body["results"][0]
    assert first["days_overdue"] == 97 and first["urgency"] == 97.0
    assert "no activity for 100 days" in first["reason"]
    assert body["results"][1]["followup_id"] == fu.pk
    # Bob's new customer was contacted yesterday (daily cadence): due today.
    assert [r["customer"]["name"] for r in api_client_for(bob).get("/api/v1/follow-ups/").json()["results"]] == [
        "Fresh North"]
    # Charlie sees none of North; the lead sees the team's.
    assert all(r["customer"]["name"] == "South Co" for r in
               api_client_for(charlie).get("/api/v1/follow-ups/").json()["results"])
    lead_names = {r["customer"]["name"] for r in api_client_for(lena).get("/api/v1/follow-ups/").json()["results"]}
    assert lead_names == {"Quiet North", "Fresh North"}


def test_a_contact_logged_after_the_recompute_takes_the_customer_off_the_queue(
        north_and_south, alice, api_client_for, today_is_as_of):
    talk(north_and_south["quiet"], days=0)
    assert api_client_for(alice).get("/api/v1/follow-ups/").json()["results"] == []


def test_queue_query_count_does_not_grow_with_its_length(alice, make_customer, api_client_for, now,
                                                         django_assert_max_num_queries, today_is_as_of):
    for i in range(15):
        c = customer_since(make_customer, owner=alice, name=f"Quiet {i}", days=300)
        talk(c, days=100 + i)
        followup(c, owner=alice, due_days=i)
    services.segments_recompute(as_of=AS_OF, now=now)
    with django_assert_max_num_queries(8):
        body = api_client_for(alice).get("/api/v1/follow-ups/").json()
    assert body["count"] == 30


def test_customer_api_shows_the_segment_fields(north_and_south, alice, api_client_for):
    quiet = north_and_south["quiet"]
    body = api_client_for(alice).get(f"/api/v1/customers/{quiet.pk}/").json()
    assert body["tier"] == "churn_risk"
    assert body["tier_reason"] == "no activity for 100 days"
    assert body["rfm"] == {"r": None, "f": 0, "m": "0.00", "r_score": None, "f_score": None, "m_score": None,
                           "segment": "no_purchases"}
    assert body["value_tier"] == "low" and body["membership_level"] == "bronze"
    assert isinstance(body["health_score"], int)
    assert body["next_contact_due"] == "2026-03-10" and body["days_overdue"] == 97


def test_customer_api_segment_fields_are_null_before_any_recompute(alice, make_customer, api_client_for):
    c = make_customer(owner=alice, name="Unscored")
    body = api_client_for(alice).get(f"/api/v1/customers/{c.pk}/").json()
    assert body["tier"] is None and body["rfm"] is None and body["health_score"] is None


def test_customer_api_segment_fields_are_read_only(north_and_south, alice, api_client_for):
    quiet = north_and_south["quiet"]
    response = api_client_for(alice).patch(f"/api/v1/customers/{quiet.pk}/", {"tier": "high_value"}, format="json")
    assert response.status_code == 200
    assert response.json()["tier"] == "churn_risk"


@pytest.mark.parametrize("query,names", [
    ("tier=churn_risk", {"Quiet North"}),
    ("tier=new", {"Fresh North"}),
    ("value_tier=high", {"South Co"}),
    ("rfm_segment=no_purchases", {"Quiet North", "Fresh North"}),
    ("membership_level=bronze", {"Quiet North", "Fresh North", "South Co"}),
    ("overdue=true", {"Quiet North", "South Co"}),  # South: high value, 30 days since contact > 15
    ("overdue=false", {"Fresh North"}),
])
def test_customer_api_filters_by_segment_fields(north_and_south, ada, api_client_for, query, names):
    body = api_client_for(ada).get(f"/api/v1/customers/?{query}").json()
    assert {c["name"] for c in body["results"]} == names


def test_customer_api_filters_by_health_range(north_and_south, ada, api_client_for):
    from segmentation.models import CustomerSegment

    scores = {s.customer.name: s.health_score for s in CustomerSegment.objects.select_related("customer")}
    low = min(scores.values())
    body = api_client_for(ada).get(f"/api/v1/customers/?health_max={low}").json()
    assert {c["name"] for c in body["results"]} == {n for n, v in scores.items() if v <= low}
    body = api_client_for(ada).get(f"/api/v1/customers/?health_min={low + 1}").json()
    assert {c["name"] for c in body["results"]} == {n for n, v in scores.items() if v > low}


def test_customer_list_with_segments_keeps_a_constant_query_count(alice, make_customer, api_client_for, now,
                                                                  django_assert_max_num_queries):
    for i in range(20):
        c = customer_since(make_customer, owner=alice, name=f"C{i}", days=200)
        buy(c, days=i + 1, amount=100 + i)
    services.segments_recompute(as_of=AS_OF, now=now)
    with django_assert_max_num_queries(6):
        body = api_client_for(alice).get("/api/v1/customers/?page_size=50").json()
    assert len(body["results"]) == 20 and all(r["tier"] for r in body["results"])
