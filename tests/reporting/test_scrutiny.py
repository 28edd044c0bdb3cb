"""The out-of-court disposal scrutiny panel: a random, reproducible sample of the force's completed or
breached cases, shown anonymised, with the panel's finding recorded per case (issue 7)."""

import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from reporting_support import ADMISSION_WORDS, CIRCUMSTANCES, RATIONALE, pnc

from cases.services import CaseError
from offenderhub.audit.models import AuditAction, AuditEvent
from reporting.models import Finding, ScrutinyItem, ScrutinySample
from reporting.pseudonyms import pseudonym, sample_case_pseudonym
from reporting.services import sample_too_few_message, scrutiny_finding_record, scrutiny_sample_create

SAMPLES = reverse("reporting:samples")
BOTH = ["completed", "breached"]


def days_ago(n):
    return timezone.localdate() - timedelta(days=n)


COMPLETED_DAYS_AGO = [300, 280, 260, 240, 200, 180, 160, 100, 80, 50]
BREACHED_DAYS_AGO = [290, 270, 250, 230, 190, 170, 150, 90, 70, 60]


@pytest.fixture
def pool(build, build_other):
    """The force's 10 completed and 10 breached cases (the minimum cohort of each), among cases at
    other stages and another force's finished cases."""
    completed = [
        build(outcome="completed", cautioned_on=days_ago(d), pnc_id=pnc(i), given_names="Zebedee")
        for i, d in enumerate(COMPLETED_DAYS_AGO, start=1)
    ]
    breached = [
        build(outcome="breached", cautioned_on=days_ago(d), family_name="Quartermaine")
        for d in BREACHED_DAYS_AGO
    ]
    build(outcome="active")
    build(outcome="ineligible")
    build()
    build_other(outcome="completed")
    build_other(outcome="breached")
    return {"completed": completed, "breached": breached}


def _draw(actor, force, **overrides):
    kwargs = {"title": "Fenshire panel, 2 March", "outcomes": BOTH, "size": 20, "seed": 42}
    kwargs.update(overrides)
    return scrutiny_sample_create(actor=actor, force_id=force.pk, **kwargs)


def _case_ids(sample):
    return list(sample.items.order_by("position").values_list("case_id", flat=True))


# --- Drawing the sample ---------------------------------------------------------------------------
def test_sample_draws_only_the_forces_completed_or_breached_cases(analyst, force, pool):
    sample = _draw(analyst, force)
    assert set(_case_ids(sample)) == {c.pk for c in pool["completed"] + pool["breached"]}
    assert [item.position for item in sample.items.all()] == list(range(1, 21))
    assert sample.force == force
    assert sample.created_by == analyst
    assert sample.outcomes == sorted(BOTH)
    event = AuditEvent.objects.get(action=AuditAction.CREATED, object_label=f"Scrutiny sample #{sample.pk}")
    assert event.owner_organisation == force
    assert event.reason == "20 of 20 cases drawn (seed 42)"


@pytest.mark.parametrize("outcome", BOTH)
def test_sample_of_one_outcome_draws_only_that_outcome(analyst, force, pool, outcome):
    sample = _draw(analyst, force, outcomes=[outcome], size=10)
    assert set(_case_ids(sample)) == {c.pk for c in pool[outcome]}


def test_sample_keeps_to_the_caution_period(analyst, force, pool):
    sample = _draw(analyst, force, period_from=days_ago(210), period_to=days_ago(65), size=10)
    # Completed 200 to 80 days ago, breached 190 to 70 days ago: five of each.
    expected = pool["completed"][4:9] + pool["breached"][4:9]
    assert set(_case_ids(sample)) == {c.pk for c in expected}


def test_sample_is_reproducible_from_its_seed(analyst, supervisor, force, pool):
    first = _draw(analyst, force, size=3, seed=20270301)
    again = _draw(supervisor, force, size=3, seed=first.seed)
    assert len(_case_ids(first)) == 3
    assert _case_ids(again) == _case_ids(first)
    ids = sorted(c.pk for c in pool["completed"] + pool["breached"])
    assert _case_ids(first) == random.Random(20270301).sample(ids, 3)


def test_a_sample_without_a_seed_records_the_one_it_used(analyst, force, pool):
    sample = _draw(analyst, force, size=3, seed=None)
    replay = _draw(analyst, force, size=3, seed=sample.seed)
    assert _case_ids(replay) == _case_ids(sample)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"outcomes": []}, "outcomes"),
        ({"outcomes": ["withdrawn"]}, "outcomes"),
        ({"size": 0}, "size"),
        ({"size": 101}, "size"),
        # Periods in days ago, turned into dates by the test (at its clock, not at collection).
        ({"period_from": 10, "period_to": 20}, "period_to"),
        ({"period_from": 5}, "size"),  # nothing cautioned since
    ],
)
def test_a_sample_that_cannot_be_drawn_says_why(analyst, force, pool, overrides, field):
    overrides = {k: days_ago(v) if k.startswith("period_") else v for k, v in overrides.items()}
    with pytest.raises(ValidationError) as refused:
        _draw(analyst, force, **overrides)
    assert field in refused.value.message_dict
    assert ScrutinySample.objects.count() == 0


# --- Disclosure control: how many cases a sample holds tells nothing of how many matched -----------------
def _refusal(analyst, force, **overrides):
    with pytest.raises(ValidationError) as refused:
        _draw(analyst, force, **overrides)
    return refused.value.message_dict


def test_a_sample_is_never_smaller_than_asked_for(analyst, force, pool):
    """Before, asking for 100 breached cases of a month drew the 3 there were: the page said "3 cases
    drawn", a count the dashboard shows as "<5"."""
    refused = _refusal(analyst, force, outcomes=["breached"], size=11)
    assert refused == {"size": [sample_too_few_message()]}
    assert ScrutinySample.objects.count() == 0
    assert _draw(analyst, force, outcomes=["breached"], size=10).items.count() == 10


@pytest.mark.parametrize("days", [5, 55, 85])  # none, 1 and 4 cases cautioned since
def test_fewer_cases_than_the_minimum_cohort_are_refused_alike_whatever_their_number(
    analyst, force, pool, days
):
    refused = _refusal(analyst, force, period_from=days_ago(days), size=1)
    assert refused == {"size": [sample_too_few_message()]}
    assert ScrutinySample.objects.count() == 0


def test_a_refusal_tells_only_the_dashboards_band_of_how_many_matched(analyst, force, pool, build):
    """12 completed cases: a sample of up to 10 is drawn, of 11 or 12 refused, as for 10 to 14 cases,
    which is what the dashboard's "10" says."""
    for d in (40, 30):
        build(outcome="completed", cautioned_on=days_ago(d))
    for size in (11, 12):
        assert _refusal(analyst, force, outcomes=["completed"], size=size) == {
            "size": [sample_too_few_message()]
        }
    assert _draw(analyst, force, outcomes=["completed"], size=10).items.count() == 10


def test_the_sample_page_counts_the_cases_asked_for(client_for, analyst, force, pool):
    sample = _draw(analyst, force, outcomes=["breached"], size=10)
    html = client_for(analyst).get(reverse("reporting:sample", args=[sample.pk])).content.decode()
    assert "10 cases drawn on" in html


def test_only_analysts_and_supervisors_draw_samples(case_worker, force, pool):
    with pytest.raises(CaseError):
        _draw(case_worker, force)


def test_analyst_draws_a_sample_through_the_page(client_for, analyst, pool):
    response = client_for(analyst).post(
        SAMPLES, {"title": "Panel, March 2027", "outcomes": BOTH, "size": "5"}
    )
    sample = ScrutinySample.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:sample", args=[sample.pk])
    assert sample.items.count() == 5


def test_a_refused_sample_is_shown_on_the_form(client_for, analyst, pool):
    response = client_for(analyst).post(SAMPLES, {"title": "Panel", "outcomes": BOTH, "size": "0"})
    assert response.status_code == 400
    assert response.context["form"].errors["size"]
    assert ScrutinySample.objects.count() == 0


# --- The anonymised page ---------------------------------------------------------------------------
def test_sample_page_is_anonymised(client_for, analyst, force, pool, case_worker, decision_maker):
    sample = _draw(analyst, force)
    response = client_for(analyst).get(reverse("reporting:sample", args=[sample.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    cases = pool["completed"] + pool["breached"]
    for case in cases:
        assert sample_case_pseudonym(sample.pk, case.pk) in html
    forbidden = [
        *[pseudonym("case", case.pk) for case in cases],  # the extract's: it would join the two
        "Zebedee",
        "Quartermaine",
        *[case.person.given_names for case in cases],
        *[case.person.family_name for case in cases],
        *[case.person.pnc_id for case in cases if case.person.pnc_id],
        *[case.reference for case in cases],
        CIRCUMSTANCES,
        ADMISSION_WORDS,
        RATIONALE,
        case_worker.full_name,
        decision_maker.full_name,
    ]
    found = [value for value in forbidden if value in html]
    assert not found
    assert "Breached: prosecution resumed" in html
    assert "Completed: diverted" in html
    assert "Common assault" in html


def test_a_case_drawn_in_two_samples_has_a_pseudonym_of_its_own_in_each(client_for, analyst, force, pool):
    """Joined by one stable pseudonym, samples drawn again and again would count exactly the cases that
    match a period and outcome (a count the dashboard shows only to a band of five)."""
    first, second = _draw(analyst, force, size=10, seed=1), _draw(analyst, force, size=10, seed=2)
    client = client_for(analyst)
    pages = [client.get(reverse("reporting:sample", args=[s.pk])).content.decode() for s in (first, second)]
    both = set(_case_ids(first)) & set(_case_ids(second))
    assert both
    for case_id in both:
        assert sample_case_pseudonym(first.pk, case_id) in pages[0]
        assert sample_case_pseudonym(first.pk, case_id) not in pages[1]
        assert sample_case_pseudonym(second.pk, case_id) in pages[1]


# --- Findings -------------------------------------------------------------------------------------
@pytest.fixture
def sample(analyst, force, pool):
    return _draw(analyst, force, size=3)


def _post_finding(client, sample, item, finding, observations=""):
    return client.post(
        reverse("reporting:sample", args=[sample.pk]),
        {"item": item.pk, "finding": finding, "observations": observations},
    )


def test_panel_records_an_appropriate_finding(client_for, analyst, sample):
    item = sample.items.first()
    response = _post_finding(client_for(analyst), sample, item, Finding.APPROPRIATE)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert item.finding == Finding.APPROPRIATE
    assert item.recorded_by == analyst
    assert item.recorded_at is not None
    event = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(item.pk))
    assert event.changes == {"finding": ["", "appropriate"]}
    assert event.owner_organisation == sample.force


@pytest.mark.parametrize("finding", [Finding.OBSERVATIONS, Finding.INAPPROPRIATE])
def test_observations_are_required_unless_appropriate(client_for, analyst, sample, finding):
    item = sample.items.first()
    client = client_for(analyst)
    response = _post_finding(client, sample, item, finding, observations="  ")
    assert response.status_code == 400
    assert "Record the panel&#x27;s observations." in response.content.decode()
    item.refresh_from_db()
    assert item.finding == ""
    assert item.recorded_by is None

    response = _post_finding(client, sample, item, finding, observations="Victim's views not sought.")
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.finding, item.observations) == (finding, "Victim's views not sought.")


def test_a_finding_can_be_changed_and_the_change_is_audited(supervisor, sample):
    item = sample.items.first()
    scrutiny_finding_record(
        actor=supervisor, item_id=item.pk, force_id=sample.force_id, finding="appropriate", observations=""
    )
    scrutiny_finding_record(
        actor=supervisor,
        item_id=item.pk,
        force_id=sample.force_id,
        finding="inappropriate",
        observations="Gravity too high for the scheme.",
    )
    item.refresh_from_db()
    assert item.finding == Finding.INAPPROPRIATE
    changes = list(
        AuditEvent.objects.filter(action=AuditAction.CHANGED, object_id=str(item.pk))
        .order_by("pk")
        .values_list("changes", flat=True)
    )
    assert changes == [{"finding": ["", "appropriate"]}, {"finding": ["appropriate", "inappropriate"]}]


def test_an_unknown_finding_is_refused(analyst, sample):
    with pytest.raises(ValidationError) as refused:
        scrutiny_finding_record(
            actor=analyst,
            item_id=sample.items.first().pk,
            force_id=sample.force_id,
            finding="",
            observations="",
        )
    assert "finding" in refused.value.message_dict


def test_an_item_of_another_sample_posted_to_this_samples_page_is_refused(client_for, analyst, force, sample):
    other = _draw(analyst, force, title="Another panel", size=2, seed=7)
    stray = other.items.first()
    response = _post_finding(client_for(analyst), sample, stray, Finding.APPROPRIATE)
    assert response.status_code == 400
    stray.refresh_from_db()
    assert stray.finding == ""


# --- Who may see it -------------------------------------------------------------------------------
def test_outsider_gets_404_for_another_forces_sample(client_for, outsider_supervisor, sample):
    client = client_for(outsider_supervisor)
    url = reverse("reporting:sample", args=[sample.pk])
    assert client.get(url).status_code == 404
    item = sample.items.first()
    assert _post_finding(client, sample, item, Finding.APPROPRIATE).status_code == 404
    item.refresh_from_db()
    assert item.finding == ""
    assert list(client.get(SAMPLES).context["samples"]) == []


def test_outsider_cannot_record_a_finding_on_another_forces_item(outsider_supervisor, other_force, sample):
    with pytest.raises(CaseError):
        scrutiny_finding_record(
            actor=outsider_supervisor,
            item_id=sample.items.first().pk,
            force_id=other_force.pk,
            finding="appropriate",
            observations="",
        )
    assert not ScrutinyItem.objects.exclude(finding="").exists()


def test_the_forces_supervisor_sees_the_analysts_sample(client_for, supervisor, sample):
    response = client_for(supervisor).get(reverse("reporting:sample", args=[sample.pk]))
    assert response.status_code == 200
    assert len(response.context["items"]) == 3


@pytest.mark.parametrize("who", ["practitioner", "partner_manager", "case_worker"])
def test_partners_and_case_workers_get_403(client_for, request, sample, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(SAMPLES).status_code == 403
    assert client.get(reverse("reporting:sample", args=[sample.pk])).status_code == 403
    item = sample.items.first()
    assert _post_finding(client, sample, item, Finding.APPROPRIATE).status_code == 403
    item.refresh_from_db()
    assert item.finding == ""
