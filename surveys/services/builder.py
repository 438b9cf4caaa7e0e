"""Survey templates: create and edit, with their questions, in one transaction."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import access
from core.services import row_save
from surveys.models import Question, Survey

SURVEY_FIELDS = ("name_zh", "name_en", "intro_zh", "intro_en", "is_active")
QUESTION_FIELDS = ("kind", "dimension", "text_zh", "text_en", "help_zh", "help_en", "choices", "required")


def question_errors(q: dict[str, Any]) -> dict[str, list[str]]:
    """Errors of one question, by field (empty when valid). Used by the form and the API."""
    errors: dict[str, list[str]] = {}
    kind = q.get("kind")
    if kind not in Question.Kind.values:
        errors["kind"] = [_("Choose a question kind.")]
        return errors
    for field in ("text_zh", "text_en"):
        if not (q.get(field) or "").strip():
            errors[field] = [_("Give the question in both Chinese and English.")]
    dim = q.get("dimension") or ""
    if kind == Question.Kind.RATING and dim not in ("", *Question.RATING_DIMENSIONS):
        errors["dimension"] = [_("A rating measures one of: quality, speed, resolution, care, overall.")]
    elif kind == Question.Kind.TEXT and dim not in ("", *Question.TEXT_DIMENSIONS):
        errors["dimension"] = [_("A free-text question can hold the NPS reason or the suggestions.")]
    elif kind not in (Question.Kind.RATING, Question.Kind.TEXT) and dim:
        errors["dimension"] = [_("This kind of question has no dimension.")]
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        choices = q.get("choices") or []
        if len(choices) < 2:
            errors["choices"] = [_("Give at least two choices.")]
        elif any(not (c.get("zh") and c.get("en")) for c in choices):
            errors["choices"] = [_("Each choice needs Chinese and English wording.")]
    elif q.get("choices"):
        errors["choices"] = [_("Only choice questions have choices.")]
    return errors


def _validate(survey_data: dict[str, Any], questions: list[dict[str, Any]]) -> None:
    errors: dict[str, Any] = {}
    if not (survey_data.get("name_zh") or "").strip():
        errors["name_zh"] = [_("This field is required.")]
    if not (survey_data.get("name_en") or "").strip():
        errors["name_en"] = [_("This field is required.")]
    if not questions:
        errors["questions"] = [_("Add at least one question.")]
    seen: dict[str, int] = {}
    for i, q in enumerate(questions):
        q_errors = question_errors(q)
        # One column per dimension: two NPS questions (or two "overall") would be ambiguous.
        slot = q.get("kind") if q.get("kind") in ("nps", "ces", "contact") else (q.get("dimension") or "")
        if slot and slot in seen:
            q_errors.setdefault("kind" if slot in ("nps", "ces", "contact") else "dimension", []).append(
                _("Only one question of this kind per survey."))
        if slot:
            seen[slot] = i
        for field, msgs in q_errors.items():
            errors[f"questions[{i}].{field}"] = msgs
    if errors:
        raise ValidationError(errors)


def _choices_clean(choices) -> list[dict]:
    out = []
    for i, c in enumerate(choices or [], start=1):
        out.append({"value": str(c.get("value") or i), "zh": (c.get("zh") or "").strip(),
                    "en": (c.get("en") or "").strip()})
    return out


def _write_questions(survey: Survey, questions: list[dict[str, Any]]) -> None:
    """Questions given with an ``id`` of this survey are updated in place (their
    answers keep pointing at them); others are created; missing ones removed."""
    existing = {q.pk: q for q in survey.questions.all()}
    keep = set()
    for position, data in enumerate(questions, start=1):
        q = existing.get(data.get("id")) or Question(survey=survey)
        for field in QUESTION_FIELDS:
            value = data.get(field)
            if field == "choices":
                value = _choices_clean(value)
            elif field == "required":
                value = bool(value)
            else:
                value = (value or "").strip()
            setattr(q, field, value)
        q.position = position
        row_save(q, fields=[*QUESTION_FIELDS, "position"])
        keep.add(q.pk)
    survey.questions.exclude(pk__in=keep).delete()


def _team_for(actor, team_requested):
    if access.is_admin(actor):
        return team_requested
    if access.is_team_lead(actor):
        return actor.team
    raise ValidationError({"non_field_errors": [_("Only team leads and admins build surveys.")]})


@transaction.atomic
def survey_create(*, actor, data: dict[str, Any], questions: list[dict[str, Any]], now: datetime) -> Survey:
    """A new template. A team lead's template belongs to their team; an admin's is
    shared unless a team is given."""
    _validate(data, questions)
    survey = Survey(created_by=actor, created_at=now, team=_team_for(actor, data.get("team")))
    for field in SURVEY_FIELDS:
        if field in data:
            setattr(survey, field, data[field].strip() if isinstance(data[field], str) else data[field])
    survey.save()
    _write_questions(survey, questions)
    return survey


@transaction.atomic
def survey_update(*, actor, survey: Survey, data: dict[str, Any], questions: list[dict[str, Any]]) -> Survey:
    """Caller got ``survey`` from ``survey_editable_for_user``."""
    _validate(data, questions)
    fields = [f for f in SURVEY_FIELDS if f in data]
    for field in fields:
        setattr(survey, field, data[field].strip() if isinstance(data[field], str) else data[field])
    row_save(survey, fields=fields)
    _write_questions(Survey.objects.select_for_update().get(pk=survey.pk), questions)
    return survey


def survey_default_ensure(*, now: datetime) -> Survey:
    """The default template (seed 001), recreated from ``surveys.defaults`` if it was
    deleted. Idempotent; an existing one (even inactive) is returned untouched."""
    from surveys import defaults

    survey, created = Survey.objects.get_or_create(code=defaults.CODE, defaults={
        "name_zh": defaults.NAME_ZH, "name_en": defaults.NAME_EN, "intro_zh": defaults.INTRO_ZH,
        "intro_en": defaults.INTRO_EN, "is_default": not Survey.objects.filter(is_default=True).exists(),
        "created_at": now})
    if created:
        Question.objects.bulk_create([
            Question(survey=survey, position=i, kind=kind, dimension=dim, text_zh=zh, text_en=en, help_zh=hzh,
                     help_en=hen, required=req)
            for i, (kind, dim, zh, en, hzh, hen, req) in enumerate(defaults.QUESTIONS, start=1)])
    return survey
