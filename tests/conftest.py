"""The standing cast: two forces, an area, two partner agencies and a commissioner's office, with a
user for each role, plus outsiders from the other force."""

import os

import pytest
from django.db import connection
from django.test import Client
from factories import AreaFactory, OrganisationFactory, UserFactory

from offenderhub.accounts.models import Role


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
    """``client_for(user)``: a test client signed in as ``user``."""

    def signed_in(user):
        client = Client()
        client.force_login(user)
        return client

    return signed_in


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
