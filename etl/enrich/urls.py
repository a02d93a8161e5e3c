"""Lenient URL parsing for traffic-source rules (host, path, query parameters), cached per URL.

Referrers and page URLs from browsers are often not valid URIs (spaces, CJK characters, stray ``%``);
a classifier must still find their host. A URL without ``://`` is read as ``http://`` plus the text,
as the original did, so ``example.com/path`` has host ``example.com``. Hosts are lowercased.
Parameter values are percent-decoded but ``+`` is kept (the original kept it too); a repeated
parameter keeps every value in order.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote, urlsplit


class ParsedUrl(NamedTuple):
    host: str | None
    path: str
    params: dict[str, list[str | None]]


@lru_cache(maxsize=50_000)
def parse_url(url: str) -> ParsedUrl | None:
    """Host, path and query parameters of ``url``; None when it cannot be split at all.

    The cached result is shared: callers must not modify ``params``.
    """
    text = url if "://" in url else "http://" + url
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    return ParsedUrl(host or None, unquote(parts.path), query_params(parts.query))


def query_params(query: str) -> dict[str, list[str | None]]:
    """``a=1&a=2&b`` -> ``{"a": ["1", "2"], "b": [None]}``; keys are kept as sent, values decoded."""
    params: dict[str, list[str | None]] = {}
    if not query:
        return params
    for pair in query.split("&"):
        if not pair:
            continue
        cut = pair.find("=")
        key, raw = (pair[:cut], pair[cut + 1 :]) if cut > 0 else (pair, "")
        params.setdefault(key, []).append(unquote(raw) if raw else None)
    return params


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    parsed = parse_url(url)
    return parsed.host if parsed else None
