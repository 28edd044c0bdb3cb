from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from offenderhub.audit.admin import AuditedAdminMixin

from .admin_scoping import LockoutScopedAdminMixin, OrganisationScopedAdminMixin
from .emails import account_email_queue
from .models import Area, Organisation, RoleAssignment, User
from .two_factor import authenticator_for, second_factor_reset


class AreaInline(admin.TabularInline):
    model = Area
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, OrganisationScopedAdminMixin, admin.ModelAdmin):
    organisation_field = "pk"

    def get_readonly_fields(self, request, obj=None):
        """What an organisation is, and which force it answers to, decide what its administrators
        may do: only a superuser changes them. So is how its people sign in (password or single
        sign-on), which its administrators see here."""
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "kind", "force", "sign_in_method"]

    list_display = ["name", "kind", "force", "email", "sign_in_method", "is_active"]
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
    readonly_fields = ["last_login", "date_joined", "second_factor"]
    change_form_template = "admin/accounts/user/change_form.html"
    filter_horizontal = []
    inlines = [RoleAssignmentInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "job_title", "organisation", "area"]}),
        ("Status", {"fields": ["is_active", "last_login", "date_joined", "second_factor"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "full_name", "organisation", "password1", "password2"]},
        ),
    ]

    @admin.display(description="Second factor")
    def second_factor(self, obj):
        device = authenticator_for(obj) if obj.pk else None
        if device is None:
            return "Not set up: asked for at the next sign-in"
        return f"Authenticator app, set up {device.created_at:%d %B %Y}"

    def get_urls(self):
        reset = path(
            "<path:object_id>/second-factor/reset/",
            self.admin_site.admin_view(self.reset_second_factor_view),
            name="accounts_user_reset_second_factor",
        )
        return [reset, *super().get_urls()]

    def reset_second_factor_view(self, request, object_id):
        """Confirm, then reset a user's second factor. Another organisation's user is a 404, as
        everywhere in these pages; an administrator may not reset their own (another must)."""
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404("No such user.")
        if not self.has_change_permission(request, user) or (
            user.pk == request.user.pk and not request.user.is_superuser
        ):
            raise PermissionDenied
        if request.method == "POST":
            second_factor_reset(user=user, actor=request.user, request=request)
            messages.success(
                request,
                f"The second factor of {user.full_name} was reset. "
                "They will set up their authenticator app again when they next sign in.",
            )
            return redirect("admin:accounts_user_change", user.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Reset second factor",
            "opts": self.opts,
            "original": user,
            "has_device": authenticator_for(user) is not None,
        }
        return TemplateResponse(request, "admin/accounts/user/reset_second_factor.html", context)

    def user_change_password(self, request, id, form_url=""):
        """An administrator setting someone's password: audited (``log_change``) and the person is
        told by email."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            if user is not None:
                account_email_queue(user=user, kind="password_changed")
        return response


# --- Sign-in attempts and lock-outs (django-axes), scoped to the administrator's organisation ----------
for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class ScopedAccessAttemptAdmin(AuditedAdminMixin, LockoutScopedAdminMixin, AccessAttemptAdmin):
    """Deleting an attempt unlocks the account it was made against (audited)."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("cleanup_expired_attempts", None)  # it clears every organisation's attempts
        return actions


@admin.register(AccessLog)
class ScopedAccessLogAdmin(LockoutScopedAdminMixin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class ScopedAccessFailureLogAdmin(LockoutScopedAdminMixin, AccessFailureLogAdmin):
    pass
