"""Writes the labelled near-duplicate test set, ``cases/fixtures/duplicate_pairs.csv`` (issue 14, part 4).

    python scripts/make_duplicate_pairs.py        # the same file every time (a fixed seed)

Each row is a pair: a person already recorded (``a_*``, with their aliases) and details someone types
or imports later (``b_*``), labelled ``same`` (one person written another way) or ``different`` (two
people), with the kind of difference (``category``). ``manage.py duplicates_benchmark`` records every
``a`` in a scratch force, looks each ``b`` up with the real matching, and reports recall and precision.

The variants are written as people and systems get them wrong, not from ``cases.name_variants``: typos
are made by a random edit (a letter added, dropped, changed, two swapped), spelling variants,
nicknames and transliterations come from the lists below (some of them are not in the matching's
table, on purpose), and the differences of date of birth are made from the date.
"""

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "cases" / "fixtures" / "duplicate_pairs.csv"

GIVEN = [
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Jacob",
    "Noah",
    "Charlie",
    "Thomas",
    "Oscar",
    "William",
    "James",
    "Leo",
    "Alfie",
    "Henry",
    "Joshua",
    "Freddie",
    "Archie",
    "Ethan",
    "Isaac",
    "Alexander",
    "Joseph",
    "Samuel",
    "Daniel",
    "Logan",
    "Edward",
    "Lucas",
    "Max",
    "Mohammed",
    "Benjamin",
    "Mason",
    "Harrison",
    "Theo",
    "Jake",
    "Sebastian",
    "Finley",
    "Arthur",
    "Adam",
    "Dylan",
    "Riley",
    "Zachary",
    "Teddy",
    "David",
    "Toby",
    "Theodore",
    "Elijah",
    "Matthew",
    "Jenson",
    "Jayden",
    "Harvey",
    "Reuben",
    "Michael",
    "Luke",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Sophia",
    "Grace",
    "Mia",
    "Poppy",
    "Ella",
    "Lily",
    "Evie",
    "Isabella",
    "Sophie",
    "Ivy",
    "Freya",
    "Harper",
    "Willow",
    "Charlotte",
    "Jessica",
    "Rosie",
    "Daisy",
    "Alice",
    "Florence",
    "Matilda",
    "Phoebe",
    "Sienna",
    "Chloe",
    "Ruby",
    "Megan",
    "Hannah",
    "Leah",
    "Aisha",
    "Fatima",
    "Zara",
    "Priya",
    "Anjali",
    "Wiktoria",
    "Oksana",
    "Bogdan",
    "Marek",
    "Tomasz",
    "Kwame",
    "Chidi",
    "Ngozi",
    "Adebayo",
    "Siobhan",
    "Niamh",
    "Ciaran",
    "Declan",
    "Rhys",
    "Carys",
]
FAMILY = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
    "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell", "Rose", "Davis", "Rodriguez",
    "Cox", "Alexander", "Morgan", "Moore", "Mills", "King", "Adams", "Garcia", "Lee", "Harris", "Turner",
    "Cooper", "Hill", "Ward", "Morris", "Baker", "Hughes", "Young", "Edwards", "Collins", "Bell", "Kelly",
    "Campbell", "Anderson", "Allen", "Shaw", "Marshall", "Simpson", "Ellis", "Owen", "Lloyd", "Kaur",
    "Begum", "Ahmed", "Hussain", "Ali", "Nowak", "Kowalczyk", "Wojcik", "Okafor", "Mensah", "Adeyemi",
    "Nguyen", "Murphy", "O'Brien", "Byrne", "Doherty", "McCarthy", "Gallagher", "Pritchard", "Vaughan",
    "Whitmore", "Penrose", "Oyelaran", "Hargreaves", "Fairweather", "Blackwood", "Ashworth", "Pemberton",
    "Rahman", "Chowdhury", "Siddiqui", "Kowalski", "Petrenko", "Ivanova", "Popescu", "Horvath", "Santos",
]  # fmt: skip

# Names written another way that sound alike.
SOUNDS_ALIKE = [
    ("Brooks", "Brookes"), ("Thompson", "Thomson"), ("Smith", "Smyth"), ("Philips", "Phillips"),
    ("Clark", "Clarke"), ("Reid", "Reed"), ("Gray", "Grey"), ("Mathews", "Matthews"), ("Stephens", "Stevens"),
    ("Davis", "Davies"), ("Nicholls", "Nichols"), ("Macdonald", "McDonald"), ("Baillie", "Bailey"),
    ("Pearce", "Pierce"), ("Seymour", "Seymore"), ("Whitmore", "Whittmore"), ("Lyons", "Lions"),
    ("Haines", "Haynes"), ("Rees", "Reece"), ("Mackenzie", "McKenzie"), ("Fowler", "Fouler"),
    ("Wylie", "Wiley"), ("Thorpe", "Thorp"), ("Coombes", "Combes"), ("Sanders", "Saunders"),
    ("Carr", "Kerr"), ("Fisher", "Fischer"), ("Meyer", "Myer"), ("Neale", "Neal"), ("Barker", "Barka"),
]  # fmt: skip
GIVEN_SOUNDS_ALIKE = [
    ("Brian", "Bryan"), ("Stuart", "Stewart"), ("Carl", "Karl"), ("Philip", "Phillip"), ("Alan", "Allan"),
    ("Rachel", "Rachael"), ("Lindsay", "Lindsey"), ("Aidan", "Aiden"), ("Jayden", "Jaden"),
    ("Zoe", "Zoey"), ("Lewis", "Louis"), ("Sara", "Sarah"), ("Catherine", "Katherine"), ("Jon", "John"),
    ("Shaun", "Sean"), ("Geraint", "Gerraint"), ("Leanne", "Lianne"), ("Kerry", "Kerri"),
]  # fmt: skip
NICKNAMES = [
    ("William", "Bill"), ("William", "Liam"), ("William", "Billy"), ("Robert", "Bob"), ("Robert", "Rob"),
    ("Richard", "Rick"), ("Richard", "Dick"), ("James", "Jim"), ("James", "Jamie"), ("John", "Jack"),
    ("Michael", "Mick"), ("Michael", "Mike"), ("Thomas", "Tom"), ("Christopher", "Chris"),
    ("Daniel", "Danny"), ("David", "Dave"), ("Matthew", "Matt"), ("Anthony", "Tony"), ("Andrew", "Andy"),
    ("Alexander", "Alex"), ("Edward", "Ted"), ("Edward", "Eddie"), ("Joseph", "Joe"), ("Benjamin", "Ben"),
    ("Samuel", "Sam"), ("Nicholas", "Nick"), ("Stephen", "Steve"), ("Charles", "Charlie"),
    ("Frederick", "Freddie"), ("Henry", "Harry"), ("Patrick", "Paddy"), ("Timothy", "Tim"),
    ("Kenneth", "Ken"), ("Ronald", "Ronnie"), ("Terence", "Terry"), ("Zachary", "Zak"),
    ("Elizabeth", "Liz"), ("Elizabeth", "Beth"), ("Elizabeth", "Lizzie"), ("Margaret", "Maggie"),
    ("Margaret", "Peggy"), ("Katherine", "Kate"), ("Katherine", "Katie"), ("Rebecca", "Becky"),
    ("Victoria", "Vicky"), ("Jennifer", "Jenny"), ("Jessica", "Jess"), ("Deborah", "Debbie"),
    ("Susan", "Sue"), ("Patricia", "Trish"), ("Jacqueline", "Jackie"), ("Amanda", "Mandy"),
    ("Abigail", "Abbie"), ("Eleanor", "Ellie"), ("Charlotte", "Lottie"), ("Kayleigh", "Kaylee"),
    ("Kayleigh", "Kayley"), ("Gregory", "Greg"), ("Lawrence", "Larry"), ("Philip", "Phil"),
    ("Joshua", "Josh"), ("Nathaniel", "Nat"), ("Geoffrey", "Geoff"), ("Raymond", "Ray"),
    ("Dorothy", "Dot"), ("Gwendolyn", "Gwen"),
]  # fmt: skip
TRANSLITERATIONS = [
    ("Mohammed", "Muhammad"), ("Mohammed", "Mohamed"), ("Muhammad", "Mohammad"), ("Ahmed", "Ahmad"),
    ("Hussein", "Hussain"), ("Yusuf", "Youssef"), ("Omar", "Umar"), ("Aleksandr", "Alexander"),
    ("Oleksandr", "Alexander"), ("Dmitri", "Dmitry"), ("Sergei", "Sergey"), ("Yuri", "Yury"),
    ("Ekaterina", "Yekaterina"), ("Natalia", "Natalya"), ("Tatiana", "Tatyana"), ("Yulia", "Julia"),
    ("Iryna", "Irina"), ("Olha", "Olga"), ("Aisha", "Ayesha"), ("Fatima", "Fatimah"), ("Andrzej", "Andrew"),
    ("Piotr", "Peter"), ("Józef", "Jozef"), ("Małgorzata", "Malgorzata"), ("Łukasz", "Lukasz"),
    ("Wojciech", "Wojtek"), ("Seán", "Sean"), ("Zoë", "Zoe"), ("Siobhán", "Siobhan"), ("Chloë", "Chloe"),
]  # fmt: skip
FAMILY_TRANSLITERATIONS = [
    ("Chowdhury", "Choudhury"), ("Chaudhry", "Chowdhury"), ("Mohammed", "Muhammad"), ("Hussain", "Husain"),
    ("Nguyen", "Nguyễn"), ("Wiśniewski", "Wisniewski"), ("Szymański", "Szymanski"), ("Öztürk", "Ozturk"),
    ("Yılmaz", "Yilmaz"), ("Shevchenko", "Szewczenko"), ("Ivanov", "Ivanoff"), ("O'Neill", "ONeill"),
    ("Müller", "Muller"), ("Gómez", "Gomez"), ("Kowalski", "Kowalsky"),
]  # fmt: skip
# Twins: same family name and date of birth, different given names (some alike on purpose).
TWIN_NAMES = [
    ("Jack", "Harry"), ("Olivia", "Emily"), ("Liam", "Noah"), ("Ella", "Grace"), ("Sam", "Ben"),
    ("Ruby", "Daisy"), ("Kwame", "Kofi"), ("Aisha", "Amina"), ("Tomasz", "Piotr"), ("Chloe", "Megan"),
    ("Ethan", "Evan"), ("Mia", "Maya"), ("Jack", "Jake"), ("Ella", "Ellie"), ("Aaron", "Adam"),
    ("Leon", "Liam"), ("Isla", "Isabel"), ("Ryan", "Rhys"), ("Hassan", "Hussein"), ("Lily", "Lucy"),
]  # fmt: skip
HYPHENATED = [
    ("Smith-Jones", "Smith"), ("Smith-Jones", "Jones"), ("Ffoulkes-Smith", "Smith"),
    ("Bowes-Lyon", "Bowes Lyon"), ("Lloyd-Webber", "Lloyd Webber"), ("Garcia Lopez", "Garcia"),
    ("Rodriguez Santos", "Rodriguez"), ("Hargreaves-Pemberton", "Pemberton"),
    ("Vaughan Williams", "Williams"),
    ("Ashworth-Bell", "Ashworth"), ("Okafor-Mensah", "Okafor"), ("Taylor-Wood", "Wood"),
    ("Brown-Campbell", "Campbell"), ("Kaur-Sandhu", "Kaur Sandhu"), ("Begum-Ali", "Begum"),
]  # fmt: skip
DOB_START, DOB_DAYS = date(1950, 1, 1), 365 * 55


def _typo(rng, name):
    """One random edit: a letter added, dropped, changed, or two neighbours swapped."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    while True:
        i = rng.randrange(1, len(name))  # the first letter is rarely wrong
        kind = rng.choice(["insert", "delete", "replace", "swap"])
        if kind == "insert":
            out = name[:i] + rng.choice(letters) + name[i:]
        elif kind == "delete" and len(name) > 3:
            out = name[:i] + name[i + 1 :]
        elif kind == "replace":
            out = name[:i] + rng.choice(letters) + name[i + 1 :]
        elif kind == "swap" and i < len(name) - 1:
            out = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        else:
            continue
        if out.lower() != name.lower():
            return out


def _dob(rng):
    return DOB_START + timedelta(days=rng.randrange(DOB_DAYS))


def _dob_swapped(rng):
    while True:
        dob = _dob(rng)
        if dob.day <= 12 and dob.day != dob.month:
            return dob, date(dob.year, dob.day, dob.month)


def _dob_digit(rng, dob):
    while True:
        digits = list(f"{dob:%Y%m%d}")
        i = rng.choice([2, 3, 5, 6, 7])  # a year's decade or unit, a month's unit, a day
        digits[i] = rng.choice([d for d in "0123456789" if d != digits[i]])
        text = "".join(digits)
        try:
            other = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
        if abs((other - dob).days) > 1:
            return other


def _pnc(rng):
    return f"{rng.randrange(0, 100):02d}/{rng.randrange(1, 10**7):07d}{rng.choice('ABCDEFGHJKLMNPQRTUVWXYZ')}"


def _pnc_written(rng, pnc):
    """The same PNC ID written another way."""
    year, rest = pnc.split("/")
    serial, check = rest[:-1], rest[-1]
    century = "19" if int(year) > 30 else "20"
    return rng.choice(
        [
            f"{century}{year}/{serial}{check}",
            f"{year}/{int(serial)}{check.lower()}",
            f"{year}{serial}{check}",
            f"{century}{year} {serial} {check}",
            f"{year}/{serial}{check.lower()}",
        ]
    )


def pairs(rng):
    rows = []

    def add(category, label, a, b):
        rows.append({"category": category, "label": label, **a, **b})

    def person(prefix, given, family, dob, pnc="", aliases=""):
        return {
            f"{prefix}_given_names": given,
            f"{prefix}_family_name": family,
            f"{prefix}_date_of_birth": dob.isoformat(),
            f"{prefix}_pnc_id": pnc,
            **({"a_aliases": aliases} if prefix == "a" else {}),
        }

    def g():
        return rng.choice(GIVEN)

    def f():
        return rng.choice(FAMILY)

    for _ in range(50):
        given, family, dob = g(), f(), _dob(rng)
        add(
            "typo_family",
            "same",
            person("a", given, family, dob),
            person("b", given, _typo(rng, family), dob),
        )
    for _ in range(40):
        given, family, dob = g(), f(), _dob(rng)
        add(
            "typo_given", "same", person("a", given, family, dob), person("b", _typo(rng, given), family, dob)
        )
    for a_name, b_name in SOUNDS_ALIKE:
        given, dob = g(), _dob(rng)
        add("sounds_alike", "same", person("a", given, a_name, dob), person("b", given, b_name, dob))
    for a_name, b_name in GIVEN_SOUNDS_ALIKE:
        family, dob = f(), _dob(rng)
        add("sounds_alike", "same", person("a", a_name, family, dob), person("b", b_name, family, dob))
    for full, short in NICKNAMES:
        family, dob = f(), _dob(rng)
        a, b = (full, short) if rng.random() < 0.5 else (short, full)
        add("nickname", "same", person("a", a, family, dob), person("b", b, family, dob))
    for a_name, b_name in TRANSLITERATIONS:
        family, dob = f(), _dob(rng)
        add("transliteration", "same", person("a", a_name, family, dob), person("b", b_name, family, dob))
    for a_name, b_name in FAMILY_TRANSLITERATIONS:
        given, dob = g(), _dob(rng)
        add("transliteration", "same", person("a", given, a_name, dob), person("b", given, b_name, dob))
    for _ in range(40):
        given, family, dob = g(), f(), _dob(rng)
        add("swapped_names", "same", person("a", given, family, dob), person("b", family, given, dob))
    for long, short in HYPHENATED * 2:
        given, dob = g(), _dob(rng)
        a, b = (long, short) if rng.random() < 0.5 else (short, long)
        add("hyphenated", "same", person("a", given, a, dob), person("b", given, b, dob))
    for _ in range(40):
        given, family = g(), f()
        dob, swapped = _dob_swapped(rng)
        add(
            "dob_day_month_swapped",
            "same",
            person("a", given, family, dob),
            person("b", given, family, swapped),
        )
    for _ in range(40):
        given, family, dob = g(), f(), _dob(rng)
        add(
            "dob_one_digit",
            "same",
            person("a", given, family, dob),
            person("b", given, family, _dob_digit(rng, dob)),
        )
    for _ in range(15):
        given, family, dob = g(), f(), _dob(rng)
        other = dob + timedelta(days=rng.choice([-1, 1]))
        add("dob_one_day", "same", person("a", given, family, dob), person("b", given, family, other))
    for _ in range(30):
        given, family, dob, old = g(), f(), _dob(rng), f()
        if old == family:
            continue
        alias_given = given if rng.random() < 0.6 else g()  # a name used with another given name too
        aliases = f"{old}, {alias_given}"
        add(
            "alias",
            "same",
            person("a", given, family, dob, aliases=aliases),
            person("b", alias_given, old, dob),
        )
    for _ in range(30):
        pnc = _pnc(rng)
        given, family, dob = g(), f(), _dob(rng)
        b_family = rng.choice([family, _typo(rng, family), f()])  # the name may be anything: the PNC decides
        add(
            "pnc_format",
            "same",
            person("a", given, family, dob, pnc),
            person("b", given, b_family, _dob(rng), _pnc_written(rng, pnc)),
        )
    for _ in range(25):
        given, family = g(), f()
        dob, swapped = _dob_swapped(rng)
        a, b = rng.choice(NICKNAMES)
        add("combined", "same", person("a", a, _typo(rng, family), dob), person("b", b, family, swapped))
    # Different people.
    for a_name, b_name in TWIN_NAMES * 2:
        family, dob = f(), _dob(rng)
        add("twins", "different", person("a", a_name, family, dob), person("b", b_name, family, dob))
    for _ in range(40):
        given, family, dob = g(), f(), _dob(rng)
        other = dob + timedelta(days=rng.randrange(400, 9000))
        add(
            "same_name_other_dob",
            "different",
            person("a", given, family, dob),
            person("b", given, family, other),
        )
    for _ in range(30):
        dob = _dob(rng)
        add("same_dob_other_name", "different", person("a", g(), f(), dob), person("b", g(), f(), dob))
    for _ in range(20):
        given, family, dob = g(), f(), _dob(rng)
        add(
            "different_pnc_id",
            "different",
            person("a", given, family, dob, _pnc(rng)),
            person("b", given, family, dob, _pnc(rng)),
        )
    # Namesakes: two people of one common name born a day or a digit apart. The rules cannot tell them
    # from one person with a mistyped date of birth, and list them for a supervisor to look at: they
    # are in the set so that the precision says so.
    for _ in range(10):
        given, family, dob = g(), rng.choice(FAMILY[:12]), _dob(rng)
        other = rng.choice([dob + timedelta(days=1), _dob_digit(rng, dob)])
        add(
            "namesakes_close_dob",
            "different",
            person("a", given, family, dob),
            person("b", given, family, other),
        )
    for _ in range(20):
        family, dob = f(), _dob(rng)
        a_given = g()
        b_given = rng.choice([n for n in GIVEN if n[0] == a_given[0] and n != a_given] or [g()])
        other = dob + timedelta(days=rng.randrange(300, 1500))
        add("siblings", "different", person("a", a_given, family, dob), person("b", b_given, family, other))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20270616, help="Another seed makes a held-out set.")
    parser.add_argument("--out", type=Path, default=OUT)
    options = parser.parse_args()
    rows = pairs(random.Random(options.seed))
    columns = [
        "pair", "category", "label",
        "a_given_names", "a_family_name", "a_date_of_birth", "a_pnc_id", "a_aliases",
        "b_given_names", "b_family_name", "b_date_of_birth", "b_pnc_id",
    ]  # fmt: skip
    options.out.parent.mkdir(exist_ok=True)
    with options.out.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, columns, restval="")
        writer.writeheader()
        for number, row in enumerate(rows, start=1):
            writer.writerow({"pair": number, **row})
    print(f"{len(rows)} pairs written to {options.out}")


if __name__ == "__main__":
    main()
