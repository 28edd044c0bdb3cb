"""Names that are one name written another way: diminutives and nicknames (William, Bill, Liam),
spellings (Kayleigh, Kaylee) and transliterations (Mohammed, Muhammad; Aleksandr, Alexander).

Used by the duplicate matching (``cases.matching``): two given names in one group are "variants of one
name", and the stored given-name key (``Person.given_name_key``) is the phonetic code of the group's
first name, so that Bill and William share a key. Kept modest and real: a name belongs to one group
only (a test checks it), and a name that is short for two names (Alex: Alexander, Alexandra) is put
with the commoner. Spellings that only sound alike (Brooks, Brookes) need no entry: their phonetic
codes already agree.
"""

import unicodedata
from functools import lru_cache

GIVEN_NAME_GROUPS = (
    # Men's names
    ("William", "Bill", "Billy", "Will", "Willie", "Liam"),
    ("Robert", "Rob", "Robbie", "Bob", "Bobby", "Bert"),
    ("Richard", "Rich", "Richie", "Rick", "Ricky", "Dick"),
    ("James", "Jim", "Jimmy", "Jamie", "Jimmie", "Seamus", "Shamus"),
    ("John", "Jon", "Johnny", "Jonny", "Jack", "Johann", "Jan"),
    ("Sean", "Shaun", "Shawn", "Seán"),
    ("Ian", "Iain", "Ean"),
    ("Jonathan", "Jonathon", "Johnathan", "Jonty"),
    ("Michael", "Mike", "Mikey", "Mick", "Micky", "Mickey", "Mikhail", "Michal"),
    ("Thomas", "Tom", "Tommy", "Tomas"),
    ("Christopher", "Chris", "Kristopher", "Kris", "Topher"),
    ("Daniel", "Dan", "Danny", "Daniyal"),
    ("David", "Dave", "Davey", "Dai", "Dawid", "Dafydd"),
    ("Matthew", "Matt", "Matty", "Mateusz", "Matteo"),
    ("Anthony", "Tony", "Antony", "Antoni", "Anton"),
    ("Andrew", "Andy", "Drew", "Andrzej", "Andrei", "Andrey"),
    (
        "Alexander",
        "Alex",
        "Alec",
        "Alistair",
        "Alastair",
        "Sandy",
        "Aleksander",
        "Aleksandr",
        "Oleksandr",
        "Sasha",
    ),
    ("Edward", "Ed", "Eddie", "Ted", "Teddy", "Ned"),
    ("Joseph", "Joe", "Joey", "Józef", "Jozef", "Giuseppe", "Yusuf", "Youssef", "Yousef"),
    ("Benjamin", "Ben", "Benny", "Benji"),
    ("Samuel", "Sam", "Sammy"),
    ("Nicholas", "Nick", "Nicky", "Nikolai", "Mikolaj", "Nicolas", "Niko"),
    ("Stephen", "Steven", "Steve", "Stevie", "Stefan", "Stephan", "Esteban"),
    ("Charles", "Charlie", "Chas", "Chuck", "Karol"),
    ("Frederick", "Fred", "Freddie", "Freddy"),
    ("Henry", "Harry", "Hal", "Hank", "Henryk"),
    ("Patrick", "Pat", "Paddy", "Padraig"),
    ("Peter", "Pete", "Piotr", "Pyotr", "Pedro", "Pierre"),
    ("Paul", "Pawel", "Pavel", "Paulo"),
    ("Gregory", "Greg", "Grzegorz"),
    ("Lawrence", "Laurence", "Larry", "Laurie"),
    ("Timothy", "Tim", "Timmy"),
    ("Kenneth", "Ken", "Kenny"),
    ("Ronald", "Ron", "Ronnie"),
    ("Donald", "Don", "Donnie"),
    ("Raymond", "Ray"),
    ("Terence", "Terry", "Terrence"),
    ("Gerald", "Gerry", "Jerry", "Gerard"),
    ("Philip", "Phillip", "Phil", "Pip"),
    ("Zachary", "Zach", "Zak", "Zack"),
    ("Nathan", "Nathaniel", "Nate", "Nat"),
    ("Joshua", "Josh"),
    ("Geoffrey", "Geoff", "Jeff", "Jeffrey", "Jeffery"),
    ("Leonard", "Len", "Lenny", "Leo"),
    ("Albert", "Al", "Albie"),
    ("Alfred", "Alf", "Alfie"),
    ("Francis", "Frank", "Frankie"),
    ("Douglas", "Doug", "Dougie"),
    ("Bernard", "Bernie"),
    ("Cameron", "Cam"),
    ("Callum", "Calum", "Cal"),
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohamad", "Mehmet", "Mo", "Mohd"),
    ("Ahmed", "Ahmad", "Ahmet"),
    ("Abdullah", "Abdallah", "Abdulla"),
    ("Hussein", "Hussain", "Husain", "Hossein"),
    ("Ali", "Aly"),
    ("Omar", "Umar", "Omer"),
    ("Ibrahim", "Ebrahim", "Abraham", "Abe"),
    ("Yaroslav", "Jaroslaw", "Jaroslav"),
    ("Dmitri", "Dmitry", "Dimitri", "Dmytro"),
    ("Sergei", "Sergey", "Serhiy", "Sergiu"),
    ("Yuri", "Yury", "Jurij", "Yuriy"),
    ("Wojciech", "Voytek", "Wojtek"),
    ("Krzysztof", "Krystof", "Krzys"),
    ("Tadhg", "Teague", "Tiege"),
    ("Oisin", "Osheen"),
    ("Connor", "Conor", "Konnor"),
    ("Kieran", "Ciaran", "Keiran", "Kieron"),
    # Women's names
    (
        "Elizabeth",
        "Liz",
        "Lizzie",
        "Lizzy",
        "Beth",
        "Betty",
        "Eliza",
        "Elisabeth",
        "Libby",
        "Bess",
        "Elspeth",
        "Elżbieta",
        "Elzbieta",
    ),
    ("Margaret", "Maggie", "Meg", "Peggy", "Marge", "Margo", "Greta", "Małgorzata", "Malgorzata"),
    (
        "Katherine",
        "Catherine",
        "Kathryn",
        "Katharine",
        "Kate",
        "Katie",
        "Kathy",
        "Cathy",
        "Kat",
        "Kay",
        "Katarzyna",
        "Kasia",
        "Ekaterina",
        "Yekaterina",
        "Caitlin",
        "Kaitlyn",
    ),
    ("Kayleigh", "Kaylee", "Kayley", "Kaleigh", "Kayla", "Caylee", "Kailey"),
    ("Rebecca", "Becky", "Becca", "Rebekah"),
    ("Victoria", "Vicky", "Vikki", "Tori", "Wiktoria"),
    ("Jennifer", "Jenny", "Jen", "Jenna"),
    ("Jessica", "Jess", "Jessie"),
    ("Samantha", "Sammie", "Sami"),
    ("Alexandra", "Alexa", "Lexi", "Alessandra", "Aleksandra", "Oleksandra"),
    ("Deborah", "Debbie", "Debra", "Deb"),
    ("Susan", "Sue", "Susie", "Suzanne", "Susanne", "Zuzanna"),
    ("Patricia", "Trish", "Tricia", "Patty"),
    ("Christine", "Christina", "Kristina", "Krystyna", "Tina"),
    ("Jacqueline", "Jackie", "Jacqui"),
    ("Nicola", "Nicole", "Nikki"),
    ("Amanda", "Mandy"),
    ("Abigail", "Abbie", "Abby", "Gail"),
    ("Eleanor", "Elinor", "Ellie", "Nell", "Nellie", "Leonora"),
    ("Charlotte", "Lottie", "Charli"),
    ("Olivia", "Liv", "Livvy"),
    ("Sophie", "Sophia", "Sofia", "Zofia"),
    ("Anna", "Ana", "Anne", "Ann", "Annie", "Ania"),
    ("Mary", "Maria", "Marie", "Molly", "Polly", "Marija"),
    ("Sarah", "Sara", "Sally", "Sadie"),
    ("Siobhan", "Shivaun", "Shevaun", "Chevonne", "Shivon"),
    ("Niamh", "Neve", "Neave"),
    ("Eva", "Eve", "Ewa", "Aoife"),
    ("Fatima", "Fatimah", "Fatma"),
    ("Aisha", "Ayesha", "Aysha", "Aishah"),
    ("Natalia", "Natalie", "Natasha", "Nataliya", "Natalya", "Tasha"),
    ("Tatiana", "Tatyana", "Tanya", "Tania"),
    ("Yulia", "Julia", "Iuliia", "Yuliya"),
    ("Olga", "Olha"),
    ("Irina", "Iryna", "Irena"),
    ("Jadwiga", "Hedwig"),
    ("Danielle", "Daniela", "Dani"),
    ("Stephanie", "Steph", "Stefanie"),
    ("Louise", "Louisa", "Lou", "Lulu"),
    ("Dorothy", "Dot", "Dottie", "Dolly"),
    ("Gwendolyn", "Gwendoline", "Gwen"),
    ("Frances", "Fran", "Franny"),
    ("Caroline", "Carol", "Carrie", "Carolyn"),
    ("Josephine", "Josie", "Jo"),
    ("Gillian", "Gill", "Jill"),
    ("Theresa", "Teresa", "Tess", "Tessa", "Terri"),
)

# Family names written several ways in transliteration (a family name's spelling variants that also
# sound different; those that sound alike, Thompson and Thomson, match by their phonetic codes).
FAMILY_NAME_GROUPS = (
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohamad"),
    ("Ahmed", "Ahmad"),
    ("Hussein", "Hussain", "Husain"),
    ("Chowdhury", "Choudhury", "Chaudhry", "Chaudhary", "Choudhry"),
    ("Nguyen", "Nguyễn", "Ngyuen"),
    ("Kowalski", "Kowalsky"),
    ("Wiśniewski", "Wisniewski", "Vishnevsky"),
    ("Szymański", "Szymanski", "Shimanski"),
    ("Tchaikovsky", "Chaikovsky", "Czajkowski"),
    ("Kovalenko", "Kowalenko"),
    ("Shevchenko", "Szewczenko", "Schewtschenko"),
    ("Ivanov", "Ivanoff", "Iwanow"),
    ("Yilmaz", "Yılmaz"),
    ("Öztürk", "Ozturk"),
    ("O'Neill", "ONeill", "O'Neil"),
    ("MacDonald", "McDonald"),
    ("MacKenzie", "McKenzie"),
)


def _index(groups) -> dict:
    index = {}
    for group in groups:
        for name in group:
            index.setdefault(fold(name), fold(group[0]))
    return index


@lru_cache(maxsize=100_000)
def fold(name: str) -> str:
    """A name compared without regard to case, accents or punctuation: ``"O'Néill"`` → ``"oneill"``.
    Digits are kept (a placeholder such as "Cohort01" is no name to spell another way)."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    letters = "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))
    return letters.casefold().replace("ł", "l").replace("ı", "i").replace("ß", "ss")


_GIVEN = None
_FAMILY = None


def given_name_root(name: str) -> str:
    """The group's first name (folded) for a given name in a group, else the name itself (folded)."""
    global _GIVEN
    if _GIVEN is None:
        _GIVEN = _index(GIVEN_NAME_GROUPS)
    folded = fold(name)
    return _GIVEN.get(folded, folded)


def family_name_root(name: str) -> str:
    global _FAMILY
    if _FAMILY is None:
        _FAMILY = _index(FAMILY_NAME_GROUPS)
    folded = fold(name)
    return _FAMILY.get(folded, folded)
