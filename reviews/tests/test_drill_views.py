"""The drill-down list page: the records of a part, its XLSX export and the bulk
actions (follow-ups for the owners, ticket assignment, a survey campaign)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from crm.models import FollowUp
from reviews.tests.test_drilldown import MAY, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def url(key: str, **params) -> str:
    from urllib.parse import urlencode

    return reverse("reviews:metric-records", kwargs={"key": key}) + "?" + urlencode({**MAY, **params})


def act_url(key: str, **params) -> str:
    from urllib.parse import urlencode

    return reverse("reviews:metric-records-act", kwargs={"key": key}) + "?" + urlencode({**MAY, **params})


def test_the_list_shows_exactly_the_parts_records_in_a_fixed_number_of_queries(lena, world, client,  # noqa: F811
                                                                               django_assert_max_num_queries):
    from crm import activity

    client.force_login(lena)
    activity.refresh()  # the activity spells of the world's records: paid once after writes, not per page or row
    with django_assert_max_num_queries(12):
        response = client.get(url("churn_rate", part="denominator"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert sorted(r["customer"] for r in rows) == ["N0", "N1", "N2", "N3", "N4", "N5"]
    html = response.content.decode()
    assert 'id="bulk-followup"' in html and 'id="bulk-campaign"' in html and 'id="bulk-assign"' not in html
    assert [t["key"] for t in response.context["tabs"]] == ["numerator", "denominator"]


def test_the_xlsx_export_has_one_row_per_record(lena, world, client):  # noqa: F811
    from openpyxl import load_workbook

    client.force_login(lena)
    response = client.get(url("nps", part="detractors", format="xlsx"))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 2 and {r[3] for r in rows} == {"N3", "N4"}  # lena's team only


def test_a_bulk_follow_up_opens_one_for_each_customers_owner(lena, alice, world, client, now):  # noqa: F811
    client.force_login(lena)
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    response = client.post(act_url("churn_rate", part="numerator"),
                           {"action": "followup", "fu-due_on": due, "fu-reason": "Call the quiet ones"})
    assert response.status_code == 302
    followups = FollowUp.objects.filter(reason="Call the quiet ones")
    assert sorted(f.customer.name for f in followups) == ["N4", "N5"]
    assert {f.owner for f in followups} == {alice} and all(f.due_at.date().isoformat() == due for f in followups)


def test_a_bulk_follow_up_needs_a_due_date_and_a_reason(lena, world, client):  # noqa: F811
    client.force_login(lena)
    before = FollowUp.objects.count()
    response = client.post(act_url("churn_rate", part="numerator"), {"action": "followup", "fu-reason": ""})
    assert response.status_code == 400
    assert set(response.context["followup_form"].errors) == {"due_on", "reason"}
    assert FollowUp.objects.count() == before  # nothing opened


def test_support_assigns_the_open_tickets_of_a_part(sam, ada, world, client):  # noqa: F811
    from tickets.models import Ticket

    client.force_login(sam)
    page = client.get(url("sla_compliance", part="denominator")).content.decode()
    assert 'id="bulk-assign"' in page and 'id="bulk-followup"' not in page
    response = client.post(act_url("sla_compliance", part="denominator"), {"action": "assign", "as-assignee": ada.pk})
    assert response.status_code == 302
    assert set(Ticket.objects.filter(resolved_at__isnull=True).values_list("assignee", flat=True)) == {ada.pk}
    # Support opens no follow-ups.
    assert client.post(act_url("sla_compliance", part="denominator"),
                       {"action": "followup", "fu-due_on": "2030-01-01", "fu-reason": "x"}).status_code == 404


def test_a_lead_launches_a_survey_campaign_to_the_customers_of_a_part(lena, world, client, now):  # noqa: F811
    from surveys.models import Campaign
    from surveys.tests.factories import default_survey

    survey = default_survey()
    client.force_login(lena)
    response = client.post(act_url("churn_rate", part="numerator"),
                           {"action": "campaign", "ca-survey": survey.pk, "ca-name": "Quiet customers"})
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Quiet customers")
    assert sorted(campaign.invitations.values_list("customer__name", flat=True)) == ["N4", "N5"]


def test_another_teams_list_is_not_found(charlie, world, client):  # noqa: F811
    client.force_login(charlie)
    north = world["north"][0].team_id
    assert client.get(url("churn_rate", part="numerator", team=north)).status_code == 404
    names = [r["customer"] for r in client.get(url("churn_rate", part="numerator")).context["rows"]]
    assert names == ["S4", "S5"]


def test_the_list_takes_a_month_of_the_history(lena, world, client):  # noqa: F811
    client.force_login(lena)
    response = client.get(reverse("reviews:metric-records", kwargs={"key": "churn_rate"}),
                          {"month": "2026-05", "part": "numerator"})
    assert (response.context["drill"].period.start, response.context["drill"].period.end) == (
        dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert sorted(r["customer"] for r in response.context["rows"]) == ["N4", "N5"]
    assert 'name="month"' in response.content.decode()
