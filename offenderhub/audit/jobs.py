"""The audit log's daily job: verify the hash chain, and tell the administrators and supervisors at
once if it is broken (offenderhub/core/jobs.py runs it; README.md, "The audit log")."""

import logging

from django.conf import settings
from django.urls import reverse

from .chain import chain_verify, checkpoint_record

logger = logging.getLogger(__name__)


class AuditChainBroken(Exception):
    """The audit log was changed in the database itself: the message names the first broken row."""


def audit_chain_verify(*, today) -> dict:
    """Verify the rows added since the last check (the chain from its latest checkpoint), or the
    whole chain on ``AUDIT_FULL_VERIFY_WEEKDAY`` and whenever there is no checkpoint yet. Intact: a
    new checkpoint is recorded where the walk ended. Broken: every active administrator and
    supervisor is notified (once a day, however often the job is run) and the run fails, naming the
    row, on the jobs page.

    So a row appended since the last check and then changed, deleted or forged is caught the next
    day; a row changed before the latest checkpoint is caught by the weekly full walk (or
    ``manage.py audit_verify``, which always walks everything), unless it is the checkpoint's own row,
    which every check reads."""
    from offenderhub.accounts.models import Role, User
    from offenderhub.notifications.models import NotificationKind
    from offenderhub.notifications.services import notify

    full = today.weekday() == settings.AUDIT_FULL_VERIFY_WEEKDAY
    report = chain_verify(since_checkpoint=not full)
    if report.intact:
        checkpoint_record(report, full=full)
        # Kept in the logs, outside the database: `audit_verify --expect SEQUENCE:HASH` later checks
        # the row is still there (rows deleted from the end with the chain head moved back are not).
        logger.info(
            "Audit log intact%s: %s rows checked; last row %s:%s.",
            "" if full else " since the last checkpoint",
            report.rows,
            report.last_sequence,
            report.last_hash[:16],
        )
        return {"audit_chain_broken": 0}
    recipients = User.objects.filter(
        is_active=True, role_assignments__role__in=[Role.ADMINISTRATOR, Role.SUPERVISOR]
    ).distinct()
    notify(
        kind=NotificationKind.AUDIT_CHAIN_BROKEN,
        users=list(recipients),
        url=reverse("audit:log"),
        context={"problem": report.problem.message},
        dedupe_key=f"audit-chain-broken:{today.isoformat()}",
    )
    logger.error("The audit log's hash chain is broken: %s", report.problem.message)
    raise AuditChainBroken(report.problem.message)
