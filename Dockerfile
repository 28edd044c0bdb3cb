# Offender Hub: one image for the web app (gunicorn), the job worker and the scheduler (beat).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OFFENDERHUB_VAR_DIR=/srv/var

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 offenderhub

WORKDIR /app
COPY pyproject.toml README.md ./
COPY offenderhub ./offenderhub
COPY cases ./cases
COPY assessments ./assessments
COPY conditions ./conditions
COPY referrals ./referrals
COPY reporting ./reporting
RUN pip install .
COPY manage.py ./
COPY templates ./templates
COPY static ./static

# Static files are collected into the image and served by whitenoise. The key here only exists
# for this build step; the running container must be given its own SECRET_KEY.
RUN mkdir -p /srv/var /srv/media && SECRET_KEY=collectstatic-only DEBUG=False python manage.py collectstatic --noinput \
    && chown -R offenderhub:offenderhub /srv/var /srv/media

USER offenderhub
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["gunicorn", "offenderhub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
