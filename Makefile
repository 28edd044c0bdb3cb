# Offender Hub: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
LOCK := requirements/development.txt
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) | cksum | cut -d' ' -f1)

.PHONY: run test install lock migrate seed lint format assets collectstatic check-deploy clean

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
	DEBUG=True $(PY) manage.py migrate --noinput

seed: migrate
	DEBUG=True $(PY) manage.py seed_demo

# Install, migrate, load the demo data, then start the web app, the job worker and the scheduler
# on the embedded defaults (SQLite and a filesystem broker under var/). Ctrl+C stops all three.
run: migrate
	DEBUG=True $(PY) manage.py seed_demo
	@echo
	@echo "Offender Hub is starting on http://127.0.0.1:8000 (Ctrl+C stops the web app, worker and scheduler)."
	DEBUG=True PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev

# The whole suite plus the linters. Uses PostgreSQL when DATABASE_URL is set, and a real Redis
# worker when REDIS_URL is set (CI sets both: see .ci/run).
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=True $(PY) manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Copy the built GOV.UK Frontend and MoJ Frontend files into static/vendor/ (committed, so running
# the app needs no Node). Run after changing the versions pinned in package.json.
assets:
	npm ci --no-fund --no-audit
	rm -rf static/vendor && mkdir -p static/vendor/govuk static/vendor/moj
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/vendor/govuk/
	cp -r node_modules/govuk-frontend/dist/govuk/assets static/vendor/govuk/assets
	cp node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.css node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.js static/vendor/moj/
	cp -r node_modules/@ministryofjustice/frontend/moj/assets static/vendor/moj/assets
	# The packages' CSS points at /assets/; point it at the copies beside each stylesheet instead.
	sed -i 's#url(/assets/#url(assets/#g' static/vendor/govuk/govuk-frontend.min.css static/vendor/moj/moj-frontend.min.css

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

clean:
	rm -rf $(VENV) var node_modules
