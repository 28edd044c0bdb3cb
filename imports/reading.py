"""Reading a caseload file, CSV or Excel (``.xlsx``), into its header and its rows of text, each with
the number a person sees for it: the line of a CSV file (a value spread over several lines counts from
its first), the row of a spreadsheet."""

import csv
import io
import re
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
    try:
        return _xlsx_fast(content)
    except _NotPlain:
        return _xlsx_openpyxl(content)


# --- Excel, read directly -------------------------------------------------------------------------------
# openpyxl reads a worksheet cell by cell in Python: about 80 seconds for 50,000 rows of a caseload.
# The worksheet's XML read with the standard library's parser (expat, in C) and only what a caseload
# needs made of it (text, numbers, dates by their number format, booleans) takes a fraction of that.
# A workbook this reader does not expect (the "strict" namespace, no relationships) is read by openpyxl.

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PACKAGE = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class _NotPlain(Exception):
    """A workbook the direct reader leaves to openpyxl."""


def _part(name: str, base: str = "xl/") -> str:
    return name.lstrip("/") if name.startswith("/") else base + name


def _safe_parser() -> bool:
    """Whether the standard library's XML parser is safe for an uploaded workbook: it never fetches
    external entities, and expat 2.4.1 and later stop entity expansion bombs ("billion laughs"). An older
    expat leaves the workbook to openpyxl."""
    import pyexpat

    return pyexpat.version_info >= (2, 4, 1)


def _xlsx_fast(content: bytes) -> Sheet:
    import zipfile
    from xml.etree import ElementTree

    if not _safe_parser():
        raise _NotPlain

    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        raise _NotPlain from None
    if workbook.tag != f"{MAIN}workbook":
        raise _NotPlain
    sheets = workbook.find(f"{MAIN}sheets")
    if sheets is None or not len(sheets):
        raise _NotPlain
    targets = {
        r.get("Id"): (r.get("Type", ""), r.get("Target", ""))
        for r in relations.iter(f"{PACKAGE}Relationship")
    }
    sheet_part = targets.get(sheets[0].get(RELATIONSHIP), ("", ""))[1]
    if not sheet_part:
        raise _NotPlain
    properties = workbook.find(f"{MAIN}workbookPr")
    epoch = (
        CALENDAR_MAC_1904
        if properties is not None and properties.get("date1904") in ("1", "true")
        else CALENDAR_WINDOWS_1900
    )
    shared = []
    for kind, target in targets.values():
        if kind.endswith("/sharedStrings"):
            shared = _shared_strings(archive, _part(target))
    dates = set()
    for kind, target in targets.values():
        if kind.endswith("/styles"):
            styles = ElementTree.fromstring(archive.read(_part(target)))  # noqa: S314
            formats = {int(k): v for k, v in BUILTIN_FORMATS.items()}
            for code in styles.iter(f"{MAIN}numFmt"):
                formats[int(code.get("numFmtId"))] = code.get("formatCode", "")
            xfs = styles.find(f"{MAIN}cellXfs")
            for index, xf in enumerate(xfs if xfs is not None else ()):
                if is_date_format(formats.get(int(xf.get("numFmtId", 0)), "")):
                    dates.add(str(index))
    try:
        head = archive.open(_part(sheet_part)).read(4096).decode("utf-8", "replace")
        stream = archive.open(_part(sheet_part))
    except KeyError:
        raise _NotPlain from None
    last = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
    rows = _sheet_rows(stream, shared, dates, epoch)
    try:
        number, header_values = next(rows)
    except StopIteration:
        raise FileRefused("The first worksheet is empty.") from None
    header = [normalise_header(h) for h in header_values]
    while header and not header[-1]:
        header.pop()
    width = len(header)

    def body():
        for number, values in rows:
            yield number, values[:width]

    return Sheet("xlsx", header, body(), max(int(last[1]) - 1, 1) if last else 1, "Row")


def _shared_strings(archive, part) -> list[str]:
    from xml.etree import ElementTree

    strings = []
    text, run = f"{MAIN}t", f"{MAIN}r"
    for _, element in ElementTree.iterparse(archive.open(part)):  # noqa: S314 (see _safe_parser)
        if element.tag == f"{MAIN}si":
            # The item's own text and its runs' text, not its phonetic guide (rPh).
            parts = [child.text or "" for child in element if child.tag == text]
            parts += [t.text or "" for child in element if child.tag == run for t in child.iter(text)]
            strings.append("".join(parts))
            element.clear()
    return strings


def _column(reference: str, cache={}) -> int:  # noqa: B006 (a cache of column letters)
    letters = cache.get(reference)
    if letters is None:
        letters = reference.rstrip("0123456789")
        index = 0
        for letter in letters:
            index = index * 26 + ord(letter) - 64
        cache[reference] = letters = index - 1
    return letters


def _sheet_rows(stream, shared, dates, epoch):
    """(row number, [text...]) for each row of the worksheet's XML, as ``_cell_text`` makes cells."""
    from xml.etree import ElementTree

    from openpyxl.utils.datetime import from_excel

    row_tag, cell_tag, value_tag, inline_tag, text_tag = (
        f"{MAIN}row",
        f"{MAIN}c",
        f"{MAIN}v",
        f"{MAIN}is",
        f"{MAIN}t",
    )
    expected = 0
    try:
        for _, element in ElementTree.iterparse(stream):  # noqa: S314 (see _safe_parser)
            if element.tag != row_tag:
                continue
            expected += 1
            number = int(element.get("r") or expected)
            expected = number
            values = []
            for cell in element:
                if cell.tag != cell_tag:
                    continue
                reference = cell.get("r")
                index = _column(reference) if reference else len(values)
                kind = cell.get("t", "n")
                if kind == "inlineStr":
                    box = cell.find(inline_tag)
                    text = "".join(t.text or "" for t in box.iter(text_tag)) if box is not None else ""
                else:
                    value = cell.find(value_tag)
                    raw = value.text if value is not None and value.text is not None else ""
                    if not raw:
                        text = ""
                    elif kind == "s":
                        text = shared[int(raw)]
                    elif kind == "b":
                        text = "yes" if raw in ("1", "true") else "no"
                    elif kind == "n":
                        text = (
                            _cell_text(from_excel(float(raw), epoch))
                            if cell.get("s") in dates
                            else _number(raw)
                        )
                    elif kind == "d":
                        text = raw[:10] if raw[10:].strip("T0:.Z") == "" else raw
                    else:  # "str" (a formula's text), "e" (an error such as #N/A)
                        text = raw
                if index >= len(values):
                    values.extend([""] * (index - len(values) + 1))
                values[index] = text
            element.clear()
            yield number, values
    except ElementTree.ParseError as exc:
        raise FileRefused(
            f"The worksheet cannot be read: {exc}. Save it again from Excel, or as CSV UTF-8."
        ) from None


def _number(raw: str) -> str:
    """A number cell as text: whole numbers without ``.0`` (as ``_cell_text`` makes them)."""
    if raw.isdigit():
        return raw
    try:
        value = float(raw)
    except ValueError:
        return raw
    return _cell_text(value)


def _xlsx_openpyxl(content: bytes) -> Sheet:
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
