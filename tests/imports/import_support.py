"""Files for the caseload import tests, built from the rows of the example file
(docs/examples/caseload.csv)."""

import csv
import io
from pathlib import Path

from django.conf import settings

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "caseload.csv"


def example_bytes() -> bytes:
    return EXAMPLE.read_bytes()


def example_rows() -> tuple[list[str], list[dict]]:
    """The example's header and its rows, as dicts to change."""
    reader = csv.DictReader(io.StringIO(EXAMPLE.read_text(encoding="utf-8")))
    return list(reader.fieldnames), list(reader)


def csv_bytes(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in header})
    return out.getvalue().encode()


def xlsx_bytes(header, rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name, "") for name in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(rows, reference) -> dict:
    return next(r for r in rows if r["case_reference"] == reference)
