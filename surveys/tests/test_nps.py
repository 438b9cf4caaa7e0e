"""NPS of known answer sets: one formula (core.formulas), counted by one query."""
import datetime as dt

import pytest

from crm.models import Customer
from surveys import selectors
from surveys.tests.factories import make_response

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 10)
AT = dt.datetime(2026, 6, 10, 4, 0, tzinfo=dt.timezone.utc)


def _nps_of(make_customer, alice, scores):
    c = make_customer(owner=alice)
    for s in scores:
        make_response(c, at=AT, nps=s)
    return selectors.nps_counts(start=DAY, end=DAY, customers=Customer.objects.all())


def test_all_promoters_is_100(make_customer, alice):
    assert _nps_of(make_customer, alice, [9, 10, 10])["nps"] == 100.0


def test_all_detractors_is_minus_100(make_customer, alice):
    assert _nps_of(make_customer, alice, [0, 3, 6])["nps"] == -100.0


def test_6_is_a_detractor_and_7_a_passive(make_customer, alice):
    counts = _nps_of(make_customer, alice, [6, 7])
    assert (counts["detractors"], counts["passives"], counts["promoters"]) == (1, 1, 0)
    assert counts["nps"] == -50.0


def test_8_is_a_passive_and_9_a_promoter(make_customer, alice):
    counts = _nps_of(make_customer, alice, [8, 9])
    assert (counts["detractors"], counts["passives"], counts["promoters"]) == (0, 1, 1)
    assert counts["nps"] == 50.0


def test_no_answers_is_no_value_not_zero(make_customer, alice):
    counts = _nps_of(make_customer, alice, [])
    assert counts["nps"] is None and counts["responses"] == 0


def test_answers_without_an_nps_score_are_not_counted(make_customer, alice):
    c = make_customer(owner=alice)
    make_response(c, at=AT, nps=None, overall=9)
    make_response(c, at=AT, nps=10)
    counts = selectors.nps_counts(start=DAY, end=DAY, customers=Customer.objects.all())
    assert counts["responses"] == 1 and counts["nps"] == 100.0


def test_the_period_is_local_calendar_days(make_customer, alice, settings):
    # Asia/Shanghai: 2026-06-10 23:30 local is 15:30 UTC, still the 10th; 16:30 UTC is the 11th.
    c = make_customer(owner=alice)
    make_response(c, at=dt.datetime(2026, 6, 10, 15, 30, tzinfo=dt.timezone.utc), nps=10)
    make_response(c, at=dt.datetime(2026, 6, 10, 16, 30, tzinfo=dt.timezone.utc), nps=0)
    counts = selectors.nps_counts(start=DAY, end=DAY, customers=Customer.objects.all())
    assert counts["responses"] == 1 and counts["promoters"] == 1


def test_nps_by_month_and_tier_groups_in_sql(make_customer, alice, django_assert_num_queries):
    from segmentation.models import CustomerSegment

    a = make_customer(owner=alice, name="A")
    vip = make_customer(owner=alice, name="VIP")
    CustomerSegment.objects.create(customer=vip, as_of=DAY, tier="high_value", rfm_segment="champions",
                                   value_tier="high", membership_level="gold", health_score=90,
                                   next_contact_due=DAY, computed_at=AT)
    make_response(a, at=AT, nps=10)
    make_response(a, at=AT - dt.timedelta(days=40), nps=0)
    make_response(vip, at=AT, nps=8)
    with django_assert_num_queries(1):
        rows = selectors.nps_by_month_and_tier(start=dt.date(2026, 1, 1), end=DAY)
    assert [(r["month"], r["tier"], r["nps"]) for r in rows] == [
        (dt.date(2026, 5, 1), "", -100.0), (dt.date(2026, 6, 1), "", 100.0), (dt.date(2026, 6, 1), "high_value", 0.0)]
