"""The SDKs' request bodies decoded within limits: shared by the collector (answers 413 or 400) and the ETL
(rejects the record as ``too_large`` or ``decode_error``), so a body one accepts the other can read.

A body is JSON text (an array of events, or one event object), or base64 text of gzip(JSON) as the SDKs
send with ``compression=gzip`` (the ETL also reads raw gzip bytes from other writers). Two caps hold
whatever a body claims: the bytes it inflates to (:attr:`PayloadLimits.max_decoded_bytes`) and the events
it holds (:attr:`PayloadLimits.max_events`). Inflating stops one chunk past the first cap, and events are
counted without parsing (by the compiled ``clickstream._payload`` where it was built, else by a regular
expression scan with the same result), so a bomb costs bounded memory and time.

Gzip is read as RFC 1952 has it: every member of a multi-member stream, and nothing after the last one.
"""

from __future__ import annotations

import binascii
import contextlib
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import pybase64
from isal import isal_zlib

GZIP_MAGIC: Final = b"\x1f\x8b"
# Inflated per call: the most a decoder holds past the cap (the "one chunk" of the limit).
CHUNK_BYTES: Final = 256 * 1024
DEFAULT_MAX_DECODED_BYTES: Final = 32_000_000
DEFAULT_MAX_EVENTS: Final = 10_000
_WHITESPACE: Final = b" \t\n\r"
_ISAL_ERROR = cast(type[Exception], isal_zlib.error)  # untyped in isal's stubs


@dataclass(frozen=True)
class PayloadLimits:
    """How large one body may become once decoded, and how many events it may hold."""

    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES
    max_events: int = DEFAULT_MAX_EVENTS

    @property
    def bytes_for_too_many_events(self) -> int:
        """The fewest bytes of JSON that can hold more than ``max_events`` elements: each element takes at least
        one byte and a comma, plus the brackets. Shorter text is known to be under the cap without a scan."""
        return 2 * self.max_events + 3


DEFAULT_LIMITS: Final = PayloadLimits()


class PayloadRejected(Exception):
    """A body over a cap (``too_large``) or not in an encoding the SDKs use (``malformed``)."""

    def __init__(self, kind: Literal["too_large", "malformed"], detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def decode_body(data: bytes, limits: PayloadLimits) -> bytes:
    """The JSON text of a body as bytes, inflated if it is base64 of gzip (or gzip), checked against ``limits``.

    Raises :class:`PayloadRejected`. Leading white space is dropped; the JSON itself is not validated.
    """
    text = data.lstrip(_WHITESPACE)
    if not text:
        raise PayloadRejected("malformed", "the body is empty")
    first = text[:1]
    if first not in (b"[", b"{"):
        if text[:2] != GZIP_MAGIC:
            text = _base64(text)
            if text[:2] != GZIP_MAGIC:
                raise PayloadRejected("malformed", "the body is neither JSON nor base64 of gzip")
        text = inflate(text, limits.max_decoded_bytes)
        text = text.lstrip(_WHITESPACE)
        first = text[:1]
    if len(text) > limits.max_decoded_bytes:
        raise PayloadRejected("too_large", f"the body is over {limits.max_decoded_bytes} bytes")
    if first == b"[" and too_many_events(text, limits):
        raise PayloadRejected("too_large", f"the body holds more than {limits.max_events} events")
    return text


def check_body(data: bytes, limits: PayloadLimits, *, inflate_all: bool = False) -> None:
    """The collector's check before it stores a body: raises :class:`PayloadRejected` unless it is within ``limits``.

    JSON text is checked as :func:`decode_body` checks it. A gzip body whose own trailer (the size the
    last member inflates to, which the ETL verifies) already proves it within both caps, and which holds
    one member, is stored without being inflated: for every body the ETL can read, that claim is its
    size. A claim over ``max_decoded_bytes`` is refused at once, without inflating. Anything else, and
    every body with ``inflate_all``, is inflated within the caps as the ETL will, so a corrupt stream is
    refused here too; without it a corrupt small body is stored and rejected by the ETL as ``decode_error``.
    """
    text = data.lstrip(_WHITESPACE)
    if inflate_all or text[:1] in (b"[", b"{"):
        decode_body(text, limits)
        return
    raw = _base64(text) if text[:2] != GZIP_MAGIC else text
    claimed = gzip_claim(raw) if len(raw) <= _SOUND_CLAIM_BYTES else -1
    if claimed > limits.max_decoded_bytes:
        raise PayloadRejected(
            "too_large",
            f"the body inflates to more than {limits.max_decoded_bytes} bytes (its gzip trailer: {claimed})",
        )
    if claimed < 0 or claimed >= limits.bytes_for_too_many_events:  # not gzip, maybe several members, or long
        decode_body(text, limits)  # enough to hold more events than the cap: inflated, and its events counted


_GZIP_FRAME: Final = 18  # header and trailer of an empty member
_MEMBER_START: Final = b"\x1f\x8b\x08"
# Deflate inflates at most 1,032-fold, so a member this small cannot pass 4 GiB, where its 32-bit size
# claim would wrap around.
_SOUND_CLAIM_BYTES: Final = (2**32 - 1) // 1032


def _base64(text: bytes) -> bytes:
    """Base64 as the SDKs write it, by pybase64's SIMD decoder (the collector decodes every SDK body); text
    with other characters (line breaks) is read leniently, as the original's ETL read it."""
    with contextlib.suppress(binascii.Error, ValueError):
        return pybase64.b64decode(text, validate=True)
    try:
        return binascii.a2b_base64(text)
    except (binascii.Error, ValueError):
        raise PayloadRejected("malformed", "the body is neither JSON nor base64 of gzip") from None


def inflate(compressed: bytes, max_bytes: int) -> bytes:
    """Every member of a gzip stream, inflated; ``too_large`` past ``max_bytes`` (read at most a chunk more).

    Bytes after the last member that do not start another member are ``malformed``, as is a cut stream.
    """
    pieces: list[bytes] = []
    total = 0
    data = compressed
    try:
        while True:
            inflater = isal_zlib.decompressobj(31)
            while True:
                piece = inflater.decompress(data, CHUNK_BYTES)
                total += len(piece)
                if total > max_bytes:
                    raise PayloadRejected("too_large", f"the body inflates to more than {max_bytes} bytes")
                pieces.append(piece)
                data = inflater.unconsumed_tail
                if inflater.eof or (not data and len(piece) < CHUNK_BYTES):
                    break
            if not inflater.eof:
                raise PayloadRejected("malformed", "the gzip stream is cut short")
            data = inflater.unused_data
            if not data:
                break
            if data[:2] != GZIP_MAGIC:
                raise PayloadRejected("malformed", "bytes follow the end of the gzip stream")
    except _ISAL_ERROR as exc:
        raise PayloadRejected("malformed", f"the gzip stream is corrupt ({exc})") from None
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def too_many_events(text: bytes, limits: PayloadLimits) -> bool:
    """Whether the JSON array ``text`` (after leading white space) holds more than ``limits.max_events`` elements.

    Most bodies are known to be under the cap from their length, or their commas (``n`` elements have at
    least ``n - 1``), without a scan.
    """
    start = len(text) - len(text.lstrip(_WHITESPACE))
    limit = limits.max_events
    if len(text) - start < limits.bytes_for_too_many_events or text.count(b",", start) < limit:
        return False
    return count_elements(text, start, limit) > limit


# --- counting: the compiled scan where it was built, else the same state machine by regular expression ----


_TOKEN = re.compile(
    rb'(")[^"\\]*(?:\\.[^"\\]*)*"?'  # 1: a string (to the end of the text if it is not closed)
    rb"|([\[{]+)"  # 2: openers
    rb"|([\]}]+)"  # 3: closers
    rb"|(,+)"  # 4: commas
    rb"|[ \t\n\r]+"  # white space
    rb'|([^ \t\n\r"\[\]{},]+)',  # 5: anything else (numbers, literals, stray bytes)
    re.DOTALL,
)


def count_elements_python(text: bytes, start: int, limit: int) -> int:
    """The elements of the array at ``text[start]``, at most ``limit + 1``: ``_payload.c``'s scan, in Python.

    Elements are the commas at depth 1 plus one when the array holds anything; a run of openers, closers or
    commas is one step, so a body costs its tokens, not its bytes.
    """
    depth = commas = 0
    seen = False
    for token in _TOKEN.finditer(text, start):
        kind = token.lastindex
        if kind == 1 or kind == 5:
            seen = seen or depth == 1
        elif kind == 2:
            run = token.end() - token.start()
            seen = seen or depth < 2 <= depth + run
            depth += run
        elif kind == 3:
            depth -= token.end() - token.start()
            if depth <= 0:
                break
        elif kind == 4 and depth == 1:
            commas += token.end() - token.start()
            if commas + 1 > limit:
                return limit + 1
    if commas == 0 and not seen:
        return 0
    return min(commas + 1, limit + 1)


def _compiled() -> Any:
    try:
        return importlib.import_module("clickstream._payload")
    except ImportError:  # pragma: no cover - an install without a C compiler
        return None


_native = _compiled()
NATIVE: Final[bool] = _native is not None


def gzip_claim_python(raw: bytes) -> int:
    """``_payload.c``'s ``gzip_claim`` in Python: the size the last member's trailer states, -1 when there may
    be several members, -2 when ``raw`` is no gzip stream."""
    if len(raw) < _GZIP_FRAME or raw[:2] != GZIP_MAGIC:
        return -2
    if raw.find(_MEMBER_START, 1) >= 0:
        return -1
    return int.from_bytes(raw[-4:], "little")


# The size the last gzip member states, -1 if there may be several, -2 if not gzip (compiled where built; the
# collector calls it for every SDK body, so the compiled function is used as it is).
gzip_claim: Callable[[bytes], int] = gzip_claim_python if _native is None else _native.gzip_claim


# The elements of the array at ``text[start]``, at most ``limit + 1`` (the compiled scan where built).
count_elements: Callable[[bytes, int, int], int] = count_elements_python if _native is None else _native.count_elements
