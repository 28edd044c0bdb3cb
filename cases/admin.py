"""Reference data and schemes. Offences, ethnic groups, crime cost categories and disposal types are
national, shared by every force: administrators may look, only superusers change them. Each force's
administrators manage their own schemes. Case data is not in the admin."""

from django.contrib import admin

from offenderhub.accounts.admin_scoping import OrganisationScopedAdminMixin, SuperuserChangesOnlyMixin
from offenderhub.audit.admin import AuditedAdminMixin

from .models import CrimeCostCategory, DisposalType, Ethnicity, Offence, Scheme
from .services import offence_reclassified


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
