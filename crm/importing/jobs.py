"""The import job (kind "crm.import"), as the worker runs it.

params: entity, filename, mapping, dry_run, team_id — the upload is the job's
ImportFile of purpose "upload" — or commit_of: the id of a dry-run job whose
validated stage this job writes (the file is not read or checked again).

Validation reads the clear bytes in memory only; a cancel (``progress.update``
raises) before or during the write rolls the write's transaction back, so a
cancelled import writes nothing. The upload is deleted whatever happens."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.jobs import JobFailed, job_handler
from crm import activity
from crm.importing import engine, reading, storage, writing
from crm.models import ImportFile

KIND = "crm.import"


class ImportFailed(JobFailed):
    """The import wrote nothing; the message (the job's error) is for the user,
    the summary (if any) says what the rows held."""


def _write(stage, progress, offset: int) -> None:
    total = offset + stage.rows
    with transaction.atomic():
        writing.write_stage(stage=stage, progress=lambda done: progress.update(offset + done, total))
        # The last chance to see a cancel before the rows are committed.
        progress.check()
    # The activity spells of the customers the rows touched, here in the worker, not in the
    # next metric read (a million imported transactions: tens of seconds).
    activity.refresh()


def _commit(job, progress) -> dict:
    stage_file = ImportFile.objects.filter(job_id=job.params["commit_of"], purpose=ImportFile.Purpose.STAGE).first()
    if stage_file is None:
        raise ImportFailed(_("The preview of this import has expired. Upload the file again."))
    stage = storage.stage_load(file=stage_file)
    progress.update(0, stage.rows)
    try:
        _write(stage, progress, 0)
    except writing.StaleStage:
        raise ImportFailed(writing.stale_message()) from None
    stage_file.delete()
    return {"created": stage.created, "updated": stage.updated, "unchanged": stage.unchanged, "errors": 0,
            "rows": stage.rows + stage.unchanged, "written": True}


def refused_message(error_rows: int) -> str:
    return ngettext(
        "Nothing was imported: %(n)s row has errors and the import is all-or-nothing. Fix it in the file "
        "(the error report lists it) and upload the file again.",
        "Nothing was imported: %(n)s rows have errors and the import is all-or-nothing. Fix them in the file "
        "(the error report lists every one) and upload the file again.", error_rows) % {"n": error_rows}


@job_handler(KIND)
def import_job_run(*, job, progress) -> dict:
    params = job.params
    if job.created_by is None:
        raise ImportFailed(_("The user who started this import no longer exists."))
    if params.get("commit_of"):
        return _commit(job, progress)
    try:
        upload = ImportFile.objects.filter(job=job, purpose=ImportFile.Purpose.UPLOAD).first()
        if upload is None:
            raise ImportFailed(_("The uploaded file is gone (uploads are kept 24 hours). Upload it again."))
        content = storage.import_file_read(file=upload)
        estimate = max(1, reading.count_rows(content=content, filename=params["filename"]))
        dry_run = bool(params.get("dry_run"))
        progress.update(0, estimate if dry_run else 2 * estimate)
        now = job.started_at or job.created_at
        try:
            validation = engine.import_validate(
                actor=job.created_by, entity=params["entity"], content=content, filename=params["filename"],
                mapping=params["mapping"], today=timezone.localdate(job.created_at), now=now,
                default_team_id=params.get("team_id"), progress=lambda done: progress.update(min(done, estimate)))
        except reading.FileError as exc:
            raise ImportFailed(str(exc)) from None
        del content
        summary = {**validation.summary(), "rows": validation.rows, "written": False}
        if len(validation.errors):
            storage.errors_store(errors=validation.errors, owner=job.created_by, job=job, now=now)
        end = validation.rows * (1 if dry_run or not validation.ok else 2)
        if not validation.ok and not dry_run:
            # All-or-nothing: rows with errors mean nothing is written, and the job failed.
            progress.update(end, end)
            raise ImportFailed(refused_message(validation.error_rows), summary={
                **summary, "created": 0, "updated": 0, "unchanged": 0})
        if dry_run and validation.ok:
            storage.stage_store(stage=validation.stage, owner=job.created_by, job=job, now=now)
        elif validation.ok:
            try:
                _write(validation.stage, progress, validation.rows)
            except writing.StaleStage:
                raise ImportFailed(writing.stale_message()) from None
            summary["written"] = True
        progress.update(end, end)
        return summary
    finally:
        uploads = ImportFile.objects.filter(job=job, purpose=ImportFile.Purpose.UPLOAD)
        if params.get("upload_id") and params.get("dry_run"):
            uploads.update(job=None)  # back to the preview page, to be mapped again (services.import_queue)
        else:
            uploads.delete()
