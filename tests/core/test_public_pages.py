"""The accessibility statement and the privacy notice: public (no sign-in), linked from every page's
footer, with the service's particulars taken from the settings."""

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from offenderhub.audit.models import AuditEvent

PAGES = {
    "/accessibility/": "Accessibility statement for Offender Hub",
    "/privacy/": "Privacy notice for Offender Hub",
}


@pytest.mark.parametrize(("path", "heading"), PAGES.items())
def test_anyone_may_read_the_public_page_without_signing_in(client, db, path, heading):
    response = client.get(path)

    assert response.status_code == 200
    assertContains(response, f'<h1 class="govuk-heading-xl">{heading}</h1>', html=True)
    assert not AuditEvent.objects.exists()  # no personal data, nothing to record


@pytest.mark.parametrize("path", PAGES)
def test_signed_in_user_reads_the_same_public_page(client_for, case_worker, path):
    client = client_for(case_worker)
    audited_before = AuditEvent.objects.count()  # the sign-in's

    response = client.get(path)

    assert response.status_code == 200
    assertContains(response, case_worker.full_name)  # the header's identity bar, as on every page
    assert AuditEvent.objects.count() == audited_before


def test_every_page_links_both_from_its_footer(client, client_for, case_worker):
    for response in (client.get("/login/"), client_for(case_worker).get("/"), client.get("/no-such-page/")):
        for path, label in (("/accessibility/", "Accessibility statement"), ("/privacy/", "Privacy notice")):
            assertContains(
                response,
                f'<a class="govuk-footer__link" href="{path}">{label}</a>',
                html=True,
                status_code=response.status_code,
            )


def test_accessibility_statement_follows_the_model_statement(client, db):
    response = client.get("/accessibility/")

    for heading in (
        "How accessible this service is",
        "What to do if you cannot use parts of this service",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Technical information about this service’s accessibility",
        "Compliance status",
        "Non-accessible content",
        "Preparation of this accessibility statement",
    ):
        assertContains(response, heading)
    assertContains(response, "Equality and Human Rights Commission (EHRC)")
    assertContains(response, "Equality Commission for Northern Ireland (ECNI)")
    assertContains(response, "partially compliant with the")
    assertContains(response, "Web Content Accessibility Guidelines version 2.2</a> AA standard")
    assertContains(response, "axe-core")
    assertContains(response, "This statement was prepared on 28 November 2026.")
    assertContains(response, "signed out after 30 minutes without activity")


def test_privacy_notice_covers_the_law_the_data_sharing_retention_and_rights(client, db):
    response = client.get("/privacy/")

    assertContains(response, "Part 3 of the Data Protection Act 2018")
    assertContains(response, "section 35(2)(b)")
    assertContains(response, "Partner agencies")
    assertContains(response, "pseudonymised records only, never names")
    assertContains(response, "subject access request")
    assertContains(response, "Information Commissioner’s Office")
    assertContains(response, "0303 123 1113")
    assertContains(response, '<td class="govuk-table__cell">Withdrawn</td>', html=True)


def test_public_pages_take_the_controller_and_contacts_from_the_settings(client, db, settings):
    settings.DATA_CONTROLLER = "the Chief Constable of Marshire Police"
    settings.SERVICE_OWNER = "Marshire Police"
    settings.SERVICE_OWNER_ADDRESS = "Marshire Police HQ, Marsh Lane, Marton MA1 2BB"
    settings.DATA_PROTECTION_OFFICER_EMAIL = "dpo@marshire.example"
    settings.ACCESSIBILITY_CONTACT_EMAIL = "help@marshire.example"
    settings.ACCESSIBILITY_CONTACT_PHONE = "01632 960 999"
    settings.RETENTION_REVIEW_YEARS = {**settings.RETENTION_REVIEW_YEARS, "withdrawn": 3}

    privacy = client.get("/privacy/")
    statement = client.get("/accessibility/")

    assertContains(
        privacy, "is the Chief Constable of Marshire Police, Marshire Police HQ, Marsh Lane, Marton MA1 2BB."
    )
    assertContains(privacy, 'href="mailto:dpo@marshire.example"')
    assertContains(
        privacy,
        '<tr class="govuk-table__row"><td class="govuk-table__cell">Withdrawn</td>'
        '<td class="govuk-table__cell govuk-table__cell--numeric">3</td></tr>',
        html=True,
    )
    assertNotContains(privacy, "Fenshire")
    assertContains(statement, "This service is run by Marshire Police.")
    assertContains(statement, 'href="mailto:help@marshire.example"')
    assertContains(statement, "call 01632 960 999")
    assertNotContains(statement, "Fenshire")
