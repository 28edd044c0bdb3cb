# Offender Hub: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
LOCK := requirements/development.txt
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) | cksum | cut -d' ' -f1)

.PHONY: run test test-browser install lock migrate seed lint format assets collectstatic check-deploy smoke clean

# Installs exactly what the lock names, each file checked against its hash. The app runs from this
# folder, so the project itself is not installed. `make lock` refreshes the locks after pyproject.toml.
$(STAMP): $(LOCK)
	@test -x $(PY) || { echo "Creating the virtual environment in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the locked Python packages (about a minute on a first run)"
	$(PY) -m pip install --progress-bar on --require-hashes --no-deps -r $(LOCK)
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	@echo "Migrating the database (an SQLite file under var/ unless DATABASE_URL is set)"
	DEBUG=True $(PY) manage.py migrate --noinput

seed: migrate
	@echo "Loading the demo data (safe to repeat)"
	DEBUG=True $(PY) manage.py seed_demo

# Install, migrate, load the demo data, then start the web app, the job worker and the scheduler
# on the embedded defaults (SQLite and a filesystem broker under var/). Ctrl+C stops all three.
run: seed
	@echo
	@echo "Offender Hub is starting on http://127.0.0.1:8000 (Ctrl+C stops the web app, worker and scheduler)."
	@echo "Sign in with a demo email and password above, then the security code this prints (in another terminal):"
	@echo "    $(PY) manage.py demo_codes"
	DEBUG=True PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev

# The whole suite plus the linters. Uses PostgreSQL when DATABASE_URL is set, and a real Redis
# worker when REDIS_URL is set (CI sets both: see .ci/run).
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=True $(PY) manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The browser journey alone (tests/browser): every page of a case's journey in Debian's Chromium, checked
# by axe-core. Needs `apt-get install chromium` and `npm ci` (axe-core); `make test` runs it too, and
# skips it without them (CI fails instead). See README.md, "Browser tests".
test-browser: install
	$(BIN)/pytest -n 0 tests/browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Build GOV.UK Frontend and MoJ Frontend into static/vendor/, which is committed so that running the
# app needs no Node. Their Sass is compiled with our settings (static/src/): fonts every system
# already has, never GDS Transport, which is licensed for GOV.UK only. Their JavaScript is copied
# without its source-map comments, and their images without the fonts. Needs Node and npm; run it
# after changing package.json or static/src/.
assets:
	npm ci --no-fund --no-audit --ignore-scripts
	rm -rf static/vendor && mkdir -p static/vendor/govuk/assets static/vendor/moj/assets
	node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps --load-path=. \
	  static/src/govuk-frontend.scss:static/vendor/govuk/govuk-frontend.min.css \
	  static/src/moj-frontend.scss:static/vendor/moj/moj-frontend.min.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/vendor/govuk/
	cp node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.js static/vendor/moj/
	sed -i 's|//# sourceMappingURL=.*$$||' static/vendor/govuk/govuk-frontend.min.js static/vendor/moj/moj-frontend.min.js
	cp -r node_modules/govuk-frontend/dist/govuk/assets/images static/vendor/govuk/assets/
	cp -r node_modules/@ministryofjustice/frontend/moj/assets/images static/vendor/moj/assets/

# Pin every Python dependency, with hashes, from pyproject.toml: production.txt for the image,
# development.txt (with the test tools) for `make run`, `make test` and CI.
lock: install
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements/production.txt pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links --extra dev -o requirements/development.txt pyproject.toml

check-deploy: install
	DEBUG=False SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))") \
	  PSEUDONYM_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))") \
	  ALLOWED_HOSTS=offenderhub.example.org $(PY) manage.py check --deploy --fail-level WARNING

# What CI runs after the suite: production settings, collectstatic, gunicorn with gunicorn.conf.py
# on a loopback port, then the sign-in page, its stylesheets, /livez, /readyz (also with the broker
# down), request IDs and the 404 page checked over HTTP. Uses DATABASE_URL and REDIS_URL when set
# (it migrates that database), else SQLite and the embedded broker in a temporary folder.
smoke: install
	$(PY) scripts/smoke_production.py

# One archive of the database (pg_dump, or the SQLite file) and the uploaded documents, written to
# var/backups/ or DIR=...; `make restore FILE=...` puts one back into an empty database (FORCE=1 to
# replace a database that has tables). See README.md, "Operating Offender Hub".
.PHONY: backup restore
backup: install
	$(PY) manage.py backup $(if $(DIR),--output-dir "$(DIR)")

restore: install
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=var/backups/offenderhub-backup-<time>.tar [FORCE=1]"; exit 2; }
	$(PY) manage.py restore "$(FILE)" $(if $(FORCE),--force)

# Every page of issue 12 through gunicorn with production settings, beside hand-written SQL, plus the
# daily jobs and the sign-in; the results go into docs/performance.md. Needs a PostgreSQL database
# holding a volume (`manage.py seed_volume --cases 100000`): BENCH_DATABASE_URL, by default the local
# postgres://postgres@127.0.0.1:5432/oh_f_bench. ARGS="--cases 100000" adds cases up to that first.
.PHONY: bench
bench: install
	DJANGO_SETTINGS_MODULE=offenderhub.settings $(PY) bench/run.py $(ARGS)

# The load scenario (bench/locustfile.py): 100 users for 90 s through gunicorn as the image runs it
# (3 workers, production settings), p95 per page and the errors into docs/performance.md ("Load").
# Decision-makers record decisions: point BENCH_DATABASE_URL at a copy of the benchmark database.
.PHONY: load
load: install
	DJANGO_SETTINGS_MODULE=offenderhub.settings $(PY) bench/load.py $(ARGS)

clean:
	rm -rf $(VENV) var node_modules
