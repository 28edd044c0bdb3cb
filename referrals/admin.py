"""The partner directory: each agency's administrators manage their own services."""

from django import forms
from django.contrib import admin

from assessments.models import Pathway
from offenderhub.accounts.admin_scoping import OrganisationScopedAdminMixin
from offenderhub.audit.admin import AuditedAdminMixin

from .models import Service


class ServiceAdminForm(forms.ModelForm):
    pathways = forms.MultipleChoiceField(choices=Pathway.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Service
        fields = [
            "organisation",
            "name",
            "description",
            "pathways",
            "areas",
            "contact_email",
            "capacity",
            "first_contact_working_days",
            "is_active",
        ]


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, OrganisationScopedAdminMixin, admin.ModelAdmin):
    form = ServiceAdminForm
    list_display = ["name", "organisation", "first_contact_working_days", "capacity", "is_active"]
    list_filter = ["organisation", "is_active"]
    search_fields = ["name", "description"]
    filter_horizontal = ["areas"]
