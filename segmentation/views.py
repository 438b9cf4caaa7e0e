"""Pages of segmentation: My follow-ups, the segment overview, settings. Parse,
call a selector or service, render."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import access
from core.forms import save_or_show_errors
from crm.models import Customer
from segmentation import queue, selectors, services
from segmentation.forms import QueueLogForm, RecomputeForm, SegmentSettingsForm
from segmentation.models import MembershipLevel, RfmSegment, Tier, ValueTier


def _group_by_customer(items: list[dict]) -> list[dict]:
    """Queue items grouped per customer, in the order of each customer's most urgent item
    (one logged contact clears all of a customer's items, so they leave together)."""
    groups: dict[int, dict] = {}
    for item in items:
        group = groups.setdefault(item["customer"].pk, {"customer": item["customer"], "items": [], "care_summary": ""})
        group["items"].append(item)
        if item.get("care") and not group["care_summary"]:
            # One click on "Contacted" logs the greeting sent as the interaction (issue #11).
            group["care_summary"] = _("Greeting sent: %(greeting)s") % {"greeting": item["care"].greeting[:480]}
    return list(groups.values())


@require_GET
@login_required
def followups(request):
    now, today = timezone.now(), timezone.localdate()
    page = queue.followup_queue_page(user=request.user, today=today, cursor=request.GET.get("after"), now=now)
    count, capped = queue.followup_queue_count(user=request.user, today=today)
    return render(request, "segmentation/followups.html", {
        "groups": _group_by_customer(page["items"]), "count": count, "count_capped": capped, "today": today,
        "next_cursor": page["next_cursor"], "channels": Customer.Channel.choices,
    })


@require_POST
@login_required
def followup_log(request):
    form = QueueLogForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return HttpResponse(form.errors.as_ul(), status=400)
        messages.error(request, _("The contact could not be logged: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("segmentation:follow-ups")
    data = form.cleaned_data
    services.queue_contact_log(actor=request.user, customer_id=data["customer_id"], channel=data["channel"],
                               summary=data["summary"] or _("Follow-up from the queue"), now=timezone.now())
    if request.htmx:
        # The customer's row group is swapped out ("delete"); the count above the table is refreshed.
        today = timezone.localdate()
        count, capped = queue.followup_queue_count(user=request.user, today=today)
        return render(request, "segmentation/_queue_count.html",
                      {"count": count, "count_capped": capped, "today": today, "oob": True})
    messages.success(request, _("Contact logged."))
    return redirect("segmentation:follow-ups")


def _mix(counts: dict[str, int], choices) -> list[dict]:
    total = sum(counts.values()) or 1
    return [{"key": value, "label": label, "count": counts.get(value, 0),
             "percent": round(100 * counts.get(value, 0) / total, 1)} for value, label in choices]


@require_GET
@login_required
def overview(request):
    summary = selectors.segment_summary_for_user(user=request.user)
    trend = selectors.tier_trend(user=request.user)
    for point in trend:
        point["mix"] = _mix(point["counts"], Tier.choices)
    transitions = selectors.tier_transitions(user=request.user)
    labels = dict(Tier.choices)
    moves = sorted(({"from": labels.get(a, a), "to": labels.get(b, b), "from_key": a, "to_key": b, "count": n}
                    for (a, b), n in transitions["moves"].items()), key=lambda m: (-m["count"], m["from"]))
    can_manage = access.can_manage_segments(request.user)
    jobs_list = selectors.latest_jobs(user=request.user) if can_manage else []
    return render(request, "segmentation/overview.html", {
        "summary": summary,
        "tiers": _mix(summary["tier"], Tier.choices),
        "value_tiers": _mix(summary["value_tier"], ValueTier.choices),
        "rfm_segments": [m for m in _mix(summary["rfm_segment"], RfmSegment.choices) if m["count"]],
        "memberships": _mix(summary["membership_level"], MembershipLevel.choices),
        "trend": trend,
        "tier_choices": Tier.choices,
        "transitions": transitions,
        "moves": moves,
        "transition_rows": [{**r, "from_label": labels.get(r["from"]), "to_label": labels.get(r["to"])}
                            for r in transitions["rows"][:100]],
        "can_manage": can_manage,
        "recompute_form": RecomputeForm(initial={"as_of": timezone.localdate()}) if can_manage else None,
        "jobs": jobs_list,
    })


def _jobs_response(request):
    return render(request, "segmentation/_jobs.html", {"jobs": selectors.latest_jobs(user=request.user)})


@require_GET
@login_required
def jobs(request):
    if not access.can_manage_segments(request.user):
        raise PermissionDenied
    return _jobs_response(request)


@require_POST
@login_required
def recompute(request):
    if not access.can_manage_segments(request.user):
        raise PermissionDenied
    form = RecomputeForm(request.POST)
    if form.is_valid():
        services.recompute_request(actor=request.user, as_of=form.cleaned_data["as_of"], now=timezone.now())
        if request.htmx:
            return _jobs_response(request)
        messages.success(request, _("Recompute queued."))
    elif request.htmx:
        return HttpResponse(form.errors.as_ul(), status=400)
    else:
        messages.error(request, form.errors.as_text())
    return redirect("segmentation:overview")


@require_http_methods(["GET", "POST"])
@login_required
def settings_edit(request):
    if not access.can_manage_segments(request.user):
        raise PermissionDenied
    current = selectors.segment_settings_get()
    form = SegmentSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        saved = save_or_show_errors(
            request, form, lambda: services.segment_settings_update(actor=request.user, data=data, now=timezone.now()),
            then="segmentation:settings", success=_("Segment settings saved. They apply from the next recompute."))
        if saved:
            return saved
    return render(request, "segmentation/settings.html", {"form": form, "current": current})
