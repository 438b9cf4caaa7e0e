"""Issue 16 item 11: the dashboard shows any month of the history; the current
month is marked partial; a past month's snapshots are computed on its first view
and kept."""
from __future__ import annotations

import datetime as dt
import unittest.mock as mock

import pytest
from django.urls import reverse

from reviews.models import DashboardSnapshot, MetricSnapshot
from reviews.tests.factories import buy

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def history_1998(alice, make_customer, now):
    """Imported today, bought in 1998: repurchase 1 of 2 in March 1998."""
    a, b = (make_customer(owner=alice, name=n, created_at=now) for n in "AB")
    buy(a, D(1998, 3, 2)); buy(a, D(1998, 3, 20)); buy(b, D(1998, 3, 9))  # noqa: E702
    return a, b


def get(client, user, now, **params):
    client.force_login(user)
    with mock.patch("django.utils.timezone.now", return_value=now):
        return client.get(reverse("reviews:dashboard"), params)


def kpi(html: str, key: str) -> str:
    start = html.index(f'data-metric="{key}"')
    return html[start:html.index("</div>", start)]


def test_a_past_month_of_imported_history_is_shown_and_its_snapshots_kept(lena, history_1998, client, now):
    response = get(client, lena, now, month="1998-03")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["month"].start == D(1998, 3, 1) and response.context["as_of"] == D(1998, 3, 31)
    assert "50" in kpi(html, "repurchase_rate") and "partial month" not in html
    assert "1998-03: the whole month" in html
    snap = MetricSnapshot.objects.get(scope_key=f"team:{lena.team_id}", metric="repurchase_rate",
                                      period_start=D(1998, 3, 1))
    assert (snap.period_end, snap.value, snap.computed_at) == (D(1998, 3, 31), 50.0, now)
    assert DashboardSnapshot.objects.filter(as_of=D(1998, 3, 31), scope_key=f"team:{lena.team_id}").exists()

    # A later view reads what the first one stored: nothing is computed again.
    later = now + dt.timedelta(days=3)
    with mock.patch("reviews.services.snapshots.metric_compute") as compute:
        assert get(client, lena, later, month="1998-03").status_code == 200
    compute.assert_not_called()
    assert MetricSnapshot.objects.get(pk=snap.pk).computed_at == now


def test_the_current_month_is_the_default_and_marked_partial(lena, history_1998, client, now):
    response = get(client, lena, now)
    html = response.content.decode()
    month = response.context["month"]
    assert (month.start, month.end) == (D(2026, 6, 1), D(2026, 6, 15))
    assert "partial month" in html and "2026-06 (to 15)" in html
    assert MetricSnapshot.objects.filter(metric="nps", period_start=D(2026, 6, 1), period_end=D(2026, 6, 15)).exists()


def test_a_month_in_the_future_or_malformed_gets_a_field_error_and_the_current_month(lena, client, now):
    for bad in ("2026-07", "March"):
        response = get(client, lena, now, month=bad)
        assert response.status_code == 200
        assert response.context["month_form"].errors["month"]
        assert response.context["month"].start == D(2026, 6, 1)


def test_a_month_to_date_snapshot_replaces_the_one_of_the_day_before(lena, history_1998, client, now):
    get(client, lena, now)
    get(client, lena, now + dt.timedelta(days=1))
    ends = set(MetricSnapshot.objects.filter(metric="nps", period_start=D(2026, 6, 1)).values_list(
        "period_end", flat=True))
    assert ends == {D(2026, 6, 16)}
