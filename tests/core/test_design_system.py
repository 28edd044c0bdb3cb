"""The pages use GOV.UK Frontend and MoJ Frontend as they are vendored (issue 16, part 1): every
``govuk-``/``moj-`` modifier class a template or a template tag writes is one the vendored CSS defines
(so a status tag or a caption never falls back to an unstyled look that reads like another), case
statuses have tags that can be told apart, and lists paginate with GOV.UK's numbered pagination."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.template import Context, Template

from cases.models import CaseStatus
from cases.templatetags.cases_tags import STATUS_COLOURS, status_tag

ROOT = Path(settings.BASE_DIR)
VENDORED = [
    ROOT / "static/vendor/govuk/govuk-frontend.min.css",
    ROOT / "static/vendor/moj/moj-frontend.min.css",
]
# Modifier classes (a block's "--" variants) the pages write: the kind of class that silently does nothing
# when the version of the design system does not define it.
MODIFIER = re.compile(r"\b((?:govuk|moj)-[a-z0-9-]+(?:__[a-z0-9-]+)?--[a-z0-9-]+)\b")


def _defined() -> set[str]:
    css = "".join(path.read_text() for path in VENDORED)
    return set(re.findall(r"\.((?:govuk|moj)-[a-z0-9_-]+)", css))


def _written() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    sources = [
        *(ROOT / "templates").rglob("*.html"),
        *ROOT.glob("*/templatetags/*.py"),
        *ROOT.glob("*/forms.py"),
    ]
    for path in sources:
        for name in MODIFIER.findall(path.read_text()):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_design_system_modifier_a_page_writes_is_defined_by_the_vendored_frontend():
    defined = _defined()
    assert "govuk-tag--green" in defined and "moj-alert--warning" in defined  # the CSS is read
    undefined = {name: sorted(paths) for name, paths in _written().items() if name not in defined}
    assert not undefined, f"classes the vendored GOV.UK/MoJ Frontend does not define: {undefined}"


def test_each_status_tag_uses_a_defined_colour_and_the_steps_of_the_journey_look_different():
    defined = _defined()
    for status in CaseStatus.values:
        colour = STATUS_COLOURS[status]
        assert not colour or f"govuk-tag--{colour}" in defined, (status, colour)
    steps = [
        CaseStatus.AWAITING_DECISION,
        CaseStatus.ASSESSMENT,
        CaseStatus.CONDITIONS_AGREED,
        CaseStatus.ACTIVE,
    ]
    assert len({STATUS_COLOURS[s] for s in steps}) == len(steps)
    assert (
        str(status_tag(CaseStatus.CONDITIONS_AGREED))
        == '<strong class="govuk-tag">Conditions agreed</strong>'
    )


# What crispy-forms-gds 2.0.1 writes that GOV.UK Frontend 6.6 no longer styles, and what it costs:
# an errored file input loses its own red outline (Frontend 6 styles the error on the JavaScript file
# upload's button); the form group's red border and the error message are still shown.
CRISPY_KNOWN_GAPS = {"govuk-file-upload--error"}


def test_crispy_forms_gds_renders_only_classes_frontend_6_defines():
    """crispy-forms-gds is tested upstream against GOV.UK Frontend 5: its output for every kind of field
    the app's forms use, with and without errors, must use classes the vendored Frontend 6.6 defines."""
    from django import forms

    from offenderhub.core.forms import GdsDateField, GdsForm

    class Every(GdsForm):
        text = forms.CharField(label="Text", help_text="Hint")
        number = forms.IntegerField(label="Number")
        area = forms.CharField(label="Area", widget=forms.Textarea)
        choice = forms.ChoiceField(label="Choice", choices=[("a", "A"), ("b", "B")])
        radios = forms.ChoiceField(label="Radios", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
        boxes = forms.MultipleChoiceField(
            label="Boxes", choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
        )
        tick = forms.BooleanField(label="Tick")
        day = GdsDateField(label="Day")
        upload = forms.FileField(label="File")

    defined = _defined()
    for form in (Every(), Every(data={})):
        html = Template(
            "{% load crispy_forms_tags crispy_forms_gds %}{% error_summary form %}{% crispy form %}"
        ).render(Context({"form": form}))
        classes = " ".join(re.findall(r'class="([^"]*)"', html))  # data-module names are not classes
        # Elements and modifiers: a block's own name may be a hook with no style of its own (govuk-radios).
        used = {n for n in classes.split() if n.startswith(("govuk-", "moj-")) and ("__" in n or "--" in n)}
        assert used, html
        missing = used - defined - CRISPY_KNOWN_GAPS
        assert not missing, f"crispy-forms-gds writes classes Frontend 6.6 lacks: {sorted(missing)}"
    assert used - defined >= CRISPY_KNOWN_GAPS  # each gap listed is still real (the form with errors)


@pytest.mark.parametrize(
    ("page", "pages", "expected"),
    [
        (1, 3, ["[1]", "2", "3"]),
        (5, 10, ["1", "…", "4", "[5]", "6", "…", "10"]),
        (10, 10, ["1", "…", "9", "[10]"]),
        (2, 10, ["1", "[2]", "3", "…", "10"]),
    ],
)
def test_lists_paginate_with_govuk_numbered_pagination(page, pages, expected):
    page_obj = Paginator(range(pages * 25), 25).page(page)
    html = Template('{% include "includes/pagination.html" %}').render(
        Context({"page_obj": page_obj, "query_string": "status=active"})
    )
    items = re.findall(r'<li class="govuk-pagination__item([^"]*)">\s*(?:<a[^>]*>(\d+)</a>|(&ctdot;))', html)
    shown = [
        "…" if ellipsis else (f"[{number}]" if "--current" in classes else number)
        for classes, number, ellipsis in items
    ]
    assert shown == expected
    assert '<ul class="govuk-pagination__list">' in html
    assert f'href="?status=active&amp;page={page}" aria-label="Page {page}" aria-current="page"' in html


@pytest.mark.django_db
def test_the_caseload_filters_with_mojs_filter_and_each_applied_filter_removes_itself(
    client_for, case_worker
):
    response = client_for(case_worker).get("/cases/", {"status": "active", "sort": "name", "page": "1"})
    html = response.content.decode()

    assert '<div class="moj-filter-layout">' in html and '<div class="moj-filter">' in html
    assert '<h2 class="govuk-heading-m">Selected filters</h2>' in html
    tag = re.search(
        r'<a class="moj-filter__tag" href="([^"]*)">'
        r'<span class="govuk-visually-hidden">Remove this filter: </span>Active</a>',
        html,
    )
    assert tag, html
    assert tag.group(1) == "?sort=name"  # the sort stays, the page goes back to the first
    assert '<input type="hidden" name="sort" value="name">' in html
    assert 'name="sort"' not in html.split('class="moj-filter__options"')[1].split("</form>")[0].replace(
        '<input type="hidden" name="sort" value="name">', ""
    )  # the order is set by the column headers, not offered as a filter
