"""``manage.py seed_volume``: a force's volume of records for the benchmark, on top of the demo. A
small run here checks the shape and the invariants the app relies on; the speed is measured by
``make bench`` (docs/performance.md), not by a test."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from factories import UserFactory

from assessments.models import Assessment, PathwayNeed
from cases.models import Case, CaseEvent, CaseStatus, Person, ReferenceCounter
from conditions.document_store import caution_document_read
from conditions.models import BreachReview, Caution, Condition, Prosecution
from offenderhub.accounts.models import Role, User
from offenderhub.audit.models import AuditEvent
from referrals.models import Appointment, Referral
from reporting.volume import AuditChain

UNDER_CAUTION = {
    CaseStatus.ACTIVE,
    CaseStatus.BREACH_REVIEW,
    CaseStatus.COMPLETED,
    CaseStatus.PROSECUTION_RESUMED,
    CaseStatus.CLOSED,
}


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def _seed_volume(*args):
    out = StringIO()
    call_command("seed_volume", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def volume(db, debug):
    """The demo (loaded by seed_volume itself) and 30 generated cases; returns the generated ones."""
    output = _seed_volume("--cases", "30", "--seed", "3")
    assert "The demo force is missing: loading the demo first." in output
    assert "30 cases added" in output
    return Case.objects.filter(circumstances="Generated for the volume benchmark.")


def test_seed_volume_adds_cases_in_every_status_with_their_records(volume):
    assert volume.count() == 30
    assert {c.status for c in volume} == set(CaseStatus.values)
    for case in volume:
        conditions = Condition.objects.filter(case=case)
        if case.status in UNDER_CAUTION:
            caution = Caution.objects.get(case=case)
            document = caution_document_read(caution)  # a file of its own, matching its checksum
            assert len(document) > 40_000  # a signed PDF of a real one's size
            assert document.startswith(b"%PDF")
            assert caution.document.name.startswith("cautions/")
            assert 8 <= conditions.count() <= 15
        else:
            assert not Caution.objects.filter(case=case).exists()
        for assessment in Assessment.objects.filter(case=case):
            assert PathwayNeed.objects.filter(assessment=assessment).count() == 11
        assert CaseEvent.objects.filter(case=case, code="case_opened").count() == 1
        assert AuditEvent.objects.filter(object_id=str(case.pk), content_type__model="case").exists()


def test_condition_statuses_follow_the_case(volume):
    completed = Condition.objects.filter(case__in=volume.filter(status=CaseStatus.COMPLETED))
    assert set(completed.values_list("status", flat=True)) <= {"complete", "superseded"}
    agreed = Condition.objects.filter(case__in=volume.filter(status=CaseStatus.CONDITIONS_AGREED))
    assert set(agreed.values_list("status", flat=True)) == {"pending"}
    for case in volume.filter(status=CaseStatus.BREACH_REVIEW):
        assert (
            BreachReview.objects.filter(case=case, status__in=["open", "awaiting_countersignature"]).count()
            == 1
        )
    for case in volume.filter(status=CaseStatus.PROSECUTION_RESUMED):
        prosecution = Prosecution.objects.get(case=case)
        assert prosecution.breach_review.status == "breach_confirmed"
        assert Caution.objects.get(case=case).ceased_on is not None
    # Every referral belongs to a condition of its own case, at most one open per condition.
    referrals = Referral.objects.filter(case__in=volume)
    assert referrals.exists()
    assert not referrals.exclude(condition__case=F("case")).exists()
    assert Appointment.objects.filter(referral__in=referrals).exists()
    open_per_condition = Counter(
        referrals.filter(status__in=["sent", "accepted", "in_progress"]).values_list(
            "condition_id", flat=True
        )
    )
    assert max(open_per_condition.values(), default=1) == 1


def test_references_follow_the_counter_and_a_second_run_adds_more(volume):
    first = set(volume.values_list("reference", flat=True))

    _seed_volume("--cases", "30", "--seed", "3")

    cases = Case.objects.all()
    assert volume.count() == 60
    assert cases.values("reference").distinct().count() == cases.count()
    assert set(volume.values_list("reference", flat=True)) > first
    pnc = Person.objects.exclude(pnc_id="").values("force", "pnc_id").annotate(n=Count("id"))
    assert not pnc.filter(n__gt=1).exists()
    # The next case opened through the app gets a reference no generated case holds.
    for counter in ReferenceCounter.objects.all():
        issued = cases.filter(reference__startswith=f"{counter.prefix}-{counter.year}-")
        numbers = [int(r.rsplit("-", 1)[1]) for r in issued.values_list("reference", flat=True)]
        # The demo's cohort is 8000xx; other counters (subject access requests, "SAR") issue no case's.
        assert counter.last_number >= max((n for n in numbers if n < 800000), default=0)


def test_generated_cases_are_shown_to_their_force_only(volume, client_for, other_force):
    case_worker = User.objects.get(email="caseworker@fenshire-police.example")
    client = client_for(case_worker)
    assert client.get("/cases/").status_code == 200
    for status in CaseStatus.values:
        case = volume.filter(status=status).first()
        assert client.get(f"/cases/{case.pk}/").status_code == 200, status
    manager = User.objects.get(email="manager@compass.example")
    assert client_for(manager).get("/referrals/").status_code == 200
    assert client_for(manager).get("/cases/").status_code == 403  # partners have no caseload
    outsider = UserFactory(organisation=other_force, roles=[Role.CASE_WORKER])
    assert client_for(outsider).get(f"/cases/{volume.first().pk}/").status_code == 404
    analyst = User.objects.get(email="analyst@fenshire-opcc.example")
    assert client_for(analyst).get("/reports/").status_code == 200


def test_generated_audit_rows_keep_the_audit_log_verifiable(volume):
    if not AuditChain.in_use():
        pytest.skip("this version of the audit log has no hash chain")
    from offenderhub.audit.chain import chain_verify

    report = chain_verify()

    assert report.intact, report.problem
    assert report.rows == AuditEvent.objects.count()


def test_seed_volume_refuses_production_settings_unless_allowed(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        _seed_volume("--cases", "5")
    assert not Case.objects.exists()

    _seed_volume("--cases", "5", "--allow-production")

    assert Case.objects.filter(~Q(circumstances="Demo case.")).count() >= 5
