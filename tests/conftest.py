"""The standing cast: two forces, an area, two partner agencies and a commissioner's office, with a
user for each role, plus outsiders from the other force.

Also the suite's clock (tests/clock_support.py): every test runs at a fixed instant, never at the
real date, and a test marked ``every_day`` runs once for each day of ``EVERY_DAY`` (every weekday, a
month end, a leap day and a bank holiday)."""

import os
from datetime import date

import pytest
from broker_support import celery_configured, redis_configured, worker_running
from clock_support import EVERY_DAY, day_id, default_now, morning_of
from db_roles_support import django_db_modify_db_settings, django_db_setup, owner_sql  # noqa: F401
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from factories import AreaFactory, OrganisationFactory, UserFactory
from two_factor_support import force_login_verified

from offenderhub.accounts.models import Role


# --- The clock -----------------------------------------------------------------------------------
def pytest_generate_tests(metafunc):
    """A test marked ``every_day`` runs once for each day of ``EVERY_DAY``: ``test_x[mon-2027-03-01]``."""
    if metafunc.definition.get_closest_marker("every_day"):
        metafunc.parametrize("clock_day", EVERY_DAY, ids=day_id, indirect=True)


@pytest.fixture
def clock_day(request) -> date | None:
    """The day an ``every_day`` test runs on; ``None`` for other tests (the default instant)."""
    return getattr(request, "param", None)


@pytest.fixture(autouse=True)
def _fixed_clock(request, time_machine, clock_day):
    """Every test runs at a fixed instant with the clock still ticking: 10:00 London time on its
    ``every_day`` day, else ``default_now()``. A test moves it further with the ``time_machine``
    fixture (``time_machine.move_to(...)``) or the ``time_machine`` marker, which wins."""
    if request.node.get_closest_marker("time_machine"):
        return
    time_machine.move_to(default_now() if clock_day is None else morning_of(clock_day), tick=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (Django's, in this process's memory): nothing one test
    kept, such as the dashboard's figures, is found by the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _ci_runs_on_postgresql():
    """CI must exercise PostgreSQL (the append-only trigger, case-insensitive constraints, locking)."""
    if os.environ.get("CI") and connection.vendor != "postgresql":
        pytest.fail(
            f"CI is set but the tests are running on {connection.vendor!r}. "
            "Set DATABASE_URL to a PostgreSQL database (see .ci/run).",
            pytrace=False,
        )


# --- Organisations -------------------------------------------------------------------------------
@pytest.fixture
def force(db):
    return OrganisationFactory(name="Fenshire Constabulary")


@pytest.fixture
def other_force(db):
    return OrganisationFactory(name="Marshire Police")


@pytest.fixture
def area(force):
    return AreaFactory(force=force, name="North Fenshire", code="north")


@pytest.fixture
def agency(db):
    return OrganisationFactory(partner_agency=True, name="Compass Recovery Service")


@pytest.fixture
def other_agency(db):
    return OrganisationFactory(partner_agency=True, name="Open Door Housing")


@pytest.fixture
def opcc(force):
    return OrganisationFactory(commissioner_office=True, name="Fenshire Commissioner Office", force=force)


# --- People --------------------------------------------------------------------------------------
@pytest.fixture
def case_worker(force, area):
    return UserFactory(full_name="Priya Shah", organisation=force, area=area, roles=[Role.CASE_WORKER])


@pytest.fixture
def decision_maker(force, area):
    return UserFactory(full_name="Alan Reid", organisation=force, area=area, roles=[Role.DECISION_MAKER])


@pytest.fixture
def supervisor(force):
    return UserFactory(full_name="Grace Okafor", organisation=force, roles=[Role.SUPERVISOR])


@pytest.fixture
def administrator(force):
    return UserFactory(full_name="Sam Lee", organisation=force, roles=[Role.ADMINISTRATOR])


@pytest.fixture
def practitioner(agency):
    return UserFactory(full_name="Jamie Cole", organisation=agency, roles=[Role.PARTNER_PRACTITIONER])


@pytest.fixture
def partner_manager(agency):
    return UserFactory(full_name="Helen Price", organisation=agency, roles=[Role.PARTNER_MANAGER])


@pytest.fixture
def analyst(opcc):
    return UserFactory(full_name="Nia Evans", organisation=opcc, roles=[Role.ANALYST])


@pytest.fixture
def outsider_supervisor(other_force):
    return UserFactory(full_name="Owen Marsh", organisation=other_force, roles=[Role.SUPERVISOR])


@pytest.fixture
def outsider_administrator(other_force):
    return UserFactory(full_name="Olive Marsh", organisation=other_force, roles=[Role.ADMINISTRATOR])


@pytest.fixture
def client_for(db):
    """``client_for(user)``: a test client signed in as ``user``, second factor given."""

    def signed_in(user):
        return force_login_verified(Client(), user)

    return signed_in


@pytest.fixture(scope="session", autouse=True)
def _own_folders(tmp_path_factory):
    """Each test process (one per pytest-xdist worker) keeps its files in temporary folders of its own,
    never under var/: the evidence it uploads (``MEDIA_ROOT``) and, without Redis, the messages it
    queues on the file broker, which a ``make run`` worker would otherwise take and run."""
    broker = {}
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        messages = str(tmp_path_factory.mktemp("celery-broker"))
        broker = {
            "broker_transport_options": {
                **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                "data_folder_in": messages,
                "data_folder_out": messages,
                "processed_folder": str(tmp_path_factory.mktemp("celery-processed")),
                "control_folder": str(tmp_path_factory.mktemp("celery-control")),
            }
        }
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), celery_configured(**broker):
        yield


# --- A real Celery worker ------------------------------------------------------------------------
@pytest.fixture
def redis_worker():
    """A Celery worker thread consuming from the Redis at ``REDIS_URL`` (the test is skipped without
    it, and fails in CI), on a queue of this test process's own: under pytest-xdist no process's
    worker takes another's jobs. The test needs a transactional database (the worker's connection
    must see its rows): ``django_db(transaction=True, serialized_rollback=True)``."""
    with redis_configured() as app, worker_running(app):
        yield app


def pytest_configure(config):
    # WhiteNoise warns that STATIC_ROOT (filled by collectstatic for deployment) does not exist yet.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(autouse=True)
def _postgres_only(request):
    """A test marked ``postgres`` (row locks, concurrency) is skipped on SQLite, and fails in CI."""
    if request.node.get_closest_marker("postgres") is None or connection.vendor == "postgresql":
        return
    if os.environ.get("CI"):
        pytest.fail("This test needs PostgreSQL and CI is set: set DATABASE_URL.", pytrace=False)
    pytest.skip("needs PostgreSQL (set DATABASE_URL)")
