"""How passwords are stored: Argon2id at OWASP's parameters in production, the old PBKDF2 hashes still
verifying and upgraded at the next sign-in, and the demo users' hashes brought up to date by seed_demo.

The suite itself hashes with MD5 for speed (offenderhub/settings_test.py); these tests put the
production hashers back where they need them."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from factories import PASSWORD

from offenderhub.core.demo import DEMO_PASSWORD, demo_password_hash_upgrade

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PRODUCTION_HASHERS = [
    "offenderhub.accounts.hashers.OwaspArgon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# What OWASP's Password Storage Cheat Sheet asks of Argon2id at least: 19 MiB, 2 iterations, 1 lane.
ARGON2ID_PREFIX = "argon2$argon2id$v=19$m=19456,t=2,p=1$"

SHOW_HASHERS = """
import django, json
django.setup()
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
hasher = get_hasher()
print(json.dumps({
    "hashers": settings.PASSWORD_HASHERS,
    "algorithm": hasher.algorithm,
    "params": [hasher.memory_cost, hasher.time_cost, hasher.parallelism],
    "type": hasher.params().type.name,
    "encoded": hasher.encode("a long enough password", hasher.salt()),
}))
"""


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def test_production_settings_hash_with_argon2id_at_owasp_parameters(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "DEBUG"))}
    env.update(
        DJANGO_SETTINGS_MODULE="offenderhub.settings",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        PSEUDONYM_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="offenderhub.example.org",
        OFFENDERHUB_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", SHOW_HASHERS], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])

    assert shown["hashers"] == PRODUCTION_HASHERS
    assert shown["algorithm"] == "argon2"
    assert shown["type"] == "ID"
    assert shown["params"] == [19 * 1024, 2, 1]  # memory in KiB, iterations, lanes
    assert shown["encoded"].startswith(ARGON2ID_PREFIX)


def test_a_pbkdf2_hash_still_signs_in_and_is_upgraded_to_argon2id(client, case_worker, production_hashers):
    case_worker.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    case_worker.save(update_fields=["password"])

    response = client.post("/login/", {"username": case_worker.email, "password": PASSWORD})

    assert response.status_code == 302
    case_worker.refresh_from_db()
    assert case_worker.password.startswith(ARGON2ID_PREFIX)
    assert check_password(PASSWORD, case_worker.password)


def test_an_argon2_hash_with_other_parameters_is_upgraded_at_sign_in(client, case_worker, production_hashers):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    case_worker.password = Argon2PasswordHasher().encode(PASSWORD, "somesaltvalue123")  # Django's defaults
    case_worker.save(update_fields=["password"])

    response = client.post("/login/", {"username": case_worker.email, "password": PASSWORD})

    assert response.status_code == 302
    case_worker.refresh_from_db()
    assert case_worker.password.startswith(ARGON2ID_PREFIX)


def test_a_wrong_password_leaves_the_old_hash_alone(client, case_worker, production_hashers):
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    case_worker.password = old
    case_worker.save(update_fields=["password"])

    client.post("/login/", {"username": case_worker.email, "password": "not-the-password-1"})

    case_worker.refresh_from_db()
    assert case_worker.password == old


def test_seed_demo_rehashes_a_demo_password_only(case_worker, supervisor, production_hashers):
    case_worker.password = make_password(DEMO_PASSWORD, hasher="pbkdf2_sha256")
    case_worker.save(update_fields=["password"])
    changed = make_password("a password of their own", hasher="pbkdf2_sha256")
    supervisor.password = changed
    supervisor.save(update_fields=["password"])

    assert demo_password_hash_upgrade(case_worker) is True
    assert demo_password_hash_upgrade(supervisor) is False
    assert demo_password_hash_upgrade(case_worker) is False  # already up to date: nothing to do

    case_worker.refresh_from_db()
    supervisor.refresh_from_db()
    assert case_worker.password.startswith(ARGON2ID_PREFIX)
    assert identify_hasher(supervisor.password).algorithm == "pbkdf2_sha256"
    assert supervisor.password == changed


def _sign_in_queries(client, user) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.logout()
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return len(queries)


def test_sign_in_sends_the_same_queries_however_long_the_history(client, case_worker, supervisor):
    """The lock-out's counts, the sign-in log and the audit chain are read by key, never scanned."""
    from axes.models import AccessAttempt, AccessLog

    few = _sign_in_queries(client, case_worker)
    for n in range(40):  # other people's failures, from other addresses, and earlier sign-ins
        AccessAttempt.objects.create(
            username=f"someone{n}@example.org",
            ip_address=f"203.0.113.{n}",
            user_agent="x",
            http_accept="x",
            path_info="/login/",
            failures_since_start=2,
        )
        AccessLog.objects.create(username=case_worker.email, ip_address="127.0.0.1", user_agent="x")
    for _ in range(5):
        _sign_in_queries(client, supervisor)

    many = _sign_in_queries(client, case_worker)

    assert few == many
    # In one transaction (a savepoint here, inside the test's): the lock-out's counts (one query),
    # the user with their organisation, the new session, django-axes' clean-up, sign-in log and
    # reset, last_login, the audit row on the chain; then the session saved again.
    assert many == 17
