"""Organisations, areas, users and the roles users hold within their organisation.

DESIGN.md, "People and what each may do": a user belongs to one organisation and holds one or more
roles there. Which roles an organisation kind may grant is declared once, in ``ROLES_BY_KIND``.
"""

from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class OrganisationKind(models.TextChoices):
    POLICE_FORCE = "police_force", "Police force"
    PARTNER_AGENCY = "partner_agency", "Partner agency"
    COMMISSIONER_OFFICE = "commissioner_office", "Commissioner's office"


class Role(models.TextChoices):
    CASE_WORKER = "case_worker", "Case worker"
    DECISION_MAKER = "decision_maker", "Decision-maker"
    SUPERVISOR = "supervisor", "Supervisor"
    PARTNER_PRACTITIONER = "partner_practitioner", "Partner practitioner"
    PARTNER_MANAGER = "partner_manager", "Partner manager"
    ANALYST = "analyst", "Analyst"
    ADMINISTRATOR = "administrator", "Administrator"


POLICE_ROLES = frozenset({Role.CASE_WORKER, Role.DECISION_MAKER, Role.SUPERVISOR})
PARTNER_ROLES = frozenset({Role.PARTNER_PRACTITIONER, Role.PARTNER_MANAGER})

# The roles each kind of organisation may grant. An administrator may sit in any organisation.
ROLES_BY_KIND = {
    OrganisationKind.POLICE_FORCE: POLICE_ROLES | {Role.ADMINISTRATOR},
    OrganisationKind.PARTNER_AGENCY: PARTNER_ROLES | {Role.ADMINISTRATOR},
    OrganisationKind.COMMISSIONER_OFFICE: frozenset({Role.ANALYST, Role.ADMINISTRATOR}),
}


class SignInMethod(models.TextChoices):
    """How an organisation's people sign in: one method per organisation, never both."""

    PASSWORD = "password", "Password and second factor"
    SINGLE_SIGN_ON = "single_sign_on", "Single sign-on through the force's identity provider"


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    force = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="overseen_by",
        limit_choices_to={"kind": OrganisationKind.POLICE_FORCE},
        help_text="For a commissioner's office: the police force whose scheme it oversees.",
    )
    email = models.EmailField(blank=True, help_text="Shared inbox for notifications to the organisation.")
    email_digest = models.BooleanField(
        default=False,
        help_text="Email the shared inbox a weekly digest instead of one email per notification.",
    )
    sign_in_method = models.CharField(
        max_length=20,
        choices=SignInMethod.choices,
        default=SignInMethod.PASSWORD,
        help_text="Single sign-on: the organisation's people sign in only through the identity provider "
        "configured for this deployment (README, “Single sign-on”), never with a password.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_force_only_for_commissioner",
                condition=models.Q(force__isnull=True) | models.Q(kind=OrganisationKind.COMMISSIONER_OFFICE),
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == OrganisationKind.COMMISSIONER_OFFICE and not self.force_id:
            raise ValidationError({"force": "Choose the police force this commissioner's office oversees."})
        if self.force_id and self.kind != OrganisationKind.COMMISSIONER_OFFICE:
            raise ValidationError({"force": "Only a commissioner's office oversees a force."})

    def audit_owner(self):
        """The audit log's controller for an organisation's own records (its membership) is itself."""
        return self

    @property
    def is_police_force(self):
        return self.kind == OrganisationKind.POLICE_FORCE

    @property
    def is_partner_agency(self):
        return self.kind == OrganisationKind.PARTNER_AGENCY

    @property
    def uses_single_sign_on(self):
        return self.sign_in_method == SignInMethod.SINGLE_SIGN_ON


class Area(models.Model):
    """A geographical area (division, district) within a police force."""

    force = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="areas",
        limit_choices_to={"kind": OrganisationKind.POLICE_FORCE},
    )
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=20)

    class Meta:
        ordering = ["force__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["force", "code"], name="area_code_unique_in_force"),
            models.UniqueConstraint(fields=["force", "name"], name="area_name_unique_in_force"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.force_id and not self.force.is_police_force:
            raise ValidationError({"force": "Areas belong to a police force."})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # With the organisation: sign-in asks at once whether it signs in through single sign-on.
        return self.select_related("organisation").get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
        help_text="For police users: the area they mostly work in.",
    )
    job_title = models.CharField(max_length=120, blank=True)
    email_digest = models.BooleanField(
        default=False, help_text="A weekly digest email instead of one email per notification."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.area_id and self.area.force_id != self.organisation_id:
            raise ValidationError({"area": "The area must belong to the user's own force."})

    def get_full_name(self):
        return self.full_name

    # Ranks and titles that may lead a full name; the greeting uses the name after them.
    TITLES = frozenset(
        {"pc", "ps", "dc", "ds", "sgt", "insp", "ci", "supt", "mr", "mrs", "ms", "miss", "mx", "dr"}
    )

    def get_short_name(self):
        words = self.full_name.split() if self.full_name else []
        while len(words) > 1 and words[0].lower().rstrip(".") in self.TITLES:
            words = words[1:]
        return words[0] if words else self.email

    # --- Roles ------------------------------------------------------------------------------------
    @cached_property
    def roles(self) -> frozenset:
        """The roles this user holds in their organisation (one query, then cached on the instance)."""
        if not self.pk or not self.is_active:
            return frozenset()
        return frozenset(Role(r) for r in self.role_assignments.values_list("role", flat=True))

    def has_role(self, *roles) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self):
        """Django admin access: superusers and administrators only."""
        return self.is_active and (self.is_superuser or Role.ADMINISTRATOR in self.roles)

    def has_perm(self, perm, obj=None):
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        if Role.ADMINISTRATOR in self.roles:
            from .permissions import administrator_may

            return administrator_may(perm, self.organisation.kind if self.organisation else None)
        return False

    def has_module_perms(self, app_label):
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        if Role.ADMINISTRATOR in self.roles:
            from .permissions import administrator_app_labels

            return app_label in administrator_app_labels(
                self.organisation.kind if self.organisation else None
            )
        return False


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["role"]
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique")]

    def __str__(self):
        return self.get_role_display()

    def clean(self):
        try:  # in the admin's "add user" page the user is not saved yet, but is attached
            organisation = self.user.organisation
        except User.DoesNotExist:
            organisation = None
        if organisation is None:
            if self.role != Role.ADMINISTRATOR:
                raise ValidationError({"role": "Give the user an organisation before granting this role."})
            return
        if self.role not in ROLES_BY_KIND[OrganisationKind(organisation.kind)]:
            raise ValidationError(
                {
                    "role": f"A {organisation.get_kind_display().lower()} cannot grant the role "
                    f"“{Role(self.role).label}”."
                }
            )
