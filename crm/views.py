"""Browser pages of the customer app. Parse, call a selector or service, render."""
from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import access
from core.forms import apply_service_error
from core.keyset import keyset_page
from core.masking import mask
from core.services import audit_export_record, audit_reveal_record, audit_reveals_record
from crm import exports, selectors, services
from crm.forms import (
    DEFAULT_SORT,
    KEYSET_SORTS,
    SORTS,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    InteractionForm,
    TransactionForm,
)
from crm.models import PERSONAL_FIELDS, Contact, Customer, Transaction

PAGE_SIZE = 25
# A count reads up to COUNT_CAP + 1 index entries (and joins, for a segment filter)
# on every list view, so it stays small; past it the page says "more than".
COUNT_CAP = 1_000
SORTABLE = ("name", "created", "first_deal")
# The list never shows these; deferring them also skips their decryption.
LIST_DEFERRED = (*PERSONAL_FIELDS, "notes", "birthday")


def capped_count(queryset) -> tuple[int, bool]:
    """Counts at most ``COUNT_CAP`` + 1 rows (``SELECT COUNT(*) FROM (… LIMIT n)``):
    exact below the cap, "10,000+" above it, so a broad list over a large table
    never pays for a full count. ``(count, capped)``."""
    counted = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(counted, COUNT_CAP), counted > COUNT_CAP


@login_required
def home(request):
    return redirect("customer-list")


def _filtered_customers(request) -> tuple[CustomerFilterForm, object]:
    form = CustomerFilterForm(request.GET, user=request.user)
    return form, form.filter(selectors.customer_list_for_user(user=request.user))


def _sort_links(current: str) -> dict[str, dict]:
    """Per sortable column: the sort a click on its header asks for, and its arrow.
    A click on the current column flips it; names start A→Z, dates newest first."""
    links = {}
    for column in SORTABLE:
        if current.lstrip("-") == column:
            target = column if current.startswith("-") else f"-{column}"
            direction = "desc" if current.startswith("-") else "asc"
        else:
            target, direction = (column if column == "name" else f"-{column}"), ""
        links[column] = {"sort": target if target in SORTS else DEFAULT_SORT, "direction": direction}
    return links


@require_GET
@login_required
def customer_list(request):
    form, queryset = _filtered_customers(request)
    # Keyset pages (?after= / ?before=): a deep page reads 26 rows from the sort's index
    # instead of skipping thousands with OFFSET.
    cursor = request.GET.get("after") or request.GET.get("before")
    page = keyset_page(queryset.defer(*LIST_DEFERRED), sort=KEYSET_SORTS[form.sort_key], cursor=cursor,
                       size=PAGE_SIZE)
    count, capped = capped_count(queryset)
    return render(request, "crm/customer_list.html", {
        "form": form,
        "page": page,
        "count": count,
        "pages": max(1, -(-count // PAGE_SIZE)),
        "count_capped": capped,
        "sort_links": _sort_links(form.sort_key),
        "can_edit": access.can_edit_customers(request.user),
    })


def _personal_rows(*, customer: Customer, reveal: bool) -> list[dict]:
    rows = []
    for field in PERSONAL_FIELDS:
        value = getattr(customer, field) or ""
        rows.append({
            "name": field,
            "label": Customer._meta.get_field(field).verbose_name,
            "value": value if reveal else (mask(field, value) or ""),
            "masked": bool(value) and not reveal,
        })
    return rows


def _timeline(*, request, customer: Customer) -> list[dict]:
    entries = selectors.customer_timeline(customer=customer)
    if access.is_support(request.user):
        # Support works tickets, not money (see selectors.transaction_list_for_user).
        entries = [e for e in entries if e["kind"] != "transaction"]
    return entries


def _panels(*, request, customer: Customer, sources: list | None = None) -> list[str]:
    """Other apps' panels, each rendered with its own context (plus the customer)."""
    panels = []
    for panel_for in selectors.CUSTOMER_PANELS if sources is None else sources:
        panel = panel_for(request=request, customer=customer)
        if panel:
            panels.append(panel)
    panels.sort(key=lambda p: p.get("order", 100))
    return [
        mark_safe(render_to_string(p["template"], {**p.get("context", {}), "customer": customer}, request=request))
        for p in panels
    ]


@require_GET
@login_required
def customer_detail(request, pk: int):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk)
    reveal = access.can_see_personal_data(request.user)
    contacts = list(customer.contacts.all())
    now = timezone.now()
    if reveal:
        reveals = []
        if any(getattr(customer, f) for f in PERSONAL_FIELDS):
            reveals.append(("crm.customer", [customer.pk], PERSONAL_FIELDS))
        if shown := [c.pk for c in contacts if c.phone or c.email]:
            reveals.append(("crm.contact", shown, ("phone", "email")))
        if reveals:
            audit_reveals_record(user=request.user, reveals=reveals, channel="web", now=now)
    else:
        for contact in contacts:
            contact.phone = mask("phone", contact.phone)
            contact.email = mask("email", contact.email)
    return render(request, "crm/customer_detail.html", {
        "customer": customer,
        "personal": _personal_rows(customer=customer, reveal=reveal),
        "reveal": reveal,
        "contacts": contacts,
        "timeline": _timeline(request=request, customer=customer),
        "panels": _panels(request=request, customer=customer),
        "segment": getattr(customer, "segment", None),
        "can_edit": access.can_edit_customers(request.user),
        "can_see_money": not access.is_support(request.user),
        "today": timezone.localdate(now),
    })


@require_http_methods(["GET", "POST"])
@login_required
def customer_create(request):
    if not access.can_edit_customers(request.user):
        raise PermissionDenied
    form = CustomerForm(request.POST or None, user=request.user, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, data=form.to_service_data(only_changed=False),
                                                now=timezone.now())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Customer created."))
            return redirect("customer-detail", customer.pk)
    return render(request, "crm/customer_form.html", {"form": form, "customer": None})


@require_http_methods(["GET", "POST"])
@login_required
def customer_edit(request, pk: int):
    customer = selectors.customer_editable_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        form = CustomerForm(request.POST, user=request.user, today=timezone.localdate(), customer=customer)
        if form.is_valid():
            try:
                services.customer_update(actor=request.user, customer=customer,
                                         data=form.to_service_data(only_changed=True))
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("customer-detail", customer.pk)
            # The service may have set attributes before refusing; show what is stored.
            customer.refresh_from_db()
    else:
        form = CustomerForm(user=request.user, today=timezone.localdate(), customer=customer)
        if any(getattr(customer, f) for f in PERSONAL_FIELDS):
            audit_reveal_record(user=request.user, object_type="crm.customer", object_ids=[customer.pk],
                                fields=PERSONAL_FIELDS, channel="web", now=timezone.now())
    return render(request, "crm/customer_form.html", {"form": form, "customer": customer})


def _child_create(request, *, pk: int, form, save, done_message, title):
    """The add-contact and add-transaction pages: one form under a customer the
    user may edit, saved by ``save(customer, data)`` (a service)."""
    customer = selectors.customer_editable_for_user(user=request.user, pk=pk)
    if request.method == "POST" and form.is_valid():
        try:
            save(customer, form.to_service_data())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, done_message)
            return redirect("customer-detail", customer.pk)
    return render(request, "crm/child_form.html", {"form": form, "customer": customer, "title": title})


@require_http_methods(["GET", "POST"])
@login_required
def contact_create(request, pk: int):
    return _child_create(
        request, pk=pk, form=ContactForm(request.POST or None, today=timezone.localdate()),
        save=lambda customer, data: services.contact_save(contact=Contact(customer=customer), data=data),
        done_message=_("Contact added."), title=_("Add contact"))


@require_http_methods(["GET", "POST"])
@login_required
def transaction_create(request, pk: int):
    today = timezone.localdate()
    return _child_create(
        request, pk=pk, form=TransactionForm(request.POST or None, today=today, initial={"occurred_on": today}),
        save=lambda customer, data: services.transaction_save(txn=Transaction(customer=customer), data=data),
        done_message=_("Transaction added."), title=_("Add transaction"))


@require_http_methods(["GET", "POST"])
@login_required
def interaction_create(request, pk: int):
    """Log a follow-up. With HTMX the form opens inside the customer page and a
    save swaps the timeline in place; without JS it is an ordinary page and POST."""
    customer = selectors.customer_editable_for_user(user=request.user, pk=pk)
    now = timezone.now()
    if request.method == "POST":
        form = InteractionForm(request.POST, user=request.user, customer=customer, now=now)
        if form.is_valid():
            try:
                services.interaction_log(actor=request.user, customer=customer, data=form.to_service_data(),
                                         now=now)
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                if request.htmx:
                    return render(request, "crm/_interaction_saved.html", {
                        "customer": customer,
                        "timeline": _timeline(request=request, customer=customer),
                        "today": timezone.localdate(now),
                    })
                messages.success(request, _("Follow-up logged."))
                return redirect("customer-detail", customer.pk)
    else:
        form = InteractionForm(user=request.user, customer=customer, now=now)
    template = "crm/_interaction_form.html" if request.htmx else "crm/interaction_form_page.html"
    return render(request, template, {"form": form, "customer": customer, "inline": bool(request.htmx),
                                      "form_panels": _form_panels(request=request, customer=customer)})


def _form_panels(*, request, customer: Customer) -> list:
    """The follow-up form's panels, rendered when the form template reaches them (so
    the form stays the response's first template)."""
    def render_all() -> str:
        return mark_safe("".join(_panels(request=request, customer=customer, sources=selectors.FOLLOWUP_FORM_PANELS)))

    return [lazy(render_all, SafeString)()] if selectors.FOLLOWUP_FORM_PANELS else []


def _export_rows(request):
    """The filtered list's rows for an export, the export audited (count, then each unmasked chunk)."""
    _form, queryset = _filtered_customers(request)
    now = timezone.now()
    audit_export_record(user=request.user, object_type="crm.customer", count=queryset.count(), channel="export",
                        now=now)
    return exports.export_rows(user=request.user, queryset=queryset, now=now)


@require_GET
@login_required
def customer_export_csv(request):
    rows = _export_rows(request)
    response = StreamingHttpResponse(exports.csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-{timezone.localdate():%Y%m%d}.csv"'
    return response


@require_GET
@login_required
def customer_export_xlsx(request):
    rows = _export_rows(request)
    # The write-only workbook streams its rows to disk; the response streams the file.
    file = tempfile.TemporaryFile()
    exports.xlsx_write(rows, file)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=f"customers-{timezone.localdate():%Y%m%d}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

