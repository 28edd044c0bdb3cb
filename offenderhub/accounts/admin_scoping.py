"""Scopes each administrator's pages in the Django admin to their own organisation."""


class OrganisationScopedAdminMixin:
    """``organisation_field`` is the lookup from the model to the organisation that owns the row."""

    organisation_field = "organisation"
    organisation_fk_fields = ("organisation", "force")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.organisation_field: request.user.organisation_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if (
            not request.user.is_superuser
            and db_field.name in self.organisation_fk_fields
            and field is not None
        ):
            field.queryset = field.queryset.filter(pk=request.user.organisation_id)
        elif not request.user.is_superuser and db_field.name == "area" and field is not None:
            field.queryset = field.queryset.filter(force_id=request.user.organisation_id)
        return field
