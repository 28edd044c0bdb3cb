"""MoJ Frontend's filter component (moj-filter) for the lists' filter forms: the filters applied, each
a tag whose link removes it, read from the bound form of a django-filter FilterSet."""

from urllib.parse import urlencode

from django import template

register = template.Library()


def _labels(field, values) -> list[str]:
    """What the form shows for each value: a choice's label, a model choice's text (from the record
    the form already read to validate it, so no query more), or the value."""
    from django.forms import ModelChoiceField, ModelMultipleChoiceField

    cleaned = getattr(field.form, "cleaned_data", {})
    if isinstance(field.field, ModelChoiceField | ModelMultipleChoiceField) and cleaned.get(field.name):
        chosen = cleaned[field.name]
        chosen = chosen if isinstance(field.field, ModelMultipleChoiceField) else [chosen]
        by_pk = {str(obj.pk): field.field.label_from_instance(obj) for obj in chosen}
        return [by_pk.get(str(value), str(value)) for value in values]
    choices = getattr(field.field, "choices", None)
    if choices is None:
        return [str(value) for value in values]
    shown = {}
    for value, label in choices:
        if isinstance(label, (list, tuple)):  # grouped choices
            shown.update({str(v): str(lbl) for v, lbl in label})
        else:
            shown[str(getattr(value, "value", value))] = str(label)
    return [shown.get(str(value), str(value)) for value in values]


@register.simple_tag(takes_context=True)
def selected_filters(context, form):
    """``[(heading, [(text, url that removes it)])]`` for each filter applied, in the form's order: each
    link keeps every other parameter (the tab, the sort, the other filters) but the page."""
    request = context["request"]
    query = request.GET
    groups = []
    for field in filter_fields(form):
        values = [v for v in query.getlist(field.html_name) if v != ""]
        if not values:
            continue
        # A date of GOV.UK's three inputs (field_0, field_1, field_2) has no tag: the form shows it.
        items = []
        for value, text in zip(values, _labels(field, values), strict=True):
            rest = [
                (name, kept)
                for name, kept_values in query.lists()
                if name != "page"
                for kept in kept_values
                if (name, kept) != (field.html_name, value)
            ]
            items.append((text if text not in {"on", "True"} else field.label, "?" + urlencode(rest)))
        groups.append((field.label, items))
    return groups


NOT_FILTERS = {"sort"}  # the list's order, set by its column headers, not a filter


@register.filter
def filter_fields(form):
    """The form's fields a person filters with (not the sort, which the column headers set)."""
    return [field for field in form.visible_fields() if field.name not in NOT_FILTERS]
