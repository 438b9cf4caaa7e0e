"""Starting, committing and cancelling imports; reading them, scoped to the user.

Everything wrong with the input as a whole (unreadable or empty file, unknown
import type, a mapping to unknown fields, a team the user may not pick) is a
ValidationError with a message per field *before* anything is stored."""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core import access
from core.jobs import job_cancel, job_enqueue
from core.models import Job
from crm.importing import reading, specs, storage
from crm.importing.jobs import KIND
from crm.models import ImportFile, Team


def max_upload_bytes() -> int:
    return settings.CRM_IMPORT_MAX_UPLOAD_BYTES


def _team_for(*, actor, team: Team | None) -> int | None:
    if team is None:
        return actor.team_id
    if not access.is_admin(actor) and team.pk != actor.team_id:
        raise ValidationError({"team": [_("You can only put customers in your own team.")]})
    return team.pk


def too_large_message() -> str:
    return _("The file is larger than %(mb)s MB.") % {"mb": max_upload_bytes() // (1024 * 1024)}


def import_prepare(*, entity: str, upload, request_bytes: int = 0) -> list[str]:
    """The header row of an upload that can be imported (else ValidationError).
    ``request_bytes``: the request's size; past the cap Django drops the file
    (uploads are never spooled to disk), so it is the only sign of a large one."""
    if upload is None and request_bytes > max_upload_bytes():
        raise ValidationError({"file": [too_large_message()]})
    if entity not in specs.ENTITIES:
        raise ValidationError({"entity": [_("Unknown import type “%(entity)s”. Choose one of: %(known)s.")
                                          % {"entity": entity, "known": ", ".join(specs.ENTITIES)}]})
    if upload is None:
        raise ValidationError({"file": [_("Upload a CSV or XLSX file.")]})
    if upload.size > max_upload_bytes():
        raise ValidationError({"file": [too_large_message()]})
    if upload.size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    try:
        headers, has_rows = reading.read_headers(content=content, filename=upload.name)
    except reading.FileError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    if not has_rows:
        raise ValidationError({"file": [_("The file has no data rows.")]})
    return headers


@transaction.atomic
def import_upload_store(*, actor, entity: str, upload, team: Team | None, now: datetime,
                        request_bytes: int = 0) -> ImportFile:
    """Check the file as a whole and keep it (encrypted) for a job; no job yet."""
    headers = import_prepare(entity=entity, upload=upload, request_bytes=request_bytes)
    team_id = _team_for(actor=actor, team=team)
    return storage.import_file_store(owner=actor, purpose=ImportFile.Purpose.UPLOAD, data=upload.chunks(), now=now,
                                     filename=upload.name, meta={"entity": entity, "headers": headers,
                                                                 "team_id": team_id})


@transaction.atomic
def import_queue(*, actor, upload: ImportFile, mapping: dict[str, str] | None, dry_run: bool, now: datetime,
                 keep_upload: bool = False) -> Job:
    """Queue the import job of a stored upload; the job owns (and at its end deletes) it.
    ``keep_upload`` (the pages' preview): a dry run gives the upload back when it ends, so
    the preview can be mapped again and re-checked without a second upload; the commit
    of a preview, or the 24-hour sweep, deletes it."""
    entity, headers = upload.meta["entity"], upload.meta["headers"]
    if mapping is None:
        mapping = specs.auto_mapping(headers, entity)
    problems = specs.mapping_errors(entity=entity, headers=headers, mapping=mapping)
    if problems:
        raise ValidationError({"mapping": problems})
    params = {"entity": entity, "filename": upload.filename, "mapping": mapping, "dry_run": dry_run,
              "team_id": upload.meta.get("team_id")}
    if keep_upload and dry_run:
        params["upload_id"] = upload.pk
    job = job_enqueue(kind=KIND, params=params, actor=actor, now=now)
    upload.job = job
    upload.meta = {**upload.meta, "mapping": mapping}
    upload.save(update_fields=["job", "meta"])
    return job


@transaction.atomic
def import_start(*, actor, entity: str, upload, mapping: dict[str, str] | None, dry_run: bool,
                 team: Team | None, now: datetime, request_bytes: int = 0) -> Job:
    """Both steps at once (the API): nothing is stored when either refuses."""
    stored = import_upload_store(actor=actor, entity=entity, upload=upload, team=team, now=now,
                                 request_bytes=request_bytes)
    return import_queue(actor=actor, upload=stored, mapping=mapping, dry_run=dry_run, now=now)


def import_upload_of_preview(*, user, preview: Job) -> ImportFile | None:
    """The stored upload a finished preview of the pages can be mapped again from (None once
    it was imported, swept, or while the preview runs)."""
    pk = preview.params.get("upload_id")
    if not pk or preview.status in Job.ACTIVE:
        return None
    return ImportFile.objects.filter(pk=pk, owner=user, purpose=ImportFile.Purpose.UPLOAD, job__isnull=True).first()


def import_upload_get_for_user(*, user, pk) -> ImportFile:
    """A stored upload not yet given to a job, of this user (404 otherwise)."""
    return get_object_or_404(ImportFile.objects.filter(owner=user, purpose=ImportFile.Purpose.UPLOAD,
                                                       job__isnull=True), pk=pk)


@transaction.atomic
def import_commit(*, actor, preview: Job, now: datetime) -> Job:
    """Write exactly what the dry run ``preview`` validated (its stage)."""
    if not (preview.params.get("dry_run") and preview.status == Job.Status.SUCCEEDED
            and preview.summary.get("errors") == 0
            and ImportFile.objects.filter(job=preview, purpose=ImportFile.Purpose.STAGE).exists()):
        raise ValidationError(_("Only a finished preview without errors can be imported (once)."))
    if Job.objects.filter(kind=KIND, params__commit_of=preview.pk).exclude(
            status__in=[Job.Status.FAILED, Job.Status.CANCELLED]).exists():
        raise ValidationError(_("This preview is already being imported."))
    params = {k: preview.params[k] for k in ("entity", "filename", "mapping", "team_id")}
    if preview.params.get("upload_id"):
        # The stage is what gets written: the upload kept for re-mapping is not needed any more.
        ImportFile.objects.filter(pk=preview.params["upload_id"], owner=actor,
                                  purpose=ImportFile.Purpose.UPLOAD, job__isnull=True).delete()
    return job_enqueue(kind=KIND, params={**params, "dry_run": False, "commit_of": preview.pk}, actor=actor, now=now)


@transaction.atomic
def import_cancel(*, actor, job: Job, now: datetime) -> Job:
    """Cancel a queued or running import (it writes nothing); its upload goes at once."""
    job = job_cancel(job=job, actor=actor, now=now)
    storage.import_files_delete(job=job)
    return job


def import_list_for_user(*, user) -> QuerySet[Job]:
    from core.selectors import jobs_for_user

    return jobs_for_user(user=user).filter(kind=KIND).order_by("-created_at", "-id")


def import_get_for_user(*, user, pk) -> Job:
    return get_object_or_404(import_list_for_user(user=user), pk=pk)
