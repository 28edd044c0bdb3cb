"""The condition catalogue per force (issue 13): the existing entries stay the national catalogue,
kept by superusers; each force's administrators add entries of their own."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("conditions", "0002_catalogue"),
    ]

    operations = [
        migrations.AddField(
            model_name="conditiontemplate",
            name="force",
            field=models.ForeignKey(
                blank=True,
                help_text="The force whose own entry this is; empty for the national catalogue every force uses.",
                limit_choices_to={"kind": "police_force"},
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.AlterField(
            model_name="conditiontemplate",
            name="name",
            field=models.CharField(max_length=120),
        ),
        migrations.AddConstraint(
            model_name="conditiontemplate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("force", None)),
                fields=("name",),
                name="condition_template_national_name_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="conditiontemplate",
            constraint=models.UniqueConstraint(
                fields=("force", "name"), name="condition_template_name_unique_in_force"
            ),
        ),
    ]
