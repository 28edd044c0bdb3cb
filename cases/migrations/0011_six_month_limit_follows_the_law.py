"""Issue 14, part 7: the six-month limit follows the law, not the venue.

Criminal damage of £5,000 or less and shop theft of £200 or less are either-way offences that
magistrates try summarily because of their value (Magistrates' Courts Act 1980 ss.22 and 22A); the
six-month limit of s.127 does not apply to them (DPP v Bird 2015; Jobson v DPP [2025] EWHC 1385
(Admin)). Their classification stays "summary only", which sets their penalty maximum; every other
summary-only offence gets ``time_limit_applies``.

The cases holding those two offences get their six-month-limit start again. Each case still open (or
awaiting a resumed prosecution) whose limit changes gets an event on its timeline and its case worker
a notification (emailed by the outbox sweep). Written with the migration's own models, so that later
changes to the app's models cannot break it. Reversing it puts the old limits back, silently."""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

TRIED_SUMMARILY_FOR_VALUE = ["Criminal damage (under £5,000)", "Shop theft (goods worth £200 or less)"]
# The statuses whose six-month limit still matters (cases.models.TIME_LIMIT_WATCHED_STATUSES when written).
WATCHED = [
    "active",
    "assessment",
    "awaiting_decision",
    "breach_review",
    "conditions_agreed",
    "intake",
    "prosecution_resumed",
]
DEDUPE = "time-limit-law-2025"


def _refresh(apps, *, applies):
    """Set the limit's start of every case holding an offence tried summarily for its value, with
    ``applies`` saying which offences the limit applies to. Returns {case id: (before, after)} for the
    cases whose start changed."""
    Case = apps.get_model("cases", "Case")
    CaseOffence = apps.get_model("cases", "CaseOffence")
    holding = CaseOffence.objects.filter(offence__name__in=TRIED_SUMMARILY_FOR_VALUE).values("case_id")
    cases = Case.objects.filter(pk__in=holding)
    before = dict(cases.values_list("pk", "first_summary_offence_date"))
    first = (
        CaseOffence.objects.filter(case=OuterRef("pk"))
        .filter(applies)
        .order_by()
        .values("case")
        .annotate(first=Min("offence_date"))
        .values("first")
    )
    cases.update(first_summary_offence_date=Subquery(first))
    after = dict(cases.values_list("pk", "first_summary_offence_date"))
    return {pk: (before[pk], after[pk]) for pk in after if before[pk] != after[pk]}


def forward(apps, schema_editor):
    from django.db.models import Q

    from cases.rules import latest_proceedings_date

    Offence = apps.get_model("cases", "Offence")
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Notification = apps.get_model("notifications", "Notification")

    Offence.objects.filter(classification="summary_only").exclude(name__in=TRIED_SUMMARILY_FOR_VALUE).update(
        time_limit_applies=True
    )
    changed = _refresh(apps, applies=Q(offence__time_limit_applies=True))
    open_cases = list(
        Case.objects.filter(pk__in=list(changed), status__in=WATCHED).select_related("owner").order_by("pk")
    )
    if not open_cases:
        return
    from offenderhub.notifications.services import absolute_url, render_email

    now = timezone.now()
    events, notifications = [], []
    for case in open_cases:
        old, new = changed[case.pk]
        old_by, new_by = (
            latest_proceedings_date(old) if old else None,
            latest_proceedings_date(new) if new else None,
        )
        summary = (
            f"Six-month limit changed: proceedings must now start by {new_by:%-d %B %Y}, not {old_by:%-d %B %Y}"
            if new_by and old_by
            else "Six-month limit removed: it does not apply to an either-way offence tried summarily for its value"
            if old_by
            else f"Six-month limit: proceedings must start by {new_by:%-d %B %Y}"
        )
        events.append(
            CaseEvent(
                case=case,
                code="time_limit_changed",
                occurred_at=now,
                summary=summary[:300],
                notes="Criminal damage of £5,000 or less and shop theft of £200 or less are either-way offences "
                "tried summarily because of their value: the six-month limit does not apply to them (DPP v Bird "
                "2015; Jobson v DPP [2025] EWHC 1385 (Admin)).",
                details={
                    "first_time_limit_offence_date": [str(old) if old else None, str(new) if new else None],
                    "latest_proceedings_date": [
                        str(old_by) if old_by else None,
                        str(new_by) if new_by else None,
                    ],
                },
            )
        )
        owner = case.owner
        if not owner.is_active:
            continue
        url = f"/cases/{case.pk}/"
        subject, text, html = render_email(
            "time_limit_changed",
            {
                "kind": "time_limit_changed",
                "case_reference": case.reference,
                "link": absolute_url(url),
                "service_name": _service_name(),
                "latest_proceedings_date": new_by,
            },
        )
        notifications.append(
            Notification(
                recipient=owner,
                kind="time_limit_changed",
                subject=subject,
                body=text,
                body_html=html,
                url=url,
                case_reference=case.reference,
                created_at=now,
                dedupe_key=f"{DEDUPE}:case{case.pk}:u{owner.pk}",
                email_status=("digest" if owner.email_digest else "pending") if owner.email else "not_sent",
            )
        )
    CaseEvent.objects.bulk_create(events)
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)


def _service_name():
    from django.conf import settings

    return settings.SERVICE_NAME


def backward(apps, schema_editor):
    from django.db.models import Q

    _refresh(apps, applies=Q(offence__classification="summary_only"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_offence_time_limit_applies"),
        ("notifications", "0005_time_limit_changed_kind"),
    ]

    operations = [migrations.RunPython(forward, backward)]
