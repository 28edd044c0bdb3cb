"""The dashboard's summaries (reporting/summaries.py) follow every change, whatever its route: kept
current case by case they hold exactly what a full rebuild makes."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from factories import ABH, COMMON_ASSAULT, ROBBERY
from reporting_support import CaseBuilder, pnc, police_records_csv

from assessments.models import PathwayNeed
from cases.models import Case, EligibilityDecision, Offence, OffenceGroup, Person, Sex
from offenderhub.accounts.models import Organisation, User
from referrals.models import Referral, ReferralStatus
from reporting.models import CaseCostFact, CaseFact, ReferralFact, StaleCase
from reporting.services import reoffending_import
from reporting.summaries import rebuild, refresh_all_stale


def _summaries():
    """Everything the summaries hold, but when each row was made."""
    facts = {row.pop("case_id"): row for row in CaseFact.objects.values()}
    for row in facts.values():
        row.pop("refreshed_at")
    costs = sorted(CaseCostFact.objects.values_list("case_id", "offence_id", "before", "after", "recorded"))
    referrals = sorted(ReferralFact.objects.values_list())
    return facts, costs, referrals


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    return Organisation.objects.get(name="Fenshire Constabulary")


def test_summaries_kept_current_through_every_route_match_a_full_rebuild(demo):
    assert CaseFact.objects.count() == Case.objects.count() > 0
    assert not StaleCase.objects.exists()
    today = timezone.localdate()
    build = CaseBuilder(demo)
    supervisor = User.objects.get(email="supervisor@fenshire-police.example")

    # New cases at every stage, through the models' own saves.
    made = [
        build(outcome=outcome, cautioned_on=today - timedelta(days=days), pnc_id=pnc(900 + i))
        for i, (outcome, days) in enumerate(
            [("completed", 600), ("breached", 420), ("active", 40), ("ineligible", 0), (None, 0)]
        )
    ]
    # Set-based writes that send no model signal: a person's details, an offence's group, needs,
    # referrals, a decision superseded, police records imported.
    Person.objects.filter(pk=made[0].person_id).update(sex=Sex.FEMALE)
    Offence.objects.filter(name=ROBBERY).update(group=OffenceGroup.THEFT)
    PathwayNeed.objects.filter(pk__in=PathwayNeed.objects.order_by("pk").values("pk")[:40]).update(
        level=3 - F("level")
    )
    Referral.objects.filter(pk__in=Referral.objects.order_by("pk").values("pk")[:5]).update(
        status=ReferralStatus.DECLINED, accepted_at=None
    )
    latest = EligibilityDecision.objects.filter(case=made[1]).get()
    latest.pk = None
    latest.outcome = "ineligible"
    latest.supersedes = EligibilityDecision.objects.get(case=made[1])
    latest.save()
    records = [
        (made[0].person.pnc_id, today - timedelta(days=580), ABH, "conviction", today - timedelta(days=500)),
        (
            made[1].person.pnc_id,
            today - timedelta(days=500),
            COMMON_ASSAULT,
            "caution",
            today - timedelta(days=490),
        ),
    ]
    assert reoffending_import(actor=supervisor, upload=police_records_csv(records), today=today).errors == []
    # A case deleted.
    gone = made[4]
    gone.offences.all().delete()
    gone.events.all().delete()
    Case.objects.filter(pk=gone.pk).delete()
    # And a day's jobs.
    call_command("run_daily_jobs", "--today", today.isoformat(), stdout=StringIO())

    assert StaleCase.objects.count() >= len(made)
    refresh_all_stale()
    assert not StaleCase.objects.exists()
    assert not CaseFact.objects.filter(case_id=gone.pk).exists()
    assert CaseFact.objects.get(case_id=made[0].pk).sex == Sex.FEMALE
    kept_current = _summaries()

    rebuild()

    assert _summaries() == kept_current


def test_the_dashboard_says_when_its_figures_were_refreshed(demo, client_for):
    analyst = User.objects.get(email="analyst@fenshire-opcc.example")
    html = client_for(analyst).get(reverse("reporting:dashboard")).content.decode()
    assert f"Figures last refreshed on {timezone.localdate():%-d %B %Y}" in html
    assert "with every change included" in html
