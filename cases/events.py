"""Case timeline event codes, declared once; and the domain events that people and cases announce to
the apps above (docs/architecture.md, "Domain events")."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models

# The mechanism is the foundation's (every app may announce); it is named here too, as the apps above
# have always imported it from here with the events they handle.
from offenderhub.core.events import announce as announce
from offenderhub.core.events import subscribe as subscribe

if TYPE_CHECKING:
    from offenderhub.accounts.models import User

    from .models import Case


class EventCode(models.TextChoices):
    CASE_OPENED = "case_opened", "Case opened"
    # A caseload import (imports app): the case as the force's earlier records left it, on the day it
    # entered its status, and the import that brought it in.
    STATUS_BEFORE_IMPORT = "status_before_import", "Status recorded before Offender Hub"
    CASE_IMPORTED = "case_imported", "Case imported"
    CASE_UPDATED = "case_updated", "Case details changed"
    CASE_CORRECTED = "case_corrected", "Case details corrected"
    OFFENCE_ADDED = "offence_added", "Offence added"
    OFFENCE_REMOVED = "offence_removed", "Offence removed"
    TIME_LIMIT_CHANGED = "time_limit_changed", "Six-month limit changed"
    SUBMITTED_FOR_DECISION = "submitted_for_decision", "Sent for an eligibility decision"
    RETURNED_TO_INTAKE = "returned_to_intake", "Returned to the case worker"
    DECISION_RECORDED = "decision_recorded", "Eligibility decision"
    STATUS_CHANGED = "status_changed", "Status changed"
    REASSIGNED = "reassigned", "Case reassigned"
    WITHDRAWN = "withdrawn", "Case withdrawn"
    PERSON_MERGED = "person_merged", "Person's records merged"
    PERSON_MERGE_UNDONE = "person_merge_undone", "Merge of the person's records undone"
    # Needs assessment
    ASSESSMENT_STARTED = "assessment_started", "Needs assessment started"
    ASSESSMENT_CONTRIBUTION = "assessment_contribution", "Contribution to the assessment"
    ASSESSMENT_COMPLETED = "assessment_completed", "Needs assessment completed"
    # Conditions and the caution
    CONDITION_ADDED = "condition_added", "Condition added"
    CONDITION_CHANGED = "condition_changed", "Condition changed"
    CONDITION_REMOVED = "condition_removed", "Condition removed"
    CONDITIONS_AGREED = "conditions_agreed", "Conditions agreed"
    CONDITIONS_REOPENED = "conditions_reopened", "Conditions reopened"
    PERIOD_EXTENDED = "period_extended", "Longer completion period approved"
    CAUTION_ADMINISTERED = "caution_administered", "Caution administered"
    # Compliance
    CONDITION_STARTED = "condition_started", "Condition started"
    CONDITION_COMPLETED = "condition_completed", "Condition completed"
    CONDITION_FAILED = "condition_failed", "Condition failed"
    CONDITION_RESUMED = "condition_resumed", "Condition continues"
    CONDITION_BREACHED = "condition_breached", "Condition breached"
    CONDITION_RECORD = "condition_record", "Evidence or note recorded"
    VARIATION_PROPOSED = "variation_proposed", "Variation proposed"
    VARIATION_APPROVED = "variation_approved", "Variation approved"
    VARIATION_REFUSED = "variation_refused", "Variation refused"
    CASE_COMPLETED = "case_completed", "Completed: diverted from prosecution"
    # Breach and prosecution
    BREACH_REVIEW_OPENED = "breach_review_opened", "Breach review opened"
    BREACH_EXCUSED = "breach_excused", "Reasonable excuse accepted"
    BREACH_AWAITING_COUNTERSIGNATURE = (
        "breach_awaiting_countersignature",
        "Breach decision awaiting countersignature",
    )
    BREACH_COUNTERSIGNATURE_REFUSED = "breach_countersignature_refused", "Countersignature refused"
    BREACH_CONFIRMED = "breach_confirmed", "Breach confirmed"
    PROSECUTION_RESUMED = "prosecution_resumed", "Prosecution resumed; the caution ceased"
    PROSECUTION_UPDATED = "prosecution_updated", "Prosecution record updated"
    CASE_CLOSED = "case_closed", "Case closed"
    # Referrals and the partner's work (attributed to the partner)
    REFERRAL_SENT = "referral_sent", "Referral sent"
    REFERRAL_ACCEPTED = "referral_accepted", "Referral accepted"
    REFERRAL_STARTED = "referral_started", "Work started on the referral"
    REFERRAL_DECLINED = "referral_declined", "Referral declined"
    REFERRAL_ASSIGNED = "referral_assigned", "Referral assigned"
    REFERRAL_WITHDRAWN = "referral_withdrawn", "Referral withdrawn"
    REFERRAL_CHASED = "referral_chased", "Referral chased"
    REFERRAL_CHANGED = "referral_changed", "Referral changed"
    APPOINTMENT_BOOKED = "appointment_booked", "Appointment booked"
    APPOINTMENT_RESCHEDULED = "appointment_rescheduled", "Appointment rescheduled"
    APPOINTMENT_OUTCOME = "appointment_outcome", "Appointment outcome"
    REFERRAL_NOTE = "referral_note", "Referral note"
    REFERRAL_REPORT = "referral_report", "End-of-intervention report"
    EVIDENCE_UPLOADED = "evidence_uploaded", "Evidence uploaded"
    # Scheduled jobs
    CONDITION_OVERDUE = "condition_overdue", "Condition overdue"
    BREACH_REVIEW_ESCALATED = "breach_review_escalated", "Breach review escalated"
    CASE_FILE_TEAM_NOTIFIED = "case_file_team_notified", "Case file team notified"
    # Retention (retention/)
    PERSON_ERASED = "person_erased", "Personal details erased after a retention review"


class EventKind(models.TextChoices):
    """The kinds of event a case's timeline can be narrowed to (the timeline page's filter)."""

    CASE = "case", "The case, the person and decisions"
    ASSESSMENT = "assessment", "Needs assessment"
    CONDITIONS = "conditions", "Conditions and the caution"
    COMPLIANCE = "compliance", "Progress and variations"
    REFERRALS = "referrals", "Referrals and partners' work"
    BREACH = "breach", "Breach and prosecution"


def _codes(*codes: EventCode) -> frozenset:
    return frozenset(codes)


# Each code's kind, declared once: every code has one (tests/cases/test_case_timeline.py).
EVENT_KINDS: dict[EventKind, frozenset] = {
    EventKind.CASE: _codes(
        EventCode.CASE_OPENED,
        EventCode.STATUS_BEFORE_IMPORT,
        EventCode.CASE_IMPORTED,
        EventCode.CASE_UPDATED,
        EventCode.CASE_CORRECTED,
        EventCode.OFFENCE_ADDED,
        EventCode.OFFENCE_REMOVED,
        EventCode.TIME_LIMIT_CHANGED,
        EventCode.SUBMITTED_FOR_DECISION,
        EventCode.RETURNED_TO_INTAKE,
        EventCode.DECISION_RECORDED,
        EventCode.STATUS_CHANGED,
        EventCode.REASSIGNED,
        EventCode.WITHDRAWN,
        EventCode.PERSON_MERGED,
        EventCode.PERSON_MERGE_UNDONE,
        EventCode.PERSON_ERASED,
        EventCode.CASE_COMPLETED,
        EventCode.CASE_CLOSED,
    ),
    EventKind.ASSESSMENT: _codes(
        EventCode.ASSESSMENT_STARTED,
        EventCode.ASSESSMENT_CONTRIBUTION,
        EventCode.ASSESSMENT_COMPLETED,
    ),
    EventKind.CONDITIONS: _codes(
        EventCode.CONDITION_ADDED,
        EventCode.CONDITION_CHANGED,
        EventCode.CONDITION_REMOVED,
        EventCode.CONDITIONS_AGREED,
        EventCode.CONDITIONS_REOPENED,
        EventCode.PERIOD_EXTENDED,
        EventCode.CAUTION_ADMINISTERED,
    ),
    EventKind.COMPLIANCE: _codes(
        EventCode.CONDITION_STARTED,
        EventCode.CONDITION_COMPLETED,
        EventCode.CONDITION_FAILED,
        EventCode.CONDITION_RESUMED,
        EventCode.CONDITION_RECORD,
        EventCode.CONDITION_OVERDUE,
        EventCode.VARIATION_PROPOSED,
        EventCode.VARIATION_APPROVED,
        EventCode.VARIATION_REFUSED,
    ),
    EventKind.REFERRALS: _codes(
        EventCode.REFERRAL_SENT,
        EventCode.REFERRAL_ACCEPTED,
        EventCode.REFERRAL_STARTED,
        EventCode.REFERRAL_DECLINED,
        EventCode.REFERRAL_ASSIGNED,
        EventCode.REFERRAL_WITHDRAWN,
        EventCode.REFERRAL_CHASED,
        EventCode.REFERRAL_CHANGED,
        EventCode.APPOINTMENT_BOOKED,
        EventCode.APPOINTMENT_RESCHEDULED,
        EventCode.APPOINTMENT_OUTCOME,
        EventCode.REFERRAL_NOTE,
        EventCode.REFERRAL_REPORT,
        EventCode.EVIDENCE_UPLOADED,
    ),
    EventKind.BREACH: _codes(
        EventCode.CONDITION_BREACHED,
        EventCode.BREACH_REVIEW_OPENED,
        EventCode.BREACH_EXCUSED,
        EventCode.BREACH_AWAITING_COUNTERSIGNATURE,
        EventCode.BREACH_COUNTERSIGNATURE_REFUSED,
        EventCode.BREACH_CONFIRMED,
        EventCode.BREACH_REVIEW_ESCALATED,
        EventCode.PROSECUTION_RESUMED,
        EventCode.PROSECUTION_UPDATED,
        EventCode.CASE_FILE_TEAM_NOTIFIED,
    ),
}


# --- Domain events ------------------------------------------------------------------------------------
# A change here that an app above must act on is announced as one of these; the app registers a handler
# in its ``AppConfig.ready`` (``subscribe``), which calls a service of its own. Handlers run synchronously,
# inside the announcing transaction, in the order they were registered (docs/architecture.md).


@dataclass(frozen=True)
class CaseWithdrawn:
    """A case withdrawn (``cases.services.case_withdraw``), announced inside its transaction with the
    case row locked (``case``, that locked instance): each app above closes what it still holds open
    for the case (referrals: withdrawn, each agency told)."""

    case: "Case"


@dataclass(frozen=True)
class CasePageAsked:
    """What the apps above show on a page of the case's file (``cases.views._CaseFileView``: ``tab`` is
    "assessment", "conditions", "documents" or "victim"), for a user already allowed to see the case.
    Each handler returns a dict added to the page's context, or an empty one: its records of the case
    and the actions it offers this user now (assessments: the assessments; conditions: the
    conditions, breach reviews, variations and the victim's conditions; referrals: the referrals and
    the documents partners uploaded)."""

    user: "User"
    case: "Case"
    tab: str


@dataclass(frozen=True)
class PersonMerged:
    """One record of a person merged into another (``cases.services.person_merge``). Each handler moves
    what its app holds of the merged person to the kept one and returns the ids it moved as
    ``{name: [ids]}``; they are kept with the merge, for its undoing."""

    kept_id: int
    merged_id: int


@dataclass(frozen=True)
class PersonMergeUndoAsked:
    """Whether a merge may be undone (asked before the undo, and to show the undo page). A handler
    returns the reason it may not, in words a supervisor can act on, or None."""

    merge_id: int
    kept_id: int
    merged_id: int
    merged_at: datetime


@dataclass(frozen=True)
class PersonMergeUndone:
    """A merge undone: each handler moves back what its app moved (``moved``, as its handlers returned it
    when the merge was made)."""

    merge_id: int
    kept_id: int
    merged_id: int
    moved: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PersonErasureAsked:
    """Whether a person's record may be erased now (asked by retention before an erasure is asked for,
    approved, and to show the review page). A handler returns the reason it may not, in words a
    supervisor can act on, or None."""

    person_id: int


@dataclass(frozen=True)
class PersonErasing:
    """A person's record being erased (``retention.erasure.person_erase``), announced inside its
    transaction, while the person's names are still on the row, once for the person and once for each
    record merged into theirs (``person_ids``: all of them, the same human). Each handler erases what
    its app holds about them and returns ``{"removed": {label: count}, "files": [stored names]}``: the
    counts go to the erasure register, the files are deleted from the private storage once the
    transaction commits (and by the daily job after a crash)."""

    person_id: int
    force_id: int
    person_ids: tuple = ()
