"""Presentation only: tags for case status, sortable column headers and deadlines."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from cases.models import CaseStatus

register = template.Library()

# GOV.UK Frontend 6's tag colours (the vendored CSS defines these modifiers; blue is the tag with none).
# Each status that leads to the next step has a colour of its own, so that "Assessment" and
# "Conditions agreed" are told apart at a glance (tests/core/test_design_system.py).
STATUS_COLOURS = {
    CaseStatus.INTAKE: "grey",
    CaseStatus.AWAITING_DECISION: "yellow",
    CaseStatus.INELIGIBLE: "red",
    CaseStatus.DECLINED: "red",
    CaseStatus.ASSESSMENT: "purple",
    CaseStatus.CONDITIONS_AGREED: "",
    CaseStatus.ACTIVE: "turquoise",
    CaseStatus.BREACH_REVIEW: "orange",
    CaseStatus.COMPLETED: "green",
    CaseStatus.PROSECUTION_RESUMED: "pink",
    CaseStatus.WITHDRAWN: "grey",
    CaseStatus.CLOSED: "grey",
}


@register.simple_tag
def status_tag(status):
    colour = STATUS_COLOURS.get(status, "grey")
    return format_html(
        '<strong class="govuk-tag{}">{}</strong>',
        f" govuk-tag--{colour}" if colour else "",
        CaseStatus(status).label,
    )


@register.simple_tag(takes_context=True)
def page_links(context, page_obj, around: int = 1):
    """The pages GOV.UK's pagination lists: the first, the last, the current with ``around`` either
    side, and an ellipsis (None) for each gap; each as ``(number, url query, is_current)``."""
    last, current = page_obj.paginator.num_pages, page_obj.number
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    query = context.get("query_string", "")
    links, previous = [], 0
    for number in shown:
        if number - previous > 1:
            links.append(None)
        links.append((number, f"{query}&page={number}" if query else f"page={number}", number == current))
        previous = number
    return links


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
    "breached": "red",
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
