"""Helpers shared by every form page."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


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
