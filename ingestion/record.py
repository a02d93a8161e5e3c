"""What the collector reads from a request: query parameters and the client address."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import parse_qs


def query_params(query_string: str) -> dict[str, str]:
    """The first value of each query parameter (blank values kept)."""
    return {key: values[0] for key, values in parse_qs(query_string, keep_blank_values=True).items()}


def client_ip(peer: str | None, forwarded_for: str | None, trusted_proxies: Iterable[str]) -> str:
    """``X-Forwarded-For`` when the peer is a trusted proxy, else the socket address."""
    if forwarded_for and peer and is_trusted(peer, trusted_proxies):
        return forwarded_for.strip()
    return peer or ""


def is_trusted(peer: str, trusted_proxies: Iterable[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for proxy in trusted_proxies:
        try:
            if address in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False
