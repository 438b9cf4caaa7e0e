from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.forms import ThrottledAuthenticationForm
from core.services import notifications_mark_read


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
    items = request.user.notifications.all()[:100]
    return render(request, "core/notifications.html", {"notifications": items})
