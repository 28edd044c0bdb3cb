"""The caution administered: the statutory requirements, the signed document, the clock started."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.events import EventCode
from cases.models import CaseStatus, DecisionOutcome
from cases.rules import case_time_limit
from cases.services import CaseError, case_lock, case_transition
from offenderhub.accounts.models import Role
from offenderhub.audit.models import AuditAction
from offenderhub.audit.services import audit_record

from ..document_store import caution_document_attach, removed_on_error
from ..documents import caution_document_pdf
from ..models import (
    BINDING_CONDITION_STATUSES,
    Caution,
)
from ..rules import case_period
from ._shared import (
    _extension,
    _require,
)

STATUTORY_REQUIREMENTS = {
    "effect_explained": "The caution cannot be given until its effect has been explained.",
    "warning_given": (
        "The caution cannot be given without the warning that failing a condition may lead to prosecution."
    ),
    "consented": "The caution cannot be given without the person's consent to it and its conditions.",
    "signed": "The caution cannot be given until the person has signed the document.",
}


@transaction.atomic
def caution_administer(
    *,
    case_id,
    actor,
    administered_on: date,
    place: str,
    admission_words: str,
    effect_explained: bool,
    warning_given: bool,
    consented: bool,
    signed: bool,
    interpreter: str = "",
    appropriate_adult: str = "",
    submission_token=None,
) -> Caution:
    """Give the caution: record the five statutory requirements, generate the signed document, start
    the clock and make the case active."""
    _require(actor, Role.DECISION_MAKER, message="Only decision-makers administer the caution.")
    case = case_lock(case_id, force_id=actor.organisation_id)
    existing = Caution.objects.filter(case=case).first()
    if existing is not None:
        return _caution_resubmitted(existing, submission_token)
    decision = _eligible_decision(case)
    offences = list(case.offences.select_related("offence"))
    errors = _caution_errors(
        case,
        decision,
        offences,
        administered_on=administered_on,
        place=place,
        admission_words=admission_words,
        given={
            "effect_explained": effect_explained,
            "warning_given": warning_given,
            "consented": consented,
            "signed": signed,
        },
    )
    if errors:
        raise ValidationError(errors)
    period = case_period(case, extension=_extension(case), today=administered_on)
    conditions = _conditions_within(case, period)
    caution = Caution(
        case=case,
        administered_on=administered_on,
        administered_by=actor,
        place=place.strip(),
        admission_words=admission_words.strip(),
        effect_explained=True,
        warning_given=True,
        consented=True,
        signed=True,
        interpreter=interpreter.strip(),
        appropriate_adult=appropriate_adult.strip(),
        period_ends_on=period.allowed_end,
        submission_token=submission_token,
    )
    document = caution_document_pdf(case=case, caution=caution, offences=offences, conditions=conditions)
    _caution_save(caution, case, document, actor=actor, period=period)
    return caution


def _caution_resubmitted(existing, submission_token) -> Caution:
    """The same form sent twice gives the caution it made; any other attempt is refused."""
    if submission_token is not None and existing.submission_token == submission_token:
        return existing
    raise CaseError("The caution on this case has already been administered.")


def _eligible_decision(case):
    """The current eligibility decision, refused unless the conditions are agreed and it is eligible."""
    if case.status != CaseStatus.CONDITIONS_AGREED:
        raise CaseError(
            f"A case that is “{case.get_status_display()}” cannot be cautioned: agree the conditions first."
        )
    decision = case.decisions.filter(superseded_by__isnull=True).order_by("-decided_at", "-id").first()
    if decision is None or decision.outcome != DecisionOutcome.ELIGIBLE:
        raise CaseError("The current eligibility decision is not “eligible”: the caution cannot be given.")
    return decision


def _caution_errors(case, decision, offences, *, administered_on, place, admission_words, given) -> dict:
    """The statutory requirements not met, and what is wrong with the caution's date and place."""
    today = timezone.localdate()
    errors = {field: message for field, message in STATUTORY_REQUIREMENTS.items() if not given[field]}
    if not admission_words.strip():
        errors["admission_words"] = "Record the person's admission of the offence."
    if not place.strip():
        errors["place"] = "Enter where the caution was given."
    if administered_on > today:
        errors["administered_on"] = "The caution date cannot be in the future."
    elif administered_on < decision.decision_date:
        errors["administered_on"] = (
            "The caution date cannot be before the eligibility decision "
            f"({decision.decision_date:%-d %B %Y})."
        )
    time_limit = case_time_limit(case, offences, start=administered_on)
    if time_limit and administered_on >= time_limit.latest_proceedings_date:
        errors["administered_on"] = (
            f"Proceedings for {time_limit.offence_name.lower()} had to start by "
            f"{time_limit.latest_proceedings_date:%-d %B %Y}: a breach could no longer be prosecuted, so the "
            "caution cannot be given."
        )
    return errors


def _conditions_within(case, period) -> list:
    """The binding conditions, refused if any falls due outside the period this caution date starts."""
    conditions = list(
        case.conditions.filter(status__in=BINDING_CONDITION_STATUSES).select_related(
            "responsible_organisation"
        )
    )
    late = [c for c in conditions if period.due_date_error(c.due_date)]
    if late:
        raise ValidationError(
            {
                "administered_on": (
                    f"From this caution date, {len(late)} condition{'s are' if len(late) > 1 else ' is'} "
                    f"outside the completion period: {period.due_date_error(late[0].due_date)} "
                    "Reopen the conditions to change them."
                )
            }
        )
    return conditions


def _caution_save(caution, case, document, *, actor, period):
    """The file first, then the row: a saved caution always has its document. If anything below fails
    the row is rolled back and the file removed (conditions/document_store.py)."""
    caution_document_attach(caution, document)
    with removed_on_error(caution):
        try:
            with transaction.atomic():
                caution.save()
        except IntegrityError as exc:
            raise CaseError("The caution on this case has already been administered.") from exc
        case_transition(
            case,
            to=CaseStatus.ACTIVE,
            actor=actor,
            code=EventCode.CAUTION_ADMINISTERED,
            summary=(
                f"Caution administered on {caution.administered_on:%-d %B %Y}; "
                f"the period ends {period.allowed_end:%-d %B %Y}"
            ),
            details={"caution": caution.pk, "document_sha256": caution.document_sha256},
        )
        audit_record(
            actor=actor, action=AuditAction.CREATED, obj=caution, reason="Caution administered and signed"
        )
