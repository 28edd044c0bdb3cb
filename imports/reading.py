"""Reading a caseload file, CSV or Excel (``.xlsx``), into its header and its rows of text, each with
the number a person sees for it: the line of a CSV file (a value spread over several lines counts from
its first), the row of a spreadsheet."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from .columns import normalise_header

XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(Exception):
    """The file as a whole cannot be read. The message says what to do."""


@dataclass
class Sheet:
    kind: str  # "csv" or "xlsx"
    header: list[str]  # normalised column names
    rows: object  # an iterator of (number, [text, ...])
    total: int  # about how many rows (for the progress bar)
    line_word: str  # "Line" (CSV) or "Row" (a spreadsheet)


def sheet_open(content: bytes, filename: str = "") -> Sheet:
    """The file's header and rows. Raises FileRefused for a file that cannot be read at all."""
    if not content:
        raise FileRefused("The file is empty.")
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _xlsx(content)
    return _csv(content)


def _csv(content: bytes) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            "The file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8. In Excel, save it as "
            "“CSV UTF-8 (Comma delimited)”, or as an Excel workbook."
        ) from None
    if "\x00" in text:
        raise FileRefused("The file contains a NUL character: it is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileRefused("The file is empty.") from None
    except csv.Error as exc:
        raise FileRefused(f"Line 1 (the header) cannot be read as CSV: {exc}.") from None

    def rows():
        start = reader.line_num + 1
        try:
            for values in reader:
                yield start, values
                start = reader.line_num + 1
        except csv.Error as exc:
            raise FileRefused(f"Line {start} cannot be read as CSV: {exc}.") from None

    return Sheet("csv", [normalise_header(h) for h in header], rows(), max(text.count("\n"), 1), "Line")


def _xlsx(content: bytes) -> Sheet:
    from zipfile import BadZipFile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileRefused(
            f"The file cannot be read as an Excel workbook (.xlsx): {exc}. Save it again from Excel, or as "
            "CSV UTF-8."
        ) from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise FileRefused("The workbook has no worksheet.")
    cells = sheet.iter_rows(values_only=True)
    try:
        header = next(cells)
    except StopIteration:
        raise FileRefused("The first worksheet is empty.") from None
    header = [normalise_header(h) for h in header]
    while header and not header[-1]:
        header.pop()

    def rows():
        for number, values in enumerate(cells, start=2):
            yield number, [_cell_text(v) for v in values[: len(header)]]
        workbook.close()

    return Sheet("xlsx", header, rows(), max((sheet.max_row or 2) - 1, 1), "Row")


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV file would have: a date as 2026-03-31, a whole number
    without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    return str(value)
