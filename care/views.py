"""Care pages: the care settings (days ahead, greetings, perks by membership level)
and the holiday calendar of a year, for team leads and admins."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from care import loss_services, selectors, services
from care.forms import CareSettingsForm, GiveUpForm, HolidayFormSet, TalkingPointsForm, YearForm, holiday_rows
from core import access
from core.forms import save_or_show_errors


def _year(request) -> int:
    form = YearForm(request.GET)
    return form.cleaned_data["year"] if form.is_valid() else timezone.localdate().year


def _apply_errors(error: ValidationError, *, form=None, formset=None, rows=None) -> None:
    if not hasattr(error, "error_dict"):
        target = form if form is not None else formset.forms[0] if formset.forms else None
        if formset is not None:
            formset._non_form_errors = formset.error_class(error.messages)
        elif target is not None:
            target.add_error(None, error.messages)
        return
    for key, msgs in error.message_dict.items():
        if formset is not None and "." in key:
            index, field = key.split(".", 1)
            formset.forms[rows[int(index)]["form"]].add_error(field, msgs)
        elif form is not None:
            form.add_error(key if key in form.fields else None, msgs)


@require_http_methods(["GET", "POST"])
@login_required
def care_settings(request):
    if not access.can_configure_care(request.user):
        raise PermissionDenied
    year = _year(request)
    current = selectors.care_settings_get()
    perks = selectors.perks_by_level()
    section = request.POST.get("section") if request.method == "POST" else None
    form = CareSettingsForm(request.POST if section == "settings" else None, instance=current, perks=perks)
    formset = HolidayFormSet(request.POST if section == "holidays" else None,
                             queryset=selectors.holidays_in_year(year=year), prefix="holidays")
    if section == "settings" and form.is_valid():
        data, perk_data = form.to_service_data()
        try:
            services.care_settings_update(actor=request.user, data=data, perks=perk_data, now=timezone.now())
        except ValidationError as error:
            _apply_errors(error, form=form)
        else:
            messages.success(request, _("Care settings saved."))
            return redirect(f"{request.path}?year={year}")
    talking = TalkingPointsForm(request.POST if section == "talking" else None,
                                points=selectors.talking_points_by_tier())
    if section == "talking" and talking.is_valid():
        try:
            services.talking_points_update(actor=request.user, points=talking.to_service_data(), now=timezone.now())
        except ValidationError as error:
            _apply_errors(error, form=talking)
        else:
            messages.success(request, _("Talking points saved."))
            return redirect(f"{request.path}?year={year}")
    if section == "holidays" and formset.is_valid():
        rows = holiday_rows(formset)
        try:
            services.holiday_calendar_update(actor=request.user, year=year, rows=rows)
        except ValidationError as error:
            _apply_errors(error, formset=formset, rows=rows)
        else:
            messages.success(request, _("Holiday calendar saved."))
            return redirect(f"{request.path}?year={year}")
    if section == "defaults":
        added = services.holiday_defaults_ensure(year=year)
        messages.success(request, _("%(count)s default holidays added.") % {"count": added})
        return redirect(f"{request.path}?year={year}")
    return render(request, "care/settings.html", {
        "form": form, "formset": formset, "talking": talking, "year": year, "current": current,
        "years": [year - 1, year, year + 1],
    })


@require_http_methods(["GET", "POST"])
@login_required
def customer_give_up(request, customer_pk: int):
    """Give up a customer (close it as lost) with the reason it left."""
    from crm.selectors import customer_editable_for_user

    customer = customer_editable_for_user(user=request.user, pk=customer_pk)
    current = selectors.customer_loss_current(customer=customer)
    form = GiveUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        done = save_or_show_errors(
            request, form, lambda: loss_services.customer_give_up(
                actor=request.user, customer=customer, reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"], now=timezone.now()),
            then=lambda _loss: redirect("customer-detail", customer.pk),
            success=_("%(name)s is marked as lost.") % {"name": customer.name})
        if done is not None:
            return done
    return render(request, "care/give_up.html", {"customer": customer, "form": form, "current": current})
