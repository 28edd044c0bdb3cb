"""Reference data and schemes. Offences, ethnic groups, crime cost categories and disposal types are
national, shared by every force: administrators may look, only superusers change them. Each force's
administrators manage their own schemes. Case data is not in the admin."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from offenderhub.accounts.admin_scoping import OrganisationScopedAdminMixin, SuperuserChangesOnlyMixin
from offenderhub.audit.admin import AuditedAdminMixin

from .models import CrimeCostCategory, DisposalType, Ethnicity, Offence, Scheme
from .services import SCHEME_RULE_FIELDS, offence_reclassified, scheme_rules_validate


@admin.register(Offence)
class OffenceAdmin(AuditedAdminMixin, SuperuserChangesOnlyMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "group",
        "classification",
        "time_limit_applies",
        "default_gravity",
        "cost_category",
        "is_active",
    ]
    list_filter = ["group", "classification", "time_limit_applies", "default_gravity", "is_active"]
    search_fields = ["name", "legislation"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "time_limit_applies" in form.changed_data:
            offence_reclassified(offence=obj)


@admin.register(CrimeCostCategory)
class CrimeCostCategoryAdmin(AuditedAdminMixin, SuperuserChangesOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "unit_cost", "source"]


@admin.register(Ethnicity)
class EthnicityAdmin(AuditedAdminMixin, SuperuserChangesOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "group", "name", "position"]


@admin.register(DisposalType)
class DisposalTypeAdmin(AuditedAdminMixin, SuperuserChangesOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "code", "breach_leads_to", "in_force_from", "in_force_until"]


@admin.register(Scheme)
class SchemeAdmin(AuditedAdminMixin, OrganisationScopedAdminMixin, admin.ModelAdmin):
    organisation_field = "force"

    list_display = [
        "name",
        "code",
        "force",
        "disposal_type",
        "compliance_period_default_days",
        "compliance_period_max_days",
        "minimum_age",
        "maximum_gravity",
        "is_active",
    ]
    list_filter = ["force", "disposal_type", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        """A scheme's rules are changed on its rules page (``cases:scheme_rules``), which checks them
        against the law, shows the cases they would make ineligible and audits each change with its
        reason; here they are read-only once the scheme exists."""
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "rules_page", *SCHEME_RULE_FIELDS] if obj is not None else readonly

    @admin.display(description="Rules")
    def rules_page(self, obj):
        return format_html(
            '<a href="{}">Change the rules on the scheme\'s rules page</a>',
            reverse("cases:scheme_rules", args=[obj.pk]),
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form = type("SchemeAddForm", (form,), {"clean": _scheme_add_clean})
        return form


def _scheme_add_clean(form):
    """A new scheme's rules within the limits the rules page enforces (cases.services)."""
    cleaned = super(type(form), form).clean()
    rules = {name: cleaned[name] for name in SCHEME_RULE_FIELDS if name in cleaned}
    try:
        scheme_rules_validate(Scheme(), rules)
    except ValidationError as exc:
        form._update_errors(exc)
    return cleaned
