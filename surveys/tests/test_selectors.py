import datetime as dt

import pytest

from surveys.selectors import latest_satisfaction_by_customer
from surveys.tests.factories import make_response

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


def test_latest_satisfaction_is_the_latest_overall_on_or_before_as_of(make_customer, alice):
    a = make_customer(owner=alice, name="A")
    b = make_customer(owner=alice, name="B")
    make_response(a, at=dt.datetime(2026, 5, 1, 2, tzinfo=UTC), overall=9)
    make_response(a, at=dt.datetime(2026, 6, 1, 2, tzinfo=UTC), overall=4)
    make_response(a, at=dt.datetime(2026, 6, 5, 2, tzinfo=UTC), nps=9)  # no overall: not a satisfaction
    make_response(a, at=dt.datetime(2026, 7, 1, 2, tzinfo=UTC), overall=10)  # after as_of
    make_response(b, at=dt.datetime(2026, 3, 1, 2, tzinfo=UTC), overall=7)
    rows = {r["customer_id"]: r for r in latest_satisfaction_by_customer(as_of=dt.date(2026, 6, 15))}
    assert rows[a.pk]["satisfaction_100"] == 40.0
    assert rows[a.pk]["answered_at"] == dt.datetime(2026, 6, 1, 2, tzinfo=UTC)
    assert rows[a.pk]["last_response_at"] == dt.datetime(2026, 6, 5, 2, tzinfo=UTC)
    assert rows[b.pk]["satisfaction_100"] == 70.0
    assert set(rows) == {a.pk, b.pk}


def test_latest_satisfaction_runs_in_two_queries(make_customer, alice, django_assert_num_queries):
    for i in range(5):
        make_response(make_customer(owner=alice, name=f"C{i}"), at=dt.datetime(2026, 6, 1, tzinfo=UTC), overall=8)
    with django_assert_num_queries(2):
        assert len(latest_satisfaction_by_customer(as_of=dt.date(2026, 6, 15))) == 5
