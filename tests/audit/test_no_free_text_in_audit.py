"""An audit row can never be changed or erased, so nothing an erasure must remove goes into one: no
search typed into a page, no free text written about a person."""

import pytest

from offenderhub.audit.models import AuditEvent
from offenderhub.audit.services import FREE_TEXT_CHANGED, field_changes

pytestmark = pytest.mark.django_db


def test_a_search_for_a_name_is_not_kept_in_the_audit_path(client_for, case_worker):
    response = client_for(case_worker).get("/cases/new/", {"q": "Jane Doe", "page": "1"})

    assert response.status_code == 200
    paths = list(AuditEvent.objects.values_list("path", flat=True))
    assert "/cases/new/?q=redacted&page=1" in paths
    assert not [path for path in paths if "Jane" in path]


def test_free_text_changes_are_recorded_without_their_content():
    changes = field_changes(
        {"wording": "Do not contact Jane Doe", "hours": 2, "notes": ""},
        {"wording": "Do not contact Jane Doe or her sister", "hours": 3, "notes": "Lives with Jane"},
        free_text={"wording", "notes"},
    )

    assert changes == {
        "wording": [FREE_TEXT_CHANGED, FREE_TEXT_CHANGED],
        "hours": ["2", "3"],
        "notes": ["", FREE_TEXT_CHANGED],
    }
