"""``seed_demo``: a first run shows the review queue with records falling due and one erasure in the
register; ``run_daily_jobs --today`` years later flags the rest of the demo's ended cases, once."""

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from cases.models import Person
from offenderhub.accounts.models import User
from retention.models import ErasureRecord, LegalHold, RetentionReview

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())


def test_a_first_run_shows_records_due_one_kept_one_held_and_one_erasure_in_the_register(
    seeded, client_for, settings
):
    statuses = sorted(RetentionReview.objects.values_list("status", flat=True))
    assert statuses == ["due", "due", "erased", "erasure_requested", "retained"]
    held = LegalHold.objects.get(cleared_at__isnull=True)
    assert not RetentionReview.objects.filter(person_id=held.person_id).exists()

    record = ErasureRecord.objects.get()
    assert record.requested_by.email == "supervisor@fenshire-police.example"
    assert record.authorised_by.email == "supervisor2@fenshire-police.example"
    assert record.removed["Signed caution documents"] == 1 and record.files_removed_at is not None
    person = Person.objects.get(pk=record.person_id)
    assert person.is_erased and not person.family_name
    assert not list(Path(settings.MEDIA_ROOT).rglob(f"case-{person.cases.get().pk}-*"))

    supervisor = User.objects.get(email="supervisor@fenshire-police.example")
    queue = client_for(supervisor).get("/retention/").content.decode()
    assert "Shannon Pike" in queue and "Erasure awaiting approval" in queue
    register = client_for(supervisor).get("/retention/register/").content.decode()
    assert f"Person #{person.pk}" in register and "Insp Mark Bell" in register


def test_seed_demo_twice_adds_no_review_and_no_erasure(seeded):
    counts = (RetentionReview.objects.count(), ErasureRecord.objects.count(), LegalHold.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert (
        RetentionReview.objects.count(),
        ErasureRecord.objects.count(),
        LegalHold.objects.count(),
    ) == counts


def test_run_daily_jobs_years_after_the_demo_flags_its_ended_cases_and_nothing_the_second_time(seeded):
    def run():
        out = StringIO()
        call_command("run_daily_jobs", "--today", "2034-06-16", "--job", "retention_review", stdout=out)
        return out.getvalue()

    first, second = run(), run()

    assert '"retention_reviews_flagged": 0' not in first
    assert '"retention_reviews_flagged": 0' in second
    assert RetentionReview.objects.filter(status="due").count() > 20
    assert date(2034, 6, 16) in set(RetentionReview.objects.values_list("due_on", flat=True))
