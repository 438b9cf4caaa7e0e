"""Attachments and raw messages go through Django's storage API: the local folder by
default, an S3-compatible store when FILE_STORAGE=s3 (config/storage.py). The S3 path is
checked against a real S3-speaking HTTP server on 127.0.0.1 (moto's server mode)."""
from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.conf import settings as django_settings
from django.core.files.storage import storages

from config.storage import LOCAL_BACKEND, S3_BACKEND, default_storage_from_env
from crm.models import Contact
from crm.services import contact_save, customer_create
from integrations import services

BASE_DIR = Path(__file__).resolve().parents[2]


def test_the_local_folder_is_the_default_and_s3_is_chosen_by_setting():
    assert default_storage_from_env({}) == {"BACKEND": LOCAL_BACKEND}
    assert default_storage_from_env({"FILE_STORAGE": "local"}) == {"BACKEND": LOCAL_BACKEND}
    chosen = default_storage_from_env({"FILE_STORAGE": "S3", "S3_BUCKET": "crm-files",
                                       "S3_ENDPOINT_URL": "https://s3.example.com", "S3_REGION": "cn-north-1",
                                       "S3_ACCESS_KEY_ID": "AK", "S3_SECRET_ACCESS_KEY": "SK"})
    assert chosen["BACKEND"] == S3_BACKEND
    assert chosen["OPTIONS"] == {
        "bucket_name": "crm-files", "endpoint_url": "https://s3.example.com", "region_name": "cn-north-1",
        "access_key": "AK", "secret_key": "SK", "default_acl": None, "querystring_auth": True,
        "file_overwrite": False}


def test_a_wrong_or_incomplete_storage_setting_stops_start_up():
    with pytest.raises(ImproperlyConfigured, match="S3_BUCKET"):
        default_storage_from_env({"FILE_STORAGE": "s3"})
    with pytest.raises(ImproperlyConfigured, match="FILE_STORAGE"):
        default_storage_from_env({"FILE_STORAGE": "ftp"})


@pytest.mark.parametrize("kind, expected", [("", "FileSystemStorage"), ("s3", "S3Storage")])
def test_the_settings_give_django_the_storage_the_environment_names(kind, expected):
    """What the running app gets (the production settings, in a fresh interpreter), not the helper alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "FILE_STORAGE", "DJANGO_SETTINGS"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="k" * 50,
               FIELD_ENCRYPTION_KEY="f" * 32, DATABASE_URL="sqlite:///unused.sqlite3", SITE_URL="https://crm.example",
               FILE_STORAGE=kind, S3_BUCKET="crm-files", S3_REGION="us-east-1")
    code = ("import django; django.setup(); from django.core.files.storage import storages; "
            "print(type(storages['default']).__name__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_server():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings):
    import boto3

    env = {"FILE_STORAGE": "s3", "S3_BUCKET": "crm-test-files", "S3_ENDPOINT_URL": s3_server,
           "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test",
           "S3_ADDRESSING_STYLE": "path"}
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    client.create_bucket(Bucket="crm-test-files")
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env(env)}  # resets default_storage
    return client


@pytest.mark.django_db
def test_attachments_and_the_raw_message_land_in_the_s3_store(s3_storage, ada, now, client):
    customer = customer_create(actor=ada, data={"name": "Acme Printing", "email": "orders@acme.example"}, now=now)
    contact_save(contact=Contact(customer=customer), data={"name": "Li Lei", "email": "li.lei@acme.example"})
    boundary = "b1"
    raw = (f"From: li.lei@acme.example\r\nSubject: files\r\nMessage-ID: <s3@acme.example>\r\nMIME-Version: 1.0\r\n"
           f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n--{boundary}\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n--{boundary}\r\n"
           f"Content-Type: image/png\r\nContent-Disposition: attachment; filename=\"scan.png\"\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(b'png-bytes' * 10).decode()}\r\n"
           f"--{boundary}--\r\n").encode()

    email, _ = services.inbound_receive(raw=raw, source="api", now=now)

    assert type(storages["default"]).__name__ == "S3Storage"
    attachment = email.attachments.get()
    stored = s3_storage.get_object(Bucket="crm-test-files", Key=attachment.file.name)["Body"].read()
    assert stored == b"png-bytes" * 10
    assert s3_storage.get_object(Bucket="crm-test-files", Key=email.raw.name)["Body"].read() == raw
    assert not Path(django_settings.MEDIA_ROOT, attachment.file.name).exists()  # not on the local disk

    client.force_login(ada)
    response = client.get(f"/channels/tickets/{email.ticket_id}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"png-bytes" * 10
