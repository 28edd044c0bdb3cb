"""What the case tests share: the force's scheme, a second case worker, and the POST data of the
person, case and decision forms (dates as day, month and year fields; offences as a formset)."""

import uuid
from datetime import date

import pytest
from factories import OffenceFactory, PersonFactory, SchemeFactory, UserFactory

from offenderhub.accounts.models import Role


@pytest.fixture
def scheme(force):
    return SchemeFactory(force=force, name="Offender Hub", code="OH")


@pytest.fixture
def other_case_worker(force, area):
    return UserFactory(full_name="Tom Baker", organisation=force, area=area, roles=[Role.CASE_WORKER])


@pytest.fixture
def outsider_case_worker(other_force):
    return UserFactory(full_name="Orla Marsh", organisation=other_force, roles=[Role.CASE_WORKER])


def date_fields(name, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


@pytest.fixture
def person_data():
    """``person_data(**overrides)``: a valid POST to /cases/people/new/."""

    def build(*, date_of_birth=date(1990, 5, 17), **overrides):
        data = {
            "given_names": "Daniel",
            "family_name": "Whitmore",
            "sex": "male",
            "pnc_id": "",
            "submission_token": str(uuid.uuid4()),  # issued with the empty form
        }
        data.update(date_fields("date_of_birth", date_of_birth))
        data.update(overrides)
        return data

    return build


@pytest.fixture
def case_data(scheme, area, case_worker):
    """``case_data(offences=[(offence_name, offence_date), ...], arrest_date=..., **overrides)``: a valid
    POST to /cases/new/<person_pk>/ with the offence formset (three forms, the unused ones blank)."""

    def build(*, offences, arrest_date, **overrides):
        data = {
            "submission_token": str(uuid.uuid4()),
            "scheme": scheme.pk,
            "area": area.pk,
            "owner": case_worker.pk,
            "victim_type": "none",
            "victim_rj_consent": "not_applicable",
            "previous_convictions": "0",
            "previous_cautions": "0",
            "lives_in_force_area": "on",
            "circumstances": "Pushed a door attendant.",
            "offences-TOTAL_FORMS": "3",
            "offences-INITIAL_FORMS": "0",
            "offences-MIN_NUM_FORMS": "1",
            "offences-MAX_NUM_FORMS": "5",
        }
        data.update(date_fields("arrest_date", arrest_date))
        for i, (name, offence_date) in enumerate(offences):
            data[f"offences-{i}-offence"] = OffenceFactory(name=name).pk
            data.update(date_fields(f"offences-{i}-offence_date", offence_date))
        data.update(overrides)
        return data

    return build


@pytest.fixture
def decision_data():
    """``decision_data(**overrides)``: a POST to /cases/<pk>/decision/ deciding eligible."""

    def build(**overrides):
        data = {
            "based_on": "",
            "evidence_person_committed": "on",
            "sufficient_evidence_to_charge": "on",
            "authority": "authorised_officer",
            "prosecutor_reference": "",
            "admission": "admits",
            "gravity_adjustment": "0",
            "outcome": "eligible",
            "rationale": "Admitted in interview; first offence; the victim supports a caution.",
        }
        data.update(overrides)
        return data

    return build


@pytest.fixture
def decide_kwargs():
    """``decide_kwargs(**overrides)``: keyword arguments of ``eligibility_decide`` deciding eligible."""

    def build(**overrides):
        kwargs = {
            "based_on": None,
            "outcome": "eligible",
            "evidence_person_committed": True,
            "sufficient_evidence_to_charge": True,
            "authority": "authorised_officer",
            "admission": "admits",
            "gravity_adjustment": 0,
            "rationale": "Admitted in interview.",
            "time_limit_acknowledged": True,
        }
        kwargs.update(overrides)
        return kwargs

    return build


@pytest.fixture
def person(force, case_worker):
    """A person recorded by the case worker, with a PNC ID, a phone number and an address to correct."""
    return PersonFactory(
        force=force,
        created_by=case_worker,
        given_names="Kayleigh",
        family_name="Brooks",
        date_of_birth=date(1995, 4, 2),
        pnc_id="15/0023456B",
        phone="07700 900111",
        address="1 Mill Lane",
        postcode="FE1 2AB",
    )
