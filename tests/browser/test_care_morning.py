"""Browser journey of an account manager's morning (issue #11, "How it is checked"):
the follow-up queue shows a birthday care task with its greeting, the talking points
of the customer's tier beside their own context, a cross-sell suggestion with its
evidence, and on the customer page the points balance, from which a reward is
redeemed (the balance drops, the ledger shows the line; a reward beyond the balance
is refused beside the field). zh-Hans and English; screenshots in var/screenshots."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from care import points_services
from care import services as care_services
from care.models import PointsEntry, Reward
from crm.models import Transaction
from segmentation import services
from segmentation.tests.factories import AS_OF, at_noon, customer_since, talk

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def today_is_as_of(monkeypatch):
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, *a, **k: AS_OF if value is None else real(value))


@pytest.fixture
def morning(alice, make_customer, now):
    referrer = customer_since(make_customer, owner=alice, name="Blue River Foods", days=200)
    talk(referrer, days=45)
    birthday = customer_since(make_customer, owner=alice, name="华东精密机械", days=500,
                              birthday=dt.date(1975, 6, 17), core_need="供应链效率优化",
                              settled_notes="发票抬头已确认", preferred_topics="行业趋势报告", referred_by=referrer)
    purchase = Transaction.objects.create(customer=birthday, amount=Decimal("2400"),
                                          occurred_on=AS_OF - dt.timedelta(days=40))
    points_services.referral_bonuses_award(customer_ids=[birthday.pk], now=now)  # 2,400 + 500 referral bonus
    talk(birthday, days=50)
    points_services.rewards_default_ensure()
    services.segments_recompute(as_of=AS_OF, now=now)
    care_services.care_tasks_generate(as_of=AS_OF, now=at_noon(0))
    return {"birthday": birthday, "referrer": referrer, "purchase": purchase}


LABELS = {
    "en": {"redeem": "Redeem", "coupon": "Coupon worth CNY 200", "box": "Branded gift box",
           "redeemed": "Redeemed 1800 points", "short": "Not enough points"},
    "zh-hans": {"redeem": "兑换", "coupon": "200 元代金券", "box": "品牌礼盒",
                "redeemed": "已用 1800 积分兑换", "short": "积分不足"},
}


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_an_account_managers_morning_birthday_talking_points_and_a_redemption(
        morning, alice, login_as, live_server, screenshot, lang):
    words = LABELS[lang]
    customer = morning["birthday"]
    page = login_as(alice, lang=lang)
    page.goto(f"{live_server.url}/segments/follow-ups/")
    group = page.locator(f"#queue-customer-{customer.pk}")
    care_row = group.locator("tr[data-kind=care]")
    assert care_row.count() == 1
    assert "06-17" in care_row.inner_text() and "华东精密机械，祝您生日快乐" in care_row.inner_text()
    talking = group.locator("details.talking-points").first
    talking.locator("summary").click()
    assert "供应链效率优化" in talking.inner_text() and "发票抬头已确认" in talking.inner_text()
    screenshot(f"care-morning-1-queue-{lang}")

    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    panel = page.locator("#points-panel")
    assert panel.locator(".points-balance").inner_text() == "2900"
    assert "Blue River Foods" in panel.inner_text()  # the referrer
    # A reward beyond the balance is refused beside the field, nothing written.
    box = Reward.objects.get(points=3000)
    assert words["box"] in panel.locator(f"select[name=redeem-reward] option[value='{box.pk}']").inner_text()
    panel.locator("select[name=redeem-reward]").select_option(value=str(box.pk))
    panel.get_by_role("button", name=words["redeem"]).click()
    page.wait_for_load_state()
    assert words["short"] in page.locator("#points-redeem").inner_text()
    assert not PointsEntry.objects.filter(kind="redemption").exists()
    screenshot(f"care-morning-2-redeem-refused-{lang}")

    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    panel = page.locator("#points-panel")
    coupon = Reward.objects.get(points=1800)
    panel.locator("select[name=redeem-reward]").select_option(value=str(coupon.pk))
    panel.get_by_role("button", name=words["redeem"]).click()
    page.wait_for_load_state()
    assert words["redeemed"] in page.content()
    panel = page.locator("#points-panel")
    assert panel.locator(".points-balance").inner_text() == "1100"
    assert words["coupon"] in panel.locator("table.points-ledger").inner_text()
    screenshot(f"care-morning-3-redeemed-{lang}")
    entry = PointsEntry.objects.get(kind="redemption")
    assert (entry.customer_id, entry.points, entry.actor) == (customer.pk, -1800, alice)


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_morning_queue_shows_a_cross_sell_suggestion_with_its_evidence(
        morning, alice, login_as, live_server, screenshot, lang):
    """Written against engineer xsell's branch (crm.Product, crm.TransactionLine,
    xsell.ProductAffinity, the queue's ``.cross-sell`` list); skipped until it is merged."""
    pytest.importorskip("xsell", reason="the cross-sell layer (engineer xsell) is not merged yet")
    from crm.models import Product, TransactionLine
    from xsell.models import ProductAffinity

    customer = morning["birthday"]
    erp = Product.objects.create(code="ERP-A", name="ERP 基础模块")
    wms = Product.objects.create(code="WMS-B", name="仓储管理模块")
    TransactionLine.objects.create(transaction=morning["purchase"], product=erp, quantity=1, amount=Decimal("2400"))
    ProductAffinity.objects.create(team=alice.team, antecedent=erp, consequent=wms, customers=20, with_antecedent=8,
                                   with_both=3, support=0.15, confidence=0.375, lift=1.5, as_of=AS_OF)
    page = login_as(alice, lang=lang)
    page.goto(f"{live_server.url}/segments/follow-ups/")
    suggestion = page.locator(f"#queue-customer-{customer.pk} .cross-sell").first
    assert "仓储管理模块" in suggestion.inner_text() and "38" in suggestion.inner_text()
    screenshot(f"care-morning-4-cross-sell-{lang}")
