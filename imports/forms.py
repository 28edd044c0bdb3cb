from django import forms
from django.conf import settings

from offenderhub.core.forms import GdsForm


class UploadForm(GdsForm):
    file = forms.FileField(
        label="Caseload file",
        help_text="A CSV file (UTF-8) or an Excel workbook (.xlsx), one row for each case, with a header "
        "row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError("The selected file must be a CSV file or an Excel workbook (.xlsx).")
        if upload.size == 0:
            raise forms.ValidationError("The selected file is empty.")
        limit = settings.CASELOAD_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The selected file must be smaller than {limit // (1024 * 1024)} MB: split it."
            )
        return upload
