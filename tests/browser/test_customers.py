"""The customer pages in real Chromium: alice (account manager, North) works a
customer, sam (support) sees it masked, charlie (South) cannot see it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm.models import Contact, Customer, Interaction, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "13812345678"


@pytest.fixture
def acme(make_customer, alice, now):
    customer = make_customer(owner=alice, name="Acme Trading", phone=PHONE, email="li@acme.cn",
                             id_number="110101199001011234", address="上海市浦东新区世纪大道100号",
                             preferred_channel=Customer.Channel.WECHAT, tags=",VIP,key account,",
                             industry="Retail", region="Shanghai", kind=Customer.Kind.COMPANY,
                             size=Customer.Size.MEDIUM, first_deal_date=now.date().replace(year=2024))
    Contact.objects.create(customer=customer, name="Li Lei", title="Purchasing manager", phone="13700002222",
                           email="lei@acme.cn", is_primary=True)
    Transaction.objects.create(customer=customer, amount="125000.00", occurred_on=now.date().replace(day=1),
                               due_on=now.date().replace(day=30))
    Interaction.objects.create(customer=customer, occurred_at=now.replace(day=2), channel="phone", staff=alice,
                               summary="Quarterly check-in; asked for a volume discount.",
                               next_action="Send the revised price list")
    return customer


@pytest.fixture
def more_customers(make_customer, alice, bob, now):
    from segmentation.models import CustomerSegment

    tiers = [("churn_risk", 28), ("high_value", 86), ("new", 64), ("potential", 47)]
    for i, (name, region) in enumerate([("Blue Ocean Foods", "Hangzhou"), ("Red Hill Mining", "Beijing"),
                                         ("Golden Gate Textiles", "Suzhou"), ("Northern Star Logistics", "Tianjin")]):
        customer = make_customer(owner=alice if i % 2 else bob, name=name, region=region, industry="Wholesale",
                                 tags=",VIP," if i % 2 else "")
        tier, health = tiers[i]
        CustomerSegment.objects.create(customer=customer, as_of=now.date(), tier=tier, rfm_segment="loyal",
                                       value_tier="high", membership_level="gold", health_score=health,
                                       next_contact_due=now.date(), computed_at=now)


def test_alice_works_a_customer_end_to_end(alice, acme, more_customers, login_as, live_server, screenshot):
    page = login_as(alice)
    expect(page.locator("#customer-table")).to_contain_text("Blue Ocean Foods")
    screenshot("customers-list-en")

    # Search, then open the customer.
    page.fill("#id_q", "acme")
    page.press("#id_q", "Enter")
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    page.click("text=Acme Trading")
    expect(page.locator("h1")).to_contain_text("Acme Trading")
    # Alice may read personal data: the phone is shown unmasked.
    expect(page.locator("#personal .pd-phone")).to_have_text(PHONE)
    screenshot("customer-detail-en")

    # Log a follow-up in two clicks; the timeline updates without a page load.
    page.evaluate("window.__samePage = true")
    page.click("#log-followup")
    expect(page.locator("#interaction-form")).to_be_visible()
    expect(page.locator("#id_channel")).to_have_value("wechat")
    page.fill("#id_summary", "Agreed on renewal terms for next year")
    screenshot("followup-form-en")
    page.click("#save-followup")
    expect(page.locator("#timeline .tl-item").first).to_contain_text("Agreed on renewal terms for next year")
    expect(page.locator("#followup-slot")).to_contain_text("Follow-up logged.")
    assert page.evaluate("window.__samePage") is True
    assert Interaction.objects.filter(customer=acme, summary="Agreed on renewal terms for next year").exists()
    screenshot("followup-logged-en")

    # Edit with an invalid e-mail: the error is shown beside the field, nothing saved.
    page.click("#edit-customer")
    page.fill("#id_email", "not-an-email")
    page.click("#customer-form button[type=submit]")
    expect(page.locator("#field-email .errorlist")).to_contain_text("is not a valid e-mail address.")
    acme.refresh_from_db()
    assert acme.email == "li@acme.cn"
    screenshot("customer-edit-error-en")

    # Switch to Chinese: the same page comes back in Chinese.
    page.select_option("select[name=language]", "zh-hans")
    expect(page.locator("#customer-form button[type=submit]")).to_have_text("保存修改")
    expect(page.locator("#field-name label")).to_contain_text("名称")
    screenshot("customer-edit-zh")
    page.goto(f"{live_server.url}/customers/{acme.pk}/")
    expect(page.locator("#log-followup")).to_have_text("记录回访")
    expect(page.locator("#profile h2")).to_have_text("客户资料")
    screenshot("customer-detail-zh")
    page.click("#log-followup")
    expect(page.locator("#interaction-form h2")).to_have_text("记录回访")
    screenshot("followup-form-zh")
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator("h1")).to_have_text("客户")
    screenshot("customers-list-zh")


def test_support_sees_the_phone_masked_and_no_edit_button(sam, acme, login_as, live_server, screenshot):
    page = login_as(sam)
    page.goto(f"{live_server.url}/customers/{acme.pk}/")
    expect(page.locator("#personal .pd-phone")).to_have_text("138****5678")
    expect(page.locator("#edit-customer")).to_have_count(0)
    expect(page.locator("#log-followup")).to_have_count(0)
    assert PHONE not in page.content()
    screenshot("customer-detail-support")


def test_charlie_opening_alices_customer_gets_the_404_page(charlie, acme, login_as, live_server, screenshot):
    page = login_as(charlie)
    response = page.goto(f"{live_server.url}/customers/{acme.pk}/")
    assert response.status == 404
    expect(page.locator("#not-found h1")).to_have_text("Page not found")
    assert "Acme" not in page.content()
    screenshot("not-found-en")


def test_the_404_and_login_pages_in_chinese(charlie, acme, login_as, live_server, screenshot):
    page = login_as(charlie, lang="zh-hans")
    page.goto(f"{live_server.url}/customers/{acme.pk}/")
    expect(page.locator("#not-found h1")).to_have_text("页面不存在")
    screenshot("not-found-zh")
    page.click("header form[action$='/logout/'] button")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("h1")).to_have_text("登录")
    screenshot("login-zh")


def test_the_customer_pages_fit_a_phone_screen(alice, acme, more_customers, login_as, live_server, page,
                                               screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(alice, lang="zh-hans")
    # The table scrolls inside its card; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("customers-list-phone-zh")
    page.goto(f"{live_server.url}/customers/{acme.pk}/")
    page.click("#log-followup")
    expect(page.locator("#interaction-form")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("customer-detail-phone-zh")


def test_alice_reads_her_notifications(alice, acme, now, login_as, live_server, page, screenshot):
    from core.models import Notification

    Notification.objects.create(recipient=alice, kind="assignment", title="Acme Trading was assigned to you",
                                body="By lena.", url=f"/customers/{acme.pk}/", created_at=now)
    login_as(alice)
    expect(page.locator(".topbar .notif .badge")).to_have_text("1")
    page.click(".topbar .notif")
    expect(page.locator("ul.list li.unread")).to_contain_text("Acme Trading was assigned to you")
    screenshot("notifications-en")
    page.click("text=Mark all as read")
    expect(page.locator("ul.list li.unread")).to_have_count(0)
    expect(page.locator(".topbar .notif .badge")).to_have_count(0)
    page.select_option("select[name=language]", "zh-hans")
    expect(page.locator("h1")).to_have_text("通知")
    screenshot("notifications-zh")


def test_alice_creates_a_customer_then_adds_a_contact_and_a_transaction(alice, bob, login_as, live_server, page,
                                                                        screenshot):
    login_as(alice, lang="zh-hans")
    page.click("text=新建客户")
    page.fill("#id_name", "华东精密机械有限公司")
    page.select_option("#id_owner", str(bob.pk))
    page.fill("#id_tags", "重点客户，制造业")
    page.fill("#id_phone", "021-55556666")
    screenshot("customer-create-zh")
    page.click("#customer-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("华东精密机械有限公司")
    customer = Customer.objects.get(name="华东精密机械有限公司")
    assert customer.owner == bob and customer.tag_list == ["重点客户", "制造业"]

    page.click("#contacts a.btn")
    page.fill("#id_name", "王经理")
    page.fill("#id_email", "wang@")
    page.click("#child-form button[type=submit]")
    expect(page.locator("#field-email .errorlist")).to_be_visible()
    screenshot("contact-error-zh")
    page.fill("#id_email", "wang@example.cn")
    page.click("#child-form button[type=submit]")
    expect(page.locator("#contacts")).to_contain_text("王经理")

    page.click("text=添加交易")
    page.fill("#id_amount", "88000")
    page.fill("#id_due_on", "2026-12-31")
    screenshot("transaction-form-zh")
    page.click("#child-form button[type=submit]")
    expect(page.locator("#timeline")).to_contain_text("¥88,000.00")
    screenshot("customer-created-zh")
