"""The triggers that mark a case's summary stale when anything it is made from changes
(reporting/triggers.py): PostgreSQL and SQLite each get their own. They are put back after every
``migrate`` as well (reporting/apps.py), as SQLite drops a table's triggers when a migration rebuilds it."""

from django.db import migrations


def install(apps, schema_editor):
    from reporting import triggers

    triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from reporting import triggers

    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_summaries"),
        ("cases", "0005_scheme_auto_confirm_without_excuse"),
        ("conditions", "0003_condition_catalogue_per_force"),
        ("assessments", "0001_initial"),
        ("referrals", "0002_referral_evidence_endreport_desiredoutcome_and_more"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
