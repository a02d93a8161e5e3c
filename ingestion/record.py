"""What the collector reads from a request: query parameters and the client address."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from urllib.parse import unquote_plus


def query_params(query_string: str) -> dict[str, str]:
    """The first value of each query parameter (blank values kept), as ``urllib.parse.parse_qs`` reads them.

    Written out because it runs on every request: SDK query strings rarely need unquoting, so skipping
    it when there is no ``%`` or ``+`` leaves only a split per pair (see
    docs/performance.md#figures-behind-code-comments).
    """
    params: dict[str, str] = {}
    escaped = "%" in query_string or "+" in query_string
    for pair in query_string.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if escaped and ("%" in pair or "+" in pair):
            key, value = unquote_plus(key), unquote_plus(value)
        if key not in params:
            params[key] = value
    return params


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """The ``trusted_proxies`` setting as networks (validated by the config already)."""
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """``X-Forwarded-For`` when the peer is a trusted proxy, else the socket address."""
    if forwarded_for and peer and trusted and _is_trusted(peer, trusted):
        return forwarded_for.strip()
    return peer or ""


def _is_trusted(peer: str, trusted: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in trusted)
