"""Browser pages of the feedback themes: the month's themes, one theme's answers,
tickets and follow-up feedback, and the theme dictionary. Parse, call a selector
or service, render."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import access
from core.forms import apply_service_error
from feedback import selectors, services
from feedback.forms import ThemeEntryForm
from feedback.models import ThemeMember, shared_min_customers
from reviews.forms import MonthForm

PAGE_SIZE = 50


def _month(request):
    today = timezone.localdate()
    form = MonthForm(request.GET or None, today=today)
    month = (form.cleaned_data["month"] if form.is_valid() else None) or today.replace(day=1)
    return form, month


def _team(request) -> int | None:
    raw = request.GET.get("team") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return int(raw)


@require_GET
@login_required
def theme_list(request):
    if not access.can_read_reviews(request.user):
        raise Http404
    month_form, month = _month(request)
    team_id = _team(request)
    return render(request, "feedback/themes.html", {
        "month_form": month_form, "month": month,
        "themes": selectors.themes_for_user(user=request.user, month=month, team_id=team_id),
        "teams": access.teams_visible_to(request.user) if access.is_admin(request.user) else None,
        "team_param": team_id or "", "minimum": shared_min_customers(),
        "can_edit": access.can_edit_feedback_themes(request.user),
        "last_job": selectors.last_themes_job(user=request.user),
    })


@require_POST
@login_required
def themes_recompute(request):
    month_form, month = _month(request)
    try:
        services.themes_request(actor=request.user, month=month, as_of=timezone.localdate(), now=timezone.now())
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("The themes of %(month)s are being computed.") % {"month": month.strftime("%Y-%m")})
    return redirect(reverse("feedback:themes") + f"?month={month:%Y-%m}")


KIND_TABS = [("", None), *ThemeMember.Kind.choices]


@require_GET
@login_required
def theme_records(request, pk: int):
    theme = selectors.theme_get_for_user(user=request.user, pk=pk)
    kind = request.GET.get("kind") or ""
    if kind and kind not in ThemeMember.Kind.values:
        raise Http404
    members = selectors.theme_members_for_user(user=request.user, theme=theme, kind=kind)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"member": m, "url": reverse("tickets:detail", kwargs={"pk": m.object_id}) if m.kind == "ticket"
             else reverse("customer-detail", kwargs={"pk": m.customer_id})} for m in page]
    tabs = [{"key": k, "label": label or _("All"), "active": k == kind} for k, label in KIND_TABS]
    return render(request, "feedback/theme_records.html", {"theme": theme, "page": page, "rows": rows,
                                                           "tabs": tabs, "kind": kind})


def _entry_form(request, *, instance=None, data=None):
    return ThemeEntryForm(data, instance=instance, teams=access.assignable_teams_for(request.user),
                          allow_global=access.is_admin(request.user))


def _entry_save(request, form, entry):
    if not form.is_valid():
        return None
    try:
        return services.theme_entry_save(actor=request.user, entry=entry, now=timezone.now(), **form.cleaned_data)
    except ValidationError as exc:
        apply_service_error(form, exc)
        return None


@require_http_methods(["GET", "POST"])
@login_required
def dictionary(request):
    if not access.can_edit_feedback_themes(request.user):
        raise Http404
    form = _entry_form(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _entry_save(request, form, None) is not None:
            messages.success(request, _("Theme added."))
            return redirect("feedback:dictionary")
    entries = selectors.theme_entry_list_for_user(user=request.user)
    editable = {e.pk for e in entries if access.is_admin(request.user) or e.team_id == request.user.team_id}
    return render(request, "feedback/dictionary.html", {"entries": entries, "form": form, "editable": editable},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def dictionary_entry(request, pk: int):
    entry = selectors.theme_entry_editable_for_user(user=request.user, pk=pk)
    form = _entry_form(request, instance=entry, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _entry_save(request, form, entry) is not None:
            messages.success(request, _("Theme saved."))
            return redirect("feedback:dictionary")
    return render(request, "feedback/dictionary_entry.html", {"entry": entry, "form": form},
                  status=400 if form.errors else 200)


@require_POST
@login_required
def dictionary_entry_delete(request, pk: int):
    entry = selectors.theme_entry_editable_for_user(user=request.user, pk=pk)
    services.theme_entry_delete(actor=request.user, entry=entry)
    messages.success(request, _("Theme deleted."))
    return redirect("feedback:dictionary")
