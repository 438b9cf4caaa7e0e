"""Issue 12 item 3: a complaint category's trend alert (3 weeks above its baseline)
opens one tracked cross-department action — owner, department, deadline, status,
linked metric — shown on the dashboard and in the next review until closed."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from reviews import services
from reviews.models import TrendAction
from reviews.services.trend_actions import trend_action_open, trend_action_status_set
from tickets.tests.test_reports import LAST_WEEK, local

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def alert(alice, ada, sam, make_customer, now):
    """Billing complaints: 1 a week for 8 weeks, then 3, 4, 5 — an alert for the week of 8 June."""
    from tickets import services as ticket_services
    from tickets.models import Department
    from tickets.tests.factories import make_ticket

    finance = Department.objects.get(code="finance")
    finance.supervisor = sam
    finance.save(update_fields=["supervisor"])
    acme = make_customer(owner=alice, name="Acme")
    weekly = [1, 1, 1, 1, 1, 1, 1, 1, 3, 4, 5]
    for n, count in enumerate(weekly):
        week = LAST_WEEK - dt.timedelta(weeks=len(weekly) - 1 - n)
        for i in range(count):
            make_ticket(customer=acme, actor=ada, now=now, created_at=local(week + dt.timedelta(days=i % 5)),
                        category="billing", is_complaint=True)
    (found,) = ticket_services.trend_alerts_detect(week_start=LAST_WEEK, now=now)
    return found


def test_an_alert_opens_one_action_not_two(alert, sam, now):
    from tickets import services as ticket_services

    action = TrendAction.objects.get()
    assert action.alert == alert and action.owner == sam and action.department.code == "finance"
    assert action.status == "open" and action.deadline == D(2026, 6, 29)  # 15 June + 14 days
    # The weekly job run again, and the receiver called again: still one action.
    ticket_services.trend_alerts_detect(week_start=LAST_WEEK, now=now)
    assert trend_action_open(alert=alert, now=now) == action
    assert TrendAction.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        TrendAction.objects.create(alert=alert, title="again", deadline=D(2026, 7, 1), created_at=now)


def test_the_open_action_is_on_the_leads_dashboard_and_not_a_managers(alert, lena, alice, client):
    client.force_login(lena)
    rows = client.get(reverse("reviews:dashboard")).context["trend_actions"]
    assert [r["category"] for r in rows] == ["billing"]
    # Its linked metric opens the category's tickets of the three alert weeks: 3 + 4 + 5.
    page = client.get(rows[0]["records_url"])
    assert page.status_code == 200 and page.context["page"].paginator.count == 12
    client.force_login(alice)
    assert client.get(reverse("reviews:dashboard")).context["trend_actions"] == []


def test_the_action_is_in_each_review_until_the_one_after_it_was_closed(alert, lena, sam, now):
    def june_report(start, end):
        return services.review_create(user=lena, title="r", period_start=start, period_end=end, scope_kind="team",
                                      targets=[], now=now)

    from reviews.report import review_report

    june = june_report(D(2026, 6, 1), D(2026, 6, 30))
    assert [a["category"] for a in review_report(review=june)["trend_actions"]] == ["billing"]
    action = TrendAction.objects.get()
    trend_action_status_set(action=action, user=sam, status="done", now=local(D(2026, 7, 10)))
    july = june_report(D(2026, 7, 1), D(2026, 7, 31))
    august = june_report(D(2026, 8, 1), D(2026, 8, 31))
    assert [a["status"] for a in review_report(review=july)["trend_actions"]] == ["done"]  # closed during July
    assert review_report(review=august)["trend_actions"] == []
    # A report of a period before the alert does not show it.
    assert review_report(review=june_report(D(2026, 5, 1), D(2026, 5, 31)))["trend_actions"] == []


def test_a_manager_cannot_move_an_action_they_do_not_own(alert, alice, client):
    from django.core.exceptions import PermissionDenied

    action = TrendAction.objects.get()
    with pytest.raises(PermissionDenied):
        trend_action_status_set(action=action, user=alice, status="done", now=action.created_at)
    client.force_login(alice)
    response = client.post(reverse("reviews:trend-action-status", args=[action.pk]), {"status": "done"})
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.status == "open" and action.closed_at is None


def test_the_owner_moves_it_from_the_dashboard(alert, sam, client):
    action = TrendAction.objects.get()
    client.force_login(sam)
    response = client.post(reverse("reviews:trend-action-status", args=[action.pk]), {"status": "in_progress"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "in_progress" and action.closed_at is None


# --- REST API (issue 12 item 3b) ----------------------------------------------

def test_the_api_lists_a_leads_actions_with_their_records_and_none_to_a_manager(alert, lena, alice, api_client_for):
    body = api_client_for(lena).get("/api/v1/trend-actions/").json()
    (row,) = body["results"]
    assert (row["category"], row["status"], row["owner_name"], row["department"]["name"]) == (
        "billing", "open", "sam", str(TrendAction.objects.get().department))
    # Its records: the category's tickets of the three alert weeks (3 + 4 + 5).
    records = api_client_for(lena).get(row["records"]).json()
    assert len(records["results"]) == 12 and {r["kind"] for r in records["results"]} == {"ticket"}
    assert api_client_for(alice).get("/api/v1/trend-actions/").json()["results"] == []
    assert api_client_for(alice).get(f"/api/v1/trend-actions/{row['id']}/").status_code == 404


def test_a_lead_reassigns_within_their_choices_and_an_owner_only_moves_the_status(
        alert, lena, sam, alice, charlie, api_client_for):
    action = TrendAction.objects.get()
    url = f"/api/v1/trend-actions/{action.pk}/"
    # Another team's manager is not one of the lead's choices: 400 beside the field, nothing written.
    response = api_client_for(lena).patch(url, {"owner": charlie.pk, "status": "in_progress"}, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    action.refresh_from_db()
    assert (action.owner, action.status) == (sam, "open")
    response = api_client_for(lena).patch(url, {"owner": alice.pk, "deadline": "2026-07-10"}, format="json")
    assert response.status_code == 200 and response.json()["owner"] == alice.pk
    action.refresh_from_db()
    assert (action.owner, action.deadline) == (alice, D(2026, 7, 10))
    # The new owner closes it (closed_at set) but may not move its deadline.
    assert api_client_for(alice).patch(url, {"deadline": "2026-08-01"}, format="json").status_code == 403
    response = api_client_for(alice).patch(url, {"status": "done"}, format="json")
    assert response.status_code == 200 and response.json()["closed_at"] is not None
    assert api_client_for(alice).patch(url, {"status": "nope"}, format="json").status_code == 400
    # Reopened: no longer closed.
    assert api_client_for(lena).patch(url, {"status": "open"}, format="json").json()["closed_at"] is None
