"""The daily jobs about referrals: chasing referrals the agency has not accepted within its service
level, and appointments whose outcome is still missing. Both count working days (England and Wales
bank holidays excluded) and claim each item once by its timestamp."""

from datetime import datetime, time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.events import EventCode
from cases.models import CaseEvent
from conditions.jobs import url_for
from offenderhub.core.jobs import run_moment
from offenderhub.core.workdays import add_working_days, is_working_day
from offenderhub.notifications.models import NotificationKind
from offenderhub.notifications.services import notify_many

from .models import Appointment, Referral, ReferralStatus


def referral_response_due(referral) -> object:
    """The last day the agency has to accept or decline, by its service level in working days."""
    sent = timezone.localtime(referral.sent_at).date()
    return add_working_days(sent, referral.service.first_contact_working_days)


def referrals_chase(*, today) -> dict:
    """Referrals still waiting for the agency after its service level: the agency's inbox and the
    case worker are told, once."""
    if not is_working_day(today):
        return {"referrals_chased": 0}  # agencies are chased on working days only
    now = run_moment(today)  # the run's day, also for run_daily_jobs --today
    with transaction.atomic():
        waiting = list(
            Referral.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ReferralStatus.SENT, chased_at=None)
            .select_related("service", "organisation", "case__owner")
        )
        late = [r for r in waiting if referral_response_due(r) < today]
        if not late:
            return {"referrals_chased": 0}
        Referral.objects.filter(pk__in=[r.pk for r in late], chased_at=None).update(chased_at=now)
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case_id=r.case_id,
                code=EventCode.REFERRAL_CHASED,
                occurred_at=now,
                summary=(
                    f"Referral to {r.organisation} chased: no response by "
                    f"{referral_response_due(r):%-d %B %Y} "
                    f"({r.service.first_contact_working_days} working days)"
                ),
                details={"referral": r.pk},
            )
            for r in late
        )
        notify_many(
            kind=NotificationKind.REFERRAL_CHASE,
            items=[
                {
                    "users": [r.case.owner],
                    "organisations": [r.organisation],
                    "url": url_for("referrals:detail", r.pk),
                    "case_reference": r.case.reference,
                    "context": {"service": r.service.name, "due": referral_response_due(r)},
                    "dedupe_key": f"referral-chase:{r.pk}",
                }
                for r in late
            ],
        )
    return {"referrals_chased": len(late)}


def appointment_outcomes_chase(*, today) -> dict:
    """Appointments with no outcome recorded a set number of working days after they happened are
    flagged to the practitioner (or the agency when nobody holds the referral), once."""
    days = settings.APPOINTMENT_OUTCOME_WORKING_DAYS
    if not is_working_day(today):
        return {"appointment_outcomes_chased": 0}
    now = run_moment(today)  # the run's day, also for run_daily_jobs --today
    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    with transaction.atomic():
        missing = list(
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                attendance="",
                rescheduled_to__isnull=True,
                outcome_chased_at=None,
                starts_at__lt=start_of_today,
                referral__status__in=[ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS],
            )
            .select_related("referral__practitioner", "referral__organisation", "referral__case")
        )
        late = [a for a in missing if add_working_days(timezone.localtime(a.starts_at).date(), days) <= today]
        if not late:
            return {"appointment_outcomes_chased": 0}
        Appointment.objects.filter(pk__in=[a.pk for a in late], outcome_chased_at=None).update(
            outcome_chased_at=now
        )
        notify_many(
            kind=NotificationKind.APPOINTMENT_OUTCOME_MISSING,
            items=[
                {
                    "users": [a.referral.practitioner] if a.referral.practitioner else [],
                    "organisations": [] if a.referral.practitioner else [a.referral.organisation],
                    "url": url_for("referrals:outcome", a.pk),
                    "case_reference": a.referral.case.reference,
                    "context": {"starts_at": a.starts_at},
                    "dedupe_key": f"appointment-outcome:{a.pk}",
                }
                for a in late
            ],
        )
    return {"appointment_outcomes_chased": len(late)}
