"""Browser pages for importing CSV/XLSX files over crm.importing.

Step 1 uploads a file; its rows are stored server-side under a random id in the
uploader's own folder (another user's id is simply not found: 404). Step 2 maps
columns and shows a dry run; step 3 commits, all-or-nothing."""
from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from core import roles
from crm import importing
from crm.import_forms import ENTITY_LABELS, ColumnMappingForm, ImportUploadForm, field_label

UPLOAD_TTL_SECONDS = 24 * 3600
PREVIEW_ROWS = 200  # rows shown besides the rows with errors
PREVIEW_ERROR_ROWS = 500
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _require_editor(user) -> None:
    if not roles.can_edit_customers(user):
        raise PermissionDenied


def _upload_dir(*, user) -> Path:
    base = Path(getattr(settings, "CRM_IMPORT_DIR", Path(settings.VAR_DIR) / "imports"))
    return base / str(user.pk)


def upload_store(*, user, entity: str, filename: str, rows: list[dict[str, str]]) -> str:
    """Keep an upload's rows for its owner; returns the random id of the upload."""
    folder = _upload_dir(user=user)
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for old in folder.glob("*.json"):  # forget the user's abandoned uploads
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    headers = [h for h in rows[0].keys() if h]
    payload = {"entity": entity, "filename": filename, "headers": headers, "rows": rows}
    (folder / f"{token}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return token


def _upload_path(*, user, token: str) -> Path:
    if not TOKEN_RE.match(token):
        raise Http404
    path = _upload_dir(user=user) / f"{token}.json"
    if not path.is_file():
        raise Http404
    return path


def upload_get_for_user(*, user, token: str) -> dict:
    """The user's own upload; anyone else's id (or an expired one) is a 404."""
    return json.loads(_upload_path(user=user, token=token).read_text(encoding="utf-8"))


@require_http_methods(["GET", "POST"])
@login_required
def customer_import(request):
    """Step 1: choose what to import and upload the file."""
    _require_editor(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None,
                            initial={"entity": request.GET.get("entity", "customers")})
    if request.method == "POST" and form.is_valid():
        token = upload_store(user=request.user, entity=form.cleaned_data["entity"],
                             filename=form.cleaned_data["file"].name, rows=form.rows)
        return redirect("customer-import-preview", token)
    return render(request, "crm/import_upload.html", {"form": form, "entities": list(ENTITY_LABELS.items())})


def _preview_rows(*, report: importing.ImportReport, upload: dict, mapping: dict[str, str]) -> list[dict]:
    header_of = {f: h for h, f in mapping.items()}
    entity = upload["entity"]
    errors_shown = 0
    out = []
    for index, result in enumerate(report.rows):
        if result.action == "error":
            errors_shown += 1
            if errors_shown > PREVIEW_ERROR_ROWS:
                continue
        elif index >= PREVIEW_ROWS:
            continue
        raw = upload["rows"][result.row - 2]
        errors = []
        for field_name, messages in result.errors.items():
            if field_name in header_of:
                label = f"{header_of[field_name]} ({field_name})"
            elif field_name == "non_field_errors":
                label = ""
            else:
                label = field_label(entity=entity, field_name=field_name)
            errors.append({"field": field_name, "label": label, "messages": messages})
        out.append({"row": result.row, "action": result.action, "errors": errors,
                    "cells": [raw.get(h, "") for h in upload["headers"]]})
    return out


ACTION_LABELS = {"create": _("create"), "update": _("update"), "duplicate": _("duplicate"), "error": _("error")}


@require_http_methods(["GET", "POST"])
@login_required
def customer_import_preview(request, token: str):
    """Step 2 (mapping + dry run) and step 3 (``action=import`` commits, all-or-nothing)."""
    _require_editor(request.user)
    upload = upload_get_for_user(user=request.user, token=token)
    entity = upload["entity"]
    form = ColumnMappingForm(request.POST or None, entity=entity, headers=upload["headers"])
    commit = request.method == "POST" and request.POST.get("action") == "import"
    report = None
    # Unbound: the pre-filled mapping is previewed at once (when it maps anything).
    if (form.is_valid() if form.is_bound else True) and form.mapping():
        report = importing.import_run(actor=request.user, entity=entity, rows=upload["rows"],
                                      mapping=form.mapping(), dry_run=not commit, now=timezone.now())
    if report is not None and report.written:
        _upload_path(user=request.user, token=token).unlink(missing_ok=True)
        return render(request, "crm/import_done.html", {
            "entity": entity, "entity_label": ENTITY_LABELS[entity], "summary": report.summary,
            "filename": upload["filename"]})
    return render(request, "crm/import_preview.html", {
        "upload": upload,
        "token": token,
        "entity_label": ENTITY_LABELS[entity],
        "form": form,
        "report": report,
        "committed": commit,
        "nothing_mapped": report is None and not form.errors,
        "summary": report.summary if report else None,
        "rows": _preview_rows(report=report, upload=upload, mapping=form.mapping()) if report else [],
        "shown_all": report is None or len(report.rows) <= PREVIEW_ROWS,
        "action_labels": ACTION_LABELS,
    })


@require_GET
@login_required
def customer_import_template(request, entity: str):
    """An empty CSV with the header row an import of ``entity`` understands."""
    _require_editor(request.user)
    if entity not in importing.ENTITY_FIELDS:
        raise Http404
    buf = io.StringIO()
    csv.writer(buf).writerow(importing.ENTITY_FIELDS[entity])
    response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{entity}-template.csv"'
    return response
