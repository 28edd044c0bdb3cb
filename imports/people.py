"""What a caseload import does when a person's record is erased (the ``PersonErasing`` handler,
registered in ``ImportsConfig.ready``, run inside the erasure's transaction).

An import keeps nothing by name once it is done: its report names lines, case references and person
numbers, its timeline entries are erased with the cases, and its file is deleted when the import is
imported, refused, failed or discarded (or by the sweep). A report quotes the values of the rows to
correct ("'19/12A' is not a PNC ID") only while they may be corrected: the erasure makes every report
of the force forget them (``services.caseload_reports_forget_values``), as a refused file's rows can no
longer be told apart. Only a file still waiting (being checked, or
checked and not yet confirmed) holds rows as the force wrote them: one that names the person (their PNC
ID, or their given and family names in one row) is discarded and its file deleted once the erasure
commits, so that confirming it cannot bring the erased details back.
"""

from django.utils import timezone

from cases.events import PersonErasing
from cases.models import Person
from cases.selectors import pnc_id_or_none

from .models import CaseloadImport, ImportStatus
from .reading import FileRefused, sheet_open

WAITING = (ImportStatus.CHECKING, ImportStatus.CHECKED)
DISCARDED_NOTE = (
    "Discarded: the file named a person whose record has since been erased. Upload it again without them."
)


def _names_person(content: bytes, filename: str, people) -> bool:
    try:
        sheet = sheet_open(content, filename)
    except FileRefused:
        return False
    pnc_ids = {p.pnc_id for p in people if p.pnc_id}  # stored normalised
    names = [(p.given_names.casefold(), p.family_name.casefold()) for p in people if p.family_name]
    for _, cells in sheet.rows:
        values = {(cell or "").strip().casefold() for cell in cells}
        # A PNC ID however the file writes it (2012/345678X, 12/0345678x, ...), as the import reads it.
        written = {pnc_id_or_none(cell) for cell in cells if cell and any(c.isdigit() for c in cell)}
        if pnc_ids & written or any(given in values and family in values for given, family in names):
            return True
    return False


def imports_erase(event: PersonErasing) -> dict:
    people = list(Person.objects.filter(pk__in=event.person_ids))
    waiting = CaseloadImport.objects.select_for_update().filter(force_id=event.force_id, status__in=WAITING)
    files, discarded = [], []
    for batch in waiting.exclude(file="").order_by("pk"):
        try:
            with batch.file.open("rb") as file:
                content = file.read()
        except FileNotFoundError:
            continue
        if _names_person(content, batch.filename, people):
            files.append(batch.file.name)
            discarded.append(batch.pk)
    now = timezone.now()
    for batch in CaseloadImport.objects.filter(pk__in=discarded):
        report = {**batch.report, "failure": DISCARDED_NOTE}
        CaseloadImport.objects.filter(pk=batch.pk).update(
            status=ImportStatus.DISCARDED, file="", phase="", report=report, finished_at=now
        )
    # The reports of the force's imports forget the values their files wrote: a refused file's rows are
    # gone with it, so whose they were cannot be told; any may have been this person's.
    from .services import caseload_reports_forget_values

    forgotten = caseload_reports_forget_values(CaseloadImport.objects.filter(force_id=event.force_id))
    return {
        "removed": {
            "Caseload files waiting to be imported": len(files),
            "Caseload import reports quoting the files' values": forgotten,
        },
        "files": files,
    }
