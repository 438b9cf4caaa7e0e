"""Surveys in real Chromium: a customer answers on a phone-sized screen; a team
lead builds a small template."""
import pytest
from django.utils import timezone

from surveys.models import Survey, SurveyResponse
from surveys.tests.factories import default_survey, sent_invitation

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_answers_the_survey_on_a_phone(live_server, page, make_customer, alice, screenshot):
    customer = make_customer(owner=alice, name="Acme", email="buyer@acme.example")
    _inv, token = sent_invitation(customer, now=timezone.now())
    survey = default_survey()
    q = {(x.kind if x.kind == "nps" else x.dimension): x for x in survey.questions.all()}
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/s/{token}/")
    assert page.locator("h1").inner_text() == "Customer satisfaction survey"
    page.click("button[name=language][value=zh-hans]")  # the language switch
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "客户满意度调查表"
    assert page.get_by_text("产品/服务质量").is_visible()
    for dim, score in (("quality", 9), ("speed", 8), ("resolution", 9), ("care", 10), ("overall", 9), ("nps", 10)):
        page.locator(f"input[name={q[dim].field_name}][value='{score}']").check(force=True)
    page.fill(f"textarea[name={q['reason'].field_name}]", "响应很快,问题当天解决")
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("survey-public-phone-zh")
    page.click("button.ps-submit")
    page.wait_for_load_state()
    assert page.get_by_text("感谢您的反馈").is_visible()
    screenshot("survey-public-phone-thanks")
    response = SurveyResponse.objects.get()
    assert (response.nps, response.overall, response.care, response.reason) == (10, 9, 10, "响应很快,问题当天解决")
    page.goto(f"{live_server.url}/s/{token}/")  # the link works once
    assert page.get_by_text("已经填写").is_visible() or page.get_by_text("already been answered").is_visible()
    screenshot("survey-public-used")


def test_a_missing_answer_is_marked_on_the_phone(live_server, page, make_customer, alice, screenshot):
    customer = make_customer(owner=alice, name="Acme", email="buyer@acme.example")
    _inv, token = sent_invitation(customer, now=timezone.now())
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/s/{token}/")
    page.click("button.ps-submit")
    page.wait_for_load_state()
    assert page.locator(".ps-q.has-error").count() == 6
    screenshot("survey-public-phone-errors")
    assert SurveyResponse.objects.count() == 0


def test_a_team_lead_builds_a_small_template(live_server, login_as, lena, screenshot):
    page = login_as(lena)
    page.goto(f"{live_server.url}/surveys/new/")
    page.fill("#id_name_zh", "售后回访")
    page.fill("#id_name_en", "After-sales check")
    page.fill("#id_q-0-text_zh", "您有多大可能推荐我们?")
    page.fill("#id_q-0-text_en", "How likely are you to recommend us?")
    page.click("#add-question")
    page.select_option("#id_q-1-kind", "single")
    page.fill("#id_q-1-text_zh", "您通过哪个渠道联系我们?")
    page.fill("#id_q-1-text_en", "How did you contact us?")
    page.fill("#id_q-1-choices_text", "电话 | Phone\n邮件 | E-mail")
    page.click("#add-question")
    page.select_option("#id_q-2-kind", "ces")
    page.fill("#id_q-2-text_zh", "办理是否容易?")
    page.fill("#id_q-2-text_en", "How easy was it?")
    screenshot("survey-builder")
    page.click("#survey-builder button[type=submit]")
    page.wait_for_load_state()
    survey = Survey.objects.get(name_en="After-sales check")
    assert [q.kind for q in survey.questions.all()] == ["nps", "single", "ces"]
    assert page.get_by_text("How easy was it?").is_visible()
    screenshot("survey-builder-saved")


def test_a_lead_reads_the_results_and_the_customer_page_shows_the_loop(live_server, login_as, lena, alice, bob,
                                                                        make_customer, screenshot):
    import datetime as dt

    from surveys import services
    from surveys.tests.factories import make_response

    now = timezone.now()
    a = make_customer(owner=alice, name="华东制造")
    b = make_customer(owner=bob, name="杭州科技")
    for days, nps, overall, reason in ((40, 10, 9, "响应很快"), (35, 8, 8, ""), (5, 9, 9, "客户经理专业"),
                                       (3, 7, 7, "价格偏高")):
        make_response(a, at=now - dt.timedelta(days=days), nps=nps, overall=overall, quality=overall, speed=overall,
                      reason=reason)
    services.response_enter(actor=bob, customer=b, survey=default_survey(),
                            data={"nps": 3, "overall": 4, "reason": "发票问题拖了一周", "answered_at": now}, now=now)
    services.snapshots_rebuild_recent(now=now, days=60)
    page = login_as(lena, lang="zh-hans")
    page.goto(f"{live_server.url}/surveys/results/?group_by=owner")
    assert page.locator("#kpi-nps").inner_text() == "20"  # 2 promoters, 2 passives, 1 detractor of 5
    assert page.get_by_text("发票问题拖了一周").is_visible()
    screenshot("survey-results-zh")
    page.goto(f"{live_server.url}/surveys/results/?group_by=tier")
    assert page.locator("#tier-help").is_visible()  # the breakdown says which tier an answer counts under
    assert "作答当天" in page.locator("#tier-help").inner_text()
    screenshot("survey-results-by-tier-zh")
    page.goto(f"{live_server.url}/customers/{b.pk}/")
    panel = page.locator("#survey-panel")
    assert panel.get_by_text("NPS 3").is_visible() and panel.get_by_text("待回访").is_visible()
    screenshot("survey-customer-panel-zh")


def test_a_manager_enters_a_phone_survey_from_the_customer_page(live_server, login_as, alice, make_customer,
                                                                screenshot):
    customer = make_customer(owner=alice, name="苏州贸易")
    default_survey()
    page = login_as(alice, lang="zh-hans")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.click("#survey-panel >> text=录入电话回访")
    page.wait_for_load_state()
    page.fill("#id_overall", "5")
    page.fill("#id_nps", "4")
    page.fill("#id_reason", "交付比承诺晚了两周")
    screenshot("survey-phone-entry-zh")
    page.click("#phone-survey-form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/customers/{customer.pk}/")
    panel = page.locator("#survey-panel")
    assert panel.get_by_text("NPS 4").is_visible() and panel.get_by_text("待回访").is_visible()
    assert SurveyResponse.objects.get().channel == "phone"


def test_a_lead_sends_a_campaign_to_a_region(live_server, login_as, lena, alice, make_customer, screenshot):
    from surveys.models import SurveyInvitation

    make_customer(owner=alice, name="上海A", region="上海", email="a@example.com")
    make_customer(owner=alice, name="北京B", region="北京", email="b@example.com")
    default_survey()
    page = login_as(lena, lang="zh-hans")
    page.goto(f"{live_server.url}/surveys/")
    page.click("text=新建问卷发放")
    page.fill("#id_name", "上海客户季度回访")
    page.fill("#id_region", "上海")
    screenshot("survey-campaign-form-zh")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert page.get_by_text("邀请 1 位").is_visible()
    screenshot("survey-list-zh")
    assert list(SurveyInvitation.objects.values_list("customer__name", flat=True)) == ["上海A"]
