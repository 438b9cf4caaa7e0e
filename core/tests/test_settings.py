import os
import secrets
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


def test_check_deploy_with_production_settings_reports_no_warning(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_COOKIE"))
           # the browser tests of the same run set it for live_server; a deployment never does
           and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY=secrets.token_urlsafe(50),
               FIELD_ENCRYPTION_KEY="test-key", DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
               CRM_VAR_DIR=str(tmp_path), SITE_URL="https://crm.example.com")
    r = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env,
                       capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "System check identified no issues" in r.stdout


def test_hsts_and_https_redirect_are_on_by_default_and_configurable(tmp_path):
    code = ("from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)")
    base = {k: v for k, v in os.environ.items() if not k.startswith("SECURE_")}
    base.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="x" * 50, FIELD_ENCRYPTION_KEY="k",
                DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}", CRM_VAR_DIR=str(tmp_path),
                SITE_URL="https://crm.example.com")

    def run(**extra):
        r = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], env={**base, **extra},
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout.split()

    assert run() == ["True", "31536000", "True", "False"]
    assert run(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="3600", SECURE_HSTS_PRELOAD="true") == [
        "False", "3600", "True", "True"]
