"""Pages with personal data are never kept by the browser; features the service does not use are
switched off; static files stay cacheable."""

import pytest
from django.test import Client, override_settings
from factories import CaseFactory

from offenderhub.core.security_headers import PERMISSIONS_POLICY

pytestmark = pytest.mark.django_db


def _no_store(response):
    return "no-store" in response.get("Cache-Control", "")


def test_case_and_caseload_pages_are_not_stored(client_for, case_worker, force, area):
    case = CaseFactory(force=force, area=area, owner=case_worker)
    client = client_for(case_worker)

    for path in ["/", "/cases/", f"/cases/{case.pk}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), path
        assert "private" in response["Cache-Control"]


def test_a_signed_in_persons_redirects_and_refusals_are_not_stored_either(client_for, case_worker):
    client = client_for(case_worker)

    assert _no_store(client.get("/admin/"))  # 302 to the sign-in page: not an administrator
    assert _no_store(client.get("/cases/999999/"))


def test_every_page_denies_the_features_the_service_does_not_use(client, client_for, case_worker):
    for response in [client.get("/login/"), client_for(case_worker).get("/"), client.get("/no-such-page/")]:
        policy = response["Permissions-Policy"]
        for feature in ["camera", "microphone", "geolocation", "payment", "usb"]:
            assert f"{feature}=()" in policy
    assert PERMISSIONS_POLICY.count("=()") == len(PERMISSIONS_POLICY.split(", "))


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_stay_cacheable_for_signed_in_people(case_worker):
    client = Client()  # a new client, so WhiteNoise starts with the settings above
    client.force_login(case_worker)

    response = client.get("/static/vendor/govuk/govuk-frontend.min.css")

    assert response.status_code == 200
    assert not _no_store(response)
