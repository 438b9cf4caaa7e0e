import json

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.forms import ThrottledAuthenticationForm
from core.selectors import job_get_for_user, notification_list_for_user, notification_unread_count
from core.services import notifications_mark_read

NOTIFICATIONS_PER_PAGE = 25


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


@login_required
def notification_list(request):
    if request.method == "POST":
        notifications_mark_read(user=request.user, ids=None, now=timezone.now())
        return redirect("notifications")
    page = Paginator(notification_list_for_user(user=request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page"))
    unread = notification_unread_count(user=request.user)
    return render(request, "core/notifications.html", {"page": page, "notifications": page.object_list,
                                                       "unread": unread})


@require_GET
@login_required
def job_progress(request, pk: int):
    """The progress partial of one job (polled by ``core/job_progress.html``)."""
    job = job_get_for_user(user=request.user, pk=pk)
    response = render(request, "core/job_progress.html", {"job": job})
    if request.htmx and not job.is_active:
        # The last poll: tell the page around it (e.g. a job list) to refresh.
        response["HX-Trigger"] = json.dumps({"jobFinished": {"id": job.pk, "status": job.status}})
    return response
