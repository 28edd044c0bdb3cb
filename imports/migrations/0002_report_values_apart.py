"""The reports saved before a problem kept the file's value apart from its words: the value each quotes
is moved to the problem's ``value`` (``'31/02/1990' is not a real date`` becomes the value
``31/02/1990`` and the words ``is not a real date``), so that the sweep and the erasure can make the
report forget it (``imports.services.caseload_reports_forget_values``). The sweep forgets those of
imports uploaded longer ago than ``CASELOAD_IMPORT_KEEP_DAYS`` within a minute of the upgrade."""

import re

from django.db import migrations

QUOTED = re.compile(r"^'(?P<value>.*)' (?P<words>(?:is|has) .*)$", re.DOTALL)
# The one message that quoted two PNC IDs and a person reference without quotes around the first.
PNC_OF_REFERENCE = re.compile(
    r"^(?P<value>\S+) is not the PNC ID \(\S+\) (?P<word>\w+) (?P<line>\d+) gives person_reference '.*'$",
    re.DOTALL,
)


def _apart(item):
    message = item.get("message", "")
    if "value" in item:
        return item, False
    match = PNC_OF_REFERENCE.match(message)
    if match:
        words = (
            f"is not the PNC ID {match['word']} {match['line']} gives for the same person_reference: "
            "correct one of them"
        )
        return {**item, "message": words, "value": match["value"]}, True
    match = QUOTED.match(message)
    if match:
        return {**item, "message": match["words"], "value": match["value"]}, True
    return item, False


def forward(apps, schema_editor):
    CaseloadImport = apps.get_model("imports", "CaseloadImport")
    for batch in CaseloadImport.objects.exclude(report={}).only("pk", "report").iterator():
        report = batch.report or {}
        errors, any_value = [], False
        for item in report.get("errors", []):
            item, moved = _apart(item)
            errors.append(item)
            any_value = any_value or moved or "value" in item
        CaseloadImport.objects.filter(pk=batch.pk).update(
            report={**report, "errors": errors, "values_kept": any_value}
        )


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
