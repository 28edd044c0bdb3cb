"""Reference data loaded by the migration, and case references (OH-2026-000001) issued per scheme and
year."""

import re

import pytest
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, ROBBERY, PersonFactory, SchemeFactory

from cases.models import Case, DisposalType, Ethnicity, Offence, ReferenceCounter
from cases.services import OffenceEntry, _next_reference, case_create


@pytest.mark.parametrize(
    ("name", "classification", "group", "gravity"),
    [
        (COMMON_ASSAULT, "summary_only", "violence", 2),
        (ABH, "either_way", "violence", 3),
        (ROBBERY, "indictable_only", "robbery", 4),
    ],
)
def test_offences_are_loaded_with_their_classification(db, name, classification, group, gravity):
    offence = Offence.objects.get(name=name)

    assert (offence.classification, offence.group, offence.default_gravity) == (
        classification,
        group,
        gravity,
    )
    assert offence.is_active


def test_common_assault_is_priced_as_violence_without_injury_and_abh_with_injury(db):
    assert Offence.objects.get(name=COMMON_ASSAULT).cost_category.name == "Violence without injury"
    abh = Offence.objects.get(name=ABH).cost_category
    assert (abh.name, abh.unit_cost) == ("Violence with injury", 14050)


def test_the_nineteen_census_ethnic_groups_are_loaded(db):
    assert Ethnicity.objects.count() == 19
    assert list(Ethnicity.objects.values_list("position", flat=True)) == list(range(1, 20))
    assert Ethnicity.objects.filter(code="W4", name="Roma").exists()


def test_disposal_types_include_the_uncommenced_diversionary_caution(db):
    diversionary = DisposalType.objects.get(code="diversionary-caution")
    assert diversionary.commenced is False
    assert diversionary.in_force_on(timezone.localdate()) is False
    assert DisposalType.objects.get(code="deferred-prosecution").commenced is True
    assert DisposalType.objects.get(code="conditional-caution").commenced is True


# --- References ----------------------------------------------------------------------------------
def _open(actor, scheme, area):
    today = timezone.localdate()
    person = PersonFactory(force=actor.organisation, created_by=actor)
    return case_create(
        actor=actor,
        person=person,
        scheme=scheme,
        area=area,
        owner=actor,
        arrest_date=today,
        offences=[OffenceEntry(Offence.objects.get(name=ABH), today)],
        victim_type="none",
        victim_rj_consent="not_applicable",
    )


def test_case_references_count_up_per_scheme_and_year(case_worker, force, area, scheme):
    other = SchemeFactory(force=force, code="CP", name="Checkpoint")
    year = timezone.localdate().year

    references = [_open(case_worker, s, area).reference for s in (scheme, scheme, other, scheme)]

    assert references == [f"OH-{year}-000001", f"OH-{year}-000002", f"CP-{year}-000001", f"OH-{year}-000003"]
    assert all(re.fullmatch(r"[A-Z]{2,6}-\d{4}-\d{6}", r) for r in references)
    assert Case.objects.count() == 4


def test_each_year_starts_at_one(db):
    assert _next_reference("OH", 2025) == "OH-2025-000001"
    assert _next_reference("OH", 2025) == "OH-2025-000002"
    assert _next_reference("OH", 2026) == "OH-2026-000001"
    assert _next_reference("CP", 2026) == "CP-2026-000001"
    assert ReferenceCounter.objects.get(prefix="OH", year=2025).last_number == 2
