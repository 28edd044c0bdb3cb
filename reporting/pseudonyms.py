"""Stable pseudonyms: the same person always has the same pseudonym in every export, and nobody
without the key can turn it back into a person. The key comes from PSEUDONYM_KEY (or SECRET_KEY)."""

import hashlib
import hmac

from django.conf import settings


def pseudonym(kind: str, pk: int) -> str:
    key = (getattr(settings, "PSEUDONYM_KEY", "") or settings.SECRET_KEY).encode()
    digest = hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}-{digest[:10].upper()}"
