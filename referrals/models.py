"""The partner directory: the services agencies offer, which pathways they cover and where.

The needs assessment suggests services from here; referrals to them come with the referrals issue."""

from django.core.validators import MaxValueValidator
from django.db import models

from offenderhub.accounts.models import Area, Organisation, OrganisationKind


class Service(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="services",
        limit_choices_to={"kind": OrganisationKind.PARTNER_AGENCY},
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    pathways = models.JSONField(default=list, help_text="The assessment pathways the service answers.")
    areas = models.ManyToManyField(
        Area, blank=True, related_name="services", help_text="Areas served. None chosen: every area."
    )
    contact_email = models.EmailField("referral inbox", blank=True)
    capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Open referrals the service can hold. Blank: not limited."
    )
    first_contact_working_days = models.PositiveSmallIntegerField(
        "service level: working days to first contact", default=5, validators=[MaxValueValidator(60)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="service_name_unique_in_agency")
        ]

    def __str__(self):
        return f"{self.name} ({self.organisation})"

    def clean(self):
        from django.core.exceptions import ValidationError

        from assessments.models import Pathway

        unknown = set(self.pathways or []) - set(Pathway.values)
        if unknown:
            raise ValidationError({"pathways": f"Unknown pathways: {', '.join(sorted(unknown))}."})
        if self.organisation_id and self.organisation.kind != OrganisationKind.PARTNER_AGENCY:
            raise ValidationError({"organisation": "Services belong to partner agencies."})

    @property
    def pathway_labels(self):
        from assessments.models import Pathway

        labels = dict(Pathway.choices)
        return [labels.get(p, p) for p in self.pathways]
