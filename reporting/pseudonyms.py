"""Stable pseudonyms: the same person always has the same pseudonym in every export, and nobody
without the key can turn it back into a person. The key comes from PSEUDONYM_KEY (or SECRET_KEY)."""

import hashlib
import hmac

from django.conf import settings


def pseudonym(kind: str, pk: int) -> str:
    key = (getattr(settings, "PSEUDONYM_KEY", "") or settings.SECRET_KEY).encode()
    digest = hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}-{digest[:10].upper()}"


def pseudonymiser(kind: str):
    """``pseudonym`` for many ids of one kind (an extract's every row): the keyed hash is set up once
    and copied for each id, which gives the same pseudonyms several times faster."""
    key = (getattr(settings, "PSEUDONYM_KEY", "") or settings.SECRET_KEY).encode()
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    prefix = f"{kind[0].upper()}-"

    def pseudonym_of(pk: int) -> str:
        digest = keyed.copy()
        digest.update(f"{kind}:{pk}".encode())
        return prefix + digest.hexdigest()[:10].upper()

    return pseudonym_of


def sample_case_pseudonym(sample_id: int, case_id: int) -> str:
    """A case as one scrutiny sample shows it: a pseudonym of its own in each sample, never the
    extract's. The sample shows a case in detail (each offence, the decision, the conditions), where the
    extract coarsens it to stay k-anonymous: the same pseudonym in both would join the detail to the
    extract's row. And samples drawn again and again, joined by a stable pseudonym, would count exactly
    the cases that match a period and outcome, a count the dashboard only bands."""
    return pseudonym(f"case in sample {sample_id}", case_id)
