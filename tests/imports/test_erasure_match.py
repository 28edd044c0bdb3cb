"""A waiting caseload file is discarded when a person erased is named in it (imports/people.py): by
their PNC ID however the file writes it, or by their given and family names in one row."""

from types import SimpleNamespace

import pytest

from imports.people import _names_person

HEADER = "case_reference,pnc_id,given_names,family_name\n"
ERASED = SimpleNamespace(pnc_id="12/0345678X", given_names="Ned", family_name="Quillfeather")


@pytest.mark.parametrize("written", ["12/0345678X", "12/345678x", "2012/0345678X", "120345678X"])
def test_a_file_naming_the_erased_person_by_their_pnc_id_in_any_form_is_found(written):
    content = f"{HEADER}OLD/1,{written},Olive,Brampton\n".encode()
    assert _names_person(content, "caseload.csv", [ERASED])


def test_a_file_naming_them_by_both_names_in_one_row_is_found_and_no_other_is():
    assert _names_person(f"{HEADER}OLD/1,,ned,QUILLFEATHER\n".encode(), "caseload.csv", [ERASED])
    assert not _names_person(f"{HEADER}OLD/1,13/0345678X,Ned,Brampton\n".encode(), "caseload.csv", [ERASED])
