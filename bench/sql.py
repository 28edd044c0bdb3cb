"""The hand-written SQL beside each page: the same rows and figures the page shows, read directly
with psycopg, so the benchmark can say how far the page is from what the database itself needs.

Each function takes a psycopg cursor and a ``Context`` (ids and dates chosen once per run) and runs
every query the page's data needs, fetching every row. The queries leave out what is not data (the
filter form's choices, the navigation), and never read the signed caution document.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta


@dataclass
class Context:
    force_id: int
    case_worker_id: int
    supervisor_id: int
    manager_id: int
    agency_id: int
    analyst_id: int
    busy_case_id: int
    late_offset: int
    surname: str
    today: date
    month_start: date
    month_end: date  # first day of the next month


def _run(cursor, *queries):
    for sql, params in queries:
        cursor.execute(sql, params)
        cursor.fetchall()


_CASELOAD = """
    WITH page AS (
        SELECT c.id FROM cases_case c JOIN cases_person p ON p.id = c.person_id{join}
         WHERE c.force_id = %(force)s {where}
         ORDER BY {order} LIMIT 25 OFFSET %(offset)s
    )
    SELECT c.id, c.reference, p.family_name, p.given_names, c.status, s.name, a.name, u.full_name,
           c.created_at,
           (SELECT min(co.offence_date) FROM cases_caseoffence co
              JOIN cases_offence o ON o.id = co.offence_id
             WHERE co.case_id = c.id AND o.time_limit_applies)
      FROM page JOIN cases_case c ON c.id = page.id
      JOIN cases_person p ON p.id = c.person_id
      JOIN cases_scheme s ON s.id = c.scheme_id
      JOIN accounts_area a ON a.id = c.area_id
      JOIN accounts_user u ON u.id = c.owner_id
     ORDER BY {order}
"""
_CASELOAD_COUNT = """
    SELECT count(*) FROM cases_case c JOIN cases_person p ON p.id = c.person_id
     WHERE c.force_id = %(force)s {where}
"""
_SEARCH = "AND (c.reference ILIKE %(like)s OR p.family_name ILIKE %(like)s OR p.given_names ILIKE %(like)s)"
_UNREAD = """
    SELECT count(*) FROM notifications_notification n
     WHERE n.read_at IS NULL AND (n.recipient_id = %(user)s OR n.recipient_organisation_id = %(org)s)
"""


def _caseload(cursor, ctx, *, where="", order="c.created_at DESC, c.id DESC", offset=0, join="", **params):
    params = {"force": ctx.force_id, "offset": offset, **params}
    _run(
        cursor,
        (_CASELOAD.format(where=where, order=order, join=join), params),
        (_CASELOAD_COUNT.format(where=where), params),
        (_UNREAD, {"user": ctx.case_worker_id, "org": ctx.force_id}),
    )


def caseload(cursor, ctx):
    _caseload(cursor, ctx)


def caseload_by_name(cursor, ctx):
    _caseload(cursor, ctx, order="p.family_name, c.id")


def caseload_by_case_worker(cursor, ctx):
    """Sorted by a name kept on another table (the case worker's): every case of the force is joined
    and sorted for a page, as for the scheme and the area."""
    _caseload(cursor, ctx, join=" JOIN accounts_user u ON u.id = c.owner_id", order="u.full_name, c.id")


def caseload_by_classification(cursor, ctx):
    _caseload(cursor, ctx, where="AND c.holds_either_way")


def caseload_late_page(cursor, ctx):
    _caseload(cursor, ctx, offset=ctx.late_offset)


def caseload_by_status(cursor, ctx):
    _caseload(cursor, ctx, where="AND c.status = 'active'")


def caseload_search(cursor, ctx):
    _caseload(cursor, ctx, where=_SEARCH, like=f"%{ctx.surname}%")


def _case_header(ctx):
    """The case with what every page of its file shows in its header (the case's file, issue 16)."""
    case = {"case": ctx.busy_case_id}
    return case, [
        (
            """SELECT c.*, p.*, e.name, s.name, s.code, d.name, a.name, u.full_name, f.name,
                      k.administered_on, k.period_ends_on, x.days, pr.outcome,
                      (SELECT outcome FROM cases_eligibilitydecision ed WHERE ed.case_id = c.id
                        ORDER BY decided_at DESC, id DESC LIMIT 1)
                 FROM cases_case c JOIN cases_person p ON p.id = c.person_id
                 LEFT JOIN cases_ethnicity e ON e.id = p.ethnicity_id
                 JOIN cases_scheme s ON s.id = c.scheme_id
                   JOIN cases_disposaltype d ON d.id = s.disposal_type_id
                 JOIN accounts_area a ON a.id = c.area_id JOIN accounts_user u ON u.id = c.owner_id
                 JOIN accounts_organisation f ON f.id = c.force_id
                 LEFT JOIN conditions_caution k ON k.case_id = c.id
                 LEFT JOIN conditions_periodextension x ON x.case_id = c.id
                 LEFT JOIN conditions_prosecution pr ON pr.case_id = c.id
                WHERE c.id = %(case)s""",
            case,
        ),
        (
            """SELECT co.*, o.name, o.classification FROM cases_caseoffence co
                 JOIN cases_offence o ON o.id = co.offence_id WHERE co.case_id = %(case)s
                   ORDER BY co.offence_date""",
            case,
        ),
        (_UNREAD, {"user": ctx.case_worker_id, "org": ctx.force_id}),
    ]


def case_page(cursor, ctx):
    """A busy case's overview: the header, aliases, decisions and the latest events."""
    case, header = _case_header(ctx)
    _run(
        cursor,
        *header,
        (
            "SELECT * FROM cases_personalias "
            "WHERE person_id = (SELECT person_id FROM cases_case WHERE id = %(case)s)",
            case,
        ),
        (
            """SELECT d.*, u.full_name FROM cases_eligibilitydecision d
              JOIN accounts_user u ON u.id = d.decided_by_id
                WHERE d.case_id = %(case)s ORDER BY d.decided_at DESC, d.id DESC""",
            case,
        ),
        (
            """SELECT e.*, u.full_name, o.name FROM cases_caseevent e
                 LEFT JOIN accounts_user u ON u.id = e.actor_id LEFT
                   JOIN accounts_organisation o ON o.id = e.actor_organisation_id
                WHERE e.case_id = %(case)s ORDER BY e.occurred_at DESC, e.id DESC LIMIT 5""",
            case,
        ),
    )


def case_conditions_page(cursor, ctx):
    """A busy case's "Conditions and referrals": conditions, variations, breach reviews, referrals."""
    case, header = _case_header(ctx)
    _run(
        cursor,
        *header,
        (
            """SELECT k.*, o.name, u.full_name FROM conditions_condition k
                 JOIN accounts_organisation o ON o.id = k.responsible_organisation_id
                 LEFT JOIN accounts_user u ON u.id = k.owner_id
                WHERE k.case_id = %(case)s ORDER BY k.due_date, k.id""",
            case,
        ),
        ("SELECT * FROM conditions_variation WHERE case_id = %(case)s ORDER BY proposed_at DESC", case),
        (
            "SELECT id, status, opened_at, decision_due_on FROM conditions_breachreview "
            "WHERE case_id = %(case)s ORDER BY opened_at DESC",
            case,
        ),
        (
            "SELECT EXISTS (SELECT 1 FROM assessments_assessment WHERE case_id = %(case)s "
            "AND kind = 'initial' AND status = 'completed')",
            case,
        ),
        (
            """SELECT r.id, r.status, r.sent_at, r.due_date, s.name, o.name, u.full_name, r.condition_id
                 FROM referrals_referral r JOIN referrals_service s ON s.id = r.service_id
                 JOIN accounts_organisation o ON o.id = r.organisation_id
                 LEFT JOIN accounts_user u ON u.id = r.practitioner_id
                WHERE r.case_id = %(case)s ORDER BY r.sent_at DESC, r.id DESC""",
            case,
        ),
    )


def case_timeline_page(cursor, ctx):
    """A busy case's timeline: its first page of 50 events, newest first."""
    case, header = _case_header(ctx)
    _run(
        cursor,
        *header,
        (
            """SELECT e.*, u.full_name, o.name FROM cases_caseevent e
                 LEFT JOIN accounts_user u ON u.id = e.actor_id LEFT
                   JOIN accounts_organisation o ON o.id = e.actor_organisation_id
                WHERE e.case_id = %(case)s ORDER BY e.occurred_at DESC, e.id DESC LIMIT 51""",
            case,
        ),
    )


def supervisor_home(cursor, ctx):
    """The supervisor's home: the team, breach reviews to countersign and late, six-month limits."""
    p = {"force": ctx.force_id, "today": ctx.today, "user": ctx.supervisor_id}
    p["cutoff"] = ctx.today + timedelta(days=7 + 3) - timedelta(days=183)
    _run(
        cursor,
        (
            """SELECT r.role, count(*) FROM accounts_user u JOIN accounts_roleassignment r ON r.user_id = u.id
                WHERE u.organisation_id = %(force)s AND u.is_active GROUP BY r.role""",
            p,
        ),
        (
            """SELECT b.*, c.reference, pe.family_name FROM conditions_breachreview b
                 JOIN cases_case c ON c.id = b.case_id JOIN cases_person pe ON pe.id = c.person_id
                WHERE c.force_id = %(force)s AND b.status = 'awaiting_countersignature'
                  AND b.decided_by_id IS DISTINCT FROM %(user)s
                ORDER BY b.opened_at DESC LIMIT 10""",
            p,
        ),
        (
            """SELECT b.*, c.reference, pe.family_name FROM conditions_breachreview b
                 JOIN cases_case c ON c.id = b.case_id JOIN cases_person pe ON pe.id = c.person_id
                WHERE c.force_id = %(force)s AND b.status IN ('open', 'awaiting_countersignature')
                  AND b.decision_due_on < %(today)s ORDER BY b.opened_at DESC LIMIT 10""",
            p,
        ),
        (
            """SELECT c.id, c.reference, pe.family_name, u.full_name, f.first
                 FROM (SELECT co.case_id, min(co.offence_date) AS first FROM cases_caseoffence co
                         JOIN cases_offence o ON o.id = co.offence_id
                        WHERE o.time_limit_applies GROUP BY co.case_id) f
                 JOIN cases_case c ON c.id = f.case_id
                 JOIN cases_person pe ON pe.id = c.person_id JOIN accounts_user u ON u.id = c.owner_id
                 LEFT JOIN conditions_prosecution pr ON pr.case_id = c.id
                WHERE c.force_id = %(force)s AND f.first <= %(cutoff)s
                  AND (c.status IN ('intake', 'awaiting_decision', 'assessment', 'conditions_agreed',
                    'active',
                                    'breach_review')
                       OR (c.status = 'prosecution_resumed' AND pr.proceedings_started_on IS NULL
                           AND pr.outcome = 'pending'))
                ORDER BY f.first, c.id LIMIT 20""",
            p,
        ),
        (_UNREAD, {"user": ctx.supervisor_id, "org": ctx.force_id}),
    )


def partner_workspace(cursor, ctx):
    """The partner manager's workspace, first tab (unassigned): 25 referrals, the tab counts."""
    p = {"org": ctx.agency_id, "user": ctx.manager_id}
    _run(
        cursor,
        (
            """SELECT r.id, r.status, r.due_date, r.sent_at, c.reference, pe.given_names, pe.family_name,
                      s.name, u.full_name, k.wording,
                      EXISTS (SELECT 1 FROM referrals_appointment ap WHERE ap.referral_id = r.id
                                AND ap.starts_at <= now() AND ap.attendance = ''
                                  AND ap.rescheduled_to_id IS NULL),
                      (SELECT count(*) FROM referrals_appointment ap WHERE ap.referral_id = r.id
                                AND ap.rescheduled_to_id IS NULL)
                 FROM referrals_referral r JOIN cases_case c ON c.id = r.case_id
                 JOIN cases_person pe ON pe.id = c.person_id JOIN referrals_service s ON s.id = r.service_id
                 LEFT JOIN accounts_user u ON u.id = r.practitioner_id
                 LEFT JOIN conditions_condition k ON k.id = r.condition_id
                WHERE r.organisation_id = %(org)s AND r.status = 'sent'
                ORDER BY r.due_date, r.id LIMIT 25""",
            p,
        ),
        (
            """SELECT count(*) FILTER (WHERE practitioner_id = %(user)s AND status IN ('sent',
              'accepted', 'in_progress')),
                      count(*) FILTER (WHERE status = 'sent'),
                      count(*) FILTER (WHERE status IN ('sent', 'accepted', 'in_progress')),
                      count(*) FILTER (WHERE status IN ('completed', 'not_completed')),
                      count(*) FILTER (WHERE status IN ('declined', 'withdrawn'))
                 FROM referrals_referral WHERE organisation_id = %(org)s""",
            p,
        ),
        (_UNREAD, p),
    )


def partner_inbox(cursor, ctx):
    """The partner manager's inbox, first page: their own notifications and the agency's shared inbox,
    newest first, 25 of them, the number of them all, and the unread count."""
    p = {"org": ctx.agency_id, "user": ctx.manager_id}
    _run(
        cursor,
        (
            """SELECT n.id, n.subject, n.case_reference, n.created_at, n.read_at, n.recipient_organisation_id
                 FROM notifications_notification n
                WHERE n.recipient_id = %(user)s OR n.recipient_organisation_id = %(org)s
                ORDER BY n.created_at DESC, n.id DESC LIMIT 25""",
            p,
        ),
        (
            """SELECT count(*) FROM notifications_notification n
                WHERE n.recipient_id = %(user)s OR n.recipient_organisation_id = %(org)s""",
            p,
        ),
        (_UNREAD, p),
    )


_AGE = """CASE
    WHEN p.date_of_birth > %(today)s - interval '18 years' THEN 'Under 18'
    WHEN p.date_of_birth > %(today)s - interval '25 years' THEN '18-24'
    WHEN p.date_of_birth > %(today)s - interval '35 years' THEN '25-34'
    WHEN p.date_of_birth > %(today)s - interval '45 years' THEN '35-44'
    WHEN p.date_of_birth > %(today)s - interval '55 years' THEN '45-54'
    ELSE '55+' END"""


_FACT_AGE = _AGE.replace("p.date_of_birth", "f.date_of_birth")
_PATHWAYS = [
    "accommodation", "education_employment", "health", "drugs_alcohol", "finance_debt", "children_families",
    "attitudes", "domestic_abuse", "gambling", "victim_of_abuse", "sex_work",
]  # fmt: skip
_STATUSES = [
    "intake", "awaiting_decision", "ineligible", "declined", "assessment", "conditions_agreed", "active",
    "breach_review", "completed", "prosecution_resumed", "withdrawn", "closed",
]  # fmt: skip
_DIVERTED = "f.cautioned_on IS NOT NULL AND NOT f.prosecuted AND f.status IN ('completed', 'closed')"


def dashboard(cursor, ctx):
    """Every figure of the analyst's dashboard, read from the summaries (reporting_casefact, one row
    per case; reporting_casecostfact; reporting_referralfact) as the page reads them."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from dateutil.relativedelta import relativedelta

    zone = ZoneInfo("Europe/London")
    start = ctx.today.replace(day=1) - relativedelta(months=11)
    months = [start + relativedelta(months=i) for i in range(13)]
    p = {"force": ctx.force_id, "today": ctx.today}
    trend_columns = []
    for i in range(12):
        p[f"m{i}"], p[f"t{i}"] = months[i], datetime.combine(months[i], time.min, zone)
        p[f"m{i + 1}"], p[f"t{i + 1}"] = months[i + 1], datetime.combine(months[i + 1], time.min, zone)
        trend_columns += [
            f"count(*) FILTER (WHERE f.created_at >= %(t{i})s AND f.created_at < %(t{i + 1})s)",
            f"count(*) FILTER (WHERE f.cautioned_on >= %(m{i})s AND f.cautioned_on < %(m{i + 1})s)",
        ]
    need_columns = []
    for n in _PATHWAYS:
        paired = f"f.initial_{n} IS NOT NULL AND f.final_{n} IS NOT NULL"
        need_columns += [
            f"count(*) FILTER (WHERE f.initial_{n} >= 2)",
            f"count(*) FILTER (WHERE f.initial_{n} = 3)",
            f"count(*) FILTER (WHERE {paired})",
            f"avg(f.initial_{n} - f.final_{n}) FILTER (WHERE {paired})",
        ]
    matured = "f.cautioned_on <= %(today)s - interval '548 days'"
    tracked = "f.cautioned_on <= %(today)s - interval '365 days'"
    columns = [
        "count(*)",
        "count(*) FILTER (WHERE f.cautioned_on IS NOT NULL)",
        f"count(*) FILTER (WHERE {_DIVERTED})",
        "count(*) FILTER (WHERE f.prosecuted)",
        "avg(interval '1 day' * (f.first_decision_on - f.first_offence_on))",
        "avg(interval '1 day' * (f.cautioned_on - f.first_decision_on))",
        f"count(*) FILTER (WHERE {matured})",
        f"count(*) FILTER (WHERE {matured} AND f.reoffences > 0)",
        f"sum(f.reoffences) FILTER (WHERE {matured})",
        "count(*) FILTER (WHERE f.cautioned_on > %(today)s - interval '548 days')",
        f"count(DISTINCT f.person_id) FILTER (WHERE {tracked})",
        "count(*) FILTER (WHERE f.assessed)",
        *[f"count(*) FILTER (WHERE f.status = '{s}')" for s in _STATUSES],
        *trend_columns,
        *need_columns,
    ]
    fairness = """
        SELECT {group} AS g, count(*), count(*) FILTER (WHERE f.decided),
               count(*) FILTER (WHERE f.eligible), count(*) FILTER (WHERE {diverted}),
               count(*) FILTER (WHERE f.prosecuted)
          FROM reporting_casefact f LEFT JOIN cases_ethnicity e ON e.id = f.ethnicity_id
         WHERE f.force_id = %(force)s GROUP BY 1 ORDER BY 1"""
    figures = "SELECT {columns} FROM reporting_casefact f WHERE f.force_id = %(force)s"
    cost = """SELECT sum(x.before), sum(x.before * cc.unit_cost) FILTER (WHERE x.before > 0),
                     sum(x.after), sum(x.after * cc.unit_cost) FILTER (WHERE x.after > 0),
                     sum(x.recorded) FILTER (WHERE cc.unit_cost IS NULL)
                FROM reporting_casecostfact x JOIN cases_offence o ON o.id = x.offence_id
                LEFT JOIN cases_crimecostcategory cc ON cc.id = o.cost_category_id
               WHERE x.case_id IN (SELECT f.case_id FROM reporting_casefact f WHERE f.force_id = %(force)s
                                      AND f.cautioned_on IS NOT NULL AND {tracked})"""
    partners = """SELECT o.name, count(*), count(r.accepted_at),
                         count(*) FILTER (WHERE r.status = 'declined'),
                         count(*) FILTER (WHERE r.status = 'completed'),
                         count(*) FILTER (WHERE r.status = 'not_completed'),
                         avg(r.accepted_at - r.sent_at), avg(r.first_contact_at - r.sent_at)
                    FROM reporting_referralfact r JOIN accounts_organisation o ON o.id = r.organisation_id
                   WHERE {referrals} GROUP BY o.name ORDER BY o.name"""
    contact = """SELECT avg(r.first_contact_at - r.sent_at) FROM reporting_referralfact r
                  WHERE {referrals} AND r.first_contact_at IS NOT NULL"""
    referrals = "r.case_id IN (SELECT f.case_id FROM reporting_casefact f WHERE f.force_id = %(force)s)"
    _run(
        cursor,
        (figures.format(columns=", ".join(columns)), p),
        (cost.format(tracked=tracked), p),
        (partners.format(referrals=referrals), p),
        (contact.format(referrals=referrals), p),
        (fairness.format(group="e.group", diverted=_DIVERTED), p),
        (fairness.format(group="f.sex", diverted=_DIVERTED), p),
        (fairness.format(group=_FACT_AGE, diverted=_DIVERTED), p),
        (_UNREAD, {"user": ctx.analyst_id, "org": ctx.force_id}),
    )


def extract_month(cursor, ctx):
    """The pseudonymised extract's rows for the cases opened in one month (the document never read)."""
    p = {"force": ctx.force_id, "start": ctx.month_start, "end": ctx.month_end, "today": ctx.today}
    _run(
        cursor,
        (
            f"""SELECT c.id, c.person_id, s.name, a.name,
                       (SELECT string_agg(DISTINCT o."group", '; ') FROM cases_caseoffence co
                          JOIN cases_offence o ON o.id = co.offence_id WHERE co.case_id = c.id),
                       (SELECT min(CASE o.classification WHEN 'indictable_only' THEN 1
                                                         WHEN 'either_way' THEN 2 ELSE 3 END)
                          FROM cases_caseoffence co JOIN cases_offence o ON o.id = co.offence_id
                            WHERE co.case_id = c.id),
                       p.sex, {_AGE}, e.group, c.status,
                       (SELECT d.outcome FROM cases_eligibilitydecision d WHERE d.case_id = c.id
                         ORDER BY d.decided_at DESC, d.id DESC LIMIT 1),
                       c.created_at, k.administered_on, pr.id IS NOT NULL,
                       (SELECT json_object_agg(n.pathway, n.level) FROM assessments_assessment x
                          JOIN assessments_pathwayneed n ON n.assessment_id = x.id
                         WHERE x.case_id = c.id AND x.kind = 'initial' AND x.status = 'completed')
                  FROM cases_case c JOIN cases_scheme s ON s.id = c.scheme_id
                    JOIN accounts_area a ON a.id = c.area_id
                  JOIN cases_person p ON p.id = c.person_id LEFT
                    JOIN cases_ethnicity e ON e.id = p.ethnicity_id
                  LEFT JOIN conditions_caution k ON k.case_id = c.id
                  LEFT JOIN conditions_prosecution pr ON pr.case_id = c.id
                 WHERE c.force_id = %(force)s AND c.created_at >= %(start)s AND c.created_at < %(end)s
                 ORDER BY c.id""",  # noqa: S608 (a constant expression)
            p,
        ),
    )


def extract_year(cursor, ctx):
    """The pseudonymised extract's rows for the cases opened in the year of ``ctx.month_start``."""
    year = ctx.month_start.year
    extract_month(cursor, replace(ctx, month_start=date(year, 1, 1), month_end=date(year + 1, 1, 1)))


def extract_all(cursor, ctx):
    """The pseudonymised extract's rows for every case: the month's query over all of time."""
    extract_month(cursor, replace(ctx, month_start=date(1, 1, 1), month_end=date(9999, 12, 31)))
