"""Settings of the gunicorn that bench_load.py starts: production, plus the floor view."""
from config.settings.production import *  # noqa: F401,F403

ROOT_URLCONF = "bench.load_floor"
