"""Users & teams pages for admins (everyone else gets 404: the pages do not exist for them)."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import access
from core.forms import save_or_show_errors
from crm import selectors, services
from crm.manage_forms import TeamForm, UserForm


def admin_only(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not access.is_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@admin_only
def user_list(request):
    role = request.GET.get("role", "")
    team = request.GET.get("team", "")
    return render(request, "crm/manage/user_list.html", {
        "users": selectors.user_list_for_admin(role=role, team=team), "roles": access.Role.choices,
        "teams": selectors.team_list_for_admin(), "role": role, "team": team,
    })


@admin_only
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int | None = None):
    instance = selectors.user_get_for_admin(pk=pk) if pk is not None else None
    form = UserForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = save_or_show_errors(
            request, form, lambda: services.user_save(actor=request.user, user=instance, data=form.cleaned_data),
            then="manage-users", success=_("User saved."))
        if saved:
            return saved
    return render(request, "crm/manage/user_form.html", {"form": form, "instance": instance})


@admin_only
@require_http_methods(["GET", "POST"])
def team_list(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.team_get_or_create(name=form.cleaned_data["name"])
        messages.success(request, _("Team created."))
        return redirect("manage-teams")
    return render(request, "crm/manage/team_list.html", {"teams": selectors.team_list_for_admin(), "form": form})


@admin_only
@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int):
    team = selectors.team_get_for_admin(pk=pk)
    form = TeamForm(request.POST or None, instance=team, initial={"name": team.name})
    if request.method == "POST" and form.is_valid():
        services.team_rename(team=team, name=form.cleaned_data["name"])
        messages.success(request, _("Team saved."))
        return redirect("manage-teams")
    return render(request, "crm/manage/team_form.html", {"form": form, "team": team,
                                                         "members": selectors.team_members(team=team)})
