"""Fuzz targets of the body decoder shared by the collector and the ETL (tests/support/fuzzing.py).

Bodies are JSON, base64 of gzip, raw gzip, several gzip members, cut or followed by junk, bombs, and random
bytes. A body is decoded to JSON within both caps or rejected with a kind; nothing else may happen, and the
compiled and pure-Python event scans must agree on whatever is decoded.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib

from hypothesis import strategies as st

from clickstream import payload
from clickstream.payload import PayloadLimits, PayloadRejected, check_body, count_elements_python, decode_body
from tests.support.fuzzing import FuzzTarget, plain_harness

LIMITS = PayloadLimits(max_decoded_bytes=200_000, max_events=50)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)
json_texts = st.one_of(
    st.lists(json_values, max_size=70).map(lambda values: json.dumps(values).encode()),
    st.dictionaries(st.text(max_size=5), json_values, max_size=4).map(lambda value: json.dumps(value).encode()),
    st.lists(st.sampled_from(list(b'[]{},":\\ 1a\n')), max_size=80).map(lambda tail: b"[" + bytes(tail)),
    st.integers(min_value=0, max_value=400_000).map(lambda n: b"[" + b" " * n + b"]"),
    st.integers(min_value=0, max_value=200).map(lambda n: b"[" + b"{}," * n + b"{}]"),
)


def _members(parts: list[bytes]) -> bytes:
    return b"".join(gzip.compress(part, mtime=0) for part in parts)


bodies = st.one_of(
    json_texts,
    json_texts.map(lambda text: base64.b64encode(gzip.compress(text, mtime=0))),
    json_texts.map(lambda text: gzip.compress(text, mtime=0)),
    st.lists(json_texts, min_size=2, max_size=4).map(lambda parts: base64.b64encode(_members(parts))),
    st.tuples(json_texts, st.binary(min_size=1, max_size=30)).map(
        lambda pair: base64.b64encode(gzip.compress(pair[0], mtime=0) + pair[1])
    ),
    st.tuples(json_texts, st.integers(min_value=1, max_value=40)).map(
        lambda pair: base64.b64encode(gzip.compress(pair[0], mtime=0)[: -pair[1]])
    ),
    st.binary(max_size=500),
    st.binary(max_size=500).map(base64.b64encode),
    st.tuples(st.binary(max_size=40), json_texts).map(lambda pair: b" \n\t"[: len(pair[0]) % 4] + pair[1]),
)


def _valid_gzip(body: bytes) -> bool:
    """A base64 body whose gzip the standard library reads whole (every member, and nothing after)."""
    try:
        gzip.decompress(base64.b64decode(body, validate=True))
    except (OSError, EOFError, ValueError, zlib.error):
        return False
    return True


def check_collector_agrees(body: bytes, decoded: PayloadRejected | None) -> None:
    """The collector's cheaper check refuses what the ETL cannot read within the caps, and nothing it can.

    A corrupt stream may pass the collector (the ETL then rejects it): only inflating finds it.
    """
    try:
        check_body(body, LIMITS)
    except PayloadRejected as refused:
        assert decoded is not None, f"the collector refused a body the ETL reads: {refused.detail}"
        return
    if decoded is not None and decoded.kind == "too_large" and body[:1] not in (b"[", b"{"):
        assert not _valid_gzip(body), "the collector stored a valid gzip body over the caps"


def check_decoder(body: bytes) -> None:
    try:
        text = decode_body(body, LIMITS)
    except PayloadRejected as rejected:
        assert rejected.kind in ("too_large", "malformed")
        assert rejected.detail
        check_collector_agrees(body, rejected)
        return
    check_collector_agrees(body, None)
    assert len(text) <= LIMITS.max_decoded_bytes
    if text[:1] == b"[":
        native = payload.count_elements(text, 0, LIMITS.max_events)
        assert native == count_elements_python(text, 0, LIMITS.max_events)
        assert native <= LIMITS.max_events
        try:
            parsed = json.loads(text)
        except ValueError:
            return  # not JSON: the ETL rejects it as corrupt_json
        assert isinstance(parsed, list) and len(parsed) == native


TARGETS = [FuzzTarget("payload-decoder", bodies, plain_harness(check_decoder))]
