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


class _Seen(list):
    """The figures each request computed (``[-1]`` the last), and their fairness tables
    (``fairness[-1]``: the last request's, by dimension)."""

    def __init__(self):
        super().__init__()
        self.fairness = []


@pytest.fixture
def raw_figures(monkeypatch):
    """The figures each dashboard request computed or kept, before what may be shown of them was
    worked out (reporting/disclosure.py): ``raw_figures[-1]["total"]``,
    ``raw_figures.fairness[-1]["sex"]``. For the tests of scoping, filters and caching, whose small
    data sets would show nothing."""
    from reporting import views

    seen = _Seen()
    kept = views.dashboard_figures_kept

    def spy(*args, **kwargs):
        figures, tables, as_at = kept(*args, **kwargs)
        seen.append(figures)
        seen.fairness.append(tables)
        return figures, tables, as_at

    monkeypatch.setattr(views, "dashboard_figures_kept", spy)
    return seen


@pytest.fixture
def permit(db):
    """``permit(user)``: an administrator of the user's organisation lets them download the case
    extract."""
    from factories import UserFactory

    from offenderhub.accounts.models import Role
    from reporting.models import ExtractPermission

    def grant(user):
        admin = UserFactory(organisation=user.organisation, roles=[Role.ADMINISTRATOR])
        return ExtractPermission.objects.create(
            user=user, authority="Data sharing agreement DSA-7", granted_by=admin
        )

    return grant
