"""Issue 12 item 4: the weekly ticket summary adds satisfaction, customer feedback
and a per-department split beside the resolution and repeat rates; exportable as
XLSX (cells through core.safe_export); mailed each week to supervisors (team leads
and admins) through the outbox, once per week and recipient."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.urls import reverse

from core.models import OutboundEmail
from core.outbox import outbox_sweep
from reviews.tests.factories import ticket
from tickets import services
from tickets.models import Department, WeeklySummary
from tickets.tests.test_reports import LAST_WEEK, local

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def week(make_customer, alice, charlie):
    """Week of 8 June. Finance: two complaints (one a repeat), one resolved and rated
    5 with feedback. Tech: North's ticket rated 3 with a formula-like comment, South's
    rated 4 with its marker."""
    finance, tech = Department.objects.get(code="finance"), Department.objects.get(code="technical")
    acme, south = make_customer(owner=alice, name="Acme"), make_customer(owner=charlie, name="South Co")
    ticket(acme, local(LAST_WEEK), department=finance, is_complaint=True, resolved_at=local(LAST_WEEK + dt.timedelta(1)),
           satisfaction=5, feedback="很快解决")
    ticket(acme, local(LAST_WEEK, 14), department=finance, is_complaint=True, is_repeat=True)
    ticket(acme, local(LAST_WEEK + dt.timedelta(2)), department=tech, resolved_at=local(LAST_WEEK + dt.timedelta(3)),
           satisfaction=3, feedback="=cmd|' /C calc'!A0")
    ticket(south, local(LAST_WEEK + dt.timedelta(2)), department=tech, resolved_at=local(LAST_WEEK + dt.timedelta(3)),
           satisfaction=4, feedback="SOUTHSECRET slow")
    return finance, tech


def test_the_summary_has_satisfaction_and_the_same_figures_per_department(week, now):
    finance, tech = week
    s = services.weekly_summary_compute(week_start=LAST_WEEK, now=now)
    assert (s.total, s.resolved, s.rated, s.satisfaction) == (4, 3, 3, 80.0)  # (5 + 3 + 4) ÷ 3 × 20
    assert (s.complaints, s.repeats, s.repeat_rate) == (2, 1, 0.5)
    f, t = s.by_department[str(finance.pk)], s.by_department[str(tech.pk)]
    assert (f["total"], f["resolution_rate"], f["satisfaction"], f["repeat_rate"]) == (2, 0.5, 100.0, 0.5)
    assert (t["total"], t["resolution_rate"], t["satisfaction"], t["repeat_rate"]) == (2, 1.0, 70.0, None)
    assert f["name"] == str(finance)


def test_a_lead_reads_only_their_teams_feedback_and_exports_it_safely(week, lena, client, now):
    from openpyxl import load_workbook

    services.weekly_summary_compute(week_start=LAST_WEEK, now=now)
    client.force_login(lena)
    page = client.get(reverse("tickets:weekly"))
    assert [f["text"] for f in page.context["feedback"]] == ["=cmd|' /C calc'!A0", "很快解决"]
    response = client.get(reverse("tickets:weekly-export") + f"?week={LAST_WEEK}&lang=en")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    figures = list(wb.worksheets[0].iter_rows(min_row=4, max_row=4, values_only=True))[0]
    assert figures[:3] == ("All departments", 4, 3) and figures[6] == 80.0
    comments = [r[4] for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert comments == ["'=cmd|' /C calc'!A0", "很快解决"]  # a formula start is text; South's is not there
    assert client.get(reverse("tickets:weekly-export") + "?week=2020-01-06").status_code == 404


def test_monday_mails_each_supervisor_once_with_what_they_may_read(week, lena, ada, alice, sam, now):
    services.weekly_ticket_report(now=now)  # Monday 15 June: the week of 8 June
    assert OutboundEmail.objects.count() == 2
    outbox_sweep(now=now)
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {"lena@example.com", "ada@example.com"}  # not a manager, not support
    lena_body, ada_body = by_to["lena@example.com"].body, by_to["ada@example.com"].body
    assert "2026-06-08" in by_to["lena@example.com"].subject
    assert "80.0" in lena_body and "很快解决" in lena_body and "SOUTHSECRET" not in lena_body
    assert "SOUTHSECRET" in ada_body  # an admin reads every team's feedback
    # Beat again, or a redelivered task: nothing more is queued.
    assert services.weekly_ticket_report(now=now)["mailed"] == 0
    assert OutboundEmail.objects.count() == 2
    assert WeeklySummary.objects.get().satisfaction == 80.0
