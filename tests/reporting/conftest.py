"""What the reporting tests share: a case builder for the force (with its scheme, area, case worker
and decision-maker from the standing cast) and one for the other force."""

import pytest
from factories import SchemeFactory
from reporting_support import CaseBuilder


@pytest.fixture
def scheme(force):
    return SchemeFactory(force=force, name="Offender Hub", code="OH")


@pytest.fixture
def build(force, scheme, area, case_worker, decision_maker):
    """``build(outcome=..., cautioned_on=..., **person_fields)``: a case of the force."""
    return CaseBuilder(force, scheme=scheme, area=area, worker=case_worker, decider=decision_maker)


@pytest.fixture
def build_other(other_force):
    """The same for the other force (Marshire Police)."""
    return CaseBuilder(other_force)
