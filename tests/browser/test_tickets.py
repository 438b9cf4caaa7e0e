"""Support works a ticket in the browser: queue → ticket → public reply → the
first-response clock is met. Screenshots in var/screenshots/tickets-*.png."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tickets(make_customer, alice, sam):
    from tickets.defaults import ensure_defaults

    ensure_defaults()  # another transactional test may have flushed the migration's data
    acme = make_customer(owner=alice, name="Acme Printing", phone="13812345678")
    real_now = timezone.now()
    late = services.ticket_create(actor=sam, customer=acme, subject="Invoice amount is wrong", category="billing",
                                  urgency="urgent", now=real_now - dt.timedelta(minutes=25))
    services.sla_breach_scan(now=real_now)
    fresh = services.ticket_create(actor=sam, customer=acme, subject="Printer jams on page 2", category="product",
                                   urgency="critical", now=real_now, assignee=sam)
    return late, fresh


def test_support_replies_from_the_queue_and_meets_the_first_response_clock(sam, tickets, login_as, live_server,
                                                                          screenshot):
    late, fresh = tickets
    page = login_as(sam)
    page.goto(f"{live_server.url}/tickets/?scope=all")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    # The breached (and escalated) ticket is on top and highlighted; countdowns tick.
    assert "Invoice amount is wrong" in rows.nth(0).inner_text()
    assert "sla-breached" in (rows.nth(0).get_attribute("class") or "")
    countdown = rows.nth(1).locator("[data-due]")
    assert re.match(r"^\d+:\d\d$", countdown.inner_text())  # "9:58": minutes and seconds left
    screenshot("tickets-queue")

    page.click(f"text={fresh.subject}")
    page.wait_for_url(f"**/tickets/{fresh.pk}/")
    assert page.locator("#customer-phone").inner_text() == "138****5678"
    assert "running" in page.locator("#clock-first_response").get_attribute("class")
    page.fill("#reply-form textarea[name=body]", "We are sending a technician today.")
    page.click("#reply-form button[type=submit]")
    page.wait_for_url(f"**/tickets/{fresh.pk}/")
    assert "We are sending a technician today." in page.locator("#conversation").inner_text()
    assert page.locator("#clock-first_response .badge-ok").inner_text() == "Met"
    assert page.locator("#ticket-status").inner_text() == "In progress"
    screenshot("tickets-detail-replied")


def test_the_queue_in_chinese(sam, tickets, login_as, live_server, screenshot):
    page = login_as(sam, lang="zh-hans")
    page.goto(f"{live_server.url}/tickets/?scope=all")
    assert page.locator("h1").inner_text() == "工单队列"
    assert page.locator("table.queue th").last.inner_text().startswith("SLA 剩余时间")
    screenshot("tickets-queue-zh")


def test_an_account_manager_opens_a_ticket_from_the_customer_page(alice, make_customer, login_as, live_server,
                                                                  screenshot):
    from tickets.defaults import ensure_defaults

    ensure_defaults()
    acme = make_customer(owner=alice, name="Acme Printing")
    page = login_as(alice)
    page.goto(f"{live_server.url}/customers/{acme.pk}/")
    panel = page.locator("#tickets-panel")
    panel.locator("input[name=subject]").fill("Toner cartridge leaks")
    panel.locator("select[name=category]").select_option("product")
    panel.locator("select[name=urgency]").select_option("urgent")
    screenshot("tickets-customer-panel")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/tickets/\d+/$"))
    assert "Toner cartridge leaks" in page.locator("h1").inner_text()
    assert "Technical support" in page.locator("#ticket-props").inner_text()
    assert page.locator("#clock-first_response [data-due]").count() == 1
    screenshot("tickets-created")


def test_a_team_lead_reads_the_feedback_priority_in_chinese(lena, tickets, make_customer, alice, sam, login_as,
                                                           live_server, screenshot):
    from crm.models import Transaction

    acme = tickets[0].customer
    Transaction.objects.create(customer=acme, kind="purchase", amount="120000", occurred_on=timezone.localdate())
    other = make_customer(owner=alice, name="Beta Office")
    Transaction.objects.create(customer=other, kind="purchase", amount="8000", occurred_on=timezone.localdate())
    services.ticket_create(actor=sam, customer=other, subject="Paper tray broken", category="product",
                           now=timezone.now())
    page = login_as(lena, lang="zh-hans")
    page.goto(f"{live_server.url}/tickets/weekly/")
    table = page.locator("#feedback-priority")
    assert table.locator("h2").inner_text() == "反馈优先级"
    rows = table.locator("tbody tr")
    # product: 2 customers, 128,000 → 100; billing: 1 customer, 120,000 → 25 + 46.9 = 71.9
    assert rows.nth(0).get_attribute("data-category") == "product"
    assert "128,000.00" in rows.nth(0).inner_text()
    assert "71.9" in rows.nth(1).inner_text()
    table.scroll_into_view_if_needed()
    screenshot("tickets-feedback-priority-zh")
