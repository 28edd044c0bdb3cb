"""Adding a condition has one catalogue picker (issue 16, part 1): the choice above the form fills the
form in and is carried in it hidden; the form itself has no second catalogue field."""

from django.urls import reverse
from pytest_django.asserts import assertNotContains

from conditions.models import ConditionKind, ConditionTemplate

# --- "Add a condition": one catalogue picker ---------------------------------------------------------


def test_add_a_condition_has_one_catalogue_picker_which_fills_the_form_in(
    client_for, case_worker, assessed_case
):
    template = ConditionTemplate.objects.create(
        name="Alcohol awareness course", kind=ConditionKind.REHABILITATIVE, wording="Attend the course."
    )
    client = client_for(case_worker)
    url = reverse("conditions:add", args=[assessed_case.pk])

    html = client.get(url).content.decode()
    assert (
        html.count("<select") - html.count('name="responsible_organisation"') - html.count('name="owner"')
        == 1
    )
    assertNotContains(client.get(url), "From the catalogue (optional)")
    assert 'id="catalogue-template"' in html

    chosen = client.get(url, {"template": template.pk}).content.decode()
    assert f'<input type="hidden" name="template" value="{template.pk}"' in chosen
    assert f"Starting from the catalogue's <strong>{template.name}</strong>" in chosen
