"""Everything the force holds about one person, gathered for a subject access request.

``subject_access_export_build`` reads the person and every record of theirs, one query per kind of
record whatever their number (about thirty in all), and returns an ``Export``: sections of items,
each item a record with its fields, its own sections (a case's conditions, a referral's
appointments...) and the documents to copy. The PDF (``pdf.py``) and the archive (``archive.py``) are
both written from it, so they always hold the same things.

Every item has a key that names it for a redaction: ``case-12``, or ``case-12.victim_views`` for one
field. Withheld items and fields are replaced by the ground they are withheld on (s.45(4)); the
reasons recorded for them stay in the request, not in the export.

Staff are named by their organisation, not by name: their names are not the requester's personal data.
Only what is about this person is read: every query is filtered by the person, their cases or
their referrals, and the audit rows by the records that are theirs (``records.py``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from assessments.models import Assessment, Contribution, Pathway, PathwayNeed, RiskFlag
from cases.models import Case, CaseEvent, CaseFlag, CaseOffence, EligibilityDecision, PersonChange
from conditions.models import (
    BreachReview,
    Caution,
    Condition,
    ConditionRecord,
    PeriodExtension,
    Prosecution,
    Variation,
)
from offenderhub.audit.models import AuditAction, AuditEvent
from referrals.models import Appointment, DesiredOutcome, EndReport, Evidence, Referral, ReferralNote
from reporting.models import ScrutinyItem, SubsequentOffence

from .models import EXEMPTION_PARAGRAPHS, ExemptionGround
from .records import person_record_keys

FORMAT = "offenderhub-subject-access"
# Text withheld is withheld again where the same words are held elsewhere, if it is at least this long
# (so that a short value such as "Yes" or a date is never taken for a copy).
MIN_COPIED_TEXT = 12
FORMAT_VERSION = 1


@dataclass
class Field:
    name: str
    label: str
    value: object  # str, int, Decimal, bool, date, datetime, list of str, or None
    withheld: str = ""  # the ground, when withheld


@dataclass
class Item:
    key: str
    title: str
    fields: list[Field]
    sections: list[Section] = field(default_factory=list)
    withheld: str = ""  # the ground, when the whole item is withheld


@dataclass
class Section:
    key: str
    title: str
    intro: str
    items: list[Item]


@dataclass
class Document:
    item: str  # the item it belongs to
    title: str
    storage_name: str
    archive_name: str
    sha256: str
    content_type: str


@dataclass
class Export:
    person_name: str
    force_name: str
    produced_at: datetime
    request: dict
    sections: list[Section]
    documents: list[Document]
    withheld: list[dict]  # {"item", "paragraph", "ground"}
    kinds: dict = field(default_factory=dict)  # kind of item: its field names, for redactions

    def items(self):
        """Every item, depth first."""

        def walk(sections):
            for section in sections:
                for item in section.items:
                    yield item
                    yield from walk(item.sections)

        return walk(self.sections)

    def counts(self) -> dict:
        counts: dict[str, int] = defaultdict(int)
        for item in self.items():
            counts[item.key.rsplit("-", 1)[0]] += 1
        return dict(counts)

    def as_json(self) -> dict:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "controller": self.force_name,
            "produced_at": _json(self.produced_at),
            "request": {k: _json(v) for k, v in self.request.items()},
            "sections": [_section_json(s) for s in self.sections],
            "documents": [
                {
                    "item": d.item,
                    "title": d.title,
                    "file": d.archive_name,
                    "sha256": d.sha256,
                    "content_type": d.content_type,
                }
                for d in self.documents
            ],
            "withheld": self.withheld,
        }


def _json(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _section_json(section: Section) -> dict:
    return {
        "key": section.key,
        "title": section.title,
        "items": [
            {
                "item": item.key,
                "title": item.title,
                **(
                    {"withheld": item.withheld}
                    if item.withheld
                    else {
                        "data": {
                            f.name: ({"withheld": f.withheld} if f.withheld else _json(f.value))
                            for f in item.fields
                        },
                        **({"sections": [_section_json(s) for s in item.sections]} if item.sections else {}),
                    }
                ),
            }
            for item in section.items
        ],
    }


# --- Reading ----------------------------------------------------------------------------------------


def _by(rows, attribute):
    grouped = defaultdict(list)
    for row in rows:
        grouped[getattr(row, attribute)].append(row)
    return grouped


def _org(organisation):
    return organisation.name if organisation is not None else None


def _labels(values, choices):
    labels = dict(choices)
    return [str(labels.get(v, v)) for v in values or []]


def _item(kind, pk, title, fields) -> Item:
    return Item(key=f"{kind}-{pk}", title=title, fields=[Field(*f) for f in fields])


def _person_items(person):
    return [
        _item(
            "person",
            person.pk,
            "As recorded now",
            [
                ("given_names", "Given names", person.given_names),
                ("family_name", "Family name", person.family_name),
                ("date_of_birth", "Date of birth", person.date_of_birth),
                ("sex", "Sex", person.get_sex_display()),
                ("ethnicity", "Ethnicity", person.ethnicity.name if person.ethnicity else None),
                ("pnc_id", "Police National Computer (PNC) ID", person.pnc_id),
                ("address", "Address", person.address),
                ("postcode", "Postcode", person.postcode),
                ("phone", "Phone number", person.phone),
                ("email", "Email address", person.email),
                ("vulnerable", "Recorded as vulnerable", person.vulnerable),
                ("vulnerability_notes", "Vulnerability notes", person.vulnerability_notes),
                ("interpreter_needed", "Interpreter needed", person.interpreter_needed),
                ("interpreter_language", "Interpreter language", person.interpreter_language),
                ("created_at", "First recorded", person.created_at),
            ],
        )
    ]


def subject_access_export_build(*, person, request: dict, redactions=(), produced_at=None) -> Export:
    """The export for ``person`` (of ``person.force``), with ``redactions`` applied (items and fields
    withheld, named by key). ``request`` is what the response says about the request itself."""
    produced_at = produced_at or timezone.now()
    of_person = {"case__person_id": person.pk}
    cases = list(
        Case.objects.filter(person_id=person.pk)
        .select_related("scheme", "scheme__disposal_type", "area")
        .order_by("created_at", "id")
    )
    offences = _by(
        CaseOffence.objects.filter(**of_person).select_related("offence").order_by("offence_date", "id"),
        "case_id",
    )
    events = _by(
        CaseEvent.objects.filter(**of_person)
        .select_related("actor_organisation")
        .order_by("occurred_at", "id"),
        "case_id",
    )
    decisions = _by(EligibilityDecision.objects.filter(**of_person).order_by("decided_at", "id"), "case_id")
    assessments = _by(Assessment.objects.filter(**of_person).order_by("created_at", "id"), "case_id")
    needs = _by(
        PathwayNeed.objects.filter(assessment__case__person_id=person.pk).order_by("id"), "assessment_id"
    )
    contributions = _by(
        Contribution.objects.filter(assessment__case__person_id=person.pk)
        .select_related("organisation")
        .order_by("recorded_at", "id"),
        "assessment_id",
    )
    conditions = list(
        Condition.objects.filter(**of_person)
        .select_related("responsible_organisation")
        .order_by("created_at", "id")
    )
    condition_records = _by(
        ConditionRecord.objects.filter(condition__case__person_id=person.pk)
        .select_related("author_organisation")
        .order_by("recorded_at", "id"),
        "condition_id",
    )
    extensions = {e.case_id: e for e in PeriodExtension.objects.filter(**of_person)}
    variations = _by(Variation.objects.filter(**of_person).order_by("proposed_at", "id"), "case_id")
    cautions = {c.case_id: c for c in Caution.objects.filter(**of_person)}
    reviews = list(BreachReview.objects.filter(**of_person).order_by("opened_at", "id"))
    review_conditions = defaultdict(list)
    breached = defaultdict(list)
    for link in BreachReview.conditions.through.objects.filter(breachreview__case__person_id=person.pk):
        review_conditions[link.breachreview_id].append(link.condition_id)
    for link in BreachReview.breached_conditions.through.objects.filter(
        breachreview__case__person_id=person.pk
    ):
        breached[link.breachreview_id].append(link.condition_id)
    prosecutions = {p.case_id: p for p in Prosecution.objects.filter(**of_person)}
    referrals = _by(
        Referral.objects.filter(**of_person)
        .select_related("service", "organisation")
        .order_by("sent_at", "id"),
        "case_id",
    )
    of_referral = {"referral__case__person_id": person.pk}
    outcomes = _by(DesiredOutcome.objects.filter(**of_referral).order_by("id"), "referral_id")
    appointments = _by(Appointment.objects.filter(**of_referral).order_by("starts_at", "id"), "referral_id")
    notes = _by(
        ReferralNote.objects.filter(**of_referral)
        .select_related("organisation")
        .order_by("created_at", "id"),
        "referral_id",
    )
    reports = {r.referral_id: r for r in EndReport.objects.filter(**of_referral)}
    evidence = _by(Evidence.objects.filter(**of_referral).order_by("uploaded_at", "id"), "referral_id")
    scrutiny = _by(ScrutinyItem.objects.filter(**of_person).exclude(finding="").order_by("id"), "case_id")
    aliases = list(person.aliases.order_by("ended_at", "family_name", "id"))
    changes = list(PersonChange.objects.filter(person_id=person.pk).order_by("changed_at", "id"))
    recorded_offences = list(
        SubsequentOffence.objects.filter(person_id=person.pk)
        .select_related("offence")
        .order_by("offence_date", "id")
    )

    condition_wording = {c.pk: c.wording for c in conditions}
    conditions_by_case = _by(conditions, "case_id")
    documents: list[Document] = []

    case_items = []
    for case in cases:
        case_sections = [
            Section(
                "offences",
                "Offences",
                "The offences this case is about.",
                [
                    _item(
                        "offence",
                        o.pk,
                        o.offence.name,
                        [
                            ("offence", "Offence", o.offence.name),
                            ("offence_date", "Date of the offence", o.offence_date),
                            ("details", "Details", o.details),
                        ],
                    )
                    for o in offences[case.pk]
                ],
            ),
            Section(
                "decisions",
                "Eligibility decisions",
                "Whether the case could be dealt with by the scheme, and why. A later decision replaces an "
                "earlier one.",
                [_decision_item(d) for d in decisions[case.pk]],
            ),
            Section(
                "assessments",
                "Needs assessments",
                "What was found about your needs, and what you said you wanted to achieve.",
                [_assessment_item(a, needs[a.pk], contributions[a.pk]) for a in assessments[case.pk]],
            ),
            Section(
                "conditions",
                "Conditions",
                "What you were asked to do, by when, and what happened.",
                [_condition_item(c, condition_records[c.pk]) for c in conditions_by_case[case.pk]],
            ),
            Section(
                "variations",
                "Changes to conditions",
                "Changes to the conditions after the caution, with the reason and whether you agreed.",
                [_variation_item(v, condition_wording) for v in variations[case.pk]],
            ),
        ]
        if case.pk in extensions:
            e = extensions[case.pk]
            case_sections.append(
                Section(
                    "extension",
                    "Longer time to complete the conditions",
                    "",
                    [
                        _item(
                            "extension",
                            e.pk,
                            "Longer completion period",
                            [
                                ("days", "Days allowed", e.days),
                                ("reason", "Reason", e.reason),
                                ("approved_at", "Approved on", e.approved_at),
                            ],
                        )
                    ],
                )
            )
        if case.pk in cautions:
            caution = cautions[case.pk]
            case_sections.append(Section("caution", "The caution", "", [_caution_item(caution)]))
            if caution.document.name:
                documents.append(
                    Document(
                        item=f"caution-{caution.pk}",
                        title=f"Signed caution document, case {case.reference}",
                        storage_name=caution.document.name,
                        archive_name=f"documents/caution-{case.reference}.pdf",
                        sha256=caution.document_sha256,
                        content_type="application/pdf",
                    )
                )
        if reviews_of := [r for r in reviews if r.case_id == case.pk]:
            case_sections.append(
                Section(
                    "breach_reviews",
                    "Breach reviews",
                    "Reviews of whether a condition was failed without a reasonable excuse.",
                    [
                        _review_item(r, review_conditions[r.pk], breached[r.pk], condition_wording)
                        for r in reviews_of
                    ],
                )
            )
        if case.pk in prosecutions:
            case_sections.append(
                Section("prosecution", "Prosecution", "", [_prosecution_item(prosecutions[case.pk])])
            )
        referral_items = []
        for referral in referrals[case.pk]:
            item = _referral_item(
                referral,
                outcomes[referral.pk],
                appointments[referral.pk],
                notes[referral.pk],
                reports.get(referral.pk),
                evidence[referral.pk],
            )
            referral_items.append(item)
            for doc in evidence[referral.pk]:
                documents.append(
                    Document(
                        item=f"document-{doc.pk}",
                        title=f"{doc.get_kind_display()}: {doc.original_name}",
                        storage_name=doc.file.name,
                        archive_name=f"documents/document-{doc.pk}{_extension(doc.content_type)}",
                        sha256=doc.sha256,
                        content_type=doc.content_type,
                    )
                )
        case_sections.append(
            Section(
                "referrals",
                "Referrals to other organisations",
                "Services you were referred to, your appointments, notes written by either side and the "
                "reports at the end.",
                referral_items,
            )
        )
        if scrutiny[case.pk]:
            case_sections.append(
                Section(
                    "scrutiny",
                    "Scrutiny panel reviews",
                    "The independent panel that reviews how out-of-court disposals are used looked at this "
                    "case.",
                    [
                        _item(
                            "scrutiny",
                            s.pk,
                            "Panel review",
                            [
                                ("finding", "Finding", s.get_finding_display()),
                                ("observations", "Observations", s.observations),
                                ("recorded_at", "Recorded on", s.recorded_at),
                            ],
                        )
                        for s in scrutiny[case.pk]
                    ],
                )
            )
        case_sections.append(
            Section(
                "timeline",
                "What happened, in order",
                "Each step of the case as it was recorded.",
                [
                    _item(
                        "event",
                        e.pk,
                        e.summary,
                        [
                            ("occurred_at", "When", e.occurred_at),
                            ("summary", "What happened", e.summary),
                            ("notes", "Notes", e.notes),
                            ("organisation", "Recorded by", _org(e.actor_organisation)),
                        ],
                    )
                    for e in events[case.pk]
                ],
            )
        )
        item = _case_item(case)
        item.sections = case_sections
        case_items.append(item)

    sections = [
        Section("person", "Your details", "The details we hold about you now.", _person_items(person)),
        Section(
            "aliases",
            "Other names (aliases)",
            "Other names we have recorded for you, including any no longer used.",
            [
                _item(
                    "alias",
                    a.pk,
                    str(a),
                    [
                        ("given_names", "Given names", a.given_names),
                        ("family_name", "Family name", a.family_name),
                        ("ended_at", "No longer used from", a.ended_at),
                        ("end_reason", "Why it was ended", a.end_reason),
                    ],
                )
                for a in aliases
            ],
        ),
        Section(
            "changes",
            "Changes made to your details",
            "Each correction of your details: what it was before and after, when and why.",
            [
                _item(
                    "change",
                    c.pk,
                    c.field_label,
                    [
                        ("field", "What changed", c.field_label),
                        ("old_value", "Before", c.old_value),
                        ("new_value", "After", c.new_value),
                        ("reason", "Reason", c.reason),
                        ("changed_at", "When", c.changed_at),
                    ],
                )
                for c in changes
            ],
        ),
        Section(
            "recorded_offences",
            "Other offences on police records",
            "Offences proven against you that we matched from police records by your PNC ID, used to "
            "follow up reoffending and the cost of crime.",
            [
                _item(
                    "recorded-offence",
                    o.pk,
                    o.offence.name,
                    [
                        ("offence", "Offence", o.offence.name),
                        ("offence_date", "Date of the offence", o.offence_date),
                        ("outcome_type", "Outcome", o.get_outcome_type_display()),
                        ("outcome_date", "Date of the outcome", o.outcome_date),
                    ],
                )
                for o in recorded_offences
            ],
        ),
        Section("cases", "Your cases", "Each case, with everything recorded on it.", case_items),
        Section(
            "disclosures",
            "Who your information was shared with",
            "Each time your information was sent to, or downloaded by, someone: when, to whom and what.",
            _disclosure_items(person),
        ),
    ]
    documents_section = Section(
        "documents",
        "Documents",
        "The documents we hold, in the archive that comes with this response.",
        [
            _item(
                "file",
                index,
                d.title,
                [("title", "Document", d.title), ("file", "File in the archive", d.archive_name)],
            )
            for index, d in enumerate(documents, 1)
        ],
    )
    sections.insert(5, documents_section)
    export = Export(
        person_name=person.full_name,
        force_name=person.force.name,
        produced_at=produced_at,
        request=request,
        sections=sections,
        documents=documents,
        withheld=[],
    )
    _kinds(export)
    _withhold(export, redactions)
    return export


def _extension(content_type: str) -> str:
    return {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(content_type, "")


def _case_item(case) -> Item:
    return _item(
        "case",
        case.pk,
        f"Case {case.reference}",
        [
            ("reference", "Reference", case.reference),
            ("scheme", "Scheme", case.scheme.name),
            ("disposal", "Kind of disposal", case.scheme.disposal_type.name),
            ("area", "Area", case.area.name),
            ("status", "Status", case.get_status_display()),
            ("arrest_date", "Arrest or report date", case.arrest_date),
            ("circumstances", "Circumstances of the offence", case.circumstances),
            ("flags", "Circumstances the scheme considers", _labels(case.flags, CaseFlag.choices)),
            ("previous_convictions", "Previous convictions", case.previous_convictions),
            ("previous_cautions", "Previous cautions", case.previous_cautions),
            ("lives_in_force_area", "Lives in the force area", case.lives_in_force_area),
            ("victim_type", "Victim", case.get_victim_type_display()),
            ("victim_views", "The victim's views", case.victim_views),
            ("victim_views_obtained_on", "Victim's views obtained on", case.victim_views_obtained_on),
            (
                "victim_rj_consent",
                "Victim's consent to restorative justice",
                case.get_victim_rj_consent_display(),
            ),
            ("created_at", "Opened on", case.created_at),
        ],
    )


def _decision_item(d) -> Item:
    return _item(
        "decision",
        d.pk,
        f"Decision of {d.decided_at:%-d %B %Y}: {d.get_outcome_display()}",
        [
            ("outcome", "Decision", d.get_outcome_display()),
            ("decision_date", "Date of the decision", d.decision_date),
            (
                "evidence_person_committed",
                "Evidence that you committed the offence",
                d.evidence_person_committed,
            ),
            (
                "sufficient_evidence_to_charge",
                "Enough evidence to charge, and a conditional caution should be given",
                d.sufficient_evidence_to_charge,
            ),
            ("authority", "Decided by the authority of", d.get_authority_display()),
            ("prosecutor_reference", "Prosecutor's reference", d.prosecutor_reference),
            ("admission", "Admission", d.get_admission_display()),
            ("gravity_score", "Gravity score (1 low to 4 high)", d.gravity_score),
            ("gravity_adjustment", "Gravity adjustment", d.get_gravity_adjustment_display()),
            (
                "criteria",
                "Each rule checked",
                [
                    f"{c.get('label', '')}: "
                    + {True: "met", False: "not met", None: "for the decision-maker"}.get(c.get("passed"), "")
                    + (f" ({c['explanation']})" if c.get("explanation") else "")
                    for c in d.criteria or []
                ],
            ),
            ("rationale", "Reasons", d.rationale),
            ("latest_proceedings_date", "Latest date to start a prosecution", d.latest_proceedings_date),
        ],
    )


def _assessment_item(a, needs, contributions) -> Item:
    item = _item(
        "assessment",
        a.pk,
        a.get_kind_display(),
        [
            ("kind", "Assessment", a.get_kind_display()),
            ("status", "Status", a.get_status_display()),
            ("goals", "Your own goals", a.goals),
            ("risk_flags", "Risks recorded", _labels(a.risk_flags, RiskFlag.choices)),
            ("risk_notes", "Risk and safeguarding notes", a.risk_notes),
            ("created_at", "Started on", a.created_at),
            ("completed_at", "Completed on", a.completed_at),
        ],
    )
    item.sections = [
        Section(
            "needs",
            "Needs",
            "",
            [
                _item(
                    "need",
                    n.pk,
                    n.get_pathway_display(),
                    [
                        ("pathway", "Area of need", n.get_pathway_display()),
                        ("level", "Level", n.get_level_display()),
                        ("notes", "Notes", n.notes),
                    ],
                )
                for n in needs
            ],
        ),
        Section(
            "contributions",
            "Contributions",
            "What each organisation added to the assessment.",
            [
                _item(
                    "contribution",
                    c.pk,
                    f"From {_org(c.organisation)}",
                    [
                        ("organisation", "Organisation", _org(c.organisation)),
                        ("pathway", "Area of need", c.get_pathway_display()),
                        ("text", "Contribution", c.text),
                        ("recorded_at", "Recorded on", c.recorded_at),
                    ],
                )
                for c in contributions
            ],
        ),
    ]
    return item


def _condition_item(c, records) -> Item:
    item = _item(
        "condition",
        c.pk,
        f"{c.get_kind_display()} condition",
        [
            ("kind", "Kind", c.get_kind_display()),
            ("wording", "Condition", c.wording),
            ("due_date", "Due by", c.due_date),
            ("responsible_organisation", "Delivered by", _org(c.responsible_organisation)),
            ("hours", "Hours", c.hours),
            ("amount", "Amount (£)", c.amount),
            ("status", "Status", c.get_status_display()),
            ("outcome_on", "Outcome on", c.outcome_on),
            ("outcome_notes", "Outcome notes", c.outcome_notes),
            ("created_at", "Added on", c.created_at),
        ],
    )
    if records:
        item.sections = [
            Section(
                "condition_records",
                "Evidence and notes",
                "",
                [
                    _item(
                        "condition-record",
                        r.pk,
                        r.get_kind_display(),
                        [
                            ("kind", "Kind", r.get_kind_display()),
                            ("text", "Note", r.text),
                            ("reference", "Reference", r.reference),
                            ("organisation", "Recorded by", _org(r.author_organisation)),
                            ("recorded_at", "Recorded on", r.recorded_at),
                        ],
                    )
                    for r in records
                ],
            )
        ]
    return item


def _variation_item(v, wording) -> Item:
    proposed = v.proposed or {}
    return _item(
        "variation",
        v.pk,
        v.get_kind_display(),
        [
            ("kind", "Change", v.get_kind_display()),
            ("status", "Status", v.get_status_display()),
            ("condition", "Condition changed", wording.get(v.condition_id)),
            ("new_due_date", "New due date", v.new_due_date),
            ("proposed", "New condition", proposed.get("wording")),
            ("reason", "Reason", v.reason),
            ("person_consented", "You agreed", v.person_consented),
            ("consented_on", "Agreed on", v.consented_on),
            ("proposed_at", "Proposed on", v.proposed_at),
            ("decided_at", "Decided on", v.decided_at),
            ("decision_notes", "Decision notes", v.decision_notes),
        ],
    )


def _caution_item(c) -> Item:
    return _item(
        "caution",
        c.pk,
        "Caution administered",
        [
            ("administered_on", "Given on", c.administered_on),
            ("place", "Place", c.place),
            ("admission_words", "Your admission, in your words", c.admission_words),
            ("effect_explained", "The effect of the caution was explained", c.effect_explained),
            ("warning_given", "The warning was given", c.warning_given),
            ("consented", "You consented", c.consented),
            ("signed", "You signed the document", c.signed),
            ("interpreter", "Interpreter", c.interpreter),
            ("appropriate_adult", "Appropriate adult", c.appropriate_adult),
            ("period_ends_on", "Conditions to be met by", c.period_ends_on),
            ("ceased_on", "Caution ceased on", c.ceased_on),
            ("ceased_reason", "Why it ceased", c.ceased_reason),
        ],
    )


def _review_item(r, conditions, breached, wording) -> Item:
    return _item(
        "breach-review",
        r.pk,
        f"Breach review opened {r.opened_at:%-d %B %Y}",
        [
            ("status", "Status", r.get_status_display()),
            ("opened_at", "Opened on", r.opened_at),
            ("opened_reason", "Why it was opened", r.opened_reason),
            ("decision_due_on", "Decision due by", r.decision_due_on),
            ("conditions", "Conditions it was about", [wording.get(pk, "") for pk in sorted(conditions)]),
            ("breached_conditions", "Conditions breached", [wording.get(pk, "") for pk in sorted(breached)]),
            ("person_account", "Your account", r.person_account),
            ("alternatives_tried", "Alternatives tried", r.alternatives_tried),
            ("reasonable_excuse", "Reasonable excuse", r.reasonable_excuse),
            ("outcome", "Outcome", r.get_outcome_display()),
            ("rationale", "Reasons", r.rationale),
            ("decided_at", "Decided on", r.decided_at),
            ("countersigned_at", "Countersigned on", r.countersigned_at),
            ("countersignature_notes", "Countersignature notes", r.countersignature_notes),
        ],
    )


def _prosecution_item(p) -> Item:
    return _item(
        "prosecution",
        p.pk,
        "Prosecution resumed",
        [
            ("resumed_at", "Resumed on", p.resumed_at),
            ("method", "How proceedings were started", p.get_method_display()),
            ("proceedings_started_on", "Charge or requisition date", p.proceedings_started_on),
            ("court", "Court", p.court),
            ("first_hearing_on", "First hearing", p.first_hearing_on),
            ("outcome", "Outcome", p.get_outcome_display()),
            ("outcome_on", "Outcome on", p.outcome_on),
            ("outcome_notes", "Outcome notes", p.outcome_notes),
        ],
    )


def _referral_item(r, outcomes, appointments, notes, report, documents) -> Item:
    item = _item(
        "referral",
        r.pk,
        f"Referral to {r.service.name}, {_org(r.organisation)}",
        [
            ("service", "Service", r.service.name),
            ("organisation", "Organisation", _org(r.organisation)),
            ("status", "Status", r.get_status_display()),
            ("reason", "Reason for the referral", r.reason),
            ("needs", "Needs it is about", _labels(r.needs, Pathway.choices)),
            ("needs_summary", "Relevant needs", r.needs_summary),
            ("risk_summary", "Relevant risks", r.risk_summary),
            ("due_date", "Due by", r.due_date),
            ("interpreter_language", "Interpreter language", r.interpreter_language),
            ("availability", "When you can attend", r.availability),
            ("access_needs", "Access needs", r.access_needs),
            ("sent_at", "Sent on", r.sent_at),
            ("accepted_at", "Accepted on", r.accepted_at),
            ("decline_reason", "Why it was declined", r.get_decline_reason_display()),
            ("withdraw_reason", "Why it was withdrawn", r.get_withdraw_reason_display()),
            ("closing_notes", "Closing notes", r.closing_notes),
            ("first_contact_at", "First contact", r.first_contact_at),
            ("closed_at", "Closed on", r.closed_at),
        ],
    )
    sections = [
        Section(
            "outcomes",
            "What the referral aimed to achieve",
            "",
            [
                _item(
                    "outcome",
                    o.pk,
                    o.text,
                    [
                        ("text", "Aim", o.text),
                        ("result", "Result", o.get_result_display()),
                        ("comment", "Comment", o.comment),
                    ],
                )
                for o in outcomes
            ],
        ),
        Section(
            "appointments",
            "Appointments and sessions",
            "",
            [
                _item(
                    "appointment",
                    a.pk,
                    f"Appointment on {timezone.localtime(a.starts_at):%-d %B %Y at %H:%M}",
                    [
                        ("starts_at", "When", a.starts_at),
                        ("duration_minutes", "Length (minutes)", a.duration_minutes),
                        ("format", "How", a.get_format_display()),
                        ("setting", "Setting", a.get_setting_display()),
                        ("location", "Where", a.location),
                        ("attendance", "Attendance", a.get_attendance_display()),
                        ("late_reason", "Why late", a.late_reason),
                        ("non_attendance", "Reason it did not happen", a.get_non_attendance_display()),
                        ("non_attendance_notes", "Notes on why it did not happen", a.non_attendance_notes),
                        ("summary", "Session summary", a.summary),
                        ("engagement", "Your response", a.get_engagement_display()),
                        ("behaviour", "Behaviour", a.behaviour),
                        ("concerns", "Concerns", a.concerns),
                        ("rescheduled", "Rescheduled", a.rescheduled_to_id is not None),
                        (
                            "reschedule_requested_by",
                            "Rescheduled at the request of",
                            a.get_reschedule_requested_by_display(),
                        ),
                        ("reschedule_reason", "Why it was rescheduled", a.reschedule_reason),
                    ],
                )
                for a in appointments
            ],
        ),
        Section(
            "notes",
            "Notes",
            "Notes written by the police or the service.",
            [
                _item(
                    "note",
                    n.pk,
                    f"Note from {_org(n.organisation)}",
                    [
                        ("organisation", "Written by", _org(n.organisation)),
                        ("created_at", "When", n.created_at),
                        ("text", "Note", n.text),
                    ],
                )
                for n in notes
            ],
        ),
    ]
    if report is not None:
        sections.append(
            Section(
                "end_report",
                "End-of-intervention report",
                "",
                [
                    _item(
                        "end-report",
                        report.pk,
                        "End-of-intervention report",
                        [
                            ("result", "Result", report.get_result_display()),
                            ("summary", "Summary", report.summary),
                            ("submitted_at", "Submitted on", report.submitted_at),
                        ],
                    )
                ],
            )
        )
    if documents:
        sections.append(
            Section(
                "referral_documents",
                "Documents uploaded",
                "Each document is a file in the archive.",
                [
                    _item(
                        "document",
                        d.pk,
                        f"{d.get_kind_display()}: {d.original_name}",
                        [
                            ("kind", "Kind", d.get_kind_display()),
                            ("original_name", "File name", d.original_name),
                            ("description", "Description", d.description),
                            ("content_type", "Type", d.content_type),
                            ("size", "Size (bytes)", d.size),
                            ("uploaded_at", "Uploaded on", d.uploaded_at),
                        ],
                    )
                    for d in documents
                ],
            )
        )
    item.sections = sections
    return item


def disclosures_for(person):
    """The audit log's disclosures of the person's records (each sending of a referral to a partner
    agency, each download of a document, each subject access export), oldest first: read through the
    index on (content type, record number, time)."""
    keys = person_record_keys(person)
    match = Q()
    for kind, ids in keys.items():
        match |= Q(content_type_id=kind, object_id__in=ids)
    return (
        AuditEvent.objects.filter(match, action=AuditAction.DISCLOSED)
        .select_related("actor_organisation")
        .order_by("occurred_at", "id")
    )


def _disclosure_items(person):
    return [
        _item(
            "disclosure",
            e.pk,
            f"{timezone.localtime(e.occurred_at):%-d %B %Y}: {e.recipient or 'recipient not recorded'}",
            [
                ("occurred_at", "When", e.occurred_at),
                ("recipient", "Shared with", e.recipient),
                ("record", "Record", e.object_label),
                ("what", "What and why", e.reason),
                ("by", "Shared by", _org(e.actor_organisation)),
            ],
        )
        for e in disclosures_for(person)
    ]


# --- Redactions ---------------------------------------------------------------------------------------


def withheld_text(ground) -> str:
    ground = ExemptionGround(ground)
    paragraph = EXEMPTION_PARAGRAPHS[ground]
    return f"Withheld under section {paragraph} of the Data Protection Act 2018: {ground.label.lower()}"


def _kinds(export: Export):
    kinds: dict[str, list[str]] = {}
    for item in export.items():
        kinds.setdefault(item.key.rsplit("-", 1)[0], [f.name for f in item.fields])
    export.kinds = kinds


def _withhold(export: Export, redactions):
    """Apply the redactions: an item withheld loses its fields and sections (and its document, and
    the documents of the items inside it); a field withheld loses its value. Text withheld is also
    withheld where the records hold the same words again (a note is copied to the case's timeline,
    an end report's summary too), on the same ground."""
    whole, fields, response = {}, defaultdict(dict), []
    for r in redactions:
        if not r.item:
            response.append(r)
        elif "." in r.item:
            key, name = r.item.split(".", 1)
            fields[key][name] = r.ground
        else:
            whole[r.item] = r.ground
    dropped = set()
    copies: dict[str, str] = {}  # text withheld: its ground

    def remember(field, ground):
        if isinstance(field.value, str) and len(field.value.strip()) >= MIN_COPIED_TEXT:
            copies.setdefault(field.value.strip(), ground)

    def drop(item, ground):
        dropped.add(item.key)
        for f in item.fields:
            remember(f, ground)
        for section in item.sections:
            for child in section.items:
                drop(child, ground)

    for item in list(export.items()):
        if item.key in dropped:
            continue
        if item.key in whole:
            ground = whole[item.key]
            item.withheld = withheld_text(ground)
            for f in item.fields:
                remember(f, ground)
            for section in item.sections:
                for child in section.items:
                    drop(child, ground)
            item.fields, item.sections = [], []
            continue
        for f in item.fields:
            if f.name in fields.get(item.key, {}):
                ground = fields[item.key][f.name]
                remember(f, ground)
                f.withheld = withheld_text(ground)
                f.value = None
    if copies:
        for item in export.items():
            for f in item.fields:
                if not f.withheld and isinstance(f.value, str) and f.value.strip() in copies:
                    f.withheld = withheld_text(copies[f.value.strip()])
                    f.value = None
    kept = []
    for d in export.documents:
        if d.item in whole or d.item in dropped:
            continue
        kept.append(d)
    if len(kept) != len(export.documents):
        listed = {d.archive_name for d in kept}
        for section in export.sections:
            if section.key == "documents":
                section.items = [
                    i
                    for i in section.items
                    if next((f.value for f in i.fields if f.name == "file"), None) in listed
                ]
    export.documents = kept
    export.withheld = [
        {
            "item": r.item,
            "paragraph": EXEMPTION_PARAGRAPHS[ExemptionGround(r.ground)],
            "ground": ExemptionGround(r.ground).label,
        }
        for r in redactions
    ]
    return response
