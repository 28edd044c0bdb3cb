"""The files a deployment is built from: the locks, the Dockerfile, .dockerignore, docker-compose.yml
and .env.example. They are read as files; CI also builds and serves the app with production
settings (scripts/smoke_production.py) and checks the compose file with `docker compose config`
(scripts/check_compose.sh)."""

import re
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_COMMAND = "gunicorn -c gunicorn.conf.py offenderhub.wsgi:application"
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def read(name: str) -> str:
    return (BASE_DIR / name).read_text()


def locked(name: str) -> dict[str, str]:
    """Package name -> pinned version, for every requirement in a lock file."""
    return {
        m.group(1).lower(): m.group(2) for line in read(name).splitlines() if (m := REQUIREMENT.match(line))
    }


def requirement_blocks(name: str) -> list[str]:
    """Each requirement with its continuation lines (its hashes), comments left out."""
    text = re.sub(r"\\\n\s*", " ", read(name))
    return [line for line in text.splitlines() if line and not line.lstrip().startswith("#")]


def compose_required_variables() -> set[str]:
    """The variables docker-compose.yml refuses to go on without (${NAME:?message})."""
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", read("docker-compose.yml")))


# --- Locks -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lock", ["requirements/production.txt", "requirements/development.txt"])
def test_every_locked_requirement_is_pinned_with_a_hash(lock):
    blocks = requirement_blocks(lock)

    assert blocks
    for block in blocks:
        assert REQUIREMENT.match(block), f"{lock}: not pinned with ==: {block[:80]}"
        assert "--hash=sha256:" in block, f"{lock}: no hash: {block[:80]}"


def test_ci_tests_the_versions_the_image_ships():
    production, development = locked("requirements/production.txt"), locked("requirements/development.txt")

    differing = {
        name: (v, development.get(name)) for name, v in production.items() if development.get(name) != v
    }
    assert production
    assert not differing, f"production and development locks disagree: {differing}"


# --- The image ---------------------------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments left out."""
    text = re.sub(r"\\\n", " ", read("Dockerfile"))
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def test_the_image_installs_exactly_the_production_lock():
    runs = [args for instruction, args in dockerfile_instructions() if instruction == "RUN"]

    assert any("pip install --require-hashes --no-deps -r requirements/production.txt" in run for run in runs)
    assert not any(re.search(r"pip install[^&]*\s\.(\s|$)", run) for run in runs), (
        "the project is not installed"
    )


def test_the_image_collects_static_files_and_runs_gunicorn_with_its_config_as_a_user():
    instructions = dockerfile_instructions()
    users = [args for instruction, args in instructions if instruction == "USER"]
    cmd = next(args for instruction, args in reversed(instructions) if instruction == "CMD")
    healthcheck = next(args for instruction, args in instructions if instruction == "HEALTHCHECK")

    assert any(
        "manage.py collectstatic --noinput" in args
        for instruction, args in instructions
        if instruction == "RUN"
    )
    assert users and users[-1] not in {"root", "0"}
    assert " ".join(re.findall(r'"([^"]+)"', cmd)) == GUNICORN_COMMAND
    assert "/livez" in healthcheck


def test_dockerignore_keeps_secrets_local_data_and_the_tests_out_of_the_image():
    ignored = {line.strip() for line in read(".dockerignore").splitlines() if line.strip()}

    for entry in [".git", ".venv", ".env", "var", "media", "node_modules", "tests", "**/__pycache__"]:
        assert entry in ignored, f".dockerignore does not leave out {entry}"


# --- docker compose ----------------------------------------------------------------------------------
def test_every_value_compose_requires_is_in_env_example():
    documented = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", read(".env.example"), flags=re.MULTILINE))
    required = compose_required_variables()

    assert {"SECRET_KEY", "PSEUDONYM_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS"} <= required
    assert required - documented == set(), "required by docker-compose.yml but not in .env.example"


def test_env_example_leaves_only_the_secrets_to_fill_in():
    empty = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=$", read(".env.example"), flags=re.MULTILINE))

    assert empty == {"SECRET_KEY", "PSEUDONYM_KEY", "POSTGRES_PASSWORD", "APP_DB_PASSWORD"}


@pytest.fixture
def compose():
    yaml = pytest.importorskip("yaml", reason="PyYAML reads docker-compose.yml")
    return yaml.safe_load(read("docker-compose.yml"))


def app_services(compose) -> dict:
    return {name: s for name, s in compose["services"].items() if s.get("image") == "offenderhub:latest"}


def test_compose_runs_the_migrations_once_before_the_app_starts(compose):
    services = app_services(compose)
    migrate = services.pop("migrate")

    assert migrate["command"] == "python manage.py migrate --noinput"
    assert migrate["restart"] == "no"
    assert set(services) == {"web", "worker", "beat"}
    for name, service in services.items():
        conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        assert conditions == {
            "migrate": "service_completed_successfully",
            "db": "service_healthy",
            "redis": "service_healthy",
        }, name


def test_compose_runs_the_app_as_its_own_role_and_only_the_migrations_as_the_owner(compose):
    services = app_services(compose)
    migrate = services.pop("migrate")
    db = compose["services"]["db"]

    for name, service in services.items():
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://offenderhub_app:"), name
        assert "MIGRATION_DATABASE_URL" not in environment, name
        assert environment["POSTGRES_PASSWORD"] == "", name  # not passed on from .env
    owner = f"postgres://{db['environment']['POSTGRES_USER']}:"
    assert migrate["environment"]["MIGRATION_DATABASE_URL"].startswith(owner)
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://offenderhub_app:")
    assert "./scripts/postgres-init:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    assert "offenderhub_app" in read("scripts/postgres-init/10-app-role.sh")


def test_compose_web_worker_and_beat_have_health_checks(compose):
    services = compose["services"]

    for name in ["web", "worker", "beat", "db", "redis"]:
        healthcheck = services[name].get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck.get("disable"), name
    assert "/livez" in " ".join(services["web"]["healthcheck"]["test"])
    assert "celerybeat-schedule" in " ".join(services["beat"]["healthcheck"]["test"])
    assert "celerybeat-schedule" in services["beat"]["command"]


def test_compose_web_runs_gunicorn_as_the_image_does():
    assert f"command: {GUNICORN_COMMAND}\n" in read("docker-compose.yml")
