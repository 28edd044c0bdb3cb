# Offender Hub: one image for the web app (gunicorn), the job worker and the scheduler (beat).
# Reproducible: Python packages come from the lock alone (requirements/production.txt, every one
# pinned with its hash; `make lock` refreshes it), and the app runs from /app as from a checkout.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OFFENDERHUB_VAR_DIR=/srv/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/srv/media

# DejaVu Sans prints every name in the caution PDFs (conditions/documents.py). The PostgreSQL client
# (pg_dump, pg_restore) is for `manage.py backup` and `restore`: Debian bookworm's is version 15, the
# same major version as the database in docker-compose.yml and in CI (pg_dump must not be older).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 offenderhub

WORKDIR /app

# The lock first, on its own layer: a change to the code reuses the installed packages. Exactly the
# packages it names, each checked against its hash; nothing is resolved at build time.
COPY requirements/production.txt requirements/production.txt
RUN pip install --require-hashes --no-deps -r requirements/production.txt

# The app itself (what is left out, the tests among it, is in .dockerignore).
COPY . .

# Static files are collected into the image (outside /srv/var, so a volume there never hides them)
# and served by whitenoise. The key only exists for this step: the container needs its own.
RUN SECRET_KEY=collectstatic-only DEBUG=False python manage.py collectstatic --noinput \
    && mkdir -p /srv/var /srv/media \
    && chown -R offenderhub:offenderhub /srv/var /srv/media

USER offenderhub
EXPOSE 8000

# Liveness, not readiness: /livez answers while the process serves requests, whatever the state of
# the database or the broker. Those have their own containers and health checks; /readyz (503 when
# either is down) is for the proxy or load balancer deciding where to send traffic. Plain HTTP is
# exempt from the HTTPS redirect for these paths, and any other answer (a redirect included) fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/livez' % (os.environ.get('PORT') or 8000), timeout=4)"

# Workers, timeout, max-requests, the access log and the bind address: gunicorn.conf.py.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "offenderhub.wsgi:application"]
