"""The common conditions (issue 4): a starting catalogue administrators can edit."""

from django.db import migrations

CATALOGUE = [
    # name, kind, wording, default days, default hours, amount kind, needs referral, pathway
    (
        "Attend a victim awareness course",
        "rehabilitative",
        "Attend and complete the Victim Awareness Course, a single session of about 3 hours, on a date "
        "arranged by the provider.",
        42,
        "3.0",
        "",
        True,
        "attitudes",
    ),
    (
        "Attend an alcohol or drug intervention",
        "rehabilitative",
        "Attend an assessment with the drug and alcohol service and the sessions it then arranges "
        "(normally up to 4), attending each on time.",
        84,
        None,
        "",
        True,
        "drugs_alcohol",
    ),
    (
        "Engage with housing support",
        "rehabilitative",
        "Attend an appointment with the housing support service and follow the housing plan agreed "
        "there until it is complete.",
        84,
        None,
        "",
        True,
        "accommodation",
    ),
    (
        "Attend a debt advice appointment",
        "rehabilitative",
        "Attend a debt and money advice appointment and bring the letters and statements about your debts.",
        28,
        None,
        "",
        True,
        "finance_debt",
    ),
    (
        "Write a letter of apology",
        "reparative",
        "Write a letter of apology to the victim, which the case worker will read before passing it on "
        "if the victim wishes to receive it.",
        14,
        None,
        "",
        False,
        "",
    ),
    (
        "Pay compensation to the victim",
        "reparative",
        "Pay compensation to the victim for the loss or damage caused, through the case worker.",
        56,
        None,
        "compensation",
        False,
        "",
    ),
    (
        "Pay a financial penalty",
        "punitive",
        "Pay a financial penalty through the case worker.",
        56,
        None,
        "penalty",
        False,
        "",
    ),
    (
        "Unpaid reparation hours",
        "reparative",
        "Complete unpaid reparative work in the community, arranged by the case worker, attending each "
        "session on time.",
        56,
        "10.0",
        "",
        False,
        "",
    ),
    (
        "Not to contact the victim",
        "restrictive",
        "Do not contact the victim directly or indirectly, including through social media or other people.",
        112,
        None,
        "",
        False,
        "",
    ),
    (
        "Not to enter a named area",
        "restrictive",
        "Do not enter the area shown on the map given to you.",
        112,
        None,
        "",
        False,
        "",
    ),
    (
        "Not to reoffend during the period",
        "restrictive",
        "Do not commit any further offence during the period of this caution.",
        112,
        None,
        "",
        False,
        "",
    ),
]


def seed(apps, schema_editor):
    Template = apps.get_model("conditions", "ConditionTemplate")
    for name, kind, wording, days, hours, amount_kind, referral, pathway in CATALOGUE:
        Template.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "wording": wording,
                "default_duration_days": days,
                "default_hours": hours,
                "amount_kind": amount_kind,
                "needs_referral": referral,
                "pathway": pathway,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("conditions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
