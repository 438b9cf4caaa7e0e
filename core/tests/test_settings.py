import os
import subprocess
import sys


def test_production_settings_refuse_to_start_without_an_encryption_key():
    env = {k: v for k, v in os.environ.items() if k not in {"FIELD_ENCRYPTION_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="x" * 50,
               DATABASE_URL="sqlite:////tmp/x.sqlite3")
    r = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True,
                       text=True)
    assert r.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is not set" in r.stderr


def _production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="x" * 50,
               FIELD_ENCRYPTION_KEY="k", DATABASE_URL="sqlite:////tmp/x.sqlite3", **overrides)
    return env


def test_production_settings_refuse_to_start_without_a_site_url():
    r = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=_production_env(),
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "SITE_URL is not set" in r.stderr


def test_links_in_mails_start_with_the_site_url(settings):
    from core.site import absolute_url

    settings.SITE_URL = "http://127.0.0.1:8123"
    assert absolute_url("/s/abc/") == "http://127.0.0.1:8123/s/abc/"
    assert absolute_url("") == ""
