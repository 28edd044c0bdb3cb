"""Reading a caseload file: CSV by its lines, Excel by its rows. A workbook's worksheet is read directly
from its XML (fast); what it gives must be what openpyxl gives for the same workbook."""

import io
import zipfile
from datetime import date, datetime

import pytest
from import_support import example_rows, xlsx_bytes
from openpyxl import Workbook

from imports.reading import FileRefused, _xlsx_fast, _xlsx_openpyxl, sheet_open


def _both(content):
    fast, slow = _xlsx_fast(content), _xlsx_openpyxl(content)
    return (fast.header, [(n, v) for n, v in fast.rows]), (slow.header, [(n, _trim(v)) for n, v in slow.rows])


def _trim(values):
    values = list(values)
    while values and values[-1] == "":
        values.pop()
    return values


def test_the_direct_reader_reads_the_example_as_openpyxl_does():
    header, rows = example_rows()
    fast, slow = _both(xlsx_bytes(header, rows))
    assert fast[0] == slow[0] == header
    assert [(n, _trim(v)) for n, v in fast[1]] == slow[1]
    assert fast[1][0][0] == 2 and fast[1][0][1][0] == "FEN/26/0101"


def test_the_direct_reader_reads_typed_cells_as_openpyxl_does():
    book = Workbook()
    sheet = book.active
    sheet.append(["Case reference", "date of birth", "previous_convictions", "hours", "vulnerable", "when"])
    sheet.append(["A-1", date(1990, 2, 28), 3, 7.5, True, datetime(2026, 3, 1, 14, 30)])
    sheet.append(["A-2", None, 0, 12.0, False, None])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["A-3", "31/02/1990", -2, 1e-3, None, "text"])
    sheet["B2"].number_format = "dd/mm/yyyy"
    out = io.BytesIO()
    book.save(out)
    fast, slow = _both(out.getvalue())
    assert fast == slow
    assert fast[1][0] == (2, ["A-1", "1990-02-28", "3", "7.5", "yes", "2026-03-01 14:30:00"])


def test_the_direct_reader_takes_shared_strings_and_their_runs_but_not_phonetic_guides():
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts = {
        "[Content_Types].xml": "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>",
        "xl/workbook.xml": f"<workbook xmlns='{main}' xmlns:r='http://schemas.openxmlformats.org/"
        "officeDocument/2006/relationships'><workbookPr date1904='1'/><sheets><sheet name='Cases' "
        "sheetId='1' r:id='rId1'/></sheets></workbook>",
        "xl/_rels/workbook.xml.rels": "<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/"
        "relationships'><Relationship Id='rId1' Type='http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships/worksheet' Target='worksheets/sheet1.xml'/><Relationship Id='rId2' Type='http://"
        "schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings' "
        "Target='sharedStrings.xml'/>"
        "<Relationship Id='rId3' Type='http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        "styles' Target='styles.xml'/></Relationships>",
        "xl/sharedStrings.xml": f"<sst xmlns='{main}'><si><t>case_reference</t></si>"
        "<si><t>arrest_date</t></si>"
        "<si><r><t>Brook</t></r><r><t>es</t></r><rPh sb='0' eb='1'><t>ignored</t></rPh></si></sst>",
        "xl/styles.xml": f"<styleSheet xmlns='{main}'><numFmts>"
        "<numFmt numFmtId='164' formatCode='d mmm yyyy'/>"
        "</numFmts><cellXfs><xf numFmtId='0'/><xf numFmtId='164'/></cellXfs></styleSheet>",
        "xl/worksheets/sheet1.xml": f"<worksheet xmlns='{main}'><dimension ref='A1:B3'/><sheetData>"
        "<row r='1'><c r='A1' t='s'><v>0</v></c><c r='B1' t='s'><v>1</v></c></row>"
        "<row r='3'><c r='A3' t='s'><v>2</v></c><c r='B3' s='1'><v>44000</v></c></row>"
        "</sheetData></worksheet>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    sheet = sheet_open(out.getvalue(), "cases.xlsx")
    assert sheet.header == ["case_reference", "arrest_date"]
    assert list(sheet.rows) == [(3, ["Brookes", "2024-06-19"])]  # 44000 days after 1 January 1904


def test_a_file_that_is_not_a_workbook_or_utf8_text_is_refused_with_a_message():
    with pytest.raises(FileRefused, match="cannot be read as an Excel workbook"):
        sheet_open(b"PK\x03\x04not really a zip", "caseload.xlsx")
    with pytest.raises(FileRefused, match="CSV UTF-8"):
        sheet_open("name\nBrontë\n".encode("latin-1"), "caseload.csv")
    with pytest.raises(FileRefused, match="empty"):
        sheet_open(b"", "caseload.csv")


def test_a_csv_value_over_several_lines_is_numbered_from_its_first():
    sheet = sheet_open(b'case_reference,circumstances\nA,"one\ntwo"\nB,three\n', "c.csv")
    assert [number for number, _ in sheet.rows] == [2, 4]
