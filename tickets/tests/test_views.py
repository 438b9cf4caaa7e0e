"""Browser pages: queue, ticket page and its actions, creation from the customer
page, weekly summary; scope (404) and query counts."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tickets import services
from tickets.models import Ticket, TicketMessage, WeeklySummary
from tickets.tests.factories import make_ticket

MIN = dt.timedelta(minutes=1)


def client_for(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def acme(make_customer, alice):
    return make_customer(owner=alice, name="Acme", phone="13812345678")


def test_the_queue_orders_by_sla_time_left_and_highlights_breaches(acme, sam, now, frozen):
    calm = make_ticket(customer=acme, actor=sam, now=now, subject="Calm one")
    services.ticket_reply(ticket=calm, actor=sam, body="hi", now=now + MIN)
    late = make_ticket(customer=acme, actor=sam, now=now - dt.timedelta(minutes=30), subject="Late one")
    frozen.set(now + 2 * MIN)
    html = client_for(sam).get("/tickets/?scope=all").content.decode()
    assert html.index("Late one") < html.index("Calm one")
    assert 'class="sla-breached' in html and "data-due=" in html
    assert late.number in html


def test_the_queue_costs_the_same_queries_for_many_tickets(acme, sam, now, frozen, django_assert_max_num_queries):
    for i in range(30):
        make_ticket(customer=acme, actor=sam, now=now, subject=f"t{i}")
    c = client_for(sam)
    with django_assert_max_num_queries(10):
        assert c.get("/tickets/?scope=all").status_code == 200


def test_mine_shows_only_my_tickets(acme, sam, bob, now, frozen):
    make_ticket(customer=acme, actor=sam, now=now, subject="For Bob", assignee=bob)
    make_ticket(customer=acme, actor=sam, now=now, subject="For Sam", assignee=sam)
    html = client_for(sam).get("/tickets/?scope=mine").content.decode()
    assert "For Sam" in html and "For Bob" not in html


def test_the_ticket_page_shows_clocks_conversation_and_masks_the_phone_for_support(acme, sam, now, frozen):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    html = client_for(sam).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "SLA clocks" in html and "First response" in html and "SLA event log" in html
    assert "138****5678" in html and "13812345678" not in html


def test_charlie_should_get_404_for_a_ticket_of_alices_team(acme, sam, charlie, now, frozen):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    c = client_for(charlie)
    assert c.get(f"/tickets/{ticket.pk}/").status_code == 404
    assert c.post(f"/tickets/{ticket.pk}/reply/", {"body": "x", "public": "on"}).status_code == 404
    assert c.post(f"/tickets/new/for/{acme.pk}/", {"subject": "x", "category": "other",
                                                    "urgency": "normal"}).status_code == 404


def test_a_public_reply_from_the_page_meets_the_first_response_clock(acme, sam, now, frozen):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    frozen.set(now + 3 * MIN)
    r = client_for(sam).post(f"/tickets/{ticket.pk}/reply/", {"body": "Hello", "public": "on",
                                                               "version": ticket.version})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_at == now + 3 * MIN
    html = client_for(sam).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="clock-first_response"' in html and "badge-ok" in html


def test_a_stale_form_shows_a_conflict_and_saves_nothing(acme, sam, now, frozen):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    c = client_for(sam)
    c.post(f"/tickets/{ticket.pk}/wait/", {"version": ticket.version})
    r = c.post(f"/tickets/{ticket.pk}/reply/", {"body": "Hello", "public": "on", "version": ticket.version})
    assert r.status_code == 409
    assert "changed by someone else" in r.content.decode()
    assert not TicketMessage.objects.exists()


def test_a_form_error_is_shown_beside_the_field(acme, sam, now, frozen):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    r = client_for(sam).post(f"/tickets/{ticket.pk}/commit/", {"committed_resolution_at": "2026-06-15T09:00",
                                                                "version": ticket.version})
    assert r.status_code == 400
    assert "must be in the future" in r.content.decode()


def test_a_ticket_is_created_from_the_customer_page_panel(acme, alice, now, frozen):
    c = client_for(alice)
    page = c.get(f"/customers/{acme.pk}/").content.decode()
    assert 'id="new-ticket-form"' in page
    r = c.post(f"/tickets/new/for/{acme.pk}/", {"subject": "Screen flickers", "category": "product",
                                                 "urgency": "urgent"})
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/tickets/{ticket.pk}/"
    assert (ticket.customer, ticket.urgency, ticket.department.code) == (acme, "urgent", "technical")
    assert "Screen flickers" in c.get(f"/customers/{acme.pk}/").content.decode()  # on the timeline


def test_the_full_create_form_needs_a_customer_in_scope(acme, make_customer, charlie, alice, now, frozen):
    south = make_customer(owner=charlie, name="South")
    r = client_for(alice).post("/tickets/new/", {"customer": south.pk, "subject": "x", "category": "other",
                                                 "urgency": "normal", "channel": "phone"})
    assert r.status_code == 400 and not Ticket.objects.exists()


def test_the_weekly_page_lists_summaries_and_a_lead_can_compute(lena, sam, now, frozen):
    c = client_for(lena)
    assert "No weekly summary yet" in c.get("/tickets/weekly/").content.decode()
    assert c.post("/tickets/weekly/").status_code == 302
    assert WeeklySummary.objects.filter(week_start=dt.date(2026, 6, 8)).exists()
    assert client_for(sam).post("/tickets/weekly/").status_code == 403


def test_pages_are_translated_to_chinese(acme, sam, now, frozen):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(sam)
    assert "工单" in c.get("/tickets/?scope=all").content.decode()
    assert "首次响应" in c.get(f"/tickets/{ticket.pk}/").content.decode()


def test_a_team_lead_edits_routing_supervisors_and_sla_policies(lena, sam, acme, now, frozen):
    from tickets.models import Department, RoutingRule, SlaPolicy

    c = client_for(lena)
    assert c.get("/tickets/settings/").status_code == 200
    finance = Department.objects.get(code="finance")
    technical = Department.objects.get(code="technical")
    data = {"section": "routing", **{f"route_{cat}": technical.pk for cat in
                                     ["product", "technical", "service", "invoice", "complaint", "other"]},
            "route_billing": finance.pk, f"supervisor_{finance.pk}": lena.pk}
    assert c.post("/tickets/settings/", data).status_code == 302
    assert RoutingRule.objects.get(category="service").department == technical
    finance.refresh_from_db()
    assert finance.supervisor == lena
    policies = {"section": "policies", "policy-TOTAL_FORMS": "1", "policy-INITIAL_FORMS": "0",
                "policy-0-urgency": "critical", "policy-0-tier": "", "policy-0-first_response_minutes": "5",
                "policy-0-commitment_minutes": "60", "policy-0-update_minutes": "480"}
    assert c.post("/tickets/settings/", policies).status_code == 302
    assert SlaPolicy.objects.get(urgency="critical", tier="").first_response_minutes == 5
    ticket = make_ticket(customer=acme, actor=sam, now=now, urgency="critical")
    assert ticket.sla_first_response_minutes == 5


def test_support_and_account_managers_cannot_change_ticket_settings(sam, alice):
    assert client_for(sam).get("/tickets/settings/").status_code == 403
    assert client_for(alice).post("/tickets/settings/", {"section": "routing"}).status_code == 403


def test_the_department_queue_defaults_to_the_department_the_user_supervises(acme, sam, lena, now, frozen):
    from tickets.models import Department

    Department.objects.filter(code="finance").update(supervisor=lena)
    make_ticket(customer=acme, actor=sam, now=now, subject="Bill too high", category="billing")
    make_ticket(customer=acme, actor=sam, now=now, subject="Screen broken", category="product")
    html = client_for(lena).get("/tickets/?scope=department").content.decode()
    assert "Bill too high" in html and "Screen broken" not in html


def test_saving_the_policy_table_unchanged_with_its_empty_extra_row_works(lena, now, frozen):
    import re

    from tickets.models import SlaPolicy

    c = client_for(lena)
    html = c.get("/tickets/settings/").content.decode()
    data = {"section": "policies"}
    for name, value in re.findall(r'name="(policy-[^"]+)"[^>]*value="([^"]*)"', html):
        data[name] = value
    for name, value in re.findall(r'<select name="(policy-\d+-[a-z_]+)"[^>]*>.*?<option value="([^"]*)"[^>]*selected',
                                  html, re.S):
        data[name] = value
    assert data["policy-TOTAL_FORMS"] == "4"
    r = c.post("/tickets/settings/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert SlaPolicy.objects.count() == 3


@pytest.mark.parametrize("lang, expected", [("en", "Waiting for the customer."), ("zh-hans", "等待客户")])
def test_the_action_message_is_in_the_readers_language(acme, sam, now, frozen, lang, expected):
    ticket = make_ticket(customer=acme, actor=sam, now=now)
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(sam)
    r = c.post(f"/tickets/{ticket.pk}/wait/", {"version": ticket.version}, follow=True)
    assert expected in r.content.decode()


def test_the_queue_names_the_clock_of_the_countdown_and_the_breached_ones(acme, sam, now, frozen):
    ticket = make_ticket(customer=acme, actor=sam, now=now - dt.timedelta(minutes=30))
    services.sla_breach_scan(now=now)
    services.ticket_reply(ticket=ticket, actor=sam, body="On it", now=now)
    html = client_for(sam).get("/tickets/?scope=all").content.decode()
    cell = html.split('data-sla-row')[1].split("</tr>")[0]
    assert "Breached" in cell and "First response" in cell  # the breached clock, named
    assert "Solution or committed time" in cell  # the clock still counting down


def test_the_queue_offers_a_new_ticket_form_with_a_customer_picker(acme, sam):
    html = client_for(sam).get("/tickets/").content.decode()
    assert 'id="new-ticket"' in html and 'href="/tickets/new/"' in html
    form = client_for(sam).get("/tickets/new/").content.decode()
    assert 'id="customer-search"' in form and "hx-get" in form


def test_typing_finds_customers_by_part_of_name_or_external_id_in_scope_only(acme, make_customer, charlie, alice,
                                                                             django_assert_max_num_queries):
    acme.external_id = "IMP-00042"
    acme.save(update_fields=["external_id"])
    make_customer(owner=charlie, name="Acme South", external_id="IMP-00043")
    c = client_for(alice)
    with django_assert_max_num_queries(6):
        by_id = c.get("/tickets/new/?q=imp", HTTP_HX_REQUEST="true").content.decode()
    assert "Acme" in by_id and "IMP-00042" in by_id and "Acme South" not in by_id
    assert "Acme" in c.get("/tickets/new/?q=cme", HTTP_HX_REQUEST="true").content.decode()
    assert "matches" in c.get("/tickets/new/?q=zzz", HTTP_HX_REQUEST="true").content.decode()


def test_a_ticket_is_created_for_the_picked_customer_and_not_for_one_out_of_scope(acme, make_customer, charlie,
                                                                                  alice):
    south = make_customer(owner=charlie, name="South Co")
    c = client_for(alice)
    data = {"subject": "Broken", "category": "product", "urgency": "normal", "channel": "phone"}
    r = c.post("/tickets/new/", {**data, "customer": acme.pk})
    assert r.status_code == 302 and Ticket.objects.get().customer == acme
    r = c.post("/tickets/new/", {**data, "customer": south.pk})
    assert r.status_code == 400 and Ticket.objects.count() == 1
