"""Each metric on hand-made data, against the number worked out by hand here.
Period: May 2026 (1–31 May), time zone of the project."""
from __future__ import annotations

import datetime as dt

import pytest

from reviews.metrics import CATALOGUE, HIGHER, LOWER, Period, Scope, deviation, metric_compute
from reviews.tests.factories import at, buy, survey_answer, talk, ticket

pytestmark = pytest.mark.django_db
MAY = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
D = dt.date


def value(key, scope=Scope(), period=MAY):
    return metric_compute(key=key, period=period, scope=scope)


def test_catalogue_defines_every_kpi_once_with_direction_and_formula():
    assert set(CATALOGUE) == {"nps", "avg_satisfaction", "churn_rate", "repurchase_rate", "clv",
                              "first_response_minutes", "resolution_hours", "sla_compliance", "contact_frequency",
                              "activation_30d", "winback_rate", "collection_rate", "repeat_complaint_rate",
                              "high_value_satisfaction", "first_followup_rate", "complaint_cycle_hours",
                              "retention_rate", "followup_on_time", "followups_overdue", "ticket_satisfaction"}
    for m in CATALOGUE.values():
        assert m.direction in (HIGHER, LOWER) and str(m.formula) and str(m.numerator) and str(m.denominator)


def test_churn_rate_counts_customers_active_before_start_and_quiet_before_end(alice, make_customer):
    # Active at start = activity in [1 Feb 2026 (1 May − 90 d), 1 May); quiet = none in [3 Mar, 1 Jun).
    a = make_customer(owner=alice, name="A")  # bought 10 Feb only -> active at start, churned
    buy(a, D(2026, 2, 10))
    b = make_customer(owner=alice, name="B")  # talked 20 Apr -> still active at end (20 Apr >= 3 Mar)
    talk(b, D(2026, 4, 20))
    c = make_customer(owner=alice, name="C")  # ticket 5 Feb, then nothing -> churned
    ticket(c, at(D(2026, 2, 5)))
    d = make_customer(owner=alice, name="D")  # bought 15 Feb and 10 May -> stays
    buy(d, D(2026, 2, 15))
    buy(d, D(2026, 5, 10))
    e = make_customer(owner=alice, name="E")  # only activity in May -> not active at start
    buy(e, D(2026, 5, 3))
    f = make_customer(owner=alice, name="F")  # last activity 20 Jan: before the start window
    buy(f, D(2026, 1, 20))
    result = value("churn_rate")
    assert (result.numerator, result.denominator) == (2, 4)  # A and C out of A, B, C, D
    assert result.value == 50.0


def test_churn_rate_is_no_data_without_active_customers(db):
    assert value("churn_rate").value is None


def test_repurchase_rate_is_two_or_more_purchases_over_one_or_more(alice, make_customer):
    a, b, c = (make_customer(owner=alice, name=n) for n in "ABC")
    buy(a, D(2026, 5, 2)); buy(a, D(2026, 5, 20))  # noqa: E702  2 purchases
    buy(b, D(2026, 5, 2)); buy(b, D(2026, 4, 20))  # noqa: E702  1 in May
    buy(c, D(2026, 5, 9)); buy(c, D(2026, 5, 9), kind="refund")  # noqa: E702  refund is no purchase
    result = value("repurchase_rate")
    assert (result.numerator, result.denominator, result.value) == (1, 3, 33.33)


def test_collection_rate_is_paid_on_time_over_due_in_period(alice, make_customer):
    a = make_customer(owner=alice)
    buy(a, D(2026, 4, 1), due_on=D(2026, 5, 10), paid_on=D(2026, 5, 10))  # on time (same day)
    buy(a, D(2026, 4, 1), due_on=D(2026, 5, 12), paid_on=D(2026, 5, 13))  # late
    buy(a, D(2026, 4, 1), due_on=D(2026, 5, 20))  # unpaid
    buy(a, D(2026, 4, 1), due_on=D(2026, 5, 25), paid_on=D(2026, 5, 1))  # early
    buy(a, D(2026, 4, 1), due_on=D(2026, 6, 5), paid_on=D(2026, 5, 1))  # due in June: not counted
    result = value("collection_rate")
    assert (result.numerator, result.denominator, result.value) == (2, 4, 50.0)


def test_contact_frequency_is_interactions_per_customer_month(alice, make_customer):
    a, b = make_customer(owner=alice, name="A"), make_customer(owner=alice, name="B")
    for day in (2, 9, 16):
        talk(a, D(2026, 5, day))
    talk(b, D(2026, 4, 30))  # April: not counted
    result = value("contact_frequency")
    months = 31 / (365.25 / 12)  # May in average months = 1.0185
    assert result.numerator == 3
    assert result.denominator == pytest.approx(2 * months, abs=1e-3)
    assert result.value == pytest.approx(3 / (2 * months), abs=1e-3)  # 1.473


def test_activation_rate_counts_new_customers_buying_within_30_days(alice, make_customer):
    a = make_customer(owner=alice, name="A", created_at=at(D(2026, 5, 5)))
    buy(a, D(2026, 6, 4))  # day 30 after creation: activated
    b = make_customer(owner=alice, name="B", created_at=at(D(2026, 5, 20)))
    buy(b, D(2026, 6, 20))  # day 31: too late
    make_customer(owner=alice, name="C", created_at=at(D(2026, 5, 28)))  # never bought
    old = make_customer(owner=alice, name="Old", created_at=at(D(2026, 4, 28)))
    buy(old, D(2026, 5, 2))  # created in April: not in the cohort
    result = value("activation_30d")
    assert (result.numerator, result.denominator, result.value) == (1, 3, 33.33)


def test_imported_customers_count_from_their_customer_since_not_their_import(alice, make_customer):
    imported = dict(created_at=at(D(2026, 6, 14)))
    a = make_customer(owner=alice, name="A", **imported)
    buy(a, D(1998, 5, 3)); buy(a, D(1998, 5, 20))  # noqa: E702  customer since 3 May 1998, active at once
    b = make_customer(owner=alice, name="B", first_deal_date=D(1998, 5, 10), **imported)
    buy(b, D(1998, 7, 1))  # first purchase 52 days after the deal: not activated
    talk(b, D(1998, 5, 12))
    may_1998 = Period(D(1998, 5, 1), D(1998, 5, 31))
    result = value("activation_30d", period=may_1998)
    assert (result.numerator, result.denominator) == (1, 2)
    result = value("contact_frequency", period=may_1998)
    assert (result.numerator, result.denominator) == (1, round(2 * may_1998.months, 4))


def test_winback_rate_is_churn_risk_customers_at_start_who_bought(alice, make_customer):
    from segmentation.models import SegmentHistory

    def hist(customer, as_of, tier):
        SegmentHistory.objects.create(customer=customer, as_of=as_of, tier=tier, value_tier="low", health_score=30,
                                      rfm_segment="lost")

    a, b, c, d = (make_customer(owner=alice, name=n) for n in "ABCD")
    hist(a, D(2026, 4, 30), "churn_risk"); buy(a, D(2026, 5, 15))  # noqa: E702  won back
    hist(b, D(2026, 4, 30), "churn_risk")  # noqa: E702  did not buy
    hist(c, D(2026, 3, 31), "churn_risk"); hist(c, D(2026, 4, 30), "potential"); buy(c, D(2026, 5, 2))  # noqa
    hist(d, D(2026, 4, 1), "churn_risk"); buy(d, D(2026, 6, 2))  # noqa: E702  bought after the period
    result = value("winback_rate")
    assert (result.numerator, result.denominator, result.value) == (1, 3, 33.33)


def test_nps_is_promoters_minus_detractors_percent(alice, make_customer):
    a = make_customer(owner=alice)
    for score in (10, 9, 9, 8, 7, 6, 3, 0, 10, 10):  # 5 promoters, 2 passives, 3 detractors
        survey_answer(a, at(D(2026, 5, 10)), nps=score)
    survey_answer(a, at(D(2026, 4, 10)), nps=0)  # April: not counted
    result = value("nps")
    assert (result.numerator, result.denominator, result.value) == (2, 10, 20.0)


def test_average_satisfaction_is_overall_times_ten(alice, make_customer):
    a = make_customer(owner=alice)
    for overall in (8, 9, 6):
        survey_answer(a, at(D(2026, 5, 10)), overall=overall)
    assert value("avg_satisfaction").value == pytest.approx(76.67)  # (8 + 9 + 6) / 3 × 10


def test_sla_compliance_is_tickets_without_breach_over_tickets(alice, make_customer):
    from tickets.models import SlaBreach

    a = make_customer(owner=alice)
    t1 = ticket(a, at(D(2026, 5, 3)))
    ticket(a, at(D(2026, 5, 4)))
    ticket(a, at(D(2026, 5, 5)))
    t4 = ticket(a, at(D(2026, 5, 6)))
    ticket(a, at(D(2026, 4, 6)))  # April
    SlaBreach.objects.create(ticket=t1, clock="first_response", due_at=t1.created_at, recorded_at=t1.created_at)
    SlaBreach.objects.create(ticket=t1, clock="resolution", due_at=t1.created_at, recorded_at=t1.created_at)
    SlaBreach.objects.create(ticket=t4, clock="update", due_at=t4.created_at, recorded_at=t4.created_at)
    result = value("sla_compliance")
    assert (result.numerator, result.denominator, result.value) == (2, 4, 50.0)


def test_response_and_resolution_times_average_over_tickets(alice, make_customer):
    a = make_customer(owner=alice)
    t0 = at(D(2026, 5, 3), 9)
    ticket(a, t0, first_response_at=t0 + dt.timedelta(minutes=6), resolved_at=t0 + dt.timedelta(hours=3))
    ticket(a, t0, first_response_at=t0 + dt.timedelta(minutes=14), resolved_at=t0 + dt.timedelta(hours=5))
    ticket(a, t0)  # no response yet
    assert value("first_response_minutes").value == 10.0  # (6 + 14) / 2
    assert value("resolution_hours").value == 4.0  # (3 + 5) / 2


def test_repeat_complaint_rate(alice, make_customer):
    a = make_customer(owner=alice)
    ticket(a, at(D(2026, 5, 3)), is_complaint=True, category="service")
    ticket(a, at(D(2026, 5, 20)), is_complaint=True, category="service", is_repeat=True)
    ticket(a, at(D(2026, 5, 21)), is_complaint=True, category="product")
    ticket(a, at(D(2026, 5, 22)), category="product")  # not a complaint
    result = value("repeat_complaint_rate")
    assert (result.numerator, result.denominator, result.value) == (1, 3, 33.33)


def test_clv_has_no_data_when_churn_has_none_never_an_assumed_lifetime(alice, make_customer):
    a, b = make_customer(owner=alice, name="A"), make_customer(owner=alice, name="B")
    buy(a, D(2026, 5, 2), "300")
    buy(b, D(2026, 5, 4), "400")
    # No one was active before 3 Mar (90 days before the end): the churn of those 90 days has no data.
    assert value("clv").value is None


def test_clv_is_yearly_spend_per_buyer_times_a_lifetime_capped_at_5_years(alice, make_customer):
    a, b = make_customer(owner=alice, name="A"), make_customer(owner=alice, name="B")
    for c in (a, b):
        buy(c, D(2026, 2, 20), "50")  # active before 3 Mar; both buy again in May: nobody churned
    buy(a, D(2026, 5, 2), "300")
    buy(a, D(2026, 5, 3), "100", kind="refund")
    buy(b, D(2026, 5, 4), "400")
    result = value("clv")
    # Net 600 in May over 2 buyers, annualised; no churn -> the 5-year cap.
    assert (result.numerator, result.denominator) == (600.0, 2)
    assert result.value == pytest.approx(300 * 365.25 / 31 * 5, abs=0.01)


def test_scope_filters_team_and_owner(alice, bob, charlie, make_customer):
    for owner in (alice, bob, charlie):
        c = make_customer(owner=owner, name=owner.username)
        buy(c, D(2026, 5, 2)); buy(c, D(2026, 5, 3))  # noqa: E702
    other = make_customer(owner=charlie, name="one-time")
    buy(other, D(2026, 5, 2))
    assert value("repurchase_rate", Scope(team_id=alice.team_id)).denominator == 2
    assert value("repurchase_rate", Scope(owner_id=charlie.pk)).value == 50.0
    assert value("repurchase_rate").denominator == 4


def test_metrics_without_data_report_no_data_not_zero(db):
    for key in CATALOGUE:
        # A count (overdue follow-ups) is 0 when there is nothing to count; every share or average has no data.
        assert value(key).value == (0 if CATALOGUE[key].unit == "count" else None), key


@pytest.mark.parametrize("key,actual,target,dev,dev_pct,on_target", [
    ("repurchase_rate", 30.0, 40.0, -10.0, -25.0, False),  # higher is better, below target
    ("repurchase_rate", 45.0, 40.0, 5.0, 12.5, True),
    ("churn_rate", 8.0, 5.0, 3.0, 60.0, False),  # lower is better, above target
    ("churn_rate", 4.0, 5.0, -1.0, -20.0, True),
    ("first_response_minutes", 10.0, 10.0, 0.0, 0.0, True),
    ("nps", -10.0, 20.0, -30.0, -150.0, False),
])
def test_deviation_and_on_target_follow_the_metric_direction(key, actual, target, dev, dev_pct, on_target):
    assert deviation(metric=CATALOGUE[key], actual=actual, target=target) == {
        "deviation": dev, "deviation_pct": dev_pct, "on_target": on_target}


def test_previous_period_of_a_month_is_the_month_before():
    assert MAY.previous() == Period(D(2026, 4, 1), D(2026, 4, 30))
    assert Period(D(2026, 1, 1), D(2026, 3, 31)).previous() == Period(D(2025, 10, 1), D(2025, 12, 31))
    assert Period(D(2026, 5, 10), D(2026, 5, 19)).previous() == Period(D(2026, 4, 30), D(2026, 5, 9))
