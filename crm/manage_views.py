"""Users & teams pages for admins (everyone else gets 404: the pages do not exist for them)."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import access
from crm import services
from core.forms import apply_service_error
from crm.manage_forms import TeamForm, UserForm
from crm.models import Team, User


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
    users = User.objects.select_related("team").order_by("team__name", "username")
    role = request.GET.get("role", "")
    team = request.GET.get("team", "")
    if role in access.Role.values:
        users = users.filter(role=role)
    if team.isdigit():
        users = users.filter(team_id=int(team))
    return render(request, "crm/manage/user_list.html", {
        "users": users, "roles": access.Role.choices, "teams": Team.objects.all(), "role": role, "team": team,
    })


@admin_only
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int | None = None):
    instance = get_object_or_404(User, pk=pk) if pk is not None else None
    form = UserForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if instance is None:
                user = services.user_create(username=data["username"], password=data["password"], role=data["role"],
                                            team=data["team"], email=data["email"], first_name=data["first_name"],
                                            last_name=data["last_name"])
                if not data["is_active"]:
                    services.user_update(user=user, data={"is_active": False})
            else:
                if instance.pk == request.user.pk and (not data["is_active"] or data["role"] != access.Role.ADMIN):
                    raise ValidationError({"role": [_("You cannot remove your own admin access.")]})
                update = {k: data[k] for k in ("username", "first_name", "last_name", "email", "role", "team",
                                                "is_active")}
                if data["password"]:
                    update["password"] = data["password"]
                services.user_update(user=instance, data=update)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("User saved."))
            return redirect("manage-users")
    return render(request, "crm/manage/user_form.html", {"form": form, "instance": instance})


@admin_only
@require_http_methods(["GET", "POST"])
def team_list(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.team_get_or_create(name=form.cleaned_data["name"])
        messages.success(request, _("Team created."))
        return redirect("manage-teams")
    teams = Team.objects.annotate(member_count=Count("members", distinct=True)).order_by("name")
    return render(request, "crm/manage/team_list.html", {"teams": teams, "form": form})


@admin_only
@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int):
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, instance=team, initial={"name": team.name})
    if request.method == "POST" and form.is_valid():
        services.team_rename(team=team, name=form.cleaned_data["name"])
        messages.success(request, _("Team saved."))
        return redirect("manage-teams")
    members = team.members.order_by("username")
    return render(request, "crm/manage/team_form.html", {"form": form, "team": team, "members": members})
