"""Decoding the ``data`` field of a raw record into event objects, within the collector's caps."""

from __future__ import annotations

from typing import Any

import orjson

from clickstream.contract import RejectReason
from clickstream.payload import DEFAULT_LIMITS, PayloadLimits, PayloadRejected, decode_body


class RejectedInput(Exception):
    """A record or event that cannot become a row; ``reason`` is its reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decode_data(data: Any, limits: PayloadLimits = DEFAULT_LIMITS) -> list[Any]:
    """The events of a request body: a JSON array (or object), or base64 text of gzip(JSON), or raw gzip.

    As in the original, text that does not start with ``[`` or ``{`` is taken to be base64 of gzip. A body
    over ``limits`` (bytes once inflated, or events) is rejected as ``too_large`` before it is parsed, so a
    raw file from any writer costs bounded memory (:mod:`clickstream.payload`).
    """
    if data is None:
        raise RejectedInput(RejectReason.DECODE_ERROR, "the record has no data")
    if not isinstance(data, str | bytes):
        raise RejectedInput(RejectReason.DECODE_ERROR, f"data is a {type(data).__name__}, not text")
    text: str | bytes = data
    if not (isinstance(data, str) and data[:1] in _JSON_STARTS and _surely_within(data, limits)):
        # the common case above: JSON text small enough to be within both caps, parsed as it is, with no copy
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        try:
            text = decode_body(raw, limits)
        except PayloadRejected as rejected:
            reason = RejectReason.TOO_LARGE if rejected.kind == "too_large" else RejectReason.DECODE_ERROR
            raise RejectedInput(reason, f"data: {rejected.detail}") from None
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RejectedInput(RejectReason.CORRUPT_JSON, f"data is not valid JSON: {exc}") from None
    return parsed if isinstance(parsed, list) else [parsed]


_JSON_STARTS = ("[", "{")


def _surely_within(text: str, limits: PayloadLimits) -> bool:
    """JSON text too short to pass either cap: a character is at most 4 bytes, an event at least 2."""
    return len(text) <= limits.max_decoded_bytes // 4 and (
        len(text) < limits.bytes_for_too_many_events or text.count(",") < limits.max_events
    )
