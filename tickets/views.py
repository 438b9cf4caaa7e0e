"""Browser pages of the tickets app. Parse, call a selector or service, render."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import access
from core.forms import apply_service_error
from core.masking import mask
from core.notifications import join_names
from core.services import audit_reveal_record
from tickets import selectors, services
from tickets.forms import (AssignForm, CloseForm, CommitForm, QueueForm, QuickTicketForm, ReopenForm, ReplyForm,
                           ResolveForm, TicketCreateForm, VersionForm)
from tickets.models import OPEN_STATUSES, Clock, Status

PAGE_SIZE = 50


def _rows(tickets, *, now) -> list[dict]:
    """Each ticket with its SLA state (from the prefetched event log: no query per row)."""
    rows = []
    for t in tickets:
        state = selectors.ticket_sla_state(ticket=t, now=now)
        # Which clock the countdown is and which were breached: the two can differ.
        rows.append({"ticket": t, "sla": state, "next_clock": Clock(state.next_clock).label if state.next_clock else "",
                     "breached": join_names([str(Clock(c).label) for c in state.breached_clocks])})
    return rows


@require_GET
@login_required
def queue(request):
    form = QueueForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    scope = data.get("scope") or ("mine" if selectors.has_open_tickets(user=request.user) else "all")
    sort = data.get("sort") or "sla"
    department = data.get("department")
    if scope == "department" and department is None:
        department = selectors.department_of(user=request.user)
    now = timezone.now()
    qs = selectors.ticket_queue_for_user(user=request.user, scope=scope,
                                         department_id=department.pk if department else None,
                                         breached_at=now if data.get("breached") else None, sort=sort)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"form": form, "scope": scope, "department": department, "sort": sort, "page": page, "rows": _rows(page.object_list, now=now),
               "now": now, "query": params.urlencode(), "scopes": QueueForm.SCOPES,
               "can_configure": access.can_configure_tickets(request.user)}
    if request.htmx:
        return render(request, "tickets/_queue_table.html", context)
    return render(request, "tickets/queue.html", context)


def _detail_context(request, ticket, *, forms: dict | None = None) -> dict:
    now = timezone.now()
    version = {"version": ticket.version}
    customer = ticket.customer
    reveal = access.can_see_personal_data(request.user)
    phone = customer.phone if reveal else mask("phone", customer.phone)
    if reveal and customer.phone:
        audit_reveal_record(user=request.user, object_type="crm.customer", object_ids=[customer.pk],
                            fields=["phone"], channel="web", now=now)
    state = selectors.ticket_sla_state(ticket=ticket, now=now)
    forms = forms or {}
    return {
        "ticket": ticket, "sla": state, "now": now, "phone": phone, "reveal": reveal,
        "clocks": [(Clock(c).label, state[c]) for c in (Clock.FIRST_RESPONSE, Clock.COMMITMENT, Clock.UPDATE,
                                                         Clock.RESOLUTION)],
        "messages_list": selectors.ticket_messages(ticket=ticket),
        "events": selectors.ticket_events(ticket=ticket),
        "breaches": list(ticket.sla_breaches.all()),
        "reply_form": forms.get("reply") or ReplyForm(initial=version),
        "commit_form": forms.get("commit") or CommitForm(initial=version),
        "resolve_form": forms.get("resolve") or ResolveForm(initial=version),
        "close_form": forms.get("close") or CloseForm(initial=version),
        "reopen_form": forms.get("reopen") or ReopenForm(initial=version),
        "assign_form": forms.get("assign") or AssignForm(initial={**version, "assignee": ticket.assignee_id,
                                                                  "department": ticket.department_id},
                                                         user=request.user),
        "version_form": VersionForm(initial=version),
        "is_open": ticket.status in OPEN_STATUSES,
        "Status": Status,
    }


@require_GET
@login_required
def ticket_detail(request, pk: int):
    ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


ACTIONS = {
    # name: (form, service, how the form's data maps to the service)
    "reply": (ReplyForm, services.ticket_reply),
    "commit": (CommitForm, services.ticket_commit),
    "wait": (VersionForm, services.ticket_wait),
    "resume": (VersionForm, services.ticket_resume),
    "resolve": (ResolveForm, services.ticket_resolve),
    "close": (CloseForm, services.ticket_close),
    "reopen": (ReopenForm, services.ticket_reopen),
    "assign": (AssignForm, services.ticket_assign),
}
# Lazy: this table is built at import time, the message is shown in the reader's language.
DONE = {
    "reply": gettext_lazy("Message added."), "commit": gettext_lazy("Resolution time committed."),
    "wait": gettext_lazy("Waiting for the customer."), "resume": gettext_lazy("Work resumed."),
    "resolve": gettext_lazy("Ticket resolved."), "close": gettext_lazy("Ticket closed."),
    "reopen": gettext_lazy("Ticket reopened."), "assign": gettext_lazy("Assignment saved."),
}


@require_POST
@login_required
def ticket_action(request, pk: int, action: str):
    ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
    if action not in ACTIONS:
        raise PermissionDenied
    form_class, service = ACTIONS[action]
    form = form_class(request.POST, user=request.user)
    status = 400
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            service(ticket=ticket, actor=request.user, now=timezone.now(), version=version, **data)
        except services.TicketConflict as exc:
            messages.error(request, str(exc))
            status = 409
            ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
            form = form_class(initial={**request.POST.dict(), "version": exc.current_version})
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, DONE[action])
            return redirect("tickets:detail", pk=ticket.pk)
    ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
    return render(request, "tickets/detail.html", _detail_context(request, ticket, forms={action: form}),
                  status=status)


@require_http_methods(["GET", "POST"])
@login_required
def ticket_create(request):
    """The ticket form with a customer picker: typing searches (HTMX swaps the
    choices in); without JavaScript the search button reloads the page with them."""
    from crm.selectors import customer_pick_for_user

    initial = {"customer": request.GET.get("customer")}
    form = TicketCreateForm(request.POST or None, initial=initial, user=request.user)
    q = request.GET.get("q", "")
    choices = customer_pick_for_user(user=request.user, q=q)
    if request.htmx and request.method == "GET":
        return render(request, "tickets/_customer_choices.html", {"choices": choices, "q": q})
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(actor=request.user, now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s created.") % {"number": ticket.number})
            return redirect("tickets:detail", pk=ticket.pk)
    customer = form.fields["customer"].queryset.filter(pk=form["customer"].value() or 0).first() \
        if str(form["customer"].value() or "").isdigit() else None
    return render(request, "tickets/create.html", {"form": form, "customer": customer, "choices": choices, "q": q},
                  status=400 if request.method == "POST" else 200)


@require_POST
@login_required
def ticket_quick_create(request, customer_pk: int):
    """The customer page's "New ticket" form."""
    from crm.selectors import customer_get_for_user

    customer = customer_get_for_user(user=request.user, pk=customer_pk)
    form = QuickTicketForm(request.POST)
    if form.is_valid():
        try:
            ticket = services.ticket_create(actor=request.user, customer=customer, now=timezone.now(),
                                            **form.cleaned_data)
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s created.") % {"number": ticket.number})
            return redirect("tickets:detail", pk=ticket.pk)
    full = TicketCreateForm(initial={"customer": customer.pk, **form.data.dict()}, user=request.user)
    full.is_bound = False
    for field, errors in form.errors.items():
        messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}")
    return render(request, "tickets/create.html", {"form": full, "customer": customer}, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def weekly(request):
    can_run = access.can_run_reports(request.user)
    if request.method == "POST":
        if not can_run:
            raise PermissionDenied
        result = services.weekly_ticket_report(now=timezone.now())
        messages.success(request, _("Weekly summary for the week of %(week)s computed.") % {"week": result["week_start"]})
        return redirect(reverse("tickets:weekly"))
    latest = selectors.weekly_summary_get()
    return render(request, "tickets/weekly.html", {
        "summaries": selectors.weekly_summary_list(),
        "latest": latest,
        "feedback": selectors.weekly_feedback_for_user(user=request.user, week_start=latest.week_start)
        if latest else [],
        "alerts": selectors.trend_alert_list(),
        "can_run": can_run,
        "priority": selectors.feedback_priority(user=request.user, as_of=timezone.localdate(timezone.now())),
    })


@require_GET
@login_required
def weekly_export(request):
    """``?week=YYYY-MM-DD`` (a summary's Monday; default the latest) and ``lang``: the
    week's summary as XLSX, with the customer feedback the user may read."""
    from django.http import Http404, HttpResponse
    from django.utils.dateparse import parse_date
    from django.utils.translation import get_language

    from tickets.exports import weekly_summary_xlsx

    try:
        week = parse_date(request.GET.get("week") or "") if request.GET.get("week") else None
    except ValueError:
        week = None
    summary = selectors.weekly_summary_get(week_start=week) if (week or not request.GET.get("week")) else None
    if summary is None:
        raise Http404
    language = "en" if (request.GET.get("lang") or get_language()) == "en" else "zh-hans"
    body = weekly_summary_xlsx(summary=summary, language=language, feedback=selectors.weekly_feedback_for_user(
        user=request.user, week_start=summary.week_start))
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="weekly-tickets-{summary.week_start}-{language}.xlsx"'
    return response


def customer_panel(*, request, customer) -> dict:
    """The customer page's tickets panel: open tickets and a quick "New ticket" form."""
    open_tickets = selectors.customer_open_tickets(customer=customer, limit=5)
    return {"template": "tickets/_customer_panel.html", "order": 20,
            "context": {"open_tickets": open_tickets, "ticket_form": QuickTicketForm()}}


@require_http_methods(["GET", "POST"])
@login_required
def ticket_settings(request):
    """Routing (category → department), supervisors and SLA policies: team leads and admins."""
    from tickets.forms import PolicyFormSet, RoutingForm

    if not access.can_configure_tickets(request.user):
        raise PermissionDenied
    departments = selectors.department_list()
    rules = selectors.routing_rules()
    users = access.ticket_assignees_for(request.user)
    section = request.POST.get("section")
    routing = RoutingForm(request.POST if section == "routing" else None, rules=rules, departments=departments,
                          users=users)
    initial = [{"urgency": p.urgency, "tier": p.tier, "first_response_minutes": p.first_response_minutes,
                "commitment_minutes": p.commitment_minutes, "update_minutes": p.update_minutes,
                "calendar": p.calendar_id}
               for p in selectors.sla_policy_list()]
    policies = PolicyFormSet(request.POST if section == "policies" else None, initial=initial, prefix="policy")
    if section == "routing" and routing.is_valid():
        data = routing.cleaned_data
        try:
            services.ticket_routing_save(
                actor=request.user,
                routes={c: data[f"route_{c}"] for c in rules.keys() | {f.name[len("route_"):]
                                                                       for f in routing.route_fields()}},
                supervisors={d: data[f"supervisor_{d.pk}"] for d in routing.departments})
        except ValidationError as exc:
            apply_service_error(routing, exc)
        else:
            messages.success(request, _("Routing saved."))
            return redirect("tickets:settings")
    if section == "policies" and policies.is_valid():
        services.sla_policies_save(actor=request.user, rows=policies.cleaned_data)
        messages.success(request, _("SLA policies saved."))
        return redirect("tickets:settings")
    return render(request, "tickets/settings.html", {"routing": routing, "policies": policies},
                  status=400 if request.method == "POST" else 200)
