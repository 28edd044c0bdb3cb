"""A scheme's rules changed by the force's administrators (issue 14, part 8): every limit the service
refuses, the preview of the undecided cases the new rules would make ineligible, and the change itself
(locked, audited field by field with the reason, and a no-op when nothing changes)."""

import pytest
from django.core.exceptions import ValidationError
from factories import (
    ABH,
    COMMON_ASSAULT,
    ROBBERY,
    CaseFactory,
    CaseOffenceFactory,
    OffenceFactory,
    SchemeFactory,
)

from cases import services
from cases.models import CaseStatus, Scheme, SchemeChange
from offenderhub.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

REASON = "The board agreed to the change on 20 November."


def rules_of(scheme, **changes) -> dict:
    """The scheme's rules as the page posts them, with ``changes``."""
    return {**{name: getattr(scheme, name) for name in services.SCHEME_RULE_FIELDS}, **changes}


def refusal(scheme, **changes) -> dict:
    with pytest.raises(ValidationError) as caught:
        services.scheme_rules_validate(scheme, rules_of(scheme, **changes))
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"compliance_period_max_days": 141}, "compliance_period_max_days", "20 weeks"),
        ({"compliance_period_max_days": 0}, "compliance_period_max_days", "from 1 to 140"),
        ({"compliance_period_default_days": 141}, "compliance_period_default_days", "140 days"),
        (
            {"compliance_period_default_days": 120, "compliance_period_max_days": 112},
            "compliance_period_default_days",
            "cannot be longer than the maximum",
        ),
        ({"maximum_gravity": 0}, "maximum_gravity", "from 1 (low) to 4 (high)"),
        ({"maximum_gravity": 5}, "maximum_gravity", "from 1 (low) to 4 (high)"),
        ({"minimum_age": 17}, "minimum_age", "adults"),
        ({"maximum_crime_age_days": 0}, "maximum_crime_age_days", "from 1 to 3650"),
        ({"maximum_crime_age_days": -5}, "maximum_crime_age_days", "from 1 to 3650"),
        ({"maximum_previous_convictions": -1}, "maximum_previous_convictions", "from 0 to 500"),
        ({"maximum_previous_cautions": 501}, "maximum_previous_cautions", "from 0 to 500"),
        ({"breach_decision_days": 0}, "breach_decision_days", "from 1 to 90"),
        ({"breach_decision_days": -1}, "breach_decision_days", "from 1 to 90"),
        ({"reminder_lead_days": -1}, "reminder_lead_days", "from 0 to 90"),
        (
            {"reminder_lead_days": 30, "compliance_period_default_days": 30},
            "reminder_lead_days",
            "before the default period ends",
        ),
        ({"victim_notification_days": 6}, "victim_notification_days", "Victims' Code"),
        ({"victim_notification_days": 0}, "victim_notification_days", "from 1"),
        ({"minimum_age": None}, "minimum_age", "from 18"),
        ({"excluded_offence_groups": ["violence", "piracy"]}, "excluded_offence_groups", "piracy"),
        ({"excluded_flags": ["moonlit"]}, "excluded_flags", "moonlit"),
        ({"prosecutor_authority_for": ["minor"]}, "prosecutor_authority_for", "minor"),
    ],
)
def test_each_rule_outside_its_limits_is_refused_with_a_message(force, changes, field, words):
    scheme = SchemeFactory(force=force)
    errors = refusal(scheme, **changes)
    assert words in " ".join(errors[field])


def test_the_twenty_week_maximum_and_the_limits_themselves_are_accepted(force):
    scheme = SchemeFactory(force=force)
    candidate = services.scheme_rules_validate(
        scheme,
        rules_of(
            scheme,
            compliance_period_max_days=140,
            compliance_period_default_days=140,
            maximum_gravity=4,
            minimum_age=18,
            victim_notification_days=5,
            maximum_crime_age_days=None,
            excluded_offence_groups=["violence", "sexual", "violence"],
        ),
    )
    assert candidate.compliance_period_max_days == 140
    assert candidate.excluded_offence_groups == ["sexual", "violence"]
    scheme.refresh_from_db()
    assert scheme.compliance_period_max_days == 20 * 7  # the factory's, untouched: nothing is saved


def test_a_rule_not_on_the_page_cannot_be_changed(force):
    scheme = SchemeFactory(force=force)
    with pytest.raises(ValidationError, match="cannot be changed here: code"):
        services.scheme_rules_validate(scheme, {"code": "ZZ"})


# --- The preview -----------------------------------------------------------------------------------


@pytest.fixture
def scheme(force):
    return SchemeFactory(force=force, name="Offender Hub", code="OH", maximum_gravity=3)


def case_of(scheme, offence, status=CaseStatus.INTAKE, **extra):
    case = CaseFactory(force=scheme.force, scheme=scheme, status=status, **extra)
    CaseOffenceFactory(case=case, offence=OffenceFactory(name=offence))
    return case


def test_the_preview_lists_the_undecided_cases_the_new_rules_would_make_ineligible(scheme):
    abh_intake = case_of(scheme, ABH)
    abh_awaiting = case_of(scheme, ABH, CaseStatus.AWAITING_DECISION)
    case_of(scheme, COMMON_ASSAULT)  # gravity 2: still eligible
    case_of(scheme, ABH, CaseStatus.ASSESSMENT)  # decided: keeps its decision
    case_of(scheme, ROBBERY)  # already ineligible today (robbery excluded, gravity 4)
    case_of(SchemeFactory(force=scheme.force), ABH)  # another scheme's case

    preview = services.scheme_rules_preview(scheme=scheme, proposed=rules_of(scheme, maximum_gravity=2))

    assert [e.case for e in preview.ineligible] == sorted(
        [abh_intake, abh_awaiting], key=lambda c: c.reference
    )
    assert {c.code for e in preview.ineligible for c in e.failures} == {"gravity"}
    assert "score 3; the scheme accepts up to 2" in preview.ineligible[0].failures[0].explanation
    assert preview.changes == {"maximum_gravity": ("3", "2")}
    scheme.refresh_from_db()
    assert scheme.maximum_gravity == 3


def test_the_preview_names_each_new_rule_a_case_would_fail(scheme):
    case = case_of(scheme, COMMON_ASSAULT, previous_convictions=2, flags=["weapon"])

    preview = services.scheme_rules_preview(
        scheme=scheme,
        proposed=rules_of(
            scheme,
            excluded_offence_groups=["violence"],
            excluded_flags=["weapon"],
            maximum_previous_convictions=1,
            minimum_age=60,
        ),
    )

    (effect,) = preview.ineligible
    assert effect.case == case
    assert {c.code for c in effect.failures} == {
        "offence_group",
        "flags",
        "previous_convictions",
        "minimum_age",
    }
    assert preview.changes["excluded_offence_groups"] == (
        "Robbery, Sexual offences",
        "Violence against the person",
    )
    assert preview.changes["maximum_previous_convictions"] == ("no limit", "1")


def test_relaxed_rules_make_no_case_ineligible(scheme):
    case_of(scheme, ABH)
    preview = services.scheme_rules_preview(scheme=scheme, proposed=rules_of(scheme, maximum_gravity=4))
    assert preview.ineligible == []


def test_the_preview_reads_in_two_queries_whatever_the_number_of_cases(scheme, django_assert_num_queries):
    for _ in range(4):
        case_of(scheme, ABH)
    with django_assert_num_queries(2):  # the cases with their people, then their offences
        preview = services.scheme_rules_preview(scheme=scheme, proposed=rules_of(scheme, maximum_gravity=2))
    assert len(preview.ineligible) == 4


def test_the_preview_refuses_rules_outside_their_limits(scheme):
    with pytest.raises(ValidationError) as caught:
        services.scheme_rules_preview(
            scheme=scheme, proposed=rules_of(scheme, compliance_period_max_days=150)
        )
    assert "compliance_period_max_days" in caught.value.message_dict


# --- The change ------------------------------------------------------------------------------------


def test_a_change_saves_the_rules_and_audits_each_field_old_and_new_with_the_reason(scheme, administrator):
    changed = services.scheme_rules_change(
        scheme_id=scheme.pk,
        actor=administrator,
        proposed=rules_of(
            scheme, maximum_gravity=2, excluded_flags=["hate_crime"], compliance_period_max_days=126
        ),
        reason=REASON,
    )

    assert set(changed) == {"maximum_gravity", "excluded_flags", "compliance_period_max_days"}
    scheme.refresh_from_db()
    assert (scheme.maximum_gravity, scheme.excluded_flags, scheme.compliance_period_max_days) == (
        2,
        ["hate_crime"],
        126,
    )
    event = AuditEvent.objects.get(action=AuditAction.CHANGED, object_id=str(scheme.pk))
    assert event.changes == {
        "maximum_gravity": ["3", "2"],
        "excluded_flags": ["none", "Hate crime"],
        "compliance_period_max_days": ["140", "126"],
    }
    assert event.reason == "Scheme rules changed by an administrator"  # never what someone typed
    assert REASON not in str(event.changes)
    assert event.actor == administrator and event.owner_organisation == scheme.force
    assert event.object_label == "Scheme OH"
    [history] = SchemeChange.objects.filter(scheme=scheme)
    assert (history.reason, history.changed_by, history.changes) == (REASON, administrator, event.changes)


def test_no_change_writes_nothing(scheme, administrator):
    proposed = rules_of(scheme, excluded_offence_groups=["sexual", "robbery"])  # the same, in another order
    assert (
        services.scheme_rules_change(
            scheme_id=scheme.pk, actor=administrator, proposed=proposed, reason=REASON
        )
        == {}
    )
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()
    assert not SchemeChange.objects.exists()


def test_a_change_needs_a_reason_and_saves_nothing_without_one(scheme, administrator):
    with pytest.raises(ValidationError) as caught:
        services.scheme_rules_change(
            scheme_id=scheme.pk,
            actor=administrator,
            proposed=rules_of(scheme, maximum_gravity=2),
            reason="  ",
        )
    assert "reason" in caught.value.message_dict
    scheme.refresh_from_db()
    assert scheme.maximum_gravity == 3
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()


def test_a_refused_change_saves_nothing(scheme, administrator):
    with pytest.raises(ValidationError):
        services.scheme_rules_change(
            scheme_id=scheme.pk,
            actor=administrator,
            proposed=rules_of(scheme, maximum_gravity=2, compliance_period_max_days=141),
            reason=REASON,
        )
    scheme.refresh_from_db()
    assert (scheme.maximum_gravity, scheme.compliance_period_max_days) == (3, 140)
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGED).exists()


def test_only_an_administrator_of_the_schemes_force_changes_it(scheme, supervisor, outsider_administrator):
    with pytest.raises(services.CaseError, match="Only administrators"):
        services.scheme_rules_change(
            scheme_id=scheme.pk, actor=supervisor, proposed=rules_of(scheme, maximum_gravity=2), reason=REASON
        )
    with pytest.raises(services.CaseError, match="does not exist"):
        services.scheme_rules_change(
            scheme_id=scheme.pk,
            actor=outsider_administrator,
            proposed=rules_of(scheme, maximum_gravity=2),
            reason=REASON,
        )
    assert Scheme.objects.get(pk=scheme.pk).maximum_gravity == 3
