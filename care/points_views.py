"""Points pages (issue #11 item 6): the ledger of the customers the user can see,
and one customer's points with the redemption and adjustment forms."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from care import points_selectors, points_services
from care.forms import PointsAdjustForm, RedeemForm
from core import access
from core.forms import apply_service_error

LEDGER_PAGE_ROWS = 200


@require_GET
@login_required
def points_ledger(request):
    """The latest ledger lines of every customer the user can see."""
    if not access.can_see_money(request.user):
        raise PermissionDenied
    entries = points_selectors.points_entry_list_for_user(user=request.user)[:LEDGER_PAGE_ROWS]
    return render(request, "care/points_ledger.html", {"entries": entries, "limit": LEDGER_PAGE_ROWS})


@require_http_methods(["GET", "POST"])
@login_required
def customer_points(request, customer_pk: int):
    from crm import selectors as crm_selectors

    if not access.can_see_money(request.user):
        raise PermissionDenied
    section = request.POST.get("section") if request.method == "POST" else None
    if section:
        customer = crm_selectors.customer_editable_for_user(user=request.user, pk=customer_pk)
    else:
        customer = crm_selectors.customer_get_for_user(user=request.user, pk=customer_pk)
    redeem = RedeemForm(request.POST if section == "redeem" else None, rewards=points_selectors.reward_list(),
                        prefix="redeem")
    adjust = PointsAdjustForm(request.POST if section == "adjust" else None, prefix="adjust")
    if section == "adjust" and not access.can_adjust_points(request.user):
        raise PermissionDenied
    form = {"redeem": redeem, "adjust": adjust}.get(section)
    if form is not None and form.is_valid():
        now = timezone.now()
        try:
            if section == "redeem":
                entry = points_services.points_redeem(actor=request.user, customer=customer,
                                                      reward=form.cleaned_data["reward"], now=now)
                messages.success(request, _("Redeemed %(points)s points for %(reward)s.") % {
                    "points": -entry.points, "reward": entry.reward.label})
            else:
                entry = points_services.points_adjust(actor=request.user, customer=customer, now=now,
                                                      points=form.cleaned_data["points"],
                                                      reason=form.cleaned_data["reason"])
                messages.success(request, _("Points adjusted by %(points)s.") % {"points": entry.points})
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            back = "customer-detail" if request.POST.get("next") == "customer" else "care:customer-points"
            return redirect(reverse(back, args=[customer.pk]))
    return render(request, "care/customer_points.html", {
        "customer": customer, "points": points_selectors.points_summary(customer=customer),
        "entries": points_selectors.points_entry_list_for_user(user=request.user, customer_id=customer.pk),
        "redeem_form": redeem, "adjust_form": adjust if access.can_adjust_points(request.user) else None,
    })
