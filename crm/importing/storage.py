"""Uploads, stages and error reports of imports, encrypted in the database.

Each file is cut into chunks of at most CHUNK_BYTES, each sealed with the field
key (core.crypto.encrypt_bytes), so any worker can read them and none lies on
a disk in clear. Uploads and stages are deleted when their job ends;
``import_files_sweep`` (beat, hourly) deletes the abandoned ones after 24 hours
and error reports after 30 days."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Iterable, Iterator

import pandas as pd
from django.db import models, transaction

from core import crypto
from crm.importing import engine
from crm.importing.specs import ENTITY_MODELS
from crm.models import ImportFile, ImportFileChunk

CHUNK_BYTES = 4 * 1024 * 1024
ABANDONED_AFTER = timedelta(hours=24)
ERRORS_KEPT = timedelta(days=30)
API_ERROR_ROWS = 1000


def _pieces(data: bytes | Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut a stream of byte pieces into CHUNK_BYTES pieces (the last shorter)."""
    if isinstance(data, (bytes, bytearray)):
        data = [bytes(data)]
    buf = bytearray()
    for piece in data:
        buf += piece
        while len(buf) >= CHUNK_BYTES:
            yield bytes(buf[:CHUNK_BYTES])
            del buf[:CHUNK_BYTES]
    if buf:
        yield bytes(buf)


@transaction.atomic
def import_file_store(*, owner, purpose: str, data: bytes | Iterable[bytes], now: datetime, filename: str = "",
                      job=None, meta: dict | None = None) -> ImportFile:
    """Store ``data`` (bytes, or an iterable of pieces such as ``upload.chunks()``)
    encrypted; only one chunk is in memory at a time."""
    f = ImportFile.objects.create(owner=owner, purpose=purpose, filename=filename[:255], job=job,
                                  meta=meta or {}, created_at=now)
    size = 0
    for seq, piece in enumerate(_pieces(data)):
        ImportFileChunk.objects.create(file=f, seq=seq, data=crypto.encrypt_bytes(piece))
        size += len(piece)
    f.size = size
    f.save(update_fields=["size"])
    return f


def import_file_read(*, file: ImportFile) -> bytes:
    blobs = ImportFileChunk.objects.filter(file=file).order_by("seq").values_list("data", flat=True)
    return b"".join(crypto.decrypt_bytes(b) for b in blobs.iterator(chunk_size=4))


def import_files_delete(*, job) -> None:
    """The job's upload and stage (its error report stays for the report pages)."""
    ImportFile.objects.filter(job=job, purpose__in=[ImportFile.Purpose.UPLOAD, ImportFile.Purpose.STAGE]).delete()


def import_files_sweep(*, now: datetime) -> int:
    """Delete uploads and stages older than 24 hours whatever became of their job,
    and error reports older than 30 days. Returns the number of files deleted."""
    old = ImportFile.objects.filter(
        models.Q(purpose__in=[ImportFile.Purpose.UPLOAD, ImportFile.Purpose.STAGE],
                 created_at__lt=now - ABANDONED_AFTER)
        | models.Q(purpose=ImportFile.Purpose.ERRORS, created_at__lt=now - ERRORS_KEPT))
    ids = list(old.values_list("id", flat=True))
    ImportFileChunk.objects.filter(file_id__in=ids).delete()
    ImportFile.objects.filter(id__in=ids).delete()
    return len(ids)


# ---------------------------------------------------------------- stages and error reports


def stage_store(*, stage: engine.Stage, owner, job, now: datetime) -> ImportFile:
    def pieces():
        yield (",".join(stage.columns) + "\n").encode()
        for frame in stage.frames:
            yield frame[stage.columns].to_csv(header=False, index=False).encode("utf-8")

    meta = {"entity": stage.entity, "columns": stage.columns, "update_columns": stage.update_columns,
            "created": stage.created, "updated": stage.updated, "unchanged": stage.unchanged}
    return import_file_store(owner=owner, purpose=ImportFile.Purpose.STAGE, data=pieces(), now=now, job=job,
                             meta=meta)


def stage_load(*, file: ImportFile, chunk_rows: int = 100_000) -> engine.Stage:
    meta = file.meta
    model = ENTITY_MODELS[meta["entity"]]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    # Text columns that cannot be NULL keep ''; in every other column '' was NULL.
    keep_blank = {c for c, f in fields.items() if not f.null and isinstance(f, (models.CharField, models.TextField))}
    stage = engine.Stage(entity=meta["entity"], columns=meta["columns"], update_columns=meta["update_columns"],
                         created=meta["created"], updated=meta["updated"], unchanged=meta["unchanged"])
    content = import_file_read(file=file)
    for frame in pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, chunksize=chunk_rows):
        frame = frame.astype(object)
        for col in frame.columns:
            if col not in keep_blank:
                frame[col] = frame[col].where(frame[col] != "", None)
        stage.frames.append(frame)
    return stage


def errors_store(*, errors: pd.DataFrame, owner, job, now: datetime) -> ImportFile:
    buf = io.StringIO()
    errors[["row", "field", "message"]].to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
    return import_file_store(owner=owner, purpose=ImportFile.Purpose.ERRORS, data=("\ufeff" + buf.getvalue()).encode(
        "utf-8"), now=now, job=job, meta={"count": len(errors)})


def errors_csv(*, job) -> bytes:
    """Every error of the job as CSV (UTF-8 with BOM, for Excel); only a header when none."""
    f = ImportFile.objects.filter(job=job, purpose=ImportFile.Purpose.ERRORS).first()
    return import_file_read(file=f) if f else "\ufeffrow,field,message\n".encode("utf-8")


def errors_first(*, job, limit: int = API_ERROR_ROWS) -> list[dict]:
    f = ImportFile.objects.filter(job=job, purpose=ImportFile.Purpose.ERRORS).first()
    if f is None:
        return []
    frame = pd.read_csv(io.BytesIO(import_file_read(file=f)), encoding="utf-8-sig", dtype=str,
                        keep_default_na=False, nrows=limit)
    return [{"row": int(r["row"]), "field": r["field"], "message": r["message"]} for r in frame.to_dict("records")]


def errors_csv_response(*, job):
    """The error CSV as a download (the page and the API serve the same)."""
    from django.http import HttpResponse

    response = HttpResponse(errors_csv(job=job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
