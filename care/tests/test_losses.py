"""Why they left (issue #11 item 7): giving up a customer needs a reason (page
and API, errors beside the field, nothing written), it stores who, when and
what the customer was then, and the review report's churn row counts the
reasons and profiles the lost customers of its period."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from care.loss_services import customer_give_up
from care.models import CustomerLoss
from crm.models import FollowUp
from reviews.tests.factories import at, buy, ticket

pytestmark = pytest.mark.django_db

D = dt.date


def _segment(customer, tier: str, value_tier: str, as_of=D(2026, 5, 1)):
    from segmentation.models import CustomerSegment

    return CustomerSegment.objects.create(customer=customer, as_of=as_of, tier=tier, value_tier=value_tier,
                                          membership_level="bronze", health_score=30, rfm_segment="at_risk",
                                          next_contact_due=as_of, computed_at=at(as_of))


def test_giving_up_without_a_reason_is_refused_beside_the_field_and_writes_nothing(client, alice, make_customer):
    customer = make_customer(owner=alice)
    client.force_login(alice)
    response = client.post(reverse("care:give-up", args=[customer.pk]), {"reason": "", "note": "gone"})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert 'id="field-reason"' in response.content.decode()
    assert not CustomerLoss.objects.exists()


def test_other_needs_the_free_text(alice, make_customer, now):
    from django.core.exceptions import ValidationError

    customer = make_customer(owner=alice)
    with pytest.raises(ValidationError) as exc:
        customer_give_up(actor=alice, customer=customer, reason="other", note="  ", now=now)
    assert "note" in exc.value.message_dict
    assert not CustomerLoss.objects.exists()


def test_giving_up_stores_actor_date_and_the_profile_then_and_closes_follow_ups(client, alice, make_customer):
    customer = make_customer(owner=alice, first_deal_date=D(2024, 5, 20))
    _segment(customer, "churn_risk", "medium")
    ticket(customer, at(D(2026, 3, 1)), is_complaint=True, category="service")
    ticket(customer, at(D(2026, 4, 1)), is_complaint=True, category="billing")
    ticket(customer, at(D(2026, 4, 20)), is_complaint=False, category="technical")
    FollowUp.objects.create(customer=customer, owner=alice, reason="call", due_at=at(D(2026, 5, 30)),
                            created_at=at(D(2026, 5, 1)))
    client.force_login(alice)
    when = at(D(2026, 5, 20), 10)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: when)
        response = client.post(reverse("care:give-up", args=[customer.pk]),
                               {"reason": "competitor", "note": "换了竞品，价格低两成"})
    assert response.status_code == 302
    loss = CustomerLoss.objects.get()
    assert (loss.actor, loss.lost_on, loss.reason, loss.note) == (alice, D(2026, 5, 20), "competitor",
                                                                  "换了竞品，价格低两成")
    assert (loss.tier, loss.value_tier, loss.tenure_days, loss.last_complaint_category) == (
        "churn_risk", "medium", 730, "billing")
    assert not FollowUp.objects.filter(customer=customer, done_at__isnull=True).exists()
    page = client.get(reverse("customer-detail", args=[customer.pk])).content.decode()
    assert 'id="loss-panel"' in page and "Went to a competitor" in page


def test_a_customer_already_lost_is_not_given_up_twice_until_it_buys_again(alice, make_customer, now):
    from django.core.exceptions import ValidationError

    customer = make_customer(owner=alice)
    customer_give_up(actor=alice, customer=customer, reason="price", note="", now=now)
    with pytest.raises(ValidationError) as exc:
        customer_give_up(actor=alice, customer=customer, reason="price", note="", now=now)
    assert "__all__" in exc.value.message_dict
    buy(customer, timezone.localdate(now) + dt.timedelta(days=3))  # won back
    customer_give_up(actor=alice, customer=customer, reason="no_budget", note="",
                     now=now + dt.timedelta(days=30))
    assert CustomerLoss.objects.count() == 2


def test_the_api_answers_per_field_errors_and_records_the_loss(alice, make_customer, api_client_for):
    customer = make_customer(owner=alice)
    api = api_client_for(alice)
    url = f"/api/v1/customers/{customer.pk}/loss/"
    missing = api.post(url, {"note": "gone"}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    unknown = api.post(url, {"reason": "weather"}, format="json")
    assert unknown.status_code == 400 and "reason" in unknown.json()
    other = api.post(url, {"reason": "other"}, format="json")
    assert other.status_code == 400 and "note" in other.json()
    assert not CustomerLoss.objects.exists()
    ok = api.post(url, {"reason": "price", "note": "too dear"}, format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["reason"] == "price" and ok.json()["actor"] == alice.pk
    assert api.get(url).json()["loss"]["id"] == ok.json()["id"]


def test_another_teams_customer_cannot_be_given_up(charlie, alice, make_customer, api_client_for, client):
    customer = make_customer(owner=alice)
    assert api_client_for(charlie).post(f"/api/v1/customers/{customer.pk}/loss/", {"reason": "price"},
                                        format="json").status_code == 404
    client.force_login(charlie)
    assert client.post(reverse("care:give-up", args=[customer.pk]), {"reason": "price"}).status_code == 404
    assert not CustomerLoss.objects.exists()


def test_support_cannot_give_up_a_customer(sam, alice, make_customer, api_client_for):
    customer = make_customer(owner=alice)
    assert api_client_for(sam).post(f"/api/v1/customers/{customer.pk}/loss/", {"reason": "price"},
                                    format="json").status_code == 403


@pytest.fixture
def lost_in_may(alice, make_customer):
    """Four customers lost in May 2026 (one in April, outside the period), by hand:
    reasons price ×2, competitor, service; tiers churn_risk ×3, potential; tenures
    100, 200, 400 and 1,500 days; last complaints service ×2, none, billing."""
    def lose(name, reason, day, tier, value_tier, first_deal, complaint=None):
        c = make_customer(owner=alice, name=name, first_deal_date=first_deal)
        _segment(c, tier, value_tier)
        if complaint:
            ticket(c, at(day - dt.timedelta(days=10)), is_complaint=True, category=complaint)
        return customer_give_up(actor=alice, customer=c, reason=reason, note="", now=at(day))

    may = D(2026, 5, 10)
    lose("A", "price", may, "churn_risk", "low", may - dt.timedelta(days=100), "service")
    lose("B", "price", may, "churn_risk", "medium", may - dt.timedelta(days=200), "service")
    lose("C", "competitor", may, "churn_risk", "high", may - dt.timedelta(days=400))
    lose("D", "service", may, "potential", "high", may - dt.timedelta(days=1500), "billing")
    lose("E", "no_budget", D(2026, 4, 20), "churn_risk", "low", D(2025, 1, 1))


def test_the_churn_row_counts_reasons_and_profiles_the_lost_customers(lost_in_may, lena, client, now):
    from reviews import services

    review = services.review_create(user=lena, title="May", period_start=D(2026, 5, 1), period_end=D(2026, 5, 31),
                                    scope_kind="team", targets=[{"metric": "churn_rate", "target": 5}], now=now)
    client.force_login(lena)
    page = client.get(reverse("reviews:detail", args=[review.pk]) + "?lang=en")
    losses = page.context["losses"]
    assert losses["total"] == 4
    assert [(x["key"], x["count"]) for x in losses["reasons"]] == [("price", 2), ("service", 1), ("competitor", 1)]
    assert [(x["key"], x["count"]) for x in losses["tiers"]] == [("churn_risk", 3), ("potential", 1)]
    assert [(x["key"], x["count"]) for x in losses["value_tiers"]] == [("high", 2), ("medium", 1), ("low", 1)]
    assert [x["count"] for x in losses["tenure"]] == [1, 1, 1, 1]  # <6 months, 6–12, 1–3 years, 3+
    assert losses["median_tenure_days"] == 300  # (200 + 400) / 2
    assert [(x["key"], x["count"]) for x in losses["complaints"]] == [("service", 2), ("billing", 1), ("", 1)]
    html = page.content.decode()
    assert 'id="churn-losses"' in html and "Price 2" in html


def test_the_xlsx_and_pdf_carry_the_reasons_in_both_languages(lost_in_may, lena, client, now):
    from openpyxl import load_workbook

    from reviews import services
    from reviews.exports import _loss_rows, review_pdf
    from reviews.report import review_losses

    review = services.review_create(user=lena, title="May", period_start=D(2026, 5, 1), period_end=D(2026, 5, 31),
                                    scope_kind="team", targets=[{"metric": "churn_rate", "target": 5}], now=now)
    client.force_login(lena)
    for lang, sheet_name, price in (("en", "Why they left", "Price"), ("zh-hans", "流失原因", "价格")):
        response = client.get(reverse("reviews:export", args=[review.pk, "xlsx"]) + f"?lang={lang}")
        rows = list(load_workbook(io.BytesIO(response.content))[sheet_name].iter_rows(values_only=True))
        assert rows[1][2] == 4
        assert any(r[1] == price and r[2] == 2 for r in rows)
        assert review_pdf(review=review, language=lang).startswith(b"%PDF")
    assert [r[2] for r in _loss_rows(review_losses(review=review)) if r[1] == "Price"] == [2]
