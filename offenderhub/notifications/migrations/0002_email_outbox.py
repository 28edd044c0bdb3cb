"""The email outbox: each notification's email status, and an index of those waiting."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone

# Notifications made before this release and never emailed (their job was lost while the broker was
# down) are emailed by the outbox sweep if they are this recent; older ones stay in the inbox only,
# rather than arriving by email long after the event.
RECENT = timedelta(days=7)


def fill_email_status(apps, schema_editor):
    """Each existing notification's email status, from what happened to it so far."""
    Notification = apps.get_model("notifications", "Notification")
    unsent = Notification.objects.filter(emailed_at=None)
    Notification.objects.exclude(emailed_at=None).update(email_status="sent")
    unsent.filter(Q(recipient__email_digest=True) | Q(recipient_organisation__email_digest=True)).update(
        email_status="digest"
    )
    unsent.filter(email_status="pending", created_at__lt=timezone.now() - RECENT).update(
        email_status="not_sent"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_organisation_email_digest_user_email_digest"),
        ("notifications", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="email_claimed_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When a worker claimed the email to send it (while being emailed).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="email_status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be emailed"),
                    ("sending", "Being emailed"),
                    ("sent", "Emailed"),
                    ("digest", "Left for the weekly digest"),
                    ("not_sent", "Not emailed"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="emailed_at",
            field=models.DateTimeField(
                blank=True, help_text="When it was emailed, alone or in a digest.", null=True
            ),
        ),
        migrations.RunPython(fill_email_status, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("email_status__in", ["pending", "sending"])),
                fields=["id"],
                name="notification_outbox_idx",
            ),
        ),
    ]
