"""A condition found breached by a confirmed breach decision reads "Breached" (issue 16), not
"Withdrawn" like the conditions merely ended when the prosecution resumed, nor "Failed" like one still
awaiting a decision. The conditions already breached are marked so: those in a confirmed review's
breached conditions that the old code left withdrawn (overdue when the breach was confirmed) or
failed. Reversible: a breached condition goes back to withdrawn when its notes are the ones the
resumed prosecution (or the new code, for one still live) wrote, otherwise back to failed."""

from django.db import migrations, models

CEASED_NOTE = "The caution ceased to have effect: the prosecution resumed."
BREACHED_NOTE = "Breach confirmed: no reasonable excuse; the prosecution resumed."


def mark_breached(apps, schema_editor):
    Condition = apps.get_model("conditions", "Condition")
    BreachReview = apps.get_model("conditions", "BreachReview")
    breached = BreachReview.breached_conditions.through.objects.filter(
        breachreview__status="breach_confirmed"
    ).values("condition_id")
    Condition.objects.filter(pk__in=breached, status__in=["withdrawn", "failed"]).update(status="breached")


def unmark_breached(apps, schema_editor):
    Condition = apps.get_model("conditions", "Condition")
    breached = Condition.objects.filter(status="breached")
    breached.filter(outcome_notes__in=[CEASED_NOTE, BREACHED_NOTE]).update(status="withdrawn")
    for condition in breached.filter(outcome_notes__startswith=BREACHED_NOTE + "\n"):
        # Failed before the breach was confirmed: the failure's notes follow the breach's.
        condition.outcome_notes = condition.outcome_notes[len(BREACHED_NOTE) + 1 :]
        condition.status = "failed"
        condition.save(update_fields=["status", "outcome_notes"])
    breached.update(status="failed")


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0008_data_quality_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="condition",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Not started"),
                    ("in_progress", "In progress"),
                    ("complete", "Complete"),
                    ("failed", "Failed"),
                    ("withdrawn", "Withdrawn"),
                    ("superseded", "Varied"),
                    ("breached", "Breached"),
                ],
                db_index=True,
                default="pending",
                max_length=12,
            ),
        ),
        migrations.RunPython(mark_breached, unmark_breached),
    ]
