"""Uploads, stages and error reports of imports: encrypted in the database, swept."""
from __future__ import annotations

import datetime as dt

import pytest

from config.celery_app import app
from crm.importing import storage
from crm.models import ImportFile, ImportFileChunk

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone.utc)


def test_a_file_is_stored_in_encrypted_chunks_and_read_back(alice, monkeypatch):
    monkeypatch.setattr(storage, "CHUNK_BYTES", 10)
    data = "name,phone\n李雷,13812345678\n".encode("utf-8")
    f = storage.import_file_store(owner=alice, purpose="upload", data=[data[:7], data[7:]], now=NOW, filename="c.csv")
    chunks = list(ImportFileChunk.objects.filter(file=f).values_list("data", flat=True))
    assert len(chunks) == 3 and f.size == len(data) == 30
    assert b"13812345678" not in b"".join(bytes(c) for c in chunks)
    assert storage.import_file_read(file=f) == data


def test_the_sweep_deletes_uploads_and_stages_after_24_hours_and_error_reports_after_30_days(alice):
    def make(purpose, age):
        return storage.import_file_store(owner=alice, purpose=purpose, data=b"x", now=NOW - age).pk

    old_upload, old_stage = make("upload", dt.timedelta(hours=25)), make("stage", dt.timedelta(hours=25))
    fresh_upload, recent_errors = make("upload", dt.timedelta(hours=23)), make("errors", dt.timedelta(days=29))
    old_errors = make("errors", dt.timedelta(days=31))
    assert storage.import_files_sweep(now=NOW) == 3
    assert set(ImportFile.objects.values_list("pk", flat=True)) == {fresh_upload, recent_errors}
    assert not ImportFileChunk.objects.filter(file_id__in=[old_upload, old_stage, old_errors]).exists()


def test_the_sweep_is_on_the_beat_schedule():
    assert app.conf.beat_schedule["crm-import-files-sweep"]["task"] == "crm.import_files_sweep"
    from crm import tasks

    assert tasks.import_files_sweep.name == "crm.import_files_sweep"
