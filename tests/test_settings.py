"""Production settings: Django's deployment checks pass, and a missing SECRET_KEY stops start-up."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def production_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "DEBUG"))}
    env.update(
        DJANGO_SETTINGS_MODULE="offenderhub.settings",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        PSEUDONYM_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="offenderhub.example.org",
        OFFENDERHUB_VAR_DIR=str(tmp_path / "var"),
    )
    return env


def _run(args, env):
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_deployment_checks_pass_with_production_settings(production_env):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)

    assert result.returncode == 0, result.stderr


def test_deployment_checks_would_catch_debug_left_on(production_env):
    production_env["DEBUG"] = "True"

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)

    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_web_app_refuses_to_start_without_secret_key_when_debug_is_off(production_env):
    del production_env["SECRET_KEY"]

    result = _run(["-c", "import offenderhub.wsgi"], production_env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_offline_commands_run_without_secret_key(production_env):
    del production_env["SECRET_KEY"]

    result = _run(["manage.py", "makemigrations", "--check", "--dry-run"], production_env)

    assert result.returncode == 0, result.stderr


def test_settings_use_a_development_key_when_debug_is_on(production_env):
    del production_env["SECRET_KEY"]
    production_env["DEBUG"] = "True"

    result = _run(["-c", "import offenderhub.settings as s; print(s.SECRET_KEY[:15])"], production_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django-insecure"


def test_deployment_checks_ask_for_a_pseudonym_key(production_env):
    production_env.pop("PSEUDONYM_KEY")

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)

    assert result.returncode != 0
    assert "PSEUDONYM_KEY" in result.stderr


def test_cache_url_gives_every_process_one_redis_cache(production_env):
    production_env["CACHE_URL"] = "redis://127.0.0.1:6379/14"

    result = _run(
        ["-c", "import offenderhub.settings as s; print(s.CACHES['default']['BACKEND'])"], production_env
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.redis
def test_processes_share_the_cache_through_redis(production_env):
    """What one web worker keeps (the dashboard's figures) another finds."""
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("This test needs Redis and CI is set: set REDIS_URL.", pytrace=False)
        pytest.skip("needs Redis (set REDIS_URL)")
    base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    production_env["CACHE_URL"] = f"{base}/14"  # never the broker's own database
    key = f"shared-{secrets.token_hex(8)}"
    setup = "import django; django.setup(); from django.core.cache import cache; "

    kept = _run(["-c", setup + f"cache.set({key!r}, 42, 60)"], production_env)
    found = _run(["-c", setup + f"print(cache.get({key!r}))"], production_env)

    assert kept.returncode == 0 and found.returncode == 0, kept.stderr + found.stderr
    assert found.stdout.strip() == "42"
