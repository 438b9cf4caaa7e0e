"""Issue 12 item 1: people and departments — the catalogue's figures per account
manager, support agent and department, for a period beside the previous one, each
opening its records; leads see their team, admins all, a manager their own row;
computed grouped (no query per person)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from crm.models import FollowUp
from reviews.tests.factories import at, ticket

pytestmark = pytest.mark.django_db
D = dt.date
MAY = {"start": "2026-05-01", "end": "2026-05-31"}


def followup(customer, owner, due: dt.date, done: dt.datetime | None = None):
    return FollowUp.objects.create(customer=customer, owner=owner, reason="call back", due_at=at(due, 18),
                                   created_at=at(due - dt.timedelta(days=3)), done_at=done)


@pytest.fixture
def followups(alice, bob, charlie, make_customer):
    """Alice: 4 due in May, 3 done by their due time (75 %); 1 in April, done (100 %).
    Bob: 2 due in May, none done (0 %). Charlie (South): 1 due in May, done."""
    a, b, c = (make_customer(owner=u, name=f"{u.username}'s") for u in (alice, bob, charlie))
    for day in (3, 10, 17):
        followup(a, alice, D(2026, 5, day), done=at(D(2026, 5, day), 9))
    followup(a, alice, D(2026, 5, 20), done=at(D(2026, 5, 22), 9))  # done two days late
    followup(a, alice, D(2026, 4, 20), done=at(D(2026, 4, 20), 9))
    followup(b, bob, D(2026, 5, 5)); followup(b, bob, D(2026, 5, 6))  # noqa: E702
    followup(c, charlie, D(2026, 5, 5), done=at(D(2026, 5, 5), 9))
    return a, b, c


def _rows(body) -> dict:
    return {r["name"]: {f["metric"]: f for f in r["figures"]} for r in body["rows"]}


def test_a_managers_on_time_share_is_their_follow_ups_done_by_the_due_time(lena, followups, api_client_for):
    body = api_client_for(lena).get("/api/v1/metrics/by-owner/", MAY).json()
    rows = _rows(body)
    alice = rows["alice"]["followup_on_time"]
    assert (alice["value"], alice["parts"], alice["previous"]) == (75.0, {"numerator": 3, "denominator": 4}, 100.0)
    assert alice["declined"] is True
    assert rows["bob"]["followup_on_time"]["value"] == 0.0
    # Overdue at the end of May: Bob's two open ones.
    assert rows["bob"]["followups_overdue"]["value"] == 2 and rows["alice"]["followups_overdue"]["value"] == 0
    assert body["previous_period"] == {"start": "2026-04-01", "end": "2026-04-30"}


def test_each_figure_opens_exactly_its_records(lena, followups, api_client_for):
    api = api_client_for(lena)
    figure = _rows(api.get("/api/v1/metrics/by-owner/", MAY).json())["alice"]["followup_on_time"]
    records = api.get(figure["records"]).json()
    assert len(records["results"]) == 3 and {r["kind"] for r in records["results"]} == {"followup"}
    assert all(r["followup_owner"] == "alice" for r in records["results"])


def test_a_lead_sees_the_team_an_admin_everyone_a_manager_only_their_row(lena, alice, ada, followups,
                                                                         api_client_for, south):
    assert set(_rows(api_client_for(lena).get("/api/v1/metrics/by-owner/", MAY).json())) == {"alice", "bob", "lena"}
    assert set(_rows(api_client_for(alice).get("/api/v1/metrics/by-owner/", MAY).json())) == {"alice"}
    everyone = _rows(api_client_for(ada).get("/api/v1/metrics/by-owner/", MAY).json())
    assert {"alice", "bob", "charlie"} <= set(everyone)
    south_only = _rows(api_client_for(ada).get("/api/v1/metrics/by-owner/", {**MAY, "team": south.pk}).json())
    assert "charlie" in south_only and "alice" not in south_only
    # A lead asking for another team's rows: as if it did not exist.
    assert api_client_for(lena).get("/api/v1/metrics/by-owner/", {**MAY, "team": south.pk}).status_code == 404
    # Agents and departments are for leads and admins.
    assert api_client_for(alice).get("/api/v1/metrics/by-department/", MAY).status_code == 403


def test_agents_and_departments_get_their_tickets_figures(lena, alice, sam, make_customer, api_client_for):
    from tickets.models import Department

    tech = Department.objects.create(code="tech-test", name="Tech test")
    c = make_customer(owner=alice)
    for minutes in (10, 30):
        ticket(c, at(D(2026, 5, 4)), assignee=sam, department=tech,
               first_response_at=at(D(2026, 5, 4)) + dt.timedelta(minutes=minutes))
    api = api_client_for(lena)
    agents = _rows(api.get("/api/v1/metrics/by-agent/", MAY).json())
    assert agents["sam"]["first_response_minutes"]["value"] == 20.0
    departments = _rows(api.get("/api/v1/metrics/by-department/", MAY).json())
    assert departments["Tech test"]["first_response_minutes"]["parts"] == {"count": 2, "sum": 40.0}
    records = api.get(departments["Tech test"]["first_response_minutes"]["records"]).json()
    assert len(records["results"]) == 2 and {r["assignee"] for r in records["results"]} == {"sam"}


def test_the_table_costs_the_same_queries_for_2_and_for_6_managers(lena, north, make_customer, api_client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm import activity
    from crm.models import User

    def add_manager(i):
        user = User.objects.create(username=f"m{i}", role="account_manager", team=north)
        followup(make_customer(owner=user, name=f"c{i}"), user, D(2026, 5, 5))

    api = api_client_for(lena)
    for i in range(2):
        add_manager(i)
    activity.refresh()  # the spells of the records just written: paid once after writes, not per row
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/metrics/by-owner/", MAY)
    for i in range(2, 6):
        add_manager(i)
    activity.refresh()
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/metrics/by-owner/", MAY).json()["rows"]) == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_people_page_links_each_figure_to_its_records(lena, followups, client):
    client.force_login(lena)
    response = client.get(reverse("reviews:people"), {"month": "2026-05"})
    assert response.status_code == 200
    html = response.content.decode()
    tables = {t["group"]: t for t in response.context["tables"]}
    assert set(tables) == {"owner", "agent", "department"}
    alice = next(r for r in tables["owner"]["rows"] if r["name"] == "alice")
    figure = next(f for f in alice["figures"] if f["metric"] == "followup_on_time")
    assert figure["url"] in html.replace("&amp;", "&")
    page = client.get(figure["url"])
    assert page.status_code == 200 and len(page.context["rows"]) == 3


def test_customers_kept_is_churns_complement_and_ticket_satisfaction_is_the_close_rating_on_100(
        alice, make_customer):
    from reviews.metrics import Period, Scope, metric_compute
    from reviews.tests.factories import buy

    may, scope = Period(D(2026, 5, 1), D(2026, 5, 31)), Scope()
    kept, quiet = make_customer(owner=alice, name="kept"), make_customer(owner=alice, name="quiet")
    buy(kept, D(2026, 2, 10)); buy(kept, D(2026, 5, 3)); buy(quiet, D(2026, 2, 10))  # noqa: E702
    retention, churn = (metric_compute(key=k, period=may, scope=scope) for k in ("retention_rate", "churn_rate"))
    assert (retention.value, retention.numerator, retention.denominator) == (50.0, 1, 2)
    assert retention.value + churn.value == 100.0
    for rating in (5, 3, None):
        ticket(kept, at(D(2026, 5, 4)), resolved_at=at(D(2026, 5, 5)), satisfaction=rating)
    assert metric_compute(key="ticket_satisfaction", period=may, scope=scope).value == 80.0  # (100 + 60) / 2


def test_every_figure_and_each_of_its_parts_opens_exactly_its_records(lena, followups, client):
    """Issue 12 item 1b: a rate opens its numerator's records (and each part its own,
    the previous period's value the previous period's): a list of as many rows as
    the part counts, for every figure of every table."""
    client.force_login(lena)
    tables = client.get(reverse("reviews:people"), {"month": "2026-05"}).context["tables"]
    opened = 0
    for table in tables:
        for row in table["rows"]:
            for f in row["figures"]:
                if f["value"] is None and f["url"] is None:
                    continue
                page = client.get(f["url"])
                assert page.status_code == 200, (table["group"], row["name"], f["metric"])
                for link in f["part_links"]:
                    part = client.get(link["url"])
                    assert part.status_code == 200
                    assert part.context["page"].paginator.count == link["value"], (row["name"], f["metric"], link)
                if f["unit"] == "%":
                    assert page.context["page"].paginator.count == f["parts"]["numerator"]
                opened += 1
    assert opened >= 7
    alice = next(r for r in tables[0]["rows"] if r["name"] == "alice")
    on_time = next(f for f in alice["figures"] if f["metric"] == "followup_on_time")
    assert {link["key"]: link["value"] for link in on_time["part_links"]} == {"numerator": 3, "denominator": 4}
    # April: one follow-up, done on time.
    assert client.get(on_time["previous_url"]).context["page"].paginator.count == 1


def test_the_api_gives_each_part_and_the_previous_period_its_records(lena, followups, api_client_for):
    api = api_client_for(lena)
    figure = _rows(api.get("/api/v1/metrics/by-owner/", MAY).json())["alice"]["followup_on_time"]
    assert set(figure["part_records"]) == {"numerator", "denominator"}
    assert len(api.get(figure["part_records"]["denominator"]).json()["results"]) == 4
    assert len(api.get(figure["previous_records"]).json()["results"]) == 1
