"""Presentation only: tags for case status, sortable column headers and deadlines."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from cases.models import CaseStatus

register = template.Library()

STATUS_COLOURS = {
    CaseStatus.INTAKE: "grey",
    CaseStatus.AWAITING_DECISION: "yellow",
    CaseStatus.INELIGIBLE: "red",
    CaseStatus.DECLINED: "red",
    CaseStatus.ASSESSMENT: "light-blue",
    CaseStatus.CONDITIONS_AGREED: "blue",
    CaseStatus.ACTIVE: "turquoise",
    CaseStatus.BREACH_REVIEW: "orange",
    CaseStatus.COMPLETED: "green",
    CaseStatus.PROSECUTION_RESUMED: "pink",
    CaseStatus.WITHDRAWN: "grey",
    CaseStatus.CLOSED: "grey",
}


@register.simple_tag
def status_tag(status):
    return format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>',
        STATUS_COLOURS.get(status, "grey"),
        CaseStatus(status).label,
    )


@register.simple_tag(takes_context=True)
def sortable_header(context, label, key):
    """A column header that sorts the list on the server (so every page is in order), with aria-sort."""
    current = context.get("current_sort", "")
    base = context.get("sort_base", "")
    if current == key:
        state, next_key = "ascending", f"-{key}"
    elif current == f"-{key}":
        state, next_key = "descending", key
    else:
        state, next_key = "none", key
    query = f"{base}&sort={next_key}" if base else f"sort={next_key}"
    return format_html(
        '<th scope="col" class="govuk-table__header" aria-sort="{}">'
        '<a class="govuk-link app-sort-link" href="?{}">{}</a></th>',
        state,
        query,
        label,
    )


@register.simple_tag
def proceedings_deadline(day, today=None):
    if not day:
        return "–"
    return format_html('<time datetime="{}">{}</time>', day.isoformat(), day.strftime("%-d %b %Y"))


CONDITION_COLOURS = {
    "pending": "grey",
    "in_progress": "blue",
    "complete": "green",
    "failed": "red",
    "withdrawn": "grey",
    "superseded": "purple",
}


@register.simple_tag
def condition_tag(condition):
    """A condition's status, with "Overdue" when its due date has passed while it is still live."""
    tag = format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>',
        CONDITION_COLOURS.get(condition.status, "grey"),
        condition.get_status_display(),
    )
    if condition.is_overdue():
        tag += mark_safe(' <strong class="govuk-tag govuk-tag--red">Overdue</strong>')  # noqa: S308 (a constant)
    return tag
