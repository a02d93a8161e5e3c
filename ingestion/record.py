"""Building the raw record of one HTTP request (reference section 1.2)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs


def query_params(query_string: str) -> dict[str, str]:
    """The first value of each query parameter (blank values kept)."""
    return {key: values[0] for key, values in parse_qs(query_string, keep_blank_values=True).items()}


_INTEGER = re.compile(r"^-?[0-9]{1,18}$")


def _as_int(value: str | None) -> int | None:
    """An integer query parameter (fits int64), or None for anything else."""
    return int(value) if value is not None and _INTEGER.match(value.strip()) else None


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


def build_raw_record(
    *,
    data: str,
    uri: str,
    query: Mapping[str, str],
    method: str,
    ip: str,
    user_agent: str,
    request_id: str,
    now_ms: int,
) -> dict[str, Any]:
    """The record the original's Vector writes for one request, field for field."""
    return {
        "date": datetime.fromtimestamp(now_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": data,
        "ip": ip,
        "ua": user_agent,
        "uri": uri,
        "rid": request_id,
        "method": method,
        "appId": query.get("appId"),
        "platform": query.get("platform"),
        "compression": query.get("compression"),
        "client_timestamp": _as_int(query.get("upload_timestamp")),
        "ingest_time": now_ms,
        "server_ingest_time": now_ms,
    }
