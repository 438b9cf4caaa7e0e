"""Issue #11 item 2: talking points per tier (seed 001 defaults, edited by the team
lead) shown in the queue and the follow-up form with the customer's own context."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from care import selectors
from care.models import TalkingPoints
from crm.models import Transaction
from segmentation import queue, services as seg_services
from segmentation.tests.factories import AS_OF, at_noon, customer_since, talk

pytestmark = pytest.mark.django_db


def test_the_defaults_are_seed_001s_content_per_tier():
    from django.utils import translation

    with translation.override("en"):
        assert selectors.talking_points_by_tier()["churn_risk"].point_list[0].startswith("Cause survey")
    with translation.override("zh-hans"):
        points = selectors.talking_points_by_tier()
        assert "产品使用指南" in points["new"].points
        assert "行业趋势报告" in points["high_value"].points and "专属权益介绍" in points["high_value"].points
        assert "问题原因调研" in points["churn_risk"].points
        assert "交叉销售" in points["potential"].points


def test_the_lead_edits_a_tiers_points_and_an_empty_tier_is_refused(client, lena, alice):
    url = reverse("care:settings")
    data = {"section": "talking", "points_new": "Walk through the import\nShow the FAQ",
            "points_high_value": "Trend report", "points_churn_risk": "Ask why", "points_potential": "Module B"}
    client.force_login(alice)
    assert client.post(url, data).status_code == 403
    client.force_login(lena)
    bad = client.post(url, {**data, "points_potential": "  "})
    assert bad.status_code == 200 and "points_potential" in bad.context["talking"].errors
    assert not TalkingPoints.objects.exists()
    assert client.post(url, data).status_code == 302
    assert TalkingPoints.objects.get(tier="new").point_list == ["Walk through the import", "Show the FAQ"]


def _complaint(customer, *, owner, days: int, subject: str):
    from tickets import services as ticket_services

    ticket = ticket_services.ticket_create(actor=owner, customer=customer, subject=subject, category="technical",
                                           assignee=owner, now=at_noon(days), created_at=None)
    type(ticket).objects.filter(pk=ticket.pk).update(is_complaint=True)
    return ticket


def test_two_customers_of_one_tier_get_the_same_points_but_their_own_context(alice, make_customer, now):
    from surveys.models import Survey, SurveyResponse

    a = customer_since(make_customer, owner=alice, name="A Co", days=300, core_need="降低库存成本",
                       settled_notes="发票抬头已确认")
    b = customer_since(make_customer, owner=alice, name="B Co", days=300, preferred_topics="新模块")
    talk(a, days=60)
    talk(b, days=61)
    Transaction.objects.create(customer=a, amount=Decimal("1200"), occurred_on=AS_OF - dt.timedelta(days=70))
    Transaction.objects.create(customer=a, amount=Decimal("800"), occurred_on=AS_OF - dt.timedelta(days=90))
    _complaint(b, owner=alice, days=10, subject="数据同步延迟")
    survey = Survey.objects.create(code="s", name_zh="调查", name_en="Survey", created_at=now)
    SurveyResponse.objects.create(customer=a, survey=survey, answered_at=at_noon(20), nps=4, overall=5,
                                  reason="响应太慢", created_at=now)
    seg_services.segments_recompute(as_of=AS_OF, now=now)

    items = {i["customer"].name: i for i in queue.followup_queue_page(user=alice, today=AS_OF)["items"]}
    ta, tb = items["A Co"]["talking"], items["B Co"]["talking"]
    assert ta["points"].points == tb["points"].points  # same tier, same script frame
    assert ta["context"]["last_purchase_on"] == AS_OF - dt.timedelta(days=70)
    assert ta["context"]["last_purchase_amount"] == Decimal("1200")
    assert ta["context"]["answer"].reason == "响应太慢" and ta["context"]["complaint"] is None
    assert tb["context"]["complaint"].subject == "数据同步延迟" and tb["context"]["answer"] is None
    assert tb["context"]["last_purchase_on"] is None


def test_the_follow_up_form_shows_the_tiers_points_and_the_customers_core_need(client, alice, make_customer, now):
    a = customer_since(make_customer, owner=alice, name="A Co", days=300, core_need="降低库存成本")
    talk(a, days=60)
    seg_services.segments_recompute(as_of=AS_OF, now=now)
    TalkingPoints.objects.create(tier=a.segment.tier, points="Ask about the stock report")
    client.force_login(alice)
    form = client.get(reverse("interaction-create", args=[a.pk])).content.decode()
    assert "Ask about the stock report" in form and "降低库存成本" in form


def test_support_sees_no_money_in_the_context(sam, alice, make_customer):
    a = make_customer(owner=alice, name="A Co")
    Transaction.objects.create(customer=a, amount=Decimal("1200"), occurred_on=AS_OF)
    assert selectors.customer_contexts(user=sam, customer_ids=[a.pk], today=AS_OF)[a.pk]["last_purchase_on"] is None
    assert selectors.customer_contexts(user=alice, customer_ids=[a.pk], today=AS_OF)[a.pk]["last_purchase_on"] == AS_OF
