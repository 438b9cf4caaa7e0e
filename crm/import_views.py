"""The import pages, over crm.importing's jobs.

1. /customers/import/ — past imports, and the upload (kept encrypted, no job yet);
2. /customers/import/file/<id>/ — the column mapping; "Preview" queues a dry-run job;
3. /customers/import/<job>/ — its live progress, then the result: counts and the
   rows with errors; "Import" queues a job that writes exactly the preview's
   validated stage (the file is not validated twice); "Change the column mapping"
   goes back to 2. for the same stored upload (no second upload)."""
from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import access
from core.forms import save_or_show_errors
from core.jobs import JobNotCancellable
from core.models import Job
from crm import importing
from crm.import_forms import ENTITY_LABELS, ColumnMappingForm, ImportUploadForm, error_label
from crm.importing import services, storage

PREVIEW_ERROR_ROWS = 500
LIST_SIZE = 50


def _require_editor(user) -> None:
    if not access.can_edit_customers(user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@login_required
def customer_import(request):
    """Step 1: past imports; choose what to import and upload the file."""
    _require_editor(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user,
                            initial={"entity": request.GET.get("entity", "customers")})
    if (request.method == "POST" and "file" not in request.FILES
            and int(request.META.get("CONTENT_LENGTH") or 0) > services.max_upload_bytes()):
        form.is_valid()
        form.errors["file"] = form.error_class([services.too_large_message()])  # Django dropped the file
    elif request.method == "POST" and form.is_valid():
        saved = save_or_show_errors(
            request, form, lambda: services.import_upload_store(
                actor=request.user, entity=form.cleaned_data["entity"], upload=form.cleaned_data["file"],
                team=form.cleaned_data.get("team"), now=timezone.now()),
            then=lambda stored: redirect("customer-import-mapping", stored.pk))
        if saved:
            return saved
    imports = list(services.import_list_for_user(user=request.user)[:LIST_SIZE])
    return render(request, "crm/import_upload.html", {
        "form": form, "entities": list(ENTITY_LABELS.items()), "imports": imports,
        "entity_labels": {k: str(v) for k, v in ENTITY_LABELS.items()}})


@require_http_methods(["GET", "POST"])
@login_required
def customer_import_mapping(request, pk: int):
    """Step 2: which field each column fills; then the dry run as a job."""
    _require_editor(request.user)
    upload = services.import_upload_get_for_user(user=request.user, pk=pk)
    entity = upload.meta["entity"]
    form = ColumnMappingForm(request.POST or None, entity=entity, headers=upload.meta["headers"],
                             mapping=upload.meta.get("mapping"))
    if request.method == "POST" and form.is_valid():
        saved = save_or_show_errors(
            request, form, lambda: services.import_queue(actor=request.user, upload=upload, mapping=form.mapping(),
                                                         dry_run=True, now=timezone.now(), keep_upload=True),
            then=lambda job: redirect("customer-import-job", job.pk))
        if saved:
            return saved
    return render(request, "crm/import_mapping.html", {
        "upload": upload, "entity": entity, "entity_label": ENTITY_LABELS[entity], "form": form})


def _error_rows(*, job: Job) -> list[dict]:
    mapping = job.params.get("mapping", {})
    entity = job.params.get("entity")
    rows: dict[int, dict] = {}
    for e in storage.errors_first(job=job, limit=PREVIEW_ERROR_ROWS * 4):
        row = rows.setdefault(e["row"], {"row": e["row"], "errors": []})
        if len(rows) > PREVIEW_ERROR_ROWS:
            rows.pop(e["row"])
            break
        row["errors"].append({"field": e["field"], "label": error_label(entity=entity, field_name=e["field"],
                                                                         mapping=mapping),
                              "message": e["message"]})
    return list(rows.values())


@require_GET
@login_required
def customer_import_job(request, pk: int):
    """Step 3: the job's progress while it runs; its result once it ended."""
    _require_editor(request.user)
    job = services.import_get_for_user(user=request.user, pk=pk)
    entity = job.params.get("entity", "customers")
    commit = None
    if job.params.get("dry_run"):
        commit = services.import_list_for_user(user=request.user).filter(params__commit_of=job.pk).first()
    summary = {k: (job.summary or {}).get(k, 0) for k in ("created", "updated", "unchanged", "errors")}
    return render(request, "crm/import_job.html", {
        "job": job, "entity": entity, "entity_label": ENTITY_LABELS.get(entity, entity), "summary": summary,
        "active": job.status in Job.ACTIVE, "dry_run": bool(job.params.get("dry_run")),
        "written": bool((job.summary or {}).get("written")), "commit": commit,
        "remap": services.import_upload_of_preview(user=request.user, preview=job) if commit is None else None,
        "can_commit": (commit is None and job.params.get("dry_run") and job.status == Job.Status.SUCCEEDED
                       and summary["errors"] == 0 and (job.summary or {}).get("rows", 0) > 0),
        "error_rows": _error_rows(job=job) if summary["errors"] else [],
        "more_errors": summary["errors"] > PREVIEW_ERROR_ROWS,
    })


def _job_button(request, pk: int, act, *, refused: type[Exception], message: str = ""):
    """A button on an import's page: ``act(job)`` (a service) returns the job to show
    next; when it raises ``refused`` the same job's page says why (``message``, else
    the error's own messages)."""
    _require_editor(request.user)
    job = services.import_get_for_user(user=request.user, pk=pk)
    try:
        job = act(job)
    except refused as error:
        messages.error(request, message or " ".join(error.messages))
    return redirect("customer-import-job", job.pk)


@require_POST
@login_required
def customer_import_commit(request, pk: int):
    return _job_button(request, pk, lambda preview: services.import_commit(actor=request.user, preview=preview,
                                                                           now=timezone.now()),
                       refused=ValidationError)


@require_POST
@login_required
def customer_import_cancel(request, pk: int):
    return _job_button(request, pk, lambda job: services.import_cancel(actor=request.user, job=job,
                                                                       now=timezone.now()),
                       refused=JobNotCancellable, message=_("This import has already ended."))


@require_GET
@login_required
def customer_import_errors(request, pk: int):
    _require_editor(request.user)
    job = services.import_get_for_user(user=request.user, pk=pk)
    return storage.errors_csv_response(job=job)


# One row per template that imports as it is (owner and team left empty: the importer's).
TEMPLATE_EXAMPLES = {
    "customers": {"name": "杭州示例贸易有限公司", "external_id": "ERP-00042", "source": "erp", "kind": "company",
                  "industry": "批发零售", "size": "small", "region": "华东", "first_deal_date": "2025-03-18",
                  "preferred_channel": "phone", "phone": "13812345678", "email": "buyer@example.com",
                  "address": "浙江省杭州市西湖区文三路 90 号", "notes": "年度框架协议客户"},
    "contacts": {"customer_external_id": "ERP-00042", "name": "王丽", "title": "采购经理", "phone": "13912345678",
                 "email": "wang.li@example.com", "is_primary": "true"},
    "transactions": {"customer_external_id": "ERP-00042", "external_id": "SO-2025-0318", "source": "erp",
                     "kind": "purchase", "amount": "12800.00", "occurred_on": "2025-03-18", "due_on": "2025-04-17",
                     "paid_on": "2025-04-10", "notes": "首单"},
    "interactions": {"customer_external_id": "ERP-00042", "occurred_at": "2025-04-20 10:30", "channel": "phone",
                     "summary": "电话回访，了解首单使用情况", "feedback": "希望交货更快", "next_action": "发送新报价单",
                     "next_action_due": "2025-04-25", "is_objection": "false"},
    "transaction_lines": {"transaction_external_id": "SO-2025-0318", "source": "erp", "product_code": "CRM-BASIC",
                          "quantity": "2", "amount": "12800.00"},
}


@require_GET
@login_required
def customer_import_template(request, entity: str):
    """The header row an import of ``entity`` understands and one realistic example row."""
    _require_editor(request.user)
    if entity not in importing.ENTITY_FIELDS:
        raise Http404
    buf = io.StringIO()
    fields = importing.ENTITY_FIELDS[entity]
    writer = csv.writer(buf)
    writer.writerow(fields)
    writer.writerow([TEMPLATE_EXAMPLES[entity].get(f, "") for f in fields])
    response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{entity}-template.csv"'
    return response
