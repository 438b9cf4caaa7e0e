"""Development / embedded default: works with no environment at all."""
import os

from .base import *  # noqa: F401,F403
from .base import VAR_DIR, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-secret-key-change-me"
# A fixed development key so the demo database stays readable across restarts.
# Production refuses to start without its own key (see production.py).
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY") or "dev-only-field-encryption-key"

for _sub in ("cache", "celery/queue", "celery/control"):
    (VAR_DIR / _sub).mkdir(parents=True, exist_ok=True)

# Serve static files straight from the apps and installed packages (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
