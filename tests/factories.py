"""factory-boy factories that build consistent objects: an area belongs to a police force, a user's
area belongs to the user's own force, a commissioner's office oversees a police force, and every role
is one the user's organisation may grant. Each factory runs the model's ``full_clean`` before saving,
so a test cannot build a combination the application would refuse."""

from datetime import date, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from cases.matching import family_name_key, given_name_key
from cases.models import (
    Case,
    CaseOffence,
    CaseStatus,
    DisposalType,
    Offence,
    Person,
    RestorativeJusticeConsent,
    Scheme,
    Sex,
    VictimType,
)
from offenderhub.accounts.models import Area, Organisation, OrganisationKind, Role, RoleAssignment, User

PASSWORD = "correct-horse-battery-9"


class _CleanModelFactory(DjangoModelFactory):
    """Validate with ``full_clean`` (the model's own rules) before inserting."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = model_class(*args, **kwargs)
        obj.full_clean()
        obj.save(force_insert=True)
        return obj


class OrganisationFactory(_CleanModelFactory):
    """A police force by default; ``partner_agency=True`` or ``commissioner_office=True`` for the others
    (a commissioner's office oversees a new police force unless given ``force=``)."""

    class Meta:
        model = Organisation

    class Params:
        partner_agency = factory.Trait(
            kind=OrganisationKind.PARTNER_AGENCY,
            name=factory.Sequence(lambda n: f"Partner Agency {n:03d}"),
        )
        commissioner_office = factory.Trait(
            kind=OrganisationKind.COMMISSIONER_OFFICE,
            name=factory.Sequence(lambda n: f"Office of the Commissioner {n:03d}"),
            force=factory.SubFactory(f"{__name__}.OrganisationFactory"),
        )

    name = factory.Sequence(lambda n: f"Constabulary {n:03d}")
    kind = OrganisationKind.POLICE_FORCE
    force = None
    email = factory.Sequence(lambda n: f"team{n:03d}@organisation.example")


class AreaFactory(_CleanModelFactory):
    class Meta:
        model = Area

    force = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Area {n:03d}")
    code = factory.Sequence(lambda n: f"area-{n:03d}")


class UserFactory(_CleanModelFactory):
    """A user with password ``PASSWORD``. Pass ``roles=[Role.X, ...]`` to grant roles; without
    ``organisation`` the user joins the force of their ``area``, or a new police force."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n:04d}@people.example")
    full_name = factory.Sequence(lambda n: f"Alex Tester{n:04d}")
    job_title = ""
    area = None
    organisation = factory.Maybe(
        "area",
        yes_declaration=factory.SelfAttribute("area.force"),
        no_declaration=factory.SubFactory(OrganisationFactory),
    )
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, password=PASSWORD, **kwargs):
        user = model_class(*args, **kwargs)
        user.set_password(password)
        user.full_clean()  # also refuses an area outside the user's own force
        user.save(force_insert=True)
        return user

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for role in extracted:
            assignment = RoleAssignment(user=obj, role=role)
            assignment.full_clean()  # refuses a role the organisation's kind may not grant
            assignment.save()
        obj.__dict__.pop("roles", None)  # forget any cached (empty) role set


# --- Cases ---------------------------------------------------------------------------------------
COMMON_ASSAULT = "Common assault"  # summary only, gravity 2, violence
ABH = "Assault occasioning actual bodily harm"  # either way, gravity 3, violence
ROBBERY = "Robbery"  # indictable only, gravity 4, robbery
SEXUAL_ASSAULT = "Sexual assault"  # either way, gravity 4, sexual


class OffenceFactory(DjangoModelFactory):
    """One of the offences the reference-data migration loads, looked up by ``name``. It never creates
    an offence, so a misspelt name fails loudly instead of inventing reference data."""

    class Meta:
        model = Offence

    name = COMMON_ASSAULT

    @classmethod
    def _create(cls, model_class, *args, name, **kwargs):
        return model_class.objects.get(name=name, **kwargs)

    @classmethod
    def _build(cls, model_class, *args, name, **kwargs):
        return model_class.objects.get(name=name, **kwargs)


def _letters(n):
    """0 -> "A", 25 -> "Z", 26 -> "AA": scheme codes must be capital letters."""
    letters = ""
    while True:
        letters = chr(ord("A") + n % 26) + letters
        n = n // 26 - 1
        if n < 0:
            return letters


class SchemeFactory(_CleanModelFactory):
    """An adults-only deferred-prosecution scheme of ``force`` (codes SA, SB, ...) that accepts gravity
    up to 3 and excludes sexual offences and robbery."""

    class Meta:
        model = Scheme

    force = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Scheme {n:03d}")
    code = factory.Sequence(lambda n: f"S{_letters(n)}")
    disposal_type = factory.LazyFunction(lambda: DisposalType.objects.get(code="deferred-prosecution"))
    minimum_age = 18
    maximum_gravity = 3
    excluded_offence_groups = factory.LazyFunction(lambda: ["sexual", "robbery"])


class PersonFactory(_CleanModelFactory):
    """A person recorded by a case worker of the person's own ``force``."""

    class Meta:
        model = Person

    force = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(
        UserFactory, organisation=factory.SelfAttribute("..force"), roles=[Role.CASE_WORKER]
    )
    given_names = factory.Sequence(lambda n: f"Robin{n:04d}")
    family_name = factory.Sequence(lambda n: f"Example{n:04d}")
    date_of_birth = date(1990, 5, 17)
    sex = Sex.MALE
    pnc_id = ""
    # The names' phonetic codes, as the services keep them (cases.matching).
    family_name_key = factory.LazyAttribute(lambda person: family_name_key(person.family_name))
    given_name_key = factory.LazyAttribute(lambda person: given_name_key(person.given_names))


class CaseFactory(_CleanModelFactory):
    """A case at intake. Scheme, area, owner (a case worker) and person all belong to ``force``; building
    one that mixes forces raises ValueError. References come from a sequence far above the numbers the
    service issues (``SA-2026-900001``), so factory cases and service cases never collide."""

    class Meta:
        model = Case

    force = factory.SubFactory(OrganisationFactory)
    scheme = factory.SubFactory(SchemeFactory, force=factory.SelfAttribute("..force"))
    area = factory.SubFactory(AreaFactory, force=factory.SelfAttribute("..force"))
    owner = factory.SubFactory(
        UserFactory, organisation=factory.SelfAttribute("..force"), roles=[Role.CASE_WORKER]
    )
    person = factory.SubFactory(
        PersonFactory, force=factory.SelfAttribute("..force"), created_by=factory.SelfAttribute("..owner")
    )
    created_by = factory.SelfAttribute("owner")
    reference = factory.LazyAttributeSequence(
        lambda o, n: f"{o.scheme.code}-{timezone.localdate().year}-{900001 + n:06d}"
    )
    status = CaseStatus.INTAKE
    arrest_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    victim_type = VictimType.NONE
    victim_rj_consent = RestorativeJusticeConsent.NOT_APPLICABLE

    @classmethod
    def _check_forces(cls, kwargs):
        force = kwargs["force"]
        others = {
            "scheme": kwargs["scheme"].force_id,
            "area": kwargs["area"].force_id,
            "owner": kwargs["owner"].organisation_id,
            "person": kwargs["person"].force_id,
        }
        wrong = sorted(name for name, force_id in others.items() if force_id != force.pk)
        if wrong:
            raise ValueError(f"CaseFactory: {', '.join(wrong)} not of the case's force {force}.")

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        cls._check_forces(kwargs)
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        cls._check_forces(kwargs)
        return super()._create(model_class, *args, **kwargs)


class CaseOffenceFactory(_CleanModelFactory):
    """An offence on a case, committed the day before the arrest."""

    class Meta:
        model = CaseOffence

    case = factory.SubFactory(CaseFactory)
    offence = factory.SubFactory(OffenceFactory)
    offence_date = factory.LazyAttribute(lambda o: o.case.arrest_date - timedelta(days=1))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """As the app adds an offence: the case's six-month-limit start follows (cases.services)."""
        from cases.services import case_offence_columns_refresh

        added = super()._create(model_class, *args, **kwargs)
        case_offence_columns_refresh(cases=Case.objects.filter(pk=added.case_id))
        added.case.refresh_from_db(fields=["first_summary_offence_date"])
        return added
