"""Browser pages of the reviews app: dashboards, review reports, my actions.
Parse, call a selector or service, render."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import access
from core.forms import apply_service_error
from feedback.selectors import frequent_issues_for_user
from reviews import exports, selectors, services
from reviews.drilldown import records_url
from reviews.metrics import month_period
from reviews.dashboard import VALUE_TIERS, dashboard_context
from reviews.forms import (ActionForm, ActionStatusForm, FindingForm, MonthForm, ReviewCreateForm,
                           ReviewRowsForm)
from reviews.scoping import dashboard_scope
from reviews.report import review_report
from reviews.services.snapshots import ENGAGEMENT_BANDS


def _message_errors(request, exc: ValidationError):
    for errs in exc.message_dict.values():
        for e in errs:
            messages.error(request, e)


def _team_param(request) -> int | None:
    try:
        return int(request.GET["team"]) if request.GET.get("team") else None
    except ValueError:
        raise Http404 from None


@require_GET
@login_required
def dashboard(request):
    now = timezone.now()
    month_form = MonthForm(request.GET or None, today=timezone.localtime(now).date())
    month = month_form.cleaned_data["month"] if month_form.is_valid() else None
    context = dashboard_context(user=request.user, team_id=_team_param(request), now=now, month=month)
    context["month_form"] = month_form
    context["month_param"] = month.strftime("%Y-%m") if month else ""
    context["teams"] = access.teams_visible_to(request.user) if access.sees_all_customers(request.user) else None
    context["team_param"] = request.GET.get("team", "")
    context["can_move_trend_actions"] = True  # the list holds only what the user may move
    context["trend_statuses"] = ActionStatusForm().fields["status"].choices
    # Themes are a team's own business, as reports are: support's dashboard has no such card.
    context["frequent_issues"] = (frequent_issues_for_user(user=request.user, month=context["month"].start,
                                                           team_id=_team_param(request))
                                  if access.can_read_reviews(request.user) else None)
    return render(request, "reviews/dashboard.html", context)


@require_GET
@login_required
def people(request):
    """People and departments: the month's figures per account manager (an account
    manager: their own row), per support agent and per department (leads, admins)."""
    from reviews.people import people_tables_for_user

    today = timezone.localdate()
    month_form = MonthForm(request.GET or None, today=today)
    month = month_form.cleaned_data["month"] if month_form.is_valid() and month_form.cleaned_data["month"] else None
    # Reviews look back: the last whole month unless one is asked for.
    period = month_period(month or (today.replace(day=1) - dt.timedelta(days=1)))
    tables = people_tables_for_user(user=request.user, period=period, team=request.GET.get("team") or None)
    return render(request, "reviews/people.html", {
        "tables": tables, "period": period, "previous": period.previous(), "month_form": month_form,
        "teams": access.teams_visible_to(request.user) if access.is_admin(request.user) else None,
        "team_param": request.GET.get("team", "")})


@require_GET
@login_required
def grid_cell(request):
    """An old link to a cell of the value × engagement grid: its drill-down list this month."""
    value, engagement = request.GET.get("value"), request.GET.get("engagement")
    if value not in VALUE_TIERS or engagement not in dict(ENGAGEMENT_BANDS):
        raise Http404
    scope, _personal = dashboard_scope(user=request.user, team_id=_team_param(request))
    return redirect(records_url(key="value_engagement", period=month_period(timezone.localdate()),
                                part=f"{value}:{engagement}", scope=scope))


@require_GET
@login_required
def review_list(request):
    reviews = selectors.review_list_for_user(user=request.user)
    page = Paginator(reviews, 25).get_page(request.GET.get("page"))
    return render(request, "reviews/review_list.html", {
        "page": page, "can_write": access.can_write_reviews(request.user)})


@require_http_methods(["GET", "POST"])
@login_required
def review_create(request):
    if not access.can_write_reviews(request.user):
        raise Http404
    is_admin = access.is_admin(request.user)
    form = ReviewCreateForm(request.POST or None, is_admin=is_admin,
                            participants=access.ticket_assignees_for(request.user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            review = services.review_create(
                user=request.user, title=d["title"], period_start=d["period_start"], period_end=d.get("period_end"),
                period_kind=d["period_kind"], scope_kind=d["scope_kind"], team=d.get("team"),
                tier=d.get("tier") or "", targets=form.targets(), summary=d.get("summary", ""),
                participants=list(d.get("participants") or []), data_sources=d.get("data_sources") or [],
                now=timezone.now())
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Review report created; actuals computed from the data."))
            return redirect("reviews:detail", pk=review.pk)
    return render(request, "reviews/review_form.html", {"form": form})


def _detail_context(request, review, **forms):
    can_edit = access.leads_team(request.user, review.team_id)
    owners = selectors.action_owner_choices(user=request.user, team_id=review.team_id)
    return {
        **review_report(review=review), "can_edit": can_edit,
        "rows_form": forms.get("rows_form") or ReviewRowsForm(review=review),
        "finding_form": forms.get("finding_form") or FindingForm(),
        "action_form": forms.get("action_form") or ActionForm(owners=owners),
        "language": get_language(), "trend_statuses": ActionStatusForm().fields["status"].choices,
    }


@require_GET
@login_required
def review_detail(request, pk: int):
    review = selectors.review_get_for_user(user=request.user, pk=pk)
    return render(request, "reviews/review_detail.html", _detail_context(request, review))


def _detail_form_save(request, review, *, form_key: str, form, save, success: str = ""):
    """A form posted from the report page: back to the page once ``save(form)`` took
    it; otherwise the page again with the form's errors beside its fields (400)."""
    if form.is_valid():
        try:
            save(form)
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            if success:
                messages.success(request, success)
            return redirect("reviews:detail", pk=review.pk)
    return render(request, "reviews/review_detail.html", _detail_context(request, review, **{form_key: form}),
                  status=400)


@require_POST
@login_required
def review_rows_save(request, pk: int):
    review = selectors.review_editable_for_user(user=request.user, pk=pk)
    return _detail_form_save(
        request, review, form_key="rows_form", form=ReviewRowsForm(request.POST, review=review),
        save=lambda form: services.review_metrics_set(review=review, rows=form.rows(), now=timezone.now()),
        success=_("Targets and analysis saved."))


def _detail_button(request, pk: int, act, *, success: str):
    """A button on the report page: ``act(review)`` (a service) on a report the user
    may edit; back to the page with ``success`` or the service's refusal."""
    review = selectors.review_editable_for_user(user=request.user, pk=pk)
    try:
        act(review)
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, success)
    return redirect("reviews:detail", pk=review.pk)


@require_POST
@login_required
def review_refresh(request, pk: int):
    return _detail_button(request, pk, lambda review: services.review_actuals_refresh(review=review,
                                                                                      now=timezone.now()),
                          success=_("Actuals recomputed from the data."))


@require_POST
@login_required
def review_status(request, pk: int):
    return _detail_button(request, pk, lambda review: services.review_update(
        review=review, status=request.POST.get("status", "")), success=_("Status updated."))


@require_POST
@login_required
def review_finding_add(request, pk: int):
    review = selectors.review_editable_for_user(user=request.user, pk=pk)
    return _detail_form_save(
        request, review, form_key="finding_form", form=FindingForm(request.POST),
        save=lambda form: services.review_finding_add(review=review, **form.cleaned_data))


@require_POST
@login_required
def review_finding_delete(request, pk: int, finding_id: int):
    review = selectors.review_editable_for_user(user=request.user, pk=pk)
    services.review_finding_delete(review=review, finding_id=finding_id)
    return redirect("reviews:detail", pk=review.pk)


@require_POST
@login_required
def review_action_add(request, pk: int):
    review = selectors.review_editable_for_user(user=request.user, pk=pk)

    def save(form):
        d = form.cleaned_data
        services.review_action_create(actor=request.user, review=review, title=d["title"], owner=d["owner"],
                                      deadline=d["deadline"], metric=d.get("metric") or "", now=timezone.now())

    return _detail_form_save(
        request, review, form_key="action_form",
        form=ActionForm(request.POST, owners=selectors.action_owner_choices(user=request.user, team_id=review.team_id)),
        save=save, success=_("Action added; it appears in the owner's task list."))


@require_GET
@login_required
def review_export(request, pk: int, fmt: str):
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    review = selectors.review_get_for_user(user=request.user, pk=pk)
    return exports.export_response(review=review, fmt=fmt, language=request.GET.get("lang") or get_language())


@require_GET
@login_required
def my_actions(request):
    actions = selectors.my_actions(user=request.user)
    return render(request, "reviews/my_actions.html", {"actions": actions, "statuses": ActionStatusForm().fields[
        "status"].choices, "today": timezone.localdate()})


def _status_set(request, set_status, *, default: str):
    """An action's status form, posted from a list that passes ``next``:
    ``set_status(status)`` is the service; back to ``next`` when it is this site's,
    else to ``default``."""
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        try:
            set_status(form.cleaned_data["status"])
        except ValidationError as exc:
            _message_errors(request, exc)
        else:
            messages.success(request, _("Status updated."))
    nxt = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(nxt)
    return redirect(default)


@require_POST
@login_required
def trend_action_status(request, pk: int):
    from reviews.services.trend_actions import trend_action_status_set

    action = selectors.trend_action_get_for_user(user=request.user, pk=pk)
    return _status_set(request, lambda status: trend_action_status_set(action=action, user=request.user,
                                                                        status=status, now=timezone.now()),
                       default="reviews:dashboard")


@require_POST
@login_required
def action_status(request, pk: int):
    action = selectors.review_action_get_for_user(user=request.user, pk=pk)
    return _status_set(request, lambda status: services.review_action_status_set(
        action=action, user=request.user, status=status, now=timezone.now()), default="reviews:my-actions")
