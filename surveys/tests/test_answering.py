"""The public link: single use, expiring, unguessable; a bad link writes nothing.
A detractor or low satisfaction opens the owner's follow-up, due 48 h after the answer."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Notification, OutboundEmail
from crm.models import FollowUp
from surveys import services
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services.invitations import TokenProblem
from surveys.tests.factories import default_answers, default_survey, sent_invitation

pytestmark = pytest.mark.django_db
FULL = {"quality": 9, "speed": 8, "resolution": 9, "care": 9, "overall": 9, "nps": 10}


@pytest.fixture
def customer(make_customer, alice):
    return make_customer(owner=alice, name="Acme", email="buyer@acme.example")


def test_only_the_hash_of_the_token_is_stored(customer, now):
    inv, token = sent_invitation(customer, now=now)
    assert len(token) >= 40 and inv.token_hash == services.token_hash(token) and token not in inv.token_hash
    assert inv.expires_at == now + dt.timedelta(days=14)
    email = OutboundEmail.objects.get()
    assert email.to == ["buyer@acme.example"] and f"/s/{token}/" in email.body


def test_sending_twice_sends_one_mail(customer, now):
    inv, _token = sent_invitation(customer, now=now)
    assert services.invitation_send(invitation_id=inv.pk, now=now) is False
    assert OutboundEmail.objects.count() == 1


def test_a_customer_without_email_is_marked_not_sent(make_customer, alice, now):
    c = make_customer(owner=alice, name="Silent")
    inv = SurveyInvitation.objects.create(customer=c, survey=default_survey(), trigger="campaign", trigger_key="c:1",
                                          created_at=now)
    assert services.invitation_send(invitation_id=inv.pk, now=now) is False
    inv.refresh_from_db()
    assert inv.sent_at is None and inv.token_hash is None and inv.send_error


def test_the_link_takes_one_answer(client, customer, now):
    now = timezone.now()  # the page reads the real clock
    inv, token = sent_invitation(customer, now=now)
    url = reverse("survey-answer", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and "Product/service quality" in page.content.decode()
    answered = client.post(url, default_answers(default_survey(), **FULL, reason="Fast help"))
    assert answered.status_code == 200
    response = SurveyResponse.objects.get()
    assert (response.invitation_id, response.nps, response.overall, response.quality, response.reason) == (
        inv.pk, 10, 9, 9, "Fast help")
    again = client.post(url, default_answers(default_survey(), **FULL))
    assert again.status_code == 410 and SurveyResponse.objects.count() == 1
    assert client.get(url).status_code == 410


def test_an_expired_link_writes_nothing(customer, now):
    inv, token = sent_invitation(customer, now=now - dt.timedelta(days=14))
    with pytest.raises(TokenProblem) as problem:
        services.response_submit(token=token, data=default_answers(default_survey(), **FULL), language="en", now=now)
    assert problem.value.reason == "expired" and SurveyResponse.objects.count() == 0
    inv.refresh_from_db()
    assert inv.answered_at is None


def test_an_expired_link_shows_a_clear_page(client, customer):
    _inv, token = sent_invitation(customer, now=timezone.now() - dt.timedelta(days=30))
    page = client.post(reverse("survey-answer", args=[token]), default_answers(default_survey(), **FULL))
    assert page.status_code == 410 and "expired" in page.content.decode()
    assert SurveyResponse.objects.count() == 0


def test_a_tampered_link_is_refused_and_writes_nothing(client, customer, now):
    now = timezone.now()  # the page reads the real clock
    _inv, token = sent_invitation(customer, now=now)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    page = client.post(reverse("survey-answer", args=[tampered]), default_answers(default_survey(), **FULL))
    assert page.status_code == 404 and "not valid" in page.content.decode()
    assert SurveyResponse.objects.count() == 0


def test_a_missing_required_answer_is_shown_beside_the_question_and_nothing_is_written(client, customer, now):
    now = timezone.now()  # the page reads the real clock
    inv, token = sent_invitation(customer, now=now)
    survey = default_survey()
    data = default_answers(survey, **{**FULL, "nps": 11})
    del data[survey.questions.get(dimension="care").field_name]
    page = client.post(reverse("survey-answer", args=[token]), data)
    assert page.status_code == 400
    html = page.content.decode()
    assert "Please answer this question." in html and "Choose a number from 0 to 10." in html
    inv.refresh_from_db()
    assert SurveyResponse.objects.count() == 0 and inv.answered_at is None


def test_the_public_form_is_csrf_protected(customer, now):
    now = timezone.now()  # the page reads the real clock
    from django.test import Client

    _inv, token = sent_invitation(customer, now=now)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("survey-answer", args=[token]), default_answers(default_survey(), **FULL)).status_code == 403
    assert SurveyResponse.objects.count() == 0


def test_the_customer_can_opt_out_from_the_link(client, customer, now):
    now = timezone.now()  # the page reads the real clock
    _inv, token = sent_invitation(customer, now=now)
    assert client.post(reverse("survey-optout", args=[token])).status_code == 200
    assert customer.survey_opt_out is not None


def test_a_detractor_opens_a_follow_up_for_the_owner_due_48_hours_after_the_answer(customer, alice, now):
    _inv, token = sent_invitation(customer, now=now - dt.timedelta(days=1))
    response = services.response_submit(token=token, data=default_answers(default_survey(), **{**FULL, "nps": 6},
                                                                           reason="Slow invoices"),
                                        language="en", now=now)
    followup = FollowUp.objects.get()
    assert (followup.owner, followup.source, followup.origin) == (alice, FollowUp.Source.DETRACTOR,
                                                                  f"surveys.response:{response.pk}")
    assert followup.due_at == now + dt.timedelta(hours=48) and followup.done_at is None
    assert "Slow invoices" in followup.reason
    note = Notification.objects.get(recipient=alice)
    assert note.kind == "detractor" and "Acme" in note.text_title


def test_a_passive_with_good_satisfaction_opens_nothing(customer, now):
    _inv, token = sent_invitation(customer, now=now)
    services.response_submit(token=token, data=default_answers(default_survey(), **{**FULL, "nps": 7}),
                             language="en", now=now)
    assert FollowUp.objects.count() == 0 and Notification.objects.count() == 0


def test_satisfaction_below_60_opens_a_low_satisfaction_follow_up(customer, alice, now):
    response = services.response_enter(actor=alice, customer=customer, survey=default_survey(),
                                       data={"overall": 5, "nps": 8, "answered_at": now - dt.timedelta(hours=3)},
                                       now=now)
    followup = FollowUp.objects.get()
    assert followup.source == FollowUp.Source.LOW_SATISFACTION
    assert followup.due_at == response.answered_at + dt.timedelta(hours=48)


def test_satisfaction_of_exactly_60_opens_nothing(customer, alice, now):
    services.response_enter(actor=alice, customer=customer, survey=default_survey(),
                            data={"overall": 6, "nps": 8, "answered_at": now}, now=now)
    assert FollowUp.objects.count() == 0


def test_the_loop_is_idempotent(customer, alice, now):
    response = services.response_enter(actor=alice, customer=customer, survey=default_survey(),
                                       data={"nps": 2, "answered_at": now}, now=now)
    services.response_close_loop(response=response, now=now)
    assert FollowUp.objects.count() == 1 and Notification.objects.count() == 1


def test_logging_a_call_closes_the_detractor_follow_up_and_the_customer_page_shows_it(client, customer, alice, now):
    from crm.services import interaction_log
    from surveys import selectors

    services.response_enter(actor=alice, customer=customer, survey=default_survey(),
                            data={"nps": 3, "reason": "Nobody called back", "answered_at": now}, now=now)
    call = interaction_log(actor=alice, customer=customer,
                           data={"occurred_at": now + dt.timedelta(hours=5), "summary": "Apologised, fixed the invoice"})
    entry = selectors.customer_survey_entries(customer=customer, limit=5)[0]
    assert entry["followup"].done_by == call
    client.force_login(alice)
    html = client.get(reverse("surveys:phone-survey", args=[customer.pk])).content.decode()
    assert "Phone survey" in html
    from django.template.loader import render_to_string

    panel = render_to_string("surveys/_timeline_response.html", {"entry": entry})
    assert "follow-up done" in panel and "Apologised" in panel and "NPS 3" in panel


def test_phone_survey_errors_are_per_field_and_write_nothing(customer, alice, now):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        services.response_enter(actor=alice, customer=customer, survey=default_survey(),
                                data={"nps": 11, "overall": 0, "answered_at": now + dt.timedelta(days=1)}, now=now)
    assert set(err.value.message_dict) == {"nps", "overall", "answered_at"}
    assert SurveyResponse.objects.count() == 0


def test_opting_out_from_the_link_asks_first_and_can_be_undone(client, customer, now):
    from surveys.models import SurveyOptOut

    now = timezone.now()
    _inv, token = sent_invitation(customer, now=now)
    answer_page = client.get(reverse("survey-answer", args=[token]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/s/{token}/opt-out/"' in answer_page  # a link to a question, not a one-tap button
    confirm = client.get(reverse("survey-optout", args=[token]), HTTP_ACCEPT_LANGUAGE="en")
    assert confirm.status_code == 200 and "Yes, stop sending me surveys" in confirm.content.decode()
    assert not SurveyOptOut.objects.exists()  # looking is not opting out
    done = client.post(reverse("survey-optout", args=[token]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert SurveyOptOut.objects.filter(customer=customer).exists() and 'name="undo"' in done
    client.post(reverse("survey-optout", args=[token]), {"undo": "1"})
    assert not SurveyOptOut.objects.exists()
    assert client.get(reverse("survey-optout", args=["not-a-token"])).status_code == 404
