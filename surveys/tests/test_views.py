"""Pages: the builder (team leads only), the phone survey form, the opt-out, the list."""
import pytest
from django.urls import reverse

from crm.models import FollowUp
from surveys.models import Survey, SurveyOptOut, SurveyResponse
from surveys.tests.factories import default_survey

pytestmark = pytest.mark.django_db


def _builder_post(**overrides):
    data = {"name_zh": "售后回访", "name_en": "After-sales check", "is_active": "on",
            "q-TOTAL_FORMS": "2", "q-INITIAL_FORMS": "0", "q-MIN_NUM_FORMS": "0", "q-MAX_NUM_FORMS": "1000",
            "q-0-kind": "nps", "q-0-text_zh": "推荐可能性?", "q-0-text_en": "Would you recommend us?",
            "q-0-required": "on",
            "q-1-kind": "multiple", "q-1-text_zh": "您用过哪些渠道?", "q-1-text_en": "Which channels did you use?",
            "q-1-choices_text": "电话 | Phone\n邮件 | E-mail"}
    data.update(overrides)
    return data


def test_a_team_lead_builds_a_survey_in_the_browser(client, lena):
    client.force_login(lena)
    assert client.get(reverse("surveys:create")).status_code == 200
    resp = client.post(reverse("surveys:create"), _builder_post())
    survey = Survey.objects.get(name_en="After-sales check")
    assert resp.status_code == 302 and survey.team_id == lena.team_id
    assert [(q.kind, q.required) for q in survey.questions.all()] == [("nps", True), ("multiple", False)]
    assert survey.questions.last().choices == [{"value": "1", "zh": "电话", "en": "Phone"},
                                              {"value": "2", "zh": "邮件", "en": "E-mail"}]


def test_builder_errors_are_shown_beside_the_question_field(client, lena):
    client.force_login(lena)
    resp = client.post(reverse("surveys:create"), _builder_post(**{"q-1-text_en": "", "q-1-choices_text": "电话"}))
    assert resp.status_code == 200 and not Survey.objects.filter(name_en="After-sales check").exists()
    form = resp.context["formset"].forms[1]
    assert "text_en" in form.errors and "choices_text" in form.errors


def test_an_account_manager_cannot_open_the_builder(client, alice):
    client.force_login(alice)
    assert client.get(reverse("surveys:create")).status_code == 403


def test_editing_keeps_question_ids(client, lena):
    client.force_login(lena)
    client.post(reverse("surveys:create"), _builder_post())
    survey = Survey.objects.get(name_en="After-sales check")
    first = survey.questions.first()
    data = _builder_post(**{"q-INITIAL_FORMS": "2", "q-0-id": str(first.pk), "q-0-text_en": "Recommend us?",
                            "q-1-id": str(survey.questions.last().pk), "q-1-DELETE": "on"})
    assert client.post(reverse("surveys:edit", args=[survey.pk]), data).status_code == 302
    assert [(q.pk, q.text_en) for q in survey.questions.all()] == [(first.pk, "Recommend us?")]


def test_the_default_template_cannot_be_edited_by_a_team_lead(client, lena):
    client.force_login(lena)
    default = default_survey()
    assert client.get(reverse("surveys:edit", args=[default.pk])).status_code == 404


def test_the_survey_list_does_not_query_per_row(client, lena, django_assert_max_num_queries):
    client.force_login(lena)
    for i in range(3):
        client.post(reverse("surveys:create"), _builder_post(name_en=f"S{i}"))
    with django_assert_max_num_queries(10):
        resp = client.get(reverse("surveys:list"))
    assert resp.status_code == 200 and "S2" in resp.content.decode()


def test_a_phone_survey_is_entered_from_the_customer_and_opens_the_loop(client, alice, make_customer):
    customer = make_customer(owner=alice, name="Caller")
    client.force_login(alice)
    survey = default_survey()
    resp = client.post(reverse("surveys:phone-survey", args=[customer.pk]), {
        "survey": survey.pk, "answered_at": "2026-06-14T10:00", "nps": "2", "overall": "3",
        "reason": "Invoice wrong twice"})
    assert resp.status_code == 302
    response = SurveyResponse.objects.get()
    assert response.channel == "phone" and response.entered_by == alice
    assert FollowUp.objects.get().source == FollowUp.Source.DETRACTOR


def test_phone_survey_form_shows_errors_beside_fields(client, alice, make_customer):
    customer = make_customer(owner=alice, name="Caller")
    client.force_login(alice)
    resp = client.post(reverse("surveys:phone-survey", args=[customer.pk]), {
        "survey": default_survey().pk, "answered_at": "2026-06-14T10:00", "nps": "12"})
    assert resp.status_code == 200 and "nps" in resp.context["form"].errors
    assert SurveyResponse.objects.count() == 0


def test_charlie_cannot_enter_a_survey_for_alices_customer(client, charlie, alice, make_customer):
    customer = make_customer(owner=alice, name="Alice's")
    client.force_login(charlie)
    assert client.get(reverse("surveys:phone-survey", args=[customer.pk])).status_code == 404
    assert client.post(reverse("surveys:customer-optout", args=[customer.pk])).status_code == 404
    assert not SurveyOptOut.objects.exists()


def test_staff_record_an_opt_out(client, alice, make_customer):
    customer = make_customer(owner=alice, name="Quiet")
    client.force_login(alice)
    assert client.post(reverse("surveys:customer-optout", args=[customer.pk])).status_code == 302
    assert SurveyOptOut.objects.get().customer == customer


def test_the_customer_panel_renders_the_answer_and_follow_up(rf, alice, make_customer, now):
    from django.template.loader import render_to_string

    from surveys import panels, services

    customer = make_customer(owner=alice, name="Panel")
    services.response_enter(actor=alice, customer=customer, survey=default_survey(),
                            data={"nps": 1, "reason": "Bad", "answered_at": now}, now=now)
    request = rf.get("/")
    request.user = alice
    panel = panels.customer_panel(request=request, customer=customer)
    html = render_to_string(panel["template"], {**panel["context"], "customer": customer}, request=request)
    assert "NPS 1" in html and "follow-up open" in html and "Bad" in html


def test_staff_stop_surveys_with_a_clear_button_and_can_undo(client, alice, make_customer):
    customer = make_customer(owner=alice, name="Quiet")
    client.force_login(alice)
    page = client.get(reverse("customer-detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Stop surveys (customer asked)" in page and "data-confirm=" in page
    client.post(reverse("surveys:customer-optout", args=[customer.pk]))
    page = client.get(reverse("customer-detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not surveyed: the customer asked" in page and "Survey again" in page
    client.post(reverse("surveys:customer-optout", args=[customer.pk]), {"undo": "1"})
    assert not SurveyOptOut.objects.exists()
