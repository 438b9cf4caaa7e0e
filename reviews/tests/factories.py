"""Hand-made data for the metric tests: small helpers, explicit values."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from crm.models import Interaction, Transaction


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An aware datetime in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def buy(customer, day: dt.date, amount: str = "100", *, due_on=None, paid_on=None, kind=Transaction.Kind.PURCHASE):
    return Transaction.objects.create(customer=customer, kind=kind, amount=Decimal(amount), occurred_on=day,
                                      due_on=due_on, paid_on=paid_on)


def talk(customer, day: dt.date, staff=None):
    return Interaction.objects.create(customer=customer, occurred_at=at(day), staff=staff, summary="call")


def ticket(customer, created: dt.datetime, **fields):
    from tickets.models import Ticket

    return Ticket.objects.create(customer=customer, subject="help", created_at=created, updated_at=created, **fields)


def survey_answer(customer, answered: dt.datetime, *, nps=None, overall=None):
    from surveys.models import Survey, SurveyResponse

    survey = Survey.objects.filter(code="reviews-test").first() or Survey.objects.create(
        code="reviews-test", name_zh="测试", name_en="Test", created_at=answered)
    return SurveyResponse.objects.create(customer=customer, survey=survey, answered_at=answered, nps=nps,
                                         overall=overall, created_at=answered)
