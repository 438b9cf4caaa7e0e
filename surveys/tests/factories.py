"""Test data for surveys: answers and invitations with explicit times."""
from __future__ import annotations

import datetime as dt

from surveys import services
from surveys.models import Survey, SurveyInvitation, SurveyResponse


def default_survey() -> Survey:
    """The seed 001 template (a transactional test elsewhere may have flushed the migration's row)."""
    from django.utils import timezone

    return services.survey_default_ensure(now=timezone.now())


def make_response(customer, *, at: dt.datetime, nps=None, overall=None, **fields) -> SurveyResponse:
    """An answer written straight to the table (no follow-up loop): for aggregate tests."""
    return SurveyResponse.objects.create(customer=customer, survey=default_survey(), answered_at=at, nps=nps,
                                         overall=overall, created_at=at, **fields)


def sent_invitation(customer, *, now: dt.datetime, key: str = "campaign:test") -> tuple[SurveyInvitation, str]:
    """An invitation sent at ``now``; returns it with the raw token taken from the e-mail
    (its outbox row, unsent until the test's transaction would commit)."""
    from core.models import OutboundEmail

    inv = SurveyInvitation.objects.create(customer=customer, survey=default_survey(), trigger="campaign",
                                          trigger_key=key, created_at=now)
    assert services.invitation_send(invitation_id=inv.pk, now=now)
    body = OutboundEmail.objects.latest("id").body
    token = body.split("/s/")[1].split("/")[0]
    inv.refresh_from_db()
    return inv, token


def default_answers(survey: Survey, **by_dimension) -> dict[str, str]:
    """POST data for the default survey: ``quality=8, nps=9, reason="..."`` etc."""
    data = {}
    for q in survey.questions.all():
        key = q.kind if q.kind in ("nps", "ces", "contact") else q.dimension
        if key in by_dimension:
            data[q.field_name] = str(by_dimension[key])
    return data
