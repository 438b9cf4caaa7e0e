"""Each trigger fires once, at its moment, never inside the fatigue window and
never for a customer who opted out."""
import datetime as dt

import pytest

from crm.models import Transaction
from surveys import services, triggers
from surveys.models import SurveyInvitation, SurveyOptOut
from surveys.tests.factories import default_survey, make_response

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


def at_local(y, m, d, h=10):
    """A moment on a local (Asia/Shanghai) calendar day."""
    return dt.datetime(y, m, d, h - 8, 0, tzinfo=UTC)


def keys():
    return sorted(SurveyInvitation.objects.values_list("customer__name", "trigger_key"))


def test_new_customer_is_asked_7_days_after_the_first_deal_and_only_once(make_customer, alice):
    make_customer(owner=alice, name="Fresh", first_deal_date=dt.date(2026, 6, 8))
    assert services.invitations_create_due(now=at_local(2026, 6, 14)) == 0  # day 6: too early
    services.invitations_create_due(now=at_local(2026, 6, 15))  # day 7
    assert keys() == [("Fresh", "new_customer")]
    services.invitations_create_due(now=at_local(2026, 6, 15, 11))  # the next beat
    services.invitations_create_due(now=at_local(2026, 6, 16))
    assert SurveyInvitation.objects.count() == 1


def test_new_customer_without_a_first_deal_date_uses_the_first_purchase(make_customer, alice):
    c = make_customer(owner=alice, name="NoDate")
    Transaction.objects.create(customer=c, amount=100, occurred_on=dt.date(2026, 6, 8))
    Transaction.objects.create(customer=c, amount=100, occurred_on=dt.date(2026, 6, 12))
    services.invitations_create_due(now=at_local(2026, 6, 15))
    assert keys() == [("NoDate", "new_customer")]


def test_an_old_first_deal_is_not_asked_when_surveys_are_switched_on(make_customer, alice):
    make_customer(owner=alice, name="Old", first_deal_date=dt.date(2025, 1, 1))
    services.invitations_create_due(now=at_local(2026, 6, 15))
    assert keys() == []


def _high_value(customer, now):
    from segmentation.models import CustomerSegment

    CustomerSegment.objects.create(customer=customer, as_of=now.date(), tier="high_value", rfm_segment="champions",
                                   value_tier="high", membership_level="gold", health_score=80,
                                   next_contact_due=now.date(), computed_at=now)


def test_high_value_customers_are_asked_at_quarter_end_once_per_quarter(make_customer, alice):
    vip = make_customer(owner=alice, name="VIP")
    make_customer(owner=alice, name="Plain")
    _high_value(vip, at_local(2026, 6, 1))
    services.invitations_create_due(now=at_local(2026, 6, 29))  # before the quarter ends
    assert keys() == []
    services.invitations_create_due(now=at_local(2026, 6, 30))
    assert keys() == [("VIP", "quarter_end:2026Q2")]
    services.invitations_create_due(now=at_local(2026, 7, 2))
    assert SurveyInvitation.objects.count() == 1


def test_quarter_end_dates():
    assert triggers.latest_quarter_end(dt.date(2026, 6, 30)) == dt.date(2026, 6, 30)
    assert triggers.latest_quarter_end(dt.date(2026, 7, 3)) == dt.date(2026, 6, 30)
    assert triggers.latest_quarter_end(dt.date(2026, 1, 2)) == dt.date(2025, 12, 31)
    assert triggers.latest_quarter_end(dt.date(2026, 12, 31)) == dt.date(2026, 12, 31)
    assert triggers.quarter_key(dt.date(2025, 12, 31)) == "quarter_end:2025Q4"


def _ticket(customer, *, closed_at, category="service"):
    from tickets.models import Ticket

    return Ticket.objects.create(customer=customer, subject="Late delivery", category=category, status="closed",
                                 created_at=closed_at - dt.timedelta(days=1), updated_at=closed_at,
                                 closed_at=closed_at)


def test_a_ticket_is_followed_by_a_survey_48_hours_after_close(make_customer, alice):
    c = make_customer(owner=alice, name="T")
    closed = dt.datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    ticket = _ticket(c, closed_at=closed)
    services.invitations_create_due(now=closed + dt.timedelta(hours=47, minutes=59))
    assert keys() == []
    services.invitations_create_due(now=closed + dt.timedelta(hours=48))
    inv = SurveyInvitation.objects.get()
    assert (inv.trigger_key, inv.ticket_id, inv.ticket_category) == (f"ticket:{ticket.pk}", ticket.pk, "service")
    services.invitations_create_due(now=closed + dt.timedelta(hours=50))
    assert SurveyInvitation.objects.count() == 1


def test_no_customer_is_asked_twice_inside_the_fatigue_window(make_customer, alice, settings):
    settings.SURVEY_FATIGUE_DAYS = 30
    c = make_customer(owner=alice, name="Tired", first_deal_date=dt.date(2026, 6, 8))
    SurveyInvitation.objects.create(customer=c, survey=default_survey(), trigger="campaign", trigger_key="campaign:1",
                                    created_at=at_local(2026, 5, 20))  # 26 days before
    services.invitations_create_due(now=at_local(2026, 6, 15))
    assert keys() == [("Tired", "campaign:1")]


def test_a_recent_phone_survey_also_counts_for_fatigue(make_customer, alice):
    c = make_customer(owner=alice, name="Called", first_deal_date=dt.date(2026, 6, 8))
    make_response(c, at=at_local(2026, 6, 1), nps=9)
    services.invitations_create_due(now=at_local(2026, 6, 15))
    assert keys() == []


def test_after_the_fatigue_window_the_customer_can_be_asked_again(make_customer, alice):
    c = make_customer(owner=alice, name="Rested", first_deal_date=dt.date(2026, 6, 8))
    make_response(c, at=at_local(2026, 5, 15, 9), nps=9)  # 31 days before
    services.invitations_create_due(now=at_local(2026, 6, 15))
    assert keys() == [("Rested", "new_customer")]


def test_opted_out_customers_are_never_asked(make_customer, alice, lena):
    c = make_customer(owner=alice, name="NoThanks", first_deal_date=dt.date(2026, 6, 8))
    SurveyOptOut.objects.create(customer=c, created_at=at_local(2026, 1, 1))
    services.invitations_create_due(now=at_local(2026, 6, 15))
    services.campaign_launch(actor=lena, survey=default_survey(), name="Summer", filters={},
                             now=at_local(2026, 6, 15))
    assert keys() == []


def test_a_customer_due_for_two_reasons_gets_one_survey(make_customer, alice):
    c = make_customer(owner=alice, name="Both", first_deal_date=dt.date(2026, 6, 8))
    ticket = _ticket(c, closed_at=at_local(2026, 6, 13))
    services.invitations_create_due(now=at_local(2026, 6, 15))
    assert keys() == [("Both", f"ticket:{ticket.pk}")]


def test_a_campaign_invites_the_filtered_set_once(make_customer, alice, bob, charlie, lena, now):
    make_customer(owner=alice, name="North-SH", region="Shanghai", tags=",vip,")
    make_customer(owner=bob, name="North-BJ", region="Beijing", tags=",vip,")
    make_customer(owner=alice, name="North-SH-plain", region="Shanghai")
    make_customer(owner=charlie, name="South-SH", region="Shanghai", tags=",vip,")  # other team: out of lena's scope
    campaign = services.campaign_launch(actor=lena, survey=default_survey(), name="VIP Shanghai",
                                        filters={"region": "Shanghai", "tag": "vip"}, now=now)
    assert keys() == [("North-SH", f"campaign:{campaign.pk}")]
    assert campaign.invited == 1
    by_owner = services.campaign_launch(actor=lena, survey=default_survey(), name="Bob's", filters={"owner": bob.pk},
                                        now=now)
    assert SurveyInvitation.objects.filter(campaign=by_owner).count() == 1


def test_an_account_manager_cannot_launch_a_campaign(alice, now):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.campaign_launch(actor=alice, survey=default_survey(), name="x", filters={}, now=now)
