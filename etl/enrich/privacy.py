"""Client IP protection before a record is written (``etl.enrichment.ip_privacy``).

``truncate`` keeps the network part only (IPv4 /24, IPv6 /48), the usual anonymisation for analytics:
country and usually city stay derivable, the host does not. ``hash`` replaces the address with a keyed
BLAKE2b digest, so the same address still groups together within one salt but cannot be read back.
Geo lookup must run on the original address, before this step.
"""

from __future__ import annotations

import hashlib
import ipaddress
from functools import lru_cache
from typing import Literal

IpPrivacy = Literal["none", "truncate", "hash"]
IPV4_PREFIX = 24
IPV6_PREFIX = 48
HASH_BYTES = 16  # 32 hex characters: collisions are irrelevant at any realistic number of clients


def protect_ip(ip: str | None, mode: IpPrivacy, salt: str = "") -> str | None:
    """``ip`` (one address or a comma-separated list such as ``X-Forwarded-For``) protected by ``mode``.

    ``none`` returns the input. ``truncate`` zeroes host bits of each address; an entry that is not an
    IP address cannot be truncated and is dropped (None when nothing is left). ``hash`` returns the hex
    digest of the whole text keyed with ``salt``, which must not be empty.
    """
    if ip is None or mode == "none":
        return ip
    if mode == "truncate":
        return _truncate(ip)
    if mode == "hash":
        if not salt:
            raise ValueError("ip_privacy 'hash' needs a non-empty salt (etl.enrichment.ip_hash_salt)")
        return _hash(ip, salt)
    raise ValueError(f"unknown ip_privacy mode {mode!r}; use none, truncate or hash")


@lru_cache(maxsize=65_536)
def _truncate(ip: str) -> str | None:
    kept = [network for network in (_truncate_one(part.strip()) for part in ip.split(",")) if network]
    return ", ".join(kept) if kept else None


def _truncate_one(address: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = IPV4_PREFIX if parsed.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False).network_address)


@lru_cache(maxsize=65_536)
def _hash(ip: str, salt: str) -> str:
    key = hashlib.blake2b(salt.encode("utf-8"), digest_size=32).digest()  # any salt length fits the 64-byte key
    return hashlib.blake2b(ip.encode("utf-8"), key=key, digest_size=HASH_BYTES).hexdigest()
