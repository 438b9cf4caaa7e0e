"""Browser pages: mailbox settings and webhooks (admins), the triage list of
e-mails from unknown senders (support and admins). Parse, call, render; anyone
else gets 404 (the pages do not exist for them)."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import access
from core.forms import apply_service_error, save_or_show_errors
from crm.selectors import customer_list_for_user
from integrations import selectors, services
from integrations.forms import CustomerSearchForm, MailboxForm, TriageAssignForm, TriageCreateForm, WebhookForm

PAGE_SIZE = 50


def _only(check):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise Http404
            return view(request, *args, **kwargs)
        return wrapper
    return decorator


admin_only = _only(access.is_admin)
triage_only = _only(selectors.can_triage)


@admin_only
def mailbox_list(request):
    return render(request, "integrations/mailbox_list.html", {"mailboxes": selectors.mailbox_list()})


@admin_only
@require_http_methods(["GET", "POST"])
def mailbox_edit(request, pk: int | None = None):
    instance = selectors.mailbox_list().filter(pk=pk).first() if pk is not None else None
    if pk is not None and instance is None:
        raise Http404
    form = MailboxForm(request.POST or None, instance=instance)
    if request.method == "POST" and request.POST.get("delete") and instance is not None:
        services.mailbox_delete(mailbox=instance)
        messages.success(request, _("Mailbox deleted."))
        return redirect("integrations:mailboxes")
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        # The form wrote into ``instance``; the service re-applies and saves (blank password kept).
        fresh = selectors.mailbox_list().filter(pk=pk).first() if pk is not None else None
        saved = save_or_show_errors(request, form, lambda: services.mailbox_save(mailbox=fresh, data=data,
                                                                                 now=timezone.now()),
                                    then="integrations:mailboxes", success=_("Mailbox saved."))
        if saved:
            return saved
    return render(request, "integrations/mailbox_form.html", {"form": form, "instance": instance})


@triage_only
def triage_list(request):
    page = Paginator(selectors.triage_list_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "integrations/triage_list.html", {"page": page})


@triage_only
@require_http_methods(["GET", "POST"])
def triage_detail(request, pk: int):
    email = selectors.triage_get_for_user(user=request.user, pk=pk)
    search = CustomerSearchForm(request.GET or None)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    scope = customer_list_for_user(user=request.user)
    found = list(scope.filter(name__icontains=query).order_by("name", "id")[:20]) if query else []
    assign, create = TriageAssignForm(), TriageCreateForm(initial={"name": email.from_name})
    if request.method == "POST":
        now = timezone.now()
        action = request.POST.get("action")
        try:
            if action == "assign":
                assign = TriageAssignForm(request.POST)
                if assign.is_valid():
                    customer = scope.filter(pk=assign.cleaned_data["customer"]).first()
                    if customer is None:
                        raise Http404
                    ticket = services.triage_assign(email=email, actor=request.user, customer=customer, now=now,
                                                    remember_sender=assign.cleaned_data["remember_sender"])
                    messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
                    return redirect("tickets:detail", ticket.pk)
            elif action == "create":
                create = TriageCreateForm(request.POST)
                if create.is_valid():
                    ticket = services.triage_create_customer(email=email, actor=request.user,
                                                             name=create.cleaned_data["name"], now=now)
                    messages.success(request, _("Customer created and ticket %(number)s opened.")
                                     % {"number": ticket.number})
                    return redirect("tickets:detail", ticket.pk)
            elif action == "dismiss":
                services.triage_dismiss(email=email, actor=request.user, now=now)
                messages.success(request, _("Message dismissed."))
                return redirect("integrations:triage")
        except ValidationError as error:
            apply_service_error(create if action == "create" else assign, error)
    return render(request, "integrations/triage_detail.html", {
        "email": email, "search": search, "query": query, "found": found, "assign": assign, "create": create})


@login_required
def attachment_download(request, ticket_pk: int, pk: int):
    attachment = selectors.ticket_attachment_get_for_user(user=request.user, ticket_pk=ticket_pk, pk=pk)
    # Served as a download, never inline: the file came from outside.
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                        content_type="application/octet-stream")


@admin_only
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    form = WebhookForm(request.POST or None)
    created_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            hook, created_secret = services.webhook_create(actor=request.user, now=timezone.now(), **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            # Rendered (not redirected) so the secret is shown exactly once.
            messages.success(request, _("Webhook saved."))
            form = WebhookForm()
    return render(request, "integrations/webhook_list.html", {
        "webhooks": selectors.webhook_list_for_user(user=request.user), "form": form,
        "created_secret": created_secret})


@admin_only
def webhook_detail(request, pk: int):
    hook = selectors.webhook_get_for_user(user=request.user, pk=pk)
    page = Paginator(selectors.webhook_deliveries(webhook=hook), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "integrations/webhook_detail.html", {"hook": hook, "page": page})


@admin_only
@require_POST
def webhook_redeliver(request, pk: int, uuid):
    hook = selectors.webhook_get_for_user(user=request.user, pk=pk)
    delivery = selectors.webhook_delivery_get(webhook=hook, uuid=uuid)
    try:
        services.webhook_delivery_redeliver(delivery=delivery, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The delivery will be sent again."))
    return redirect("integrations:webhook-detail", hook.pk)
