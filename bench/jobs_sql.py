"""Hand-written set-based SQL doing what a daily job does, to compare the job with (issue 12: the
jobs within 2x of the same work in plain SQL). ``bench/jobs.py`` runs each in a transaction it rolls
back, on the same database as the jobs, before them, so both find the same work.

``overdue_conditions``: the overdue sweep (``conditions.jobs.conditions_overdue_sweep``): the same
marking, breach reviews, their conditions, case moves, timeline events, audit rows and notifications.
The audit rows' content is selected in SQL and sealed onto the hash chain in Python with the app's
own functions (``offenderhub/audit/chain.py``: an HMAC per row, which SQL cannot do without the key),
then copied in; the email texts are the templates rendered once with stand-ins, as the app does, and
the stand-ins replaced in SQL. PostgreSQL only."""

import json
import os
import time
from datetime import UTC


def _execute_each(cursor, script, params):
    """The statements of ``script`` one by one (each ``;`` ends a line), with the parameters each uses."""
    for statement in script.split(";\n"):
        if statement.strip():
            started = time.monotonic()
            cursor.execute(statement, {k: v for k, v in params.items() if f"%({k})s" in statement})
            if os.environ.get("BENCH_SQL_VERBOSE"):
                print(f"{time.monotonic() - started:6.2f} s  {' '.join(statement.split())[:90]}")


def _fetch(cursor, sql, params=None):
    cursor.execute(sql, params)
    return cursor.fetchall()


def _email_texts(kind):
    """The kind's (subject, text, html) with stand-ins for the case reference and the link."""
    from django.conf import settings

    from offenderhub.notifications.services import _SENTINELS, _render_raw

    raw = _render_raw(
        kind,
        {
            "kind": kind,
            "case_reference": _SENTINELS["case_reference"],
            "link": _SENTINELS["link"],
            "service_name": settings.SERVICE_NAME,
        },
    )
    subject = " ".join(raw[0].split())
    text = raw[1].strip()
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return subject, text + "\n", raw[2].strip() + "\n"


def overdue_conditions(connection, *, today, now) -> dict:
    """The overdue sweep in SQL, on a psycopg connection inside the caller's transaction."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType

    from cases.models import Case
    from conditions.models import BreachReview
    from offenderhub.notifications.services import _SENTINELS

    review_type = ContentType.objects.get_for_model(BreachReview).pk
    case_type = ContentType.objects.get_for_model(Case).pk
    subject, text, html = _email_texts("breach_review_opened")
    site = settings.SITE_URL.rstrip("/")
    with connection.cursor() as cur:
        _execute_each(
            cur,
            """
            CREATE TEMP TABLE sweep_cases ON COMMIT DROP AS
            SELECT k.id, k.status, k.reference, k.force_id, k.owner_id, s.breach_decision_days
            FROM cases_case k JOIN cases_scheme s ON s.id = k.scheme_id
            WHERE k.status IN ('active', 'breach_review') AND k.id IN (
                SELECT case_id FROM conditions_condition
                WHERE status IN ('pending', 'in_progress') AND due_date < %(today)s
                  AND overdue_flagged_at IS NULL AND kind <> 'restrictive')
            ORDER BY k.id;
            SELECT 1 FROM cases_case WHERE id IN (SELECT id FROM sweep_cases) ORDER BY id FOR UPDATE;
            CREATE TEMP TABLE sweep_conditions ON COMMIT DROP AS
            SELECT c.id, c.case_id, c.wording, c.due_date FROM conditions_condition c
            WHERE c.case_id IN (SELECT id FROM sweep_cases) AND c.status IN ('pending', 'in_progress')
              AND c.due_date < %(today)s AND c.overdue_flagged_at IS NULL AND c.kind <> 'restrictive';
            UPDATE conditions_condition SET overdue_flagged_at = %(now)s
            WHERE id IN (SELECT id FROM sweep_conditions);
            CREATE TEMP TABLE sweep_open ON COMMIT DROP AS
            SELECT id, case_id FROM conditions_breachreview
            WHERE case_id IN (SELECT id FROM sweep_cases) AND status IN ('open', 'awaiting_countersignature');
            CREATE TEMP TABLE sweep_new ON COMMIT DROP AS
            WITH inserted AS (
                INSERT INTO conditions_breachreview (status, opened_at, opened_reason, decision_due_on,
                    person_account, alternatives_tried, outcome, rationale, countersignature_notes, case_id)
                SELECT 'open', %(now)s,
                    count(*) || ' condition' || CASE WHEN count(*) > 1 THEN 's' ELSE '' END || ' overdue: '
                    || string_agg(left(c.wording, 80) || ' (due ' || to_char(c.due_date, 'FMDD FMMonth YYYY')
                       || ')', '; ' ORDER BY c.due_date, c.id),
                    %(today)s::date + max(k.breach_decision_days), '', '', '', '', '', c.case_id
                FROM sweep_conditions c JOIN sweep_cases k ON k.id = c.case_id
                WHERE c.case_id NOT IN (SELECT case_id FROM sweep_open)
                GROUP BY c.case_id ORDER BY c.case_id
                RETURNING id, case_id, decision_due_on, opened_reason)
            SELECT * FROM inserted;
            INSERT INTO conditions_breachreview_conditions (breachreview_id, condition_id)
            SELECT r.id, c.id FROM sweep_conditions c
            JOIN (SELECT id, case_id FROM sweep_new UNION ALL SELECT id, case_id FROM sweep_open) r
              ON r.case_id = c.case_id
            ON CONFLICT DO NOTHING;
            CREATE TEMP TABLE sweep_moved ON COMMIT DROP AS
            WITH moved AS (
                UPDATE cases_case SET status = 'breach_review', updated_at = %(now)s
                WHERE id IN (SELECT case_id FROM sweep_new) AND status = 'active' RETURNING id)
            SELECT id FROM moved;
            INSERT INTO cases_caseevent (case_id, code, occurred_at, status_before, status_after, summary,
                notes, details)
            SELECT k.id,
                CASE WHEN n.id IS NULL THEN 'condition_overdue' ELSE 'breach_review_opened' END, %(now)s,
                CASE WHEN m.id IS NULL THEN '' ELSE 'active' END,
                CASE WHEN m.id IS NULL THEN '' ELSE 'breach_review' END,
                CASE WHEN n.id IS NULL THEN 'Overdue condition added to the open breach review'
                     ELSE 'Breach review opened by the overdue check; a decision is due by '
                          || to_char(n.decision_due_on, 'FMDD FMMonth YYYY') END,
                coalesce(n.opened_reason, ''),
                jsonb_build_object('breach_review', coalesce(n.id, o.id), 'conditions', c.ids)
            FROM sweep_cases k
            JOIN (SELECT case_id, jsonb_agg(id ORDER BY due_date, id) AS ids FROM sweep_conditions
                  GROUP BY case_id) c ON c.case_id = k.id
            LEFT JOIN sweep_new n ON n.case_id = k.id
            LEFT JOIN sweep_open o ON o.case_id = k.id LEFT JOIN sweep_moved m ON m.id = k.id
            ORDER BY k.id;
            INSERT INTO notifications_notification (kind, subject, body, body_html, url, case_reference,
                created_at, dedupe_key, recipient_id, email_status)
            SELECT 'breach_review_opened', replace(%(subject)s, %(ref)s, k.reference),
                replace(replace(%(text)s, %(ref)s, k.reference), %(link)s,
                    %(site)s || '/conditions/breach-reviews/' || n.id || '/'),
                replace(replace(%(html)s, %(ref)s, k.reference), %(link)s,
                    %(site)s || '/conditions/breach-reviews/' || n.id || '/'),
                '/conditions/breach-reviews/' || n.id || '/', k.reference, %(now)s,
                'breach-review-opened:' || n.id || ':u' || u.id, u.id,
                CASE WHEN NOT u.is_active OR u.email = '' THEN 'not_sent'
                     WHEN u.email_digest THEN 'digest' ELSE 'pending' END
            FROM sweep_new n JOIN sweep_cases k ON k.id = n.case_id JOIN accounts_user u ON u.id = k.owner_id
            WHERE u.is_active
            ON CONFLICT DO NOTHING;
            """,
            {
                "today": today,
                "now": now,
                "subject": subject,
                "text": text,
                "html": html,
                "ref": _SENTINELS["case_reference"],
                "link": _SENTINELS["link"],
                "site": site,
            },
        )
        audit = _fetch(
            cur,
            """
            SELECT %(review_type)s, n.id::text, 'Breach review on case ' || k.reference, k.force_id,
                'created', '{}'::jsonb, 'Opened by the overdue-conditions check'
            FROM sweep_new n JOIN sweep_cases k ON k.id = n.case_id
            UNION ALL
            SELECT %(case_type)s, k.id::text, 'Case ' || k.reference, k.force_id, 'changed',
                jsonb_build_object('status', jsonb_build_array('active', 'breach_review')),
                'Breach review opened by the overdue-conditions check'
            FROM sweep_moved m JOIN sweep_cases k ON k.id = m.id
            """,
            {"review_type": review_type, "case_type": case_type},
        )
        started = time.monotonic()
        _audit_append(cur, audit, now)
        if os.environ.get("BENCH_SQL_VERBOSE"):
            print(f"{time.monotonic() - started:6.2f} s  audit rows sealed and copied: {len(audit)}")
        counts = _fetch(
            cur, "SELECT (SELECT count(*) FROM sweep_conditions), (SELECT count(*) FROM sweep_new)"
        )
    return {"overdue_conditions": counts[0][0], "breach_reviews_opened": counts[0][1]}


def _audit_append(cur, rows, now):
    """Seal ``(content_type_id, object_id, object_label, owner_organisation_id, action, changes,
    reason)`` rows onto the chain, in order, and copy them in."""
    from offenderhub.audit.chain import chain_keys, key_id, row_hash

    key = chain_keys()[0]
    sealed_with = key_id(key)
    head = _fetch(cur, "SELECT sequence, row_hash FROM audit_auditchainhead WHERE id = 1 FOR UPDATE")
    sequence, previous = head[0]
    occurred = now.astimezone(UTC)
    with cur.copy(
        "COPY audit_auditevent (occurred_at, actor_label, action, content_type_id, object_id, object_label,"
        " owner_organisation_id, changes, reason, recipient, user_agent, path, sequence, previous_hash,"
        " chain_key_id, row_hash) FROM STDIN"
    ) as copy:
        for content_type, object_id, label, owner, action, changes, reason in rows:
            sequence += 1
            record = {
                "occurred_at": occurred,
                "actor_id": None,
                "actor_label": "system",
                "actor_organisation_id": None,
                "action": action,
                "content_type_id": content_type,
                "object_id": object_id,
                "object_label": label,
                "owner_organisation_id": owner,
                "changes": changes,
                "reason": reason,
                "recipient": "",
                "ip_address": None,
                "user_agent": "",
                "path": "",
                "sequence": sequence,
                "previous_hash": previous,
                "chain_key_id": sealed_with,
            }
            previous = row_hash(record, key)
            copy.write_row(
                (
                    occurred,
                    "system",
                    action,
                    content_type,
                    object_id,
                    label,
                    owner,
                    json.dumps(changes),
                    reason,
                    "",
                    "",
                    "",
                    sequence,
                    record["previous_hash"],
                    sealed_with,
                    previous,
                )
            )


JOBS = {"overdue_conditions": overdue_conditions}
