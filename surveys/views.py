"""Pages of surveys: templates and the builder, results, campaigns, the staff phone
survey form, and the public answer page (no login). Parse, call, render."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import access
from core.forms import apply_service_error
from crm import selectors as crm_selectors
from surveys import results, selectors, services
from surveys.forms import (SERVICE_TO_FORM_FIELD, CampaignForm, PhoneSurveyForm, QuestionForm, QuestionFormSet,
                           ResultsFilterForm, SurveyForm)
from surveys.models import Survey
from surveys.services.invitations import TokenProblem


@login_required
def survey_list(request):
    surveys = selectors.survey_list_for_user(user=request.user)
    campaigns = (selectors.campaign_list_for_user(user=request.user)[:20]
                 if access.can_build_surveys(request.user) else [])
    return render(request, "surveys/survey_list.html", {
        "surveys": surveys, "campaigns": campaigns, "can_build": access.can_build_surveys(request.user)})


@login_required
def survey_detail(request, pk: int):
    survey = selectors.survey_get_for_user(user=request.user, pk=pk)
    can_edit = access.leads_team(request.user, survey.team_id)
    return render(request, "surveys/survey_detail.html", {"survey": survey, "can_edit": can_edit})


def _kept(formset) -> list[QuestionForm]:
    """The question rows to save: not deleted, and not left blank."""
    return [f for f in formset.forms if not f.cleaned_data.get("DELETE")
            and (f.cleaned_data.get("id") or f.cleaned_data.get("text_zh") or f.cleaned_data.get("text_en"))]


def _apply_service_errors(exc: ValidationError, form, formset) -> None:
    """Put the service's "questions[i].field" errors beside the right formset field."""
    live_forms = _kept(formset)
    for key, msgs in exc.message_dict.items():
        if key.startswith("questions[") and "]." in key:
            index, field = key[len("questions["):].split("].", 1)
            target = live_forms[int(index)]
            target.add_error(SERVICE_TO_FORM_FIELD.get(field, field), msgs)
        elif key in form.fields:
            form.add_error(key, msgs)
        else:
            form.add_error(None, msgs)


def _builder(request, survey: Survey | None):
    if not access.can_build_surveys(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = SurveyForm(request.POST)
        formset = QuestionFormSet(request.POST, prefix="q")
        if form.is_valid() and formset.is_valid():
            questions = [f.to_service() for f in _kept(formset)]
            try:
                if survey is None:
                    survey = services.survey_create(actor=request.user, data=form.cleaned_data,
                                                    questions=questions, now=timezone.now())
                else:
                    services.survey_update(actor=request.user, survey=survey, data=form.cleaned_data,
                                           questions=questions)
            except ValidationError as exc:
                _apply_service_errors(exc, form, formset)
            else:
                messages.success(request, _("Survey saved."))
                return redirect("surveys:detail", pk=survey.pk)
    elif survey is None:
        form = SurveyForm()
        formset = QuestionFormSet(prefix="q", initial=[{"kind": "nps", "required": True}])
    else:
        form = SurveyForm(initial={f: getattr(survey, f) for f in SurveyForm.base_fields})
        formset = QuestionFormSet(prefix="q", initial=[QuestionForm.initial_for(q) for q in survey.questions.all()])
    return render(request, "surveys/survey_builder.html", {"form": form, "formset": formset, "survey": survey})


@login_required
def survey_create(request):
    return _builder(request, None)


@login_required
def survey_edit(request, pk: int):
    return _builder(request, selectors.survey_editable_for_user(user=request.user, pk=pk))


REASONS_PER_PAGE = 25


def _results_form(request):
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("start", (today - timedelta(days=365)).replace(day=1).isoformat())
    data.setdefault("end", today.isoformat())
    data.setdefault("group_by", "tier")
    return ResultsFilterForm(data, teams=access.teams_visible_to(request.user),
                             owners=access.owners_visible_to(request.user),
                             categories=list(results.ticket_category_names().items()))


@login_required
def survey_results(request):
    form = _results_form(request)
    context = {"form": form}
    if form.is_valid():
        d = form.cleaned_data
        filters = {"tier": d.get("tier") or "", "team": d["team"].pk if d.get("team") else None,
                   "owner": d["owner"].pk if d.get("owner") else None,
                   "ticket_category": d.get("ticket_category") or ""}
        context["results"] = results.survey_results(user=request.user, start=d["start"], end=d["end"],
                                                    group_by=d.get("group_by") or "", **filters)
        reasons = results.reasons_for_user(user=request.user, start=d["start"], end=d["end"], **filters)
        context["reasons_page"] = Paginator(reasons, REASONS_PER_PAGE).get_page(request.GET.get("page"))
        context["reasons"] = context["reasons_page"].object_list
        context["group_by_label"] = dict(form.fields["group_by"].choices).get(d.get("group_by"), "")
        context["group_by"] = d.get("group_by") or ""
    return render(request, "surveys/results.html", context)


@login_required
def campaign_create(request):
    if not access.can_build_surveys(request.user):
        raise PermissionDenied
    kwargs = {"surveys": selectors.survey_active_list_for_user(user=request.user),
              "owners": access.assignable_users_for(request.user)}
    form = CampaignForm(request.POST or None, initial={"survey": selectors.default_survey()}, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_launch(actor=request.user, survey=form.cleaned_data["survey"],
                                                name=form.cleaned_data["name"], filters=form.filters(),
                                                now=timezone.now())
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Campaign started: %(invited)s invited, %(skipped)s skipped "
                                        "(asked recently or opted out).") % {"invited": campaign.invited,
                                                                             "skipped": campaign.skipped})
            return redirect("surveys:list")
    return render(request, "surveys/campaign_form.html", {"form": form, "fatigue_days": settings.SURVEY_FATIGUE_DAYS})


@login_required
def phone_survey(request, customer_pk: int):
    customer = crm_selectors.customer_get_for_user(user=request.user, pk=customer_pk)
    surveys = selectors.survey_active_list_for_user(user=request.user)
    initial = {"survey": selectors.default_survey(), "answered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    form = PhoneSurveyForm(request.POST or None, surveys=surveys, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        survey = data.pop("survey")
        try:
            services.response_enter(actor=request.user, customer=customer, survey=survey, data=data,
                                    now=timezone.now())
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Phone survey recorded."))
            return redirect("customer-detail", pk=customer.pk)
    return render(request, "surveys/phone_survey.html", {"form": form, "customer": customer,
                                                         "opted_out": selectors.is_opted_out(customer=customer)})


@login_required
@require_POST
def customer_optout(request, customer_pk: int):
    customer = crm_selectors.customer_editable_for_user(user=request.user, pk=customer_pk)
    if request.POST.get("undo"):
        services.optout_delete(customer=customer)
        messages.success(request, _("%(customer)s can be surveyed again.") % {"customer": customer.name})
    else:
        services.optout_create(customer=customer, now=timezone.now(), actor=request.user)
        messages.success(request, _("%(customer)s will not be surveyed any more.") % {"customer": customer.name})
    return redirect("customer-detail", pk=customer.pk)


# ---------------------------------------------------------------- public (no login)

PROBLEM_STATUS = {"invalid": 404, "used": 410, "expired": 410}


def _problem(request, reason: str):
    return render(request, "surveys/public_problem.html", {"reason": reason}, status=PROBLEM_STATUS[reason])


def public_answer(request, token: str):
    """The survey behind an e-mailed link. GET shows it; POST takes the one answer."""
    now = timezone.now()
    invitation = selectors.invitation_by_token_hash(token_hash=services.token_hash(token))
    if invitation is None:
        return _problem(request, "invalid")
    if invitation.answered_at is not None:
        return _problem(request, "used")
    if invitation.expires_at is None or invitation.expires_at <= now:
        return _problem(request, "expired")
    errors: dict = {}
    if request.method == "POST":
        try:
            services.response_submit(token=token, data=request.POST, language=translation.get_language() or "",
                                     now=now)
        except TokenProblem as exc:
            return _problem(request, exc.reason)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return render(request, "surveys/public_thanks.html", {"survey": invitation.survey})
    questions = [{"q": q, "errors": errors.get(q.field_name, []), "value": request.POST.getlist(q.field_name)}
                 for q in invitation.survey.questions.all()]
    return render(request, "surveys/public_answer.html", {
        "survey": invitation.survey, "questions": questions, "has_errors": bool(errors), "token": token},
        status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
def public_optout(request, token: str):
    """GET asks to confirm; POST opts out and offers an undo on the same page."""
    if request.method == "GET":
        if selectors.invitation_by_token_hash(token_hash=services.token_hash(token)) is None:
            return _problem(request, "invalid")
        return render(request, "surveys/public_optout_confirm.html", {"token": token})
    try:
        if request.POST.get("undo"):
            services.optout_undo_by_token(token=token)
            return render(request, "surveys/public_thanks.html", {"opted_back_in": True, "token": token})
        services.optout_by_token(token=token, now=timezone.now())
    except TokenProblem as exc:
        return _problem(request, exc.reason)
    return render(request, "surveys/public_thanks.html", {"opted_out": True, "token": token})
