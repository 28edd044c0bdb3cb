"""How passwords are stored: Argon2id, through Django's own hasher, with parameters from the OWASP
Password Storage Cheat Sheet.

OWASP's guidance for Argon2id is a minimum of 19 MiB of memory, 2 iterations and 1 degree of
parallelism, and it lists equivalent trades of memory for iterations (46 MiB and 1 iteration, 12 MiB
and 3, 9 MiB and 4, 7 MiB and 5), each defending alike. We use the first line: m = 19 MiB (19,456
KiB), t = 2, p = 1. It costs about 35 ms of one CPU per sign-in here (46 MiB with one iteration cost
about 65 ms); Django's own defaults (100 MiB, 2 iterations, 8 lanes) cost about 260 ms on these
2-CPU machines, most of the sign-in's 300 ms budget, and would let a burst of sign-ins tie up
a small server's workers. With one lane, a sign-in takes one CPU and 19 MiB, whatever is happening
elsewhere, so three sync workers hashing at once use under 60 MiB.

Raise the parameters here when the guidance rises: a stored hash made with other parameters is
upgraded at the person's next sign-in (Django's ``must_update``). Hashes from the hashers listed
after this one in ``settings.PASSWORD_HASHERS`` (PBKDF2, used before) still verify, and are
upgraded the same way.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher

KIB_PER_MIB = 1024


class OwaspArgon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended minimum: 19 MiB, 2 iterations, 1 lane."""

    # Django's hasher is Argon2id (argon2-cffi's default type) and names itself "argon2"; the stored
    # hash carries its own parameters, so hashes made with Django's defaults still verify here.
    memory_cost = 19 * KIB_PER_MIB  # KiB
    time_cost = 2
    parallelism = 1
