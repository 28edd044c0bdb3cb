"""What the notification tests share: a partner agency's administrator (in the agency, but not
partner staff) and an agency with no shared email address."""

import pytest
from factories import OrganisationFactory, UserFactory

from offenderhub.accounts.models import Role


@pytest.fixture
def agency_administrator(agency):
    return UserFactory(full_name="Ada Quinn", organisation=agency, roles=[Role.ADMINISTRATOR])


@pytest.fixture
def agency_without_email(db):
    return OrganisationFactory(partner_agency=True, name="Quiet Lane Project", email="")


@pytest.fixture
def other_practitioner(other_agency):
    return UserFactory(full_name="Rosa Kent", organisation=other_agency, roles=[Role.PARTNER_PRACTITIONER])
