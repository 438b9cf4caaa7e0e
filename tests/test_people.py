"""Every person or team a caller can set (owner, team, staff, next-action owner,
assignee, action owner) is one the caller may name by the rules of core.access:
anything else is 400 "not a valid choice" (API) or a form error beside the field,
and nothing is written."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core import access
from crm.models import Customer, FollowUp, Interaction
from tickets.models import Ticket

INVALID = str(access.NOT_A_VALID_CHOICE)


@pytest.fixture
def north_customer(make_customer, alice):
    return make_customer(owner=alice, name="North Co")


@pytest.fixture
def north_ticket(north_customer, alice, now):
    from tickets import services

    return services.ticket_create(actor=alice, customer=north_customer, subject="Jam", now=now)


@pytest.fixture
def north_review(lena, now):
    import datetime as dt

    from reviews import services

    return services.review_create(user=lena, title="June", period_start=dt.date(2026, 6, 1),
                                  period_end=dt.date(2026, 6, 14), scope_kind="team", now=now)


def _cases(north_customer, north_ticket, north_review, charlie, south):
    at = timezone.now().isoformat()
    return {
        "customer owner": ("post", "/api/v1/customers/", {"name": "X", "owner": charlie.pk}, "owner"),
        "customer team": ("post", "/api/v1/customers/", {"name": "X", "team": south.pk}, "team"),
        "customer new owner": ("patch", f"/api/v1/customers/{north_customer.pk}/", {"owner": charlie.pk}, "owner"),
        "interaction staff": ("post", "/api/v1/interactions/", {
            "customer": north_customer.pk, "occurred_at": at, "summary": "call", "staff": charlie.pk}, "staff"),
        "interaction next-action owner": ("post", "/api/v1/interactions/", {
            "customer": north_customer.pk, "occurred_at": at, "summary": "call", "next_action": "call back",
            "next_action_due": "2026-07-01", "next_action_owner": charlie.pk}, "next_action_owner"),
        "ticket assignee": ("post", "/api/v1/tickets/", {
            "customer": north_customer.pk, "subject": "Jam", "assignee": charlie.pk}, "assignee"),
        "ticket reassign": ("patch", f"/api/v1/tickets/{north_ticket.pk}/", {"assignee": charlie.pk}, "assignee"),
        "ticket assign": ("post", f"/api/v1/tickets/{north_ticket.pk}/assign/", {"assignee": charlie.pk}, "assignee"),
        "review action owner": ("post", "/api/v1/review-actions/", {
            "review": north_review.pk, "title": "x", "owner": charlie.pk, "deadline": "2026-07-01"}, "owner"),
        "review participant": ("patch", f"/api/v1/reviews/{north_review.pk}/", {"participants": [charlie.pk]},
                               "participants"),
    }


CASES = ["customer owner", "customer team", "customer new owner", "interaction staff",
         "interaction next-action owner", "ticket assignee", "ticket reassign", "ticket assign",
         "review action owner", "review participant"]


@pytest.mark.parametrize("role", ["alice", "lena"])
@pytest.mark.parametrize("case", CASES)
def test_api_refuses_another_teams_people_as_not_a_valid_choice(case, role, north_customer, north_ticket,
                                                                north_review, charlie, south, api_client_for,
                                                                request):
    if case in ("review action owner", "review participant") and role == "alice":
        pytest.skip("only the team lead writes actions and reports")
    method, url, body, field = _cases(north_customer, north_ticket, north_review, charlie, south)[case]
    before = (Customer.objects.count(), Interaction.objects.count(), FollowUp.objects.count(),
              Ticket.objects.filter(assignee=charlie).count())
    response = getattr(api_client_for(request.getfixturevalue(role)), method)(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()[field] == [INVALID]
    assert before == (Customer.objects.count(), Interaction.objects.count(), FollowUp.objects.count(),
                      Ticket.objects.filter(assignee=charlie).count())


def test_a_follow_up_is_never_opened_for_another_teams_manager(alice, charlie, north_customer, now):
    from django.core.exceptions import ValidationError

    from crm import services

    with pytest.raises(ValidationError) as exc:
        services.interaction_log(actor=alice, customer=north_customer, data={
            "occurred_at": now, "summary": "call", "next_action": "call back",
            "next_action_due": now.date(), "next_action_owner": charlie})
    assert exc.value.message_dict == {"next_action_owner": [INVALID]}
    assert not FollowUp.objects.filter(owner=charlie).exists()


def test_alice_names_bob_and_lena_names_her_team(alice, bob, lena, north_customer, api_client_for):
    at = timezone.now().isoformat()
    for user in (alice, lena):
        response = api_client_for(user).post("/api/v1/interactions/", {
            "customer": north_customer.pk, "occurred_at": at, "summary": "call", "staff": bob.pk,
            "next_action": "call back", "next_action_due": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "next_action_owner": bob.pk},
            format="json")
        assert response.status_code == 201, response.content
    assert FollowUp.objects.filter(owner=bob).count() == 2


def test_support_assigns_tickets_to_anyone_and_managers_to_their_team_or_support(alice, bob, charlie, sam,
                                                                                 north_ticket, api_client_for):
    url = f"/api/v1/tickets/{north_ticket.pk}/assign/"
    assert api_client_for(sam).post(url, {"assignee": charlie.pk}, format="json").status_code == 200
    assert api_client_for(alice).post(url, {"assignee": sam.pk}, format="json").status_code == 200
    assert api_client_for(alice).post(url, {"assignee": bob.pk}, format="json").status_code == 200


def test_keeping_a_customers_current_owner_is_allowed(alice, charlie, north, make_customer, api_client_for):
    """A North customer still owned by Charlie (he moved teams): Alice may edit it without reassigning."""
    customer = make_customer(owner=charlie, team=north, name="Moved")
    response = api_client_for(alice).put(f"/api/v1/customers/{customer.pk}/", {
        "name": "Moved Co", "owner": charlie.pk, "team": north.pk}, format="json")
    assert response.status_code == 200, response.content
    assert Customer.objects.get(pk=customer.pk).name == "Moved Co"


def test_pages_show_another_teams_people_as_a_form_error(alice, charlie, north_customer, north_ticket, client):
    client.force_login(alice)
    response = client.post("/customers/new/", {"name": "X", "kind": "company", "owner": charlie.pk})
    assert response.status_code in (200, 400)
    assert "Select a valid choice" in response.content.decode()
    assert not Customer.objects.filter(name="X").exists()
    client.post(f"/tickets/{north_ticket.pk}/assign/", {"assignee": charlie.pk, "version": north_ticket.version})
    assert Ticket.objects.get(pk=north_ticket.pk).assignee_id != charlie.pk


def test_a_department_supervisor_is_someone_the_lead_may_give_tickets_to(lena, charlie, now):
    from django.core.exceptions import ValidationError

    from tickets import services
    from tickets.models import Department

    from tickets.defaults import ensure_defaults

    ensure_defaults()  # a transactional test earlier in the run may have flushed the data migration's rows
    finance = Department.objects.get(code="finance")
    with pytest.raises(ValidationError) as exc:
        services.ticket_routing_save(actor=lena, routes={}, supervisors={finance: charlie})
    assert exc.value.message_dict == {f"supervisor_{finance.pk}": [INVALID]}
    services.ticket_routing_save(actor=lena, routes={}, supervisors={finance: lena})
    finance.refresh_from_db()
    assert finance.supervisor == lena
