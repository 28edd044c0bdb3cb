"""The imported cases as the rest of the app shows them: every page of every status opens, each case's
timeline says where it came from, and a caution whose signed document is in the force's earlier
records says so instead of offering a document Offender Hub does not hold."""

import pytest
from import_support import example_bytes
from pytest_django.asserts import assertContains

from cases.models import Case
from imports.services import caseload_import_file
from offenderhub.accounts.models import User


@pytest.fixture
def imported(admin):
    caseload_import_file(
        force=admin.organisation, actor=admin, content=example_bytes(), filename="caseload.csv"
    )
    return {c.external_reference: c for c in Case.objects.all()}


def test_every_imported_case_opens_for_its_force(client_for, imported):
    client = client_for(User.objects.get(email="supervisor@fenshire-police.example"))
    for case in imported.values():
        response = client.get(f"/cases/{case.pk}/")
        assert response.status_code == 200, case.external_reference
        assertContains(response, "Imported from the force&#x27;s records by caseload import")
        assertContains(response, f'<dd class="govuk-summary-list__value">{case.external_reference}</dd>')
    assertContains(client.get("/cases/"), imported["FEN/26/0107"].reference)


def test_an_imported_caution_s_document_is_in_the_force_s_records(client_for, imported):
    client = client_for(User.objects.get(email="caseworker@fenshire-police.example"))
    case = imported["FEN/26/0107"]
    for page in ("conditions", "documents"):
        assertContains(
            client.get(f"/cases/{case.pk}/{page}/"), "held in the force's records from before Offender Hub"
        )
    assert client.get(f"/conditions/caution/{case.pk}/document/").status_code == 404


def test_a_partner_sees_its_referrals_of_imported_cases(client_for, imported):
    client = client_for(User.objects.get(email="manager@compass.example"))
    response = client.get("/referrals/?tab=open")
    assert response.status_code == 200
