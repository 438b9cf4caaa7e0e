"""Browser: a potential customer's page shows what their team's customers bought
with what they have, with the evidence in the reader's language; the follow-up
queue shows the same suggestion (issue #11 item 5)."""
from __future__ import annotations

import pytest

from crm.models import Product
from xsell import services
from xsell.tests.factories import AS_OF, buy_lines, segment_set

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("today_is_as_of")]

# Seven of ten North customers: A and B together four times (A→B: 4 of 6, lift 1.1).
BASKETS = {"甲": "AB", "乙": "AB", "丙": "ABC", "丁": "AC", "戊": "B", "己": "BC", "庚": "C", "辛": "AB"}


@pytest.fixture
def prospect(alice, make_customer, now):
    modules = {"A": Product.objects.create(code="CRM-A", name="A模块 · 客户管理"),
               "B": Product.objects.create(code="MKT-B", name="B模块 · 营销自动化"),
               "C": Product.objects.create(code="BI-C", name="C模块 · 数据分析")}
    for name, basket in BASKETS.items():
        buy_lines(make_customer(owner=alice, name=f"{name}公司"), [modules[p] for p in basket])
    target = make_customer(owner=alice, name="华东精密机械")
    buy_lines(target, [modules["A"]])
    segment_set(target, "potential")
    services.affinities_mine(as_of=AS_OF, now=now)
    return target


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_customer_page_and_the_queue_show_a_suggestion_with_its_evidence(prospect, alice, login_as, live_server,
                                                                              screenshot, lang):
    page = login_as(alice, lang=lang)
    page.goto(f"{live_server.url}/customers/{prospect.pk}/")
    panel = page.locator("#cross-sell-panel")
    text = panel.inner_text()
    assert "B模块 · 营销自动化" in text
    # A: 甲 乙 丙 丁 辛 and the prospect (6); with B: 甲 乙 丙 辛 (4); B: 6 of 9 customers → lift 0.667 / 0.667.
    if lang == "en":
        assert "Bought together" in text and "67% of customers with A模块 · 客户管理 also bought B模块" in text
    else:
        assert "搭配购买" in text and "购买了A模块 · 客户管理的客户中 67% 也购买了B模块" in text
    assert "C模块" not in text  # A→C: confidence 2 of 6 = 33%, lift 0.33 / 0.44 < 1
    panel.scroll_into_view_if_needed()
    screenshot(f"cross-sell-customer-{lang}")

    page.goto(f"{live_server.url}/segments/follow-ups/")
    group = page.locator(f"#queue-customer-{prospect.pk} .queue-cross-sell")
    assert "B模块 · 营销自动化" in group.inner_text()
    screenshot(f"cross-sell-queue-{lang}")
