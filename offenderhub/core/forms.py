"""Helpers shared by every form page."""

from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class GdsForm(forms.Form):
    """A form rendered by crispy-forms-gds inside the page's own <form> (and its error summary)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


def add_service_errors(form, exc) -> None:
    """Show a service's refusal on the form: field errors beside their fields, others at the top."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            for message in errors:
                form.add_error(target, message)
    elif isinstance(exc, ValidationError):
        for message in exc.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(exc))


class InvalidFormStatusMixin:
    """Re-render a refused form with 400, so a bad submission is never mistaken for a success."""

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class GdsDateField(DateInputField):
    """The GOV.UK date input (day, month, year), refusing impossible dates with a message instead of
    an error page: a year outside 1900-2100 or numbers too large for a date."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.require_all_fields = False

    def compress(self, data_list):
        day, month, year = data_list
        if day and month and year:
            try:
                if not 1900 <= int(year) <= 2100:
                    raise ValidationError("Enter a year between 1900 and 2100", code="invalid_year")
                return date(day=int(day), month=int(month), year=int(year))
            except (ValueError, OverflowError) as exc:
                raise ValidationError("Enter a real date", code="invalid_date") from exc
        return None
