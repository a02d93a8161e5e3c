"""Schedule intervals as people write them."""

from __future__ import annotations

from clickstream.errors import ClickstreamError


def parse_interval(text: str) -> float:
    """``30s``, ``5m``, ``1h`` or plain seconds -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(value) * units[unit]
    except ValueError:
        seconds = -1
    if seconds <= 0:
        raise ClickstreamError(f"--every {text!r} is not an interval", hint="write it like 30s, 5m or 1h")
    return seconds
