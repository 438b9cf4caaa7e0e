"""Issue 10 (drill-down): every metric value carries its parts, and each part's
records — through GET /api/v1/metrics/{key}/records/ — are exactly as many as
the part counts (or sum to it), in the caller's scope only."""
from __future__ import annotations

import datetime as dt

import pytest

from reviews.metrics import CATALOGUE
from reviews.metrics.distributions import DISTRIBUTIONS
from reviews.tests.factories import at, buy, survey_answer, talk, ticket

pytestmark = pytest.mark.django_db
D = dt.date
MAY = {"start": "2026-05-01", "end": "2026-05-31"}


def _team_world(owner, make_customer, prefix: str) -> list:
    """Customers of one team with activity that gives every metric of the catalogue
    non-empty parts in May 2026."""
    from segmentation.models import SegmentHistory
    from tickets.models import SlaBreach

    c = [make_customer(owner=owner, name=f"{prefix}{i}") for i in range(6)]
    c.append(make_customer(owner=owner, name=f"{prefix}new", created_at=at(D(2026, 5, 6))))
    buy(c[6], D(2026, 5, 20))  # a new customer activated within 30 days
    talk(c[6], D(2026, 5, 24))  # … and followed up within 7 days of that first deal
    c.append(make_customer(owner=owner, name=f"{prefix}new2", created_at=at(D(2026, 5, 25))))
    for i, x in enumerate(c[:6]):
        buy(x, D(2026, 2, 10 + i))  # active before the start
        tier = ("churn_risk", "churn_risk", "churn_risk", "high_value", "potential", "potential")[i]
        SegmentHistory.objects.create(customer=x, as_of=D(2026, 4, 30), tier=tier,
                                      value_tier="low", health_score=30, rfm_segment="lost")
    for x in c[:3]:  # these stay active in May; c[3:6] go quiet
        buy(x, D(2026, 5, 3), "300", due_on=D(2026, 5, 10), paid_on=D(2026, 5, 9))
        talk(x, D(2026, 5, 4))
    buy(c[0], D(2026, 5, 18), "200", due_on=D(2026, 5, 25))  # a second purchase, unpaid
    buy(c[1], D(2026, 5, 19), "50", kind="refund")
    for i, score in enumerate((10, 9, 7, 3, 0)):
        survey_answer(c[i], at(D(2026, 5, 12)), nps=score, overall=score or 1)
    for i, x in enumerate(c[:4]):
        t = ticket(x, at(D(2026, 5, 5 + i)), is_complaint=i < 3, is_repeat=i == 1, category="service",
                   first_response_at=at(D(2026, 5, 5 + i), 12, 10 + 5 * i),
                   resolved_at=at(D(2026, 5, 6 + i)) if i < 3 else None, satisfaction=4 if i < 2 else None)
        if i == 2:
            SlaBreach.objects.create(ticket=t, clock="first_response", due_at=t.created_at, recorded_at=t.created_at)
    from crm.models import FollowUp

    for due, done in ((D(2026, 5, 10), at(D(2026, 5, 9))), (D(2026, 5, 12), None)):  # one on time, one overdue
        FollowUp.objects.create(customer=c[0], owner=owner, reason="call", due_at=at(due), created_at=at(D(2026, 5, 1)),
                                done_at=done)
    return c


@pytest.fixture
def world(alice, charlie, make_customer):
    return {"north": _team_world(alice, make_customer, "N"), "south": _team_world(charlie, make_customer, "S")}


def _all_records(client, key, part, **params) -> tuple[dict, list[dict]]:
    url = f"/api/v1/metrics/{key}/records/"
    response = client.get(url, {**MAY, "part": part, "page_size": 3, **params})
    assert response.status_code == 200, response.content
    first, rows = response.json(), list(response.json()["results"])
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        rows += response.json()["results"]
    return first, rows


def _check_every_part(client, **params) -> dict:
    """Each part of each metric equals its records' count (or their values' sum); returns the records."""
    seen = {}
    for key in [*CATALOGUE, *DISTRIBUTIONS]:
        value = client.get(f"/api/v1/metrics/{key}/", {**MAY, **params}).json()
        assert value["parts"], key
        for part, measured in value["parts"].items():
            first, rows = _all_records(client, key, part, **params)
            assert first["parts"] == list(value["parts"]), key
            if any("value" in r for r in rows) or (not rows and key in ("clv", "avg_satisfaction")
                                                  and part == "sum"):
                assert sum(r["value"] for r in rows) == pytest.approx(measured, abs=0.01), (key, part)
            else:
                assert len(rows) == measured, (key, part, len(rows), measured)
                assert len({r["id"] for r in rows}) == len(rows), (key, part)
            seen[(key, part)] = rows
    return seen


def test_every_part_of_every_metric_has_exactly_its_records(ada, world, api_client_for):
    seen = _check_every_part(api_client_for(ada))
    # The world is not empty anywhere: every part counts something.
    empty = {kp for kp, rows in seen.items() if not rows and kp[0] in CATALOGUE}
    assert empty == set(), empty
    assert seen[("tier_mix", "churn_risk")] and seen[("ticket_categories", "service")]
    assert seen[("value_engagement", "low:low")]
    assert {r["kind"] for rows in seen.values() for r in rows} == {
        "customer", "survey_answer", "ticket", "transaction", "interaction", "followup"}


def test_a_managers_drilldown_never_shows_another_teams_record(alice, world, api_client_for):
    north = {c.pk for c in world["north"]}
    seen = _check_every_part(api_client_for(alice))
    assert seen and all(r["customer_id"] in north for rows in seen.values() for r in rows)
    client = api_client_for(alice)
    assert client.get("/api/v1/metrics/churn_rate/records/", {**MAY, "part": "numerator",
                                                               "team": world["south"][0].team_id}).status_code == 404


def test_the_records_of_a_part_are_the_ones_the_metric_counts(ada, world, api_client_for):
    client = api_client_for(ada)
    _first, churned = _all_records(client, "churn_rate", "numerator", team=world["north"][0].team_id)
    assert {r["customer"] for r in churned} == {"N4", "N5"}  # N3 had a ticket in May
    _first, detractors = _all_records(client, "nps", "detractors")
    assert sorted(r["nps"] for r in detractors) == [0, 0, 3, 3]
    _first, repeats = _all_records(client, "repeat_complaint_rate", "numerator")
    assert [r["kind"] for r in repeats] == ["ticket", "ticket"]


def test_the_dashboards_counts_are_the_distributions_parts(lena, world, client, now):
    import unittest.mock as mock

    from reviews.dashboard import dashboard_context

    with mock.patch("django.utils.timezone.now", return_value=now):
        context = dashboard_context(user=lena, team_id=None, now=now, month=D(2026, 5, 1))
    tiers = next(c for c in context["charts"] if c["id"] == "tier-trend")["data"]["datasets"]
    churn_risk = next(d for d in tiers if d["links"][-1].endswith("part=churn_risk&team=%d" % lena.team_id))
    assert churn_risk["data"][-1] == 3 and churn_risk["parts"][-1] == {"churn_risk": 3}
    cell = context["grid"][2]["cells"][2]  # low value × low engagement
    assert cell["count"] == 6 and "value_engagement" in cell["url"]


def test_chart_tooltips_and_table_titles_name_the_parts_in_the_readers_language(lena, world, client, now):
    """Not a part's key ("count 3", "promoters 40"): the labels of the KPI cards and the drill-down."""
    import re
    import unittest.mock as mock

    from django.utils import translation

    from reviews.dashboard import dashboard_context

    with mock.patch("django.utils.timezone.now", return_value=now), translation.override("zh-hans"):
        context = dashboard_context(user=lena, team_id=None, now=now, month=D(2026, 5, 1))
        client.force_login(lena)
        page = client.get("/reviews/dashboard/?month=2026-05", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    charts = {c["id"]: c for c in context["charts"]}
    nps = next(d for d in charts["nps-trend"]["data"]["datasets"] if d["parts"][-1] and "promoters" in d["parts"][-1])
    assert "推荐者" in nps["parts_text"][-1] and "答卷数" in nps["parts_text"][-1]
    tiers = charts["tier-trend"]["data"]["datasets"]
    churn_risk = next(d for d in tiers if d["links"][-1].endswith("part=churn_risk&team=%d" % lena.team_id))
    assert churn_risk["parts_text"][-1] == f"{churn_risk['label']} 3"
    titles = re.findall(r'<a href="[^"]*" title="([^"]*)"', page)
    assert titles and all(not re.search(r"[a-z_]+ \d", t) for t in titles), titles  # no raw part keys left
    assert any("推荐者" in t for t in titles)


def test_records_need_a_known_part(ada, world, api_client_for):
    client = api_client_for(ada)
    assert client.get("/api/v1/metrics/churn_rate/records/", MAY).status_code == 400
    assert client.get("/api/v1/metrics/churn_rate/records/", {**MAY, "part": "nope"}).status_code == 404
    assert client.get("/api/v1/metrics/nope/records/", {**MAY, "part": "numerator"}).status_code == 404


def test_support_sees_no_transactions_in_a_drilldown(sam, world, api_client_for):
    _first, rows = _all_records(api_client_for(sam), "collection_rate", "denominator")
    assert rows == []


@pytest.mark.parametrize("key,part", [("churn_rate", "denominator"), ("nps", "responses"),
                                      ("sla_compliance", "denominator"), ("clv", "numerator"),
                                      ("contact_frequency", "numerator")])
def test_a_page_of_records_takes_a_fixed_number_of_queries(ada, world, api_client_for, key, part,
                                                           django_assert_max_num_queries):
    from crm import activity

    client = api_client_for(ada)
    activity.refresh()  # the activity spells of the world's records: paid once after writes, not per page or row
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/metrics/{key}/records/", {**MAY, "part": part, "page_size": 50})
    assert response.status_code == 200 and len(response.json()["results"]) >= 3
