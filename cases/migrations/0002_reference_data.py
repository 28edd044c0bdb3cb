"""Reference data: offences, the 2021 census ethnic groups, crime cost categories and disposal types.
Administrators edit them afterwards in the administration pages."""

from decimal import Decimal

from django.db import migrations

# Home Office, "The economic and social costs of crime" (2018), 2015/16 prices, £ per offence.
SOURCE = "Home Office, Economic and social costs of crime (2018), 2015/16 prices"
COST_CATEGORIES = [
    ("Rape", "39360"),
    ("Violence with injury", "14050"),
    ("Robbery", "11320"),
    ("Theft of vehicle", "10290"),
    ("Arson", "8420"),
    ("Other sexual offences", "6520"),
    ("Criminal damage (other)", "1350"),
    ("Theft from vehicle", "870"),
    ("Cyber crime", "550"),
    # Not confirmed from the source: blank until an administrator enters the figure.
    ("Violence without injury", None),
    ("Domestic burglary", None),
    ("Theft from the person", None),
    ("Other theft", None),
]

# name, group, classification, default gravity, cost category, legislation
OFFENCES = [
    (
        "Shop theft (goods worth £200 or less)",
        "theft",
        "summary_only",
        2,
        "Other theft",
        "Theft Act 1968 s.1; Magistrates' Courts Act 1980 s.22A",
    ),
    ("Shop theft (goods worth over £200)", "theft", "either_way", 2, "Other theft", "Theft Act 1968 s.1"),
    ("Other theft", "theft", "either_way", 2, "Other theft", "Theft Act 1968 s.1"),
    ("Theft from the person", "theft", "either_way", 3, "Theft from the person", "Theft Act 1968 s.1"),
    ("Theft from a vehicle", "theft", "either_way", 2, "Theft from vehicle", "Theft Act 1968 s.1"),
    ("Making off without payment", "theft", "either_way", 2, "Other theft", "Theft Act 1978 s.3"),
    ("Handling stolen goods", "theft", "either_way", 2, "Other theft", "Theft Act 1968 s.22"),
    ("Burglary (other than a dwelling)", "theft", "either_way", 3, None, "Theft Act 1968 s.9"),
    (
        "Criminal damage (under £5,000)",
        "criminal_damage",
        "summary_only",
        2,
        "Criminal damage (other)",
        "Criminal Damage Act 1971 s.1(1); Magistrates' Courts Act 1980 s.22",
    ),
    (
        "Criminal damage (£5,000 or more)",
        "criminal_damage",
        "either_way",
        3,
        "Criminal damage (other)",
        "Criminal Damage Act 1971 s.1(1)",
    ),
    (
        "Common assault",
        "violence",
        "summary_only",
        2,
        "Violence without injury",
        "Criminal Justice Act 1988 s.39",
    ),
    (
        "Assault on an emergency worker",
        "violence",
        "either_way",
        3,
        "Violence without injury",
        "Assaults on Emergency Workers (Offences) Act 2018 s.1",
    ),
    (
        "Assault occasioning actual bodily harm",
        "violence",
        "either_way",
        3,
        "Violence with injury",
        "Offences Against the Person Act 1861 s.47",
    ),
    (
        "Harassment (without violence)",
        "violence",
        "summary_only",
        2,
        "Violence without injury",
        "Protection from Harassment Act 1997 s.2",
    ),
    ("Threatening behaviour", "public_order", "summary_only", 2, None, "Public Order Act 1986 s.4"),
    (
        "Intentional harassment, alarm or distress",
        "public_order",
        "summary_only",
        2,
        None,
        "Public Order Act 1986 s.4A",
    ),
    (
        "Disorderly behaviour (harassment, alarm or distress)",
        "public_order",
        "summary_only",
        1,
        None,
        "Public Order Act 1986 s.5",
    ),
    (
        "Racially or religiously aggravated public order offence",
        "public_order",
        "either_way",
        3,
        None,
        "Crime and Disorder Act 1998 s.31",
    ),
    ("Affray", "public_order", "either_way", 3, None, "Public Order Act 1986 s.3"),
    ("Drunk and disorderly", "public_order", "summary_only", 1, None, "Criminal Justice Act 1967 s.91"),
    (
        "Possession of a controlled drug (Class B or C)",
        "drugs",
        "either_way",
        1,
        None,
        "Misuse of Drugs Act 1971 s.5(2)",
    ),
    (
        "Possession of a controlled drug (Class A)",
        "drugs",
        "either_way",
        2,
        None,
        "Misuse of Drugs Act 1971 s.5(2)",
    ),
    ("Fraud by false representation", "fraud", "either_way", 3, None, "Fraud Act 2006 s.2"),
    (
        "Possession of a bladed article in a public place",
        "weapons",
        "either_way",
        3,
        None,
        "Criminal Justice Act 1988 s.139",
    ),
    ("Sexual assault", "sexual", "either_way", 4, "Other sexual offences", "Sexual Offences Act 2003 s.3"),
    ("Robbery", "robbery", "indictable_only", 4, "Robbery", "Theft Act 1968 s.8"),
    ("Driving without insurance", "driving", "summary_only", 1, None, "Road Traffic Act 1988 s.143"),
]

# 2021 census ethnic groups, England and Wales (19 categories).
ETHNICITIES = [
    ("A1", "Asian, Asian British or Asian Welsh", "Bangladeshi"),
    ("A2", "Asian, Asian British or Asian Welsh", "Chinese"),
    ("A3", "Asian, Asian British or Asian Welsh", "Indian"),
    ("A4", "Asian, Asian British or Asian Welsh", "Pakistani"),
    ("A5", "Asian, Asian British or Asian Welsh", "Any other Asian background"),
    ("B1", "Black, Black British, Black Welsh, Caribbean or African", "African"),
    ("B2", "Black, Black British, Black Welsh, Caribbean or African", "Caribbean"),
    (
        "B3",
        "Black, Black British, Black Welsh, Caribbean or African",
        "Any other Black, Black British or Caribbean background",
    ),
    ("M1", "Mixed or Multiple ethnic groups", "White and Asian"),
    ("M2", "Mixed or Multiple ethnic groups", "White and Black African"),
    ("M3", "Mixed or Multiple ethnic groups", "White and Black Caribbean"),
    ("M4", "Mixed or Multiple ethnic groups", "Any other Mixed or Multiple ethnic background"),
    ("W1", "White", "English, Welsh, Scottish, Northern Irish or British"),
    ("W2", "White", "Irish"),
    ("W3", "White", "Gypsy or Irish Traveller"),
    ("W4", "White", "Roma"),
    ("W5", "White", "Any other White background"),
    ("O1", "Other ethnic group", "Arab"),
    ("O2", "Other ethnic group", "Any other ethnic group"),
]

DISPOSAL_TYPES = [
    (
        "conditional-caution",
        "Conditional caution",
        "Criminal Justice Act 2003 Part 3",
        "prosecution for the original offence",
        True,
    ),
    (
        "deferred-prosecution",
        "Deferred prosecution (conditional caution)",
        "Criminal Justice Act 2003 Part 3",
        "prosecution for the original offence",
        True,
    ),
    (
        "community-resolution",
        "Community resolution",
        "Non-statutory",
        "no further action on the offence",
        True,
    ),
    (
        "diversionary-caution",
        "Diversionary caution",
        "Police, Crime, Sentencing and Courts Act 2022 Part 6",
        "prosecution for the original offence",
        False,
    ),
    (
        "community-caution",
        "Community caution",
        "Police, Crime, Sentencing and Courts Act 2022 Part 6",
        "a financial penalty",
        False,
    ),
]


def load(apps, schema_editor):
    CrimeCostCategory = apps.get_model("cases", "CrimeCostCategory")
    Offence = apps.get_model("cases", "Offence")
    Ethnicity = apps.get_model("cases", "Ethnicity")
    DisposalType = apps.get_model("cases", "DisposalType")
    categories = {}
    for name, cost in COST_CATEGORIES:
        categories[name], _ = CrimeCostCategory.objects.get_or_create(
            name=name,
            defaults={"unit_cost": Decimal(cost) if cost else None, "source": SOURCE if cost else ""},
        )
    for name, group, classification, gravity, category, legislation in OFFENCES:
        Offence.objects.get_or_create(
            name=name,
            defaults={
                "group": group,
                "classification": classification,
                "default_gravity": gravity,
                "cost_category": categories.get(category),
                "legislation": legislation,
            },
        )
    for position, (code, group, name) in enumerate(ETHNICITIES, start=1):
        Ethnicity.objects.get_or_create(
            code=code, defaults={"group": group, "name": name, "position": position}
        )
    for code, name, legislation, breach, commenced in DISPOSAL_TYPES:
        DisposalType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "legislation": legislation,
                "breach_leads_to": breach,
                "commenced": commenced,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
