from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from offenderhub.audit.admin import AuditedAdminMixin

from .admin_scoping import OrganisationScopedAdminMixin
from .models import Area, Organisation, RoleAssignment, User


class AreaInline(admin.TabularInline):
    model = Area
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, OrganisationScopedAdminMixin, admin.ModelAdmin):
    organisation_field = "pk"

    list_display = ["name", "kind", "force", "email", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    inlines = [AreaInline]


@admin.register(Area)
class AreaAdmin(AuditedAdminMixin, OrganisationScopedAdminMixin, admin.ModelAdmin):
    organisation_field = "force"

    list_display = ["name", "code", "force"]
    list_filter = ["force"]
    search_fields = ["name", "code"]


class RoleAssignmentInline(admin.TabularInline):
    """Roles are granted by another administrator: nobody but a superuser changes their own roles."""

    model = RoleAssignment
    extra = 1

    def _own_account(self, request, obj):
        return obj is not None and obj.pk == request.user.pk and not request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return not self._own_account(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._own_account(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._own_account(request, obj) and super().has_delete_permission(request, obj)


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "organisation"]


class UserChangeFormWithEmail(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": forms.EmailField}


@admin.register(User)
class UserAdmin(AuditedAdminMixin, OrganisationScopedAdminMixin, BaseUserAdmin):
    form = UserChangeFormWithEmail
    add_form = UserCreationForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "organisation", "is_active", "last_login"]
    list_filter = ["organisation__kind", "organisation", "is_active", "role_assignments__role"]
    search_fields = ["full_name", "email"]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = []
    inlines = [RoleAssignmentInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "job_title", "organisation", "area"]}),
        ("Status", {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "full_name", "organisation", "password1", "password2"]},
        ),
    ]
