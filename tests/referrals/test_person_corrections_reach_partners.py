"""A person's corrected contact details reach the partner at once: the referral page reads the live
person, not a copy taken when the referral was sent (issue 14, part 1)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_corrected_phone_email_and_address_show_on_the_partners_referral_page(
    client_for, accepted_referral, case_worker, practitioner, partner_manager
):
    person = accepted_referral.case.person
    page = reverse("referrals:detail", args=[accepted_referral.pk])
    assert "07700 900999" not in client_for(practitioner).get(page).content.decode()

    corrected = client_for(case_worker).post(
        f"/cases/people/{person.pk}/change/contact/",
        {"phone": "07700 900999", "email": "new.address@example.com", "reason": "New phone."},
    )
    moved = client_for(case_worker).post(
        f"/cases/people/{person.pk}/change/address/",
        {"address": "9 Willow Court\r\nFenchester", "postcode": "FE9 9ZZ", "reason": "Moved house."},
    )
    assert corrected.status_code == moved.status_code == 302

    for partner in (practitioner, partner_manager):
        response = client_for(partner).get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert "07700 900999" in html
        assert "new.address@example.com" in html
        assert "9 Willow Court" in html and "FE9 9ZZ" in html


def test_the_partner_cannot_open_the_persons_page_from_the_referral(
    client_for, accepted_referral, practitioner
):
    person = accepted_referral.case.person
    assert client_for(practitioner).get(f"/cases/people/{person.pk}/").status_code == 403
    assert client_for(practitioner).get(f"/cases/people/{person.pk}/history/").status_code == 403
