from django import forms

from offenderhub.core.forms import GdsDateField, GdsForm


def _reason(label, help_text, required_message):
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=label,
        help_text=help_text,
        error_messages={"required": required_message},
    )


class HoldSetForm(GdsForm):
    reason = _reason(
        "Why must the record be kept?",
        "For example, a civil claim, a complaint to the IOPC or a public inquiry that may need it. Do not "
        "write more about the person than the hold needs: this is erased with the record.",
        "Give the reason for the legal hold.",
    )


class HoldClearForm(GdsForm):
    reason = _reason(
        "Why can the hold be cleared?",
        "For example, the claim was settled or the complaint concluded.",
        "Give the reason for clearing the legal hold.",
    )


class RetainForm(GdsForm):
    retain_until = GdsDateField(
        label="Keep the record until",
        help_text="The record is reviewed again on this date. For example, 27 3 2031",
    )
    reason = _reason(
        "Why must the record be kept?",
        "For example, the person is linked to an investigation still open.",
        "Give the reason for keeping the record.",
    )


class ErasureRequestForm(GdsForm):
    """Asking for erasure needs no words: the register records who asked, and another supervisor
    approves."""


class ErasureApproveForm(GdsForm):
    confirm = forms.BooleanField(
        label="I have checked the record: it is no longer needed, and its erasure cannot be undone",
        error_messages={"required": "Confirm that you have checked the record before approving its erasure."},
    )


class ErasureRefuseForm(GdsForm):
    reason = _reason(
        "Why should the record not be erased?",
        "The review is then to be decided again: keep the record until a date, or ask again later.",
        "Give the reason for refusing the erasure.",
    )
