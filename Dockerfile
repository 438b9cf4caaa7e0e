# The CRM image: gunicorn (web), Celery worker and Celery beat all run from it
# (see docker-compose.yml). Production settings; secrets come from the environment.
# Browser assets (Chart.js) come from npm, pinned by package-lock.json; no CDN.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    CRM_VAR_DIR=/app/var

# A TrueType CJK font reportlab can embed in the review PDFs (reviews/pdf_font.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
COPY --from=assets /assets/node_modules/chart.js /app/node_modules/chart.js
# Static files are collected into the image (whitenoise serves them). The
# values below exist only for this build step; the real ones come at run time.
RUN python bin/compile_messages.py \
    && SECRET_KEY=build-only FIELD_ENCRYPTION_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
        python manage.py collectstatic --no-input -v 0 \
    && useradd --create-home --uid 10001 crm \
    && mkdir -p /app/var \
    && chown -R crm:crm /app/var

USER crm
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
