"""Answers: through the public link (single use) or entered by staff (phone
survey); a detractor or low satisfaction opens a follow-up for the owner."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.events import event_emit
from core.formulas import DETRACTOR_MAX, satisfaction_100_from_overall
from crm.models import Customer, FollowUp
from surveys.models import Question, Survey, SurveyInvitation, SurveyOptOut, SurveyResponse
from surveys.services.invitations import TokenProblem, token_hash

FOLLOWUP_WITHIN = timedelta(hours=48)
COLUMN_KINDS = {"nps": "nps", "ces": "ces", "contact": "contact"}


def answers_clean(*, survey: Survey, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parse the posted answers (``q<id>`` keys; ``data.getlist`` for multiple choice)
    into (columns of SurveyResponse, all answers by question id). Raises
    ValidationError with one message per question field."""
    errors: dict[str, list[str]] = {}
    columns: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    for q in survey.questions.all():
        name = q.field_name
        if q.kind == Question.Kind.MULTIPLE:
            raw_list = data.getlist(name) if hasattr(data, "getlist") else (data.get(name) or [])
            values = [str(v) for v in raw_list if str(v)]
        else:
            raw = data.get(name)
            value = "" if raw is None else str(raw).strip()
            values = [value] if value else []
        if not values:
            if q.required:
                errors[name] = [_("Please answer this question.")]
            continue
        if q.kind in Question.RANGES:
            low, high = Question.RANGES[q.kind]
            try:
                number = int(values[0])
            except ValueError:
                number = None
            if number is None or not low <= number <= high:
                errors[name] = [_("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
                continue
            answers[str(q.pk)] = number
            column = COLUMN_KINDS.get(q.kind) or (q.dimension if q.kind == Question.Kind.RATING else "")
            if column:
                columns[column] = number
        elif q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            allowed = {v for v, _label in q.choice_list()}
            if any(v not in allowed for v in values) or (q.kind == Question.Kind.SINGLE and len(values) > 1):
                errors[name] = [_("Choose one of the options.")]
                continue
            answers[str(q.pk)] = values if q.kind == Question.Kind.MULTIPLE else values[0]
        else:
            text = values[0][:4000]
            if q.kind == Question.Kind.CONTACT:
                columns["contact"] = text[:200]
                continue  # personal data: kept encrypted in its column, not in the JSON
            answers[str(q.pk)] = text
            if q.dimension in Question.TEXT_DIMENSIONS:
                columns[q.dimension] = text
    if errors:
        raise ValidationError(errors)
    return columns, answers


def response_close_loop(*, response: SurveyResponse, now: datetime) -> FollowUp | None:
    """A detractor (NPS ≤ 6) or satisfaction (0-100) below the segment settings'
    ``churn_satisfaction_below`` (60 by default, seed 001) opens a follow-up for the
    customer's owner, due 48 hours after the answer, and notifies the owner.
    Idempotent: the follow-up's origin is unique per response."""
    from core.services import notification_create
    from crm.services import followup_create
    from segmentation.selectors import segment_settings_get
    from surveys.notifications import FOLLOWUP_REASON

    satisfaction = satisfaction_100_from_overall(response.overall)
    detractor = response.nps is not None and response.nps <= DETRACTOR_MAX
    low = satisfaction is not None and satisfaction < segment_settings_get().churn_satisfaction_below
    if not (detractor or low):
        return None
    customer = response.customer
    origin = f"surveys.response:{response.pk}"
    if FollowUp.objects.filter(origin=origin).exists():
        return FollowUp.objects.get(origin=origin)
    source = FollowUp.Source.DETRACTOR if detractor else FollowUp.Source.LOW_SATISFACTION
    params = {"customer": customer.name, "nps": response.nps if detractor else None,
              "score": None if detractor else int(satisfaction), "comment": response.reason or ""}
    reason_params = {k: params[k] for k in ("nps", "score", "comment")}
    followup = followup_create(customer=customer, owner=customer.owner, source=source,
                               reason_kind=FOLLOWUP_REASON, reason_params=reason_params,
                               due_at=response.answered_at + FOLLOWUP_WITHIN, now=now, origin=origin)
    if customer.owner_id:
        notification_create(recipient=customer.owner, kind="detractor", params=params, url=reverse("customer-detail", args=[customer.pk]), now=now)
    return followup


def _response_create(*, customer: Customer, survey: Survey, columns: dict[str, Any], answers: dict[str, Any],
                     answered_at: datetime, channel: str, now: datetime, invitation=None, entered_by=None,
                     language: str = "") -> SurveyResponse:
    response = SurveyResponse(customer=customer, survey=survey, invitation=invitation, answered_at=answered_at,
                              channel=channel, entered_by=entered_by, answers=answers, language=language,
                              created_at=now, **columns)
    response.save()
    response_close_loop(response=response, now=now)
    event_emit("survey_response.created", response, now=now)
    return response


def response_submit(*, token: str, data: Mapping[str, Any], language: str, now: datetime) -> SurveyResponse:
    """Take the one answer of an invitation's link. The invitation row is locked and
    re-checked inside the transaction, so a double submit writes one answer;
    an unknown, used or expired token raises TokenProblem and writes nothing."""
    digest = token_hash(token or "")
    with transaction.atomic():
        invitation = (SurveyInvitation.objects.select_for_update().select_related("customer", "survey")
                      .filter(token_hash=digest).first())
        if invitation is None:
            raise TokenProblem("invalid")
        if invitation.answered_at is not None:
            raise TokenProblem("used")
        if invitation.expires_at is None or invitation.expires_at <= now:
            raise TokenProblem("expired")
        columns, answers = answers_clean(survey=invitation.survey, data=data)
        invitation.answered_at = now
        invitation.save(update_fields=["answered_at"])
        try:
            with transaction.atomic():
                return _response_create(customer=invitation.customer, survey=invitation.survey, columns=columns,
                                        answers=answers, answered_at=now, channel=SurveyResponse.Channel.EMAIL_LINK,
                                        now=now, invitation=invitation, language=language[:10])
        except IntegrityError:  # the one-to-one on invitation: answered meanwhile
            raise TokenProblem("used") from None


RESPONSE_FIELDS = ("nps", "quality", "speed", "resolution", "care", "overall", "ces", "reason", "suggestions")


def _entered_errors(data: dict[str, Any], answered_at, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    ranges = {"nps": Question.RANGES["nps"], "ces": Question.RANGES["ces"],
              **{f: Question.RANGES["rating"] for f in SurveyResponse.RATING_FIELDS}}
    for field, (low, high) in ranges.items():
        value = data.get(field)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors[field] = [_("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}]
    if answered_at is None:
        errors["answered_at"] = [_("This field is required.")]
    elif answered_at > now:
        errors["answered_at"] = [_("The answer cannot be in the future.")]
    if not any(data.get(f) is not None for f in ("nps", "overall", *SurveyResponse.RATING_FIELDS, "ces")):
        errors.setdefault("non_field_errors", []).append(_("Enter at least one score."))
    return errors


@transaction.atomic
def response_enter(*, actor, customer: Customer, survey: Survey, data: dict[str, Any], now: datetime,
                   channel: str = SurveyResponse.Channel.PHONE) -> SurveyResponse:
    """A phone survey (电话回访) typed in by staff. Caller checked ``customer`` is in
    the actor's scope (``customer_get_for_user``) and ``survey`` is visible to them."""
    answered_at = data.get("answered_at")
    errors = _entered_errors(data, answered_at, now)
    if errors:
        raise ValidationError(errors)
    columns = {f: data[f] for f in RESPONSE_FIELDS if data.get(f) not in (None, "")}
    return _response_create(customer=customer, survey=survey, columns=columns, answers={},
                            answered_at=answered_at, channel=channel, now=now, entered_by=actor)


def optout_create(*, customer: Customer, now: datetime, source: str = "staff", actor=None) -> SurveyOptOut:
    """Idempotent: the customer is never surveyed again."""
    optout, _created = SurveyOptOut.objects.get_or_create(
        customer=customer, defaults={"created_at": now, "source": source, "created_by": actor})
    return optout


def optout_delete(*, customer: Customer) -> bool:
    """Undo: the customer may be surveyed again. Idempotent."""
    deleted, _rows = SurveyOptOut.objects.filter(customer=customer).delete()
    return bool(deleted)


def _customer_of_link(token: str) -> Customer:
    invitation = SurveyInvitation.objects.select_related("customer").filter(token_hash=token_hash(token or "")).first()
    if invitation is None:
        raise TokenProblem("invalid")
    return invitation.customer


def optout_by_token(*, token: str, now: datetime) -> SurveyOptOut:
    """"Do not ask me again" from a survey link (any link that was really sent)."""
    return optout_create(customer=_customer_of_link(token), now=now, source="link")


def optout_undo_by_token(*, token: str) -> bool:
    """The "Undo" right after opting out from the same link."""
    return optout_delete(customer=_customer_of_link(token))
