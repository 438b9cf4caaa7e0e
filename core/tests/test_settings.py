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
