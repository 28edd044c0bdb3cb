"""The one answer to "which address did this request come from?", used by the lock-out (django-axes,
``AXES_CLIENT_IP_CALLABLE``), the audit log and the ``/metrics`` address check, so they always agree.

Without proxies (``PROXY_COUNT`` 0) it is the address that connected (``REMOTE_ADDR``), and
``X-Forwarded-For`` is ignored entirely: anyone can send it. Behind ``PROXY_COUNT`` proxies, each
appends the address it received the request from to ``X-Forwarded-For``, so the client is the
``PROXY_COUNT``-th entry from the right; anything further left was written by the client and is
ignored. The header is believed only from a connection out of ``TRUSTED_PROXIES`` (networks):
a request that reaches the app's own port directly, around the proxy, is judged by its own address.
django-ipware parses the header (IPv6, ports, RFC 7239 forms, IPv4-mapped addresses).
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from ipware import get_client_ip

FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]):
    try:
        return tuple(ipaddress.ip_network(value, strict=False) for value in values)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from exc


def _address(value):
    """``value`` as a normalised address (an IPv4-mapped IPv6 address as IPv4), or None."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _from_trusted_proxy(peer) -> bool:
    return peer is not None and any(peer in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """The client's address as text, or None when it cannot be told (a malformed or too short
    ``X-Forwarded-For`` from a trusted proxy)."""
    if request is None:
        return None
    peer = _address(request.META.get("REMOTE_ADDR"))
    proxies = settings.PROXY_COUNT
    if not proxies or FORWARDED_HEADER not in request.META or not _from_trusted_proxy(peer):
        return str(peer) if peer is not None else None
    # In django-ipware's terms the last proxy is not in the header (it is REMOTE_ADDR), so the
    # header holds ``PROXY_COUNT - 1`` proxies to the right of the client.
    forwarded, _routable = get_client_ip(
        request,
        proxy_count=proxies - 1,
        request_header_order=[FORWARDED_HEADER],
        strict=False,
    )
    address = _address(forwarded)
    return str(address) if address is not None else None
