"""One force's administrator never changes what another force sees: the national reference data
(offences, ethnic groups, crime cost categories, disposal types, the national condition catalogue)
are changed by superusers only, and each force's own condition catalogue entries and schemes are
that force's alone."""

import pytest
from factories import OrganisationFactory, SchemeFactory, UserFactory

from cases.models import CrimeCostCategory, DisposalType, Ethnicity, Offence, Scheme
from conditions.models import ConditionTemplate
from offenderhub.accounts.models import Role

pytestmark = pytest.mark.django_db

NATIONAL = [
    ("cases", "offence", Offence),
    ("cases", "ethnicity", Ethnicity),
    ("cases", "crimecostcategory", CrimeCostCategory),
    ("cases", "disposaltype", DisposalType),
    ("conditions", "conditiontemplate", ConditionTemplate),
]


@pytest.fixture
def wessex(db):
    return OrganisationFactory(name="Wessex Police")


@pytest.fixture
def wessex_template(wessex):
    return ConditionTemplate.objects.create(
        force=wessex,
        name="Attend the Wessex knife crime course",
        kind="rehabilitative",
        wording="Attend the course.",
    )


@pytest.fixture
def superuser(force):
    return UserFactory(organisation=force, roles=[], is_superuser=True)


def _national(model):
    if model is ConditionTemplate:
        return ConditionTemplate.objects.filter(force=None).first()
    return model.objects.first()


def _form_data(obj):
    """The object's own field values, as a change form would post them."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or not field.editable:
            continue
        value = field.value_from_object(obj)
        if isinstance(value, bool):
            if value:
                data[field.name] = "on"
        elif value is not None:
            data[field.name] = value
    return data


@pytest.mark.parametrize(("app", "model_name", "model"), NATIONAL)
def test_an_administrator_may_look_at_national_reference_data_but_not_change_it(
    client_for, administrator, app, model_name, model
):
    obj = _national(model)
    before = _form_data(obj)
    client = client_for(administrator)
    base = f"/admin/{app}/{model_name}/"

    assert client.get(base).status_code == 200
    page = client.get(f"{base}{obj.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only
    assert client.get(f"{base}add/").status_code == (200 if model is ConditionTemplate else 403)
    assert (
        client.post(f"{base}{obj.pk}/change/", {**before, "name": "Renamed by Fenshire"}).status_code == 403
    )
    assert client.get(f"{base}{obj.pk}/delete/").status_code == 403
    assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    obj.refresh_from_db()
    assert _form_data(obj) == before


@pytest.mark.parametrize(
    ("app", "model_name"), [(a, m) for a, m, model in NATIONAL if model is not ConditionTemplate]
)
def test_an_administrator_cannot_add_national_reference_data(client_for, administrator, app, model_name):
    client = client_for(administrator)

    response = client.post(f"/admin/{app}/{model_name}/add/", {"name": "Added by Fenshire", "code": "X9"})

    assert response.status_code == 403


def test_a_superuser_changes_national_reference_data(client_for, superuser):
    ethnicity = Ethnicity.objects.get(code="W4")

    response = client_for(superuser).post(
        f"/admin/cases/ethnicity/{ethnicity.pk}/change/", {**_form_data(ethnicity), "name": "Roma people"}
    )

    assert response.status_code == 302
    ethnicity.refresh_from_db()
    assert ethnicity.name == "Roma people"


# --- The condition catalogue: each force its own ----------------------------------------------------
def test_an_administrator_adds_a_catalogue_entry_for_their_own_force(
    client_for, administrator, force, wessex
):
    response = client_for(administrator).post(
        "/admin/conditions/conditiontemplate/add/",
        {
            "force": wessex.pk,  # refused by the form: only their own force is offered
            "name": "Attend the Fenshire restorative panel",
            "kind": "reparative",
            "wording": "Attend the panel.",
            "default_duration_days": "28",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert not ConditionTemplate.objects.filter(name="Attend the Fenshire restorative panel").exists()

    response = client_for(administrator).post(
        "/admin/conditions/conditiontemplate/add/",
        {
            "force": force.pk,
            "name": "Attend the Fenshire restorative panel",
            "kind": "reparative",
            "wording": "Attend the panel.",
            "default_duration_days": "28",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert ConditionTemplate.objects.get(name="Attend the Fenshire restorative panel").force == force


def test_another_forces_catalogue_entries_are_not_found(client_for, administrator, wessex_template):
    client = client_for(administrator)
    base = "/admin/conditions/conditiontemplate/"
    data = {**_form_data(wessex_template), "name": "Renamed by Fenshire"}

    assert wessex_template.name not in client.get(base).content.decode()
    assert client.get(f"{base}{wessex_template.pk}/change/").status_code == 404
    assert client.post(f"{base}{wessex_template.pk}/change/", data).status_code == 404
    assert client.get(f"{base}{wessex_template.pk}/delete/").status_code == 404
    assert client.post(f"{base}{wessex_template.pk}/delete/", {"post": "yes"}).status_code == 404
    assert client.get(f"{base}{wessex_template.pk}/history/").status_code == 404
    wessex_template.refresh_from_db()
    assert wessex_template.name == "Attend the Wessex knife crime course"


def test_an_administrator_changes_their_own_forces_entry(client_for, administrator, force):
    own = ConditionTemplate.objects.create(force=force, name="Fenshire panel", kind="reparative", wording="x")

    response = client_for(administrator).post(
        f"/admin/conditions/conditiontemplate/{own.pk}/change/",
        {**_form_data(own), "wording": "Attend the Fenshire panel once."},
    )

    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.wording, own.force) == ("Attend the Fenshire panel once.", force)


def test_case_workers_are_offered_their_own_forces_catalogue_and_the_national_one(
    case_worker, wessex_template, force
):
    from conditions.selectors import condition_template_list_for

    own = ConditionTemplate.objects.create(force=force, name="Fenshire panel", kind="reparative", wording="x")

    offered = set(condition_template_list_for(case_worker))

    assert own in offered
    assert wessex_template not in offered
    assert set(ConditionTemplate.objects.filter(force=None, is_active=True)) <= offered


def test_the_same_name_may_be_used_by_two_forces_but_not_twice_in_one(force, wessex, wessex_template):
    from django.db import IntegrityError, transaction

    ConditionTemplate.objects.create(force=force, name=wessex_template.name, kind="reparative", wording="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        ConditionTemplate.objects.create(
            force=wessex, name=wessex_template.name, kind="reparative", wording="y"
        )


# --- Schemes and the organisation itself ------------------------------------------------------------
def test_another_forces_scheme_is_not_found(client_for, administrator, wessex):
    scheme = SchemeFactory(force=wessex)
    client = client_for(administrator)

    assert client.get(f"/admin/cases/scheme/{scheme.pk}/change/").status_code == 404
    assert client.post(f"/admin/cases/scheme/{scheme.pk}/change/", {"name": "Taken"}).status_code == 404
    assert Scheme.objects.get(pk=scheme.pk).name == scheme.name


def test_an_administrator_cannot_change_what_kind_of_organisation_theirs_is(client_for, agency):
    partner_admin = UserFactory(organisation=agency, roles=[Role.ADMINISTRATOR])

    client_for(partner_admin).post(
        f"/admin/accounts/organisation/{agency.pk}/change/",
        {
            "name": agency.name,
            "kind": "police_force",
            "email": agency.email,
            "is_active": "on",
            "areas-TOTAL_FORMS": "0",
            "areas-INITIAL_FORMS": "0",
        },
    )

    agency.refresh_from_db()
    assert agency.kind == "partner_agency"
