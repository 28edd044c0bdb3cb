"""Every write to needs assessments: start, save the draft, add contributions, complete (then locked)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.events import EventCode
from cases.models import CaseStatus
from cases.services import CaseError, case_event_record, case_lock
from offenderhub.accounts.models import POLICE_ROLES, Organisation, OrganisationKind
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record, field_changes

from .models import (
    IN_NEED,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Contribution,
    NeedLevel,
    Pathway,
    PathwayNeed,
    RiskFlag,
)

# When each kind of assessment can be started: the initial one once the case is eligible, the
# end-of-period one once the caution is in force (or the case has completed).
STARTABLE_IN = {
    AssessmentKind.INITIAL: frozenset({CaseStatus.ASSESSMENT}),
    AssessmentKind.FINAL: frozenset({CaseStatus.ACTIVE, CaseStatus.BREACH_REVIEW, CaseStatus.COMPLETED}),
}


def _police(actor):
    if not actor.has_role(*POLICE_ROLES):
        raise CaseError("Only police staff run needs assessments.")


def _lock_assessment(assessment_id, actor):
    case_id = Assessment.objects.filter(pk=assessment_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise CaseError("That assessment does not exist.")
    case = case_lock(case_id, force_id=actor.organisation_id)
    return case, Assessment.objects.select_for_update().get(pk=assessment_id)


def _editable(assessment):
    if assessment.is_locked:
        raise CaseError(
            "This assessment was completed and is locked. Start an end-of-period assessment instead."
        )


@transaction.atomic
def assessment_start(*, case_id, actor, kind=AssessmentKind.INITIAL) -> Assessment:
    """Start an assessment with every pathway at "none". Starting one that exists returns it."""
    _police(actor)
    case = case_lock(case_id, force_id=actor.organisation_id)
    existing = Assessment.objects.filter(case=case, kind=kind).first()
    if existing is not None:
        return existing
    if case.status not in STARTABLE_IN[kind]:
        raise CaseError(f"A case that is “{case.get_status_display()}” cannot start this assessment.")
    if (
        kind == AssessmentKind.FINAL
        and not case.assessments.filter(
            kind=AssessmentKind.INITIAL, status=AssessmentStatus.COMPLETED
        ).exists()
    ):
        raise CaseError("Complete the initial assessment first.")
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(case=case, kind=kind, created_by=actor)
    except IntegrityError:
        return Assessment.objects.get(case=case, kind=kind)
    PathwayNeed.objects.bulk_create(PathwayNeed(assessment=assessment, pathway=p) for p in Pathway.values)
    case_event_record(
        case,
        code=EventCode.ASSESSMENT_STARTED,
        actor=actor,
        summary=f"{assessment.get_kind_display()} started",
    )
    audit_record(actor=actor, action=AuditAction.CREATED, obj=assessment, reason="Assessment started")
    return assessment


@transaction.atomic
def assessment_update(
    *, assessment_id, actor, goals: str, risk_flags, risk_notes: str, needs: dict
) -> Assessment:
    """Save the draft. ``needs`` maps each pathway to ``(level, notes)``."""
    _police(actor)
    case, assessment = _lock_assessment(assessment_id, actor)
    _editable(assessment)
    unknown = set(risk_flags) - set(RiskFlag.values)
    if unknown:
        raise ValidationError({"risk_flags": "Choose risk flags from the list."})
    rows = {n.pathway: n for n in assessment.needs.select_for_update()}
    before = {
        "goals": assessment.goals,
        "risk_flags": assessment.risk_flags,
        "risk_notes": assessment.risk_notes,
    }
    after = {"goals": goals.strip(), "risk_flags": sorted(risk_flags), "risk_notes": risk_notes.strip()}
    changed_needs = []
    for pathway, (level, notes) in needs.items():
        row = rows.get(pathway)
        if row is None or level not in NeedLevel.values:
            raise ValidationError({"__all__": "Give each pathway a level from the list."})
        if (row.level, row.notes) != (level, notes.strip()):
            before[pathway], after[pathway] = NeedLevel(row.level).label, NeedLevel(level).label
            before[f"{pathway}_notes"], after[f"{pathway}_notes"] = row.notes, notes.strip()
            row.level, row.notes = level, notes.strip()
            changed_needs.append(row)
    PathwayNeed.objects.bulk_update(changed_needs, ["level", "notes"])
    assessment.goals, assessment.risk_flags, assessment.risk_notes = (
        after["goals"],
        after["risk_flags"],
        after["risk_notes"],
    )
    assessment.save()
    # The audit row records which answers changed; what was written stays in the assessment.
    free_text = {"goals"} | {key for key in after if key.endswith("_notes")}
    changes = field_changes(before, after, free_text=free_text)
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.CHANGED,
            obj=assessment,
            changes=changes,
            reason="Assessment draft saved",
        )
    return assessment


def contributor_organisation_list_for(user):
    """Who may contribute to a joint assessment: the user's own force and the partner agencies."""
    return Organisation.objects.filter(pk=user.organisation_id) | Organisation.objects.filter(
        kind=OrganisationKind.PARTNER_AGENCY
    )


@transaction.atomic
def assessment_contribute(
    *, assessment_id, actor, organisation, contributor_name: str, pathway: str, text: str
) -> Contribution:
    """Record what one organisation brought to the joint assessment, attributed to it and a named person."""
    _police(actor)
    case, assessment = _lock_assessment(assessment_id, actor)
    _editable(assessment)
    errors = {}
    if not contributor_organisation_list_for(actor).filter(pk=organisation.pk).exists():
        errors["organisation"] = "Choose your force or a partner agency."
    if not contributor_name.strip():
        errors["contributor_name"] = "Enter the name of the person who contributed."
    if pathway and pathway not in Pathway.values:
        errors["pathway"] = "Choose a pathway from the list."
    if not text.strip():
        errors["text"] = "Enter the contribution."
    if errors:
        raise ValidationError(errors)
    contribution = Contribution.objects.create(
        assessment=assessment,
        organisation=organisation,
        contributor_name=contributor_name.strip(),
        pathway=pathway or "",
        text=text.strip(),
        recorded_by=actor,
    )
    case_event_record(
        case,
        code=EventCode.ASSESSMENT_CONTRIBUTION,
        actor=actor,
        summary=f"Contribution to the assessment from {contributor_name.strip()}, {organisation}",
        details={"assessment": assessment.pk, "contribution": contribution.pk},
    )
    audit_record(
        actor=actor, action=AuditAction.CHANGED, obj=assessment, reason=f"Contribution from {organisation}"
    )
    return contribution


@transaction.atomic
def assessment_complete(*, assessment_id, actor) -> Assessment:
    """Complete and lock the assessment. Completing it twice changes nothing."""
    _police(actor)
    case, assessment = _lock_assessment(assessment_id, actor)
    if assessment.is_locked:
        return assessment
    if not assessment.goals.strip():
        raise ValidationError({"goals": "Record the person's own goals before completing the assessment."})
    assessment.status = AssessmentStatus.COMPLETED
    assessment.completed_by = actor
    assessment.completed_at = timezone.now()
    assessment.save()
    in_need = [
        f"{n.get_pathway_display()} ({n.get_level_display().lower()})"
        for n in assessment.needs.filter(level__gte=IN_NEED).order_by("-level", "id")
    ]
    case_event_record(
        case,
        code=EventCode.ASSESSMENT_COMPLETED,
        actor=actor,
        summary=f"{assessment.get_kind_display()} completed",
        notes=("Needs: " + ", ".join(in_need)) if in_need else "No medium or high needs.",
        details={"assessment": assessment.pk},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGED,
        obj=assessment,
        changes={"status": [AssessmentStatus.DRAFT, AssessmentStatus.COMPLETED]},
        reason="Assessment completed and locked",
    )
    return assessment
