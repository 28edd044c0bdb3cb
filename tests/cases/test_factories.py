"""The case factories build consistent objects: everything on a case belongs to the case's force."""

import pytest
from factories import CaseFactory, CaseOffenceFactory, OffenceFactory, SchemeFactory

from cases.models import Offence
from offenderhub.accounts.models import Role


def test_a_case_and_everything_on_it_belong_to_one_force(force):
    offence = CaseOffenceFactory(case=CaseFactory(force=force))
    case = offence.case

    assert {case.scheme.force, case.area.force, case.owner.organisation, case.person.force} == {force}
    assert case.owner.has_role(Role.CASE_WORKER)
    assert case.person.created_by.organisation == force
    assert case.reference.startswith(f"{case.scheme.code}-")
    assert offence.offence_date <= case.arrest_date


def test_a_case_mixing_forces_is_refused(force, other_force):
    with pytest.raises(ValueError, match="scheme not of the case's force"):
        CaseFactory(force=force, scheme=SchemeFactory(force=other_force))


def test_offences_come_from_the_reference_data(db):
    count = Offence.objects.count()

    assert OffenceFactory(name="Robbery").classification == "indictable_only"
    with pytest.raises(Offence.DoesNotExist):
        OffenceFactory(name="Not an offence")
    assert Offence.objects.count() == count
