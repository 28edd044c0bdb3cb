"""``manage.py seed_demo``: a first run's demo data, idempotent, refused on production settings."""

from datetime import date
from io import StringIO

import pytest
from clock_support import morning_of
from django.apps import apps
from django.core.management import CommandError, call_command

from cases.events import EventCode
from cases.models import Case, Person, PersonChange
from offenderhub.accounts.models import Area, Organisation, OrganisationKind, Role, RoleAssignment, User
from offenderhub.core.demo import DEMO_PASSWORD


def _seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_seed_demo_creates_the_demo_organisations(db, debug):
    _seed()

    (force,) = Organisation.objects.filter(kind=OrganisationKind.POLICE_FORCE)
    assert Area.objects.filter(force=force).count() == 2
    assert Organisation.objects.filter(kind=OrganisationKind.PARTNER_AGENCY).count() == 3
    (opcc,) = Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER_OFFICE)
    assert opcc.force == force


def test_seed_demo_runs_on_29_february(db, debug, time_machine):
    """The demo's people are aged from today: on a leap day, someone born "N years ago" was born on
    28 February (it used to stop with "day is out of range for month")."""
    time_machine.move_to(morning_of(date(2028, 2, 29)))

    _seed()

    born = Person.objects.values_list("date_of_birth", flat=True)
    assert born and all(day < date(2028, 2, 29) for day in born)


def test_seed_demo_creates_a_user_for_each_role(db, debug):
    output = _seed()

    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    for user in User.objects.all():
        assert user.roles, user.email
        user.full_clean()  # the area is in the user's own force
        assert user.check_password(DEMO_PASSWORD)
        assert user.email in output
    for assignment in RoleAssignment.objects.select_related("user__organisation"):
        assignment.full_clean()  # every role is one the organisation may grant


def test_seeded_user_can_sign_in(client, db, debug):
    _seed()
    user = RoleAssignment.objects.filter(role=Role.CASE_WORKER).first().user

    response = client.post("/login/", {"username": user.email, "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert client.get("/").status_code == 302  # the second factor first: the code from demo_codes
    out = StringIO()
    call_command("demo_codes", user.email, stdout=out)
    code = out.getvalue().split()[-1]
    assert client.post("/account/two-factor/", {"code": code}).status_code == 302
    assert client.get("/").status_code == 200


def test_seed_demo_twice_changes_nothing(db, debug):
    _seed()
    first = _row_counts()

    _seed()

    assert _row_counts() == first
    assert first["accounts.User"] >= 7


def test_seed_demo_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--allow-production"):
        _seed()

    assert not Organisation.objects.exists()
    assert not User.objects.exists()


def test_seed_demo_refusal_says_how_to_run_it_on_a_laptop(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError) as refused:
        _seed()

    assert "DEBUG=True .venv/bin/python manage.py seed_demo" in str(refused.value)
    assert "make seed" in str(refused.value)


def test_seed_demo_runs_with_debug_off_when_allowed(db, settings):
    settings.DEBUG = False

    _seed("--allow-production")

    assert Organisation.objects.filter(kind=OrganisationKind.POLICE_FORCE).count() == 1


def test_logins_only_prints_without_loading(db, settings):
    settings.DEBUG = False

    output = _seed("--logins-only")

    assert DEMO_PASSWORD in output
    assert not User.objects.exists()


def test_seed_demo_shows_a_person_corrected_with_an_ended_alias(db, debug):
    _seed()

    person = Person.objects.get(pnc_id="15/0023456B")
    assert person.phone == "07700 900456" and person.postcode == "FE3 4CD"
    fields = set(PersonChange.objects.filter(person=person).values_list("field", flat=True))
    assert {"phone", "address", "postcode", "alias_added", "alias_ended"} <= fields
    assert [str(a) for a in person.aliases.all() if a.is_current] == ["Kaylee Brooks"]
    assert [str(a) for a in person.aliases.all() if not a.is_current] == ["Kayleigh Brookes"]


def test_seed_demo_shows_a_case_corrected_on_its_timeline(db, debug):
    _seed()

    case = Case.objects.get(person__pnc_id="15/0023456B")
    corrected = case.events.get(code=EventCode.CASE_CORRECTED)
    assert corrected.summary == "Corrected: circumstances changed"
    assert "placeholder" in corrected.notes
    assert "bus shelter" in case.circumstances


def test_seed_demo_shows_data_quality_problems_to_the_supervisor(db, debug):
    from reporting.quality import quality_counts_for

    _seed()
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    counts = {row["category"].slug: row["count"] for row in quality_counts_for(supervisor)}
    for slug in ("no-pnc-id", "duplicates", "stuck-cases", "conditions-without-owner", "no-ethnicity"):
        assert counts[slug] >= 1, slug


def test_seed_demo_shows_a_subject_access_request_in_review(db, debug):
    from subjectaccess.models import RequestStatus, SubjectAccessRequest

    _seed()

    [sar] = SubjectAccessRequest.objects.all()
    assert sar.person.pnc_id == "14/0101234K"
    assert sar.status == RequestStatus.IN_REVIEW
    assert sar.export_pdf.storage.exists(sar.export_pdf.name)
    assert sar.export_archive.storage.exists(sar.export_archive.name)
    assert [r.item.split(".")[1] for r in sar.redactions.all()] == ["victim_views"]
    assert not sar.export_out_of_date


def test_seed_demo_shows_a_merged_pair_and_a_pair_left_to_merge(db, debug):
    from cases.models import PersonMerge
    from cases.services import person_merge_undo_refusal
    from reporting.quality import duplicate_people_for

    _seed()

    merge = PersonMerge.objects.get()
    assert merge.kept.pnc_id == "21/0034567C" and merge.merged.family_name == "Oyelaren"
    assert merge.kept.cases.count() == 2 and merge.kept.phone == "07700 900789"
    assert [str(a) for a in merge.kept.aliases.all()] == ["Marcus Oyelaren"]
    assert person_merge_undo_refusal(merge) is None  # a first run can try "Undo"
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    suspected = {
        (p.person.family_name, p.other.family_name): p.reasons for p in duplicate_people_for(supervisor)
    }
    # Left to merge, written another way (the import's likely match, Kaylee Brookes, is another pair).
    assert suspected["Whitmore", "Whitmoore"][:2] == [
        "family name sounds alike (Whitmore/Whitmoore)",
        "given names are variants of one name (Daniel/Danny)",
    ]
    assert ("Brooks", "Brookes") in suspected
    assert not any(name.startswith("Oyelar") for pair in suspected for name in pair)  # merged: no longer


def test_seed_demo_shows_disclosure_control_and_a_permitted_analyst(db, debug, client_for):
    """A first run: the analyst's dashboard rounds every count down to a multiple of 5, shows "<5"
    and withholds the small groups and cohorts, and the analyst may download the case extract
    (granted by their office's administrator)."""
    from django.urls import reverse

    from reporting.models import ExtractPermission

    _seed()
    analyst = User.objects.get(email="analyst@fenshire-opcc.example")
    permission = ExtractPermission.objects.get(user=analyst, revoked_at=None)
    assert permission.granted_by.email == "admin@fenshire-opcc.example"
    client = client_for(analyst)
    response = client.get(reverse("reporting:dashboard"))
    f = response.context["f"]
    assert not f["withheld"] and f["total"].shown % 5 == 0
    html = response.content.decode()
    assert "&lt;5" in html and "&lt;10" in html
    assert reverse("reporting:extract") in html
    assert client.get(reverse("reporting:dashboard"), {"sex": "not_stated"}).context["f"]["withheld"]
    extract = client.post(
        reverse("reporting:extract"), {"purpose": "Demo", "recipient": "OPCC performance team"}
    )
    assert extract.status_code == 200
    assert b"".join(extract.streaming_content).startswith(b"case,scheme")


def test_every_demo_case_opens_on_every_page_of_its_file(db, debug, client_for):
    """A first run: each of the demo's cases, in every status, opens on each page of its file, and no
    page is empty on every case (partners' documents and a victim's views are in the demo)."""
    from referrals.models import Evidence

    _seed()
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    client = client_for(supervisor)
    cases = Case.objects.filter(force=supervisor.organisation)
    assert len(set(cases.values_list("status", flat=True))) >= 8
    for case in cases:
        for page in ("", "conditions/", "assessment/", "timeline/", "documents/", "victim/"):
            assert client.get(f"/cases/{case.pk}/{page}").status_code == 200, (case.reference, page)
    assert Evidence.objects.filter(referral__case__in=cases).exists()
    assert cases.exclude(victim_views="").exists()
