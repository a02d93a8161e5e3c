"""Request bodies decoded within caps (clickstream.payload): what the collector and the ETL both accept."""

from __future__ import annotations

import base64
import gzip
import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clickstream import payload
from clickstream.payload import (
    PayloadLimits,
    PayloadRejected,
    check_body,
    count_elements_python,
    decode_body,
    inflate,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=5),
    max_leaves=30,
)


def test_the_compiled_scan_is_built() -> None:
    """`make` compiles clickstream/_payload.c; without it the collector counts events in Python."""
    assert payload.NATIVE


@given(st.lists(json_values, max_size=30), st.integers(min_value=0, max_value=40))
def test_both_scans_count_the_elements_of_any_json_array(elements: list[Any], limit: int) -> None:
    text = json.dumps(elements, ensure_ascii=False).encode()
    expected = min(len(elements), limit + 1)
    assert payload.count_elements(text, 0, limit) == expected
    assert count_elements_python(text, 0, limit) == expected


@settings(max_examples=500)
@given(st.binary(max_size=200) | st.lists(st.sampled_from(list(b'[]{},"\\ 1a\n')), max_size=60).map(bytes))
def test_both_scans_agree_on_any_bytes(tail: bytes) -> None:
    text = b"[" + tail
    assert payload.count_elements(text, 0, 5) == count_elements_python(text, 0, 5)


@pytest.mark.parametrize(
    ("text", "count"),
    [(b"[]", 0), (b"[ \n]", 0), (b"[1]", 1), (b'["a,b", {"c": [1, 2]}, []]', 3), (b'["\\"],", 2', 2)],
    ids=["empty", "blank", "one", "nested-commas", "escaped-quote-then-cut"],
)
def test_commas_inside_strings_and_nested_values_are_not_elements(text: bytes, count: int) -> None:
    assert payload.count_elements(text, 0, 10) == count == count_elements_python(text, 0, 10)


def test_a_gzip_stream_of_several_members_inflates_whole() -> None:
    assert inflate(gzip.compress(b"[1,") + gzip.compress(b"2]"), 100) == b"[1,2]"


def test_inflating_a_bomb_holds_at_most_the_cap_and_one_chunk() -> None:
    bomb = gzip.compress(b" " * 50_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(PayloadRejected) as rejected:
            inflate(bomb, 1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rejected.value.kind == "too_large"
    assert peak < 1_000_000 + 2 * payload.CHUNK_BYTES + len(bomb)


@pytest.mark.parametrize(
    ("body", "kind", "detail"),
    [
        (b"", "malformed", "the body is empty"),
        (b"not json, not base64", "malformed", "the body is neither JSON nor base64 of gzip"),
        (base64.b64encode(b"plain"), "malformed", "the body is neither JSON nor base64 of gzip"),
        (base64.b64encode(gzip.compress(b"[]")[:-4]), "malformed", "the gzip stream is cut short"),
        (base64.b64encode(gzip.compress(b"[]") + b"x"), "malformed", "bytes follow the end of the gzip stream"),
        (base64.b64encode(gzip.compress(b"[" + b" " * 2000 + b"]")), "too_large", "inflates to more than 1000"),
        (b"[" + b" " * 2000 + b"]", "too_large", "the body is over 1000 bytes"),
        (b"[" + b"1," * 10 + b"1]", "too_large", "holds more than 10 events"),
    ],
    ids=["empty", "text", "base64-not-gzip", "cut", "trailing", "inflated-too-large", "json-too-large", "events"],
)
def test_a_body_outside_the_encodings_or_caps_is_rejected_with_its_kind(body: bytes, kind: str, detail: str) -> None:
    with pytest.raises(PayloadRejected) as rejected:
        decode_body(body, PayloadLimits(max_decoded_bytes=1000, max_events=10))
    assert rejected.value.kind == kind
    assert detail in rejected.value.detail


def test_a_body_at_both_caps_decodes_to_its_json() -> None:
    events = b"[" + b",".join([b"{}"] * 10) + b"]"
    limits = PayloadLimits(max_decoded_bytes=len(events), max_events=10)
    assert decode_body(base64.b64encode(gzip.compress(events)), limits) == events
    assert decode_body(b"  " + events, limits) == events


def sdk(data: bytes) -> bytes:
    return base64.b64encode(gzip.compress(data))


def with_trailer(member: bytes, size: int) -> bytes:
    return member[:-4] + size.to_bytes(4, "little")


LIMITS = PayloadLimits(max_decoded_bytes=1000, max_events=10)


def test_the_collector_stores_a_small_gzip_body_by_its_trailer_without_inflating_it() -> None:
    """A corrupt body that claims little passes: only inflating finds it, and the ETL does."""
    check_body(base64.b64encode(with_trailer(gzip.compress(b"[" + b" " * 5000 + b"]"), 20)), LIMITS)


def test_the_collector_refuses_a_trailer_over_the_cap_without_inflating() -> None:
    with pytest.raises(PayloadRejected, match=r"more than 1000 bytes \(its gzip trailer: 2002\)"):
        check_body(sdk(b"[" + b" " * 2000 + b"]"), LIMITS)


def test_the_collector_inflates_a_body_of_several_members_whatever_its_last_trailer_says() -> None:
    with pytest.raises(PayloadRejected, match=r"inflates to more than 1000 bytes$"):
        check_body(base64.b64encode(gzip.compress(b"[" + b" " * 2000) + gzip.compress(b"]")), LIMITS)


def test_the_collector_counts_the_events_of_a_body_long_enough_to_hold_too_many() -> None:
    with pytest.raises(PayloadRejected, match="more than 10 events"):
        check_body(sdk(b"[" + b"1," * 10 + b"1]"), LIMITS)
    check_body(sdk(b"[" + b"1," * 9 + b"1]"), LIMITS)


def test_with_inflate_all_the_collector_refuses_a_corrupt_small_body() -> None:
    with pytest.raises(PayloadRejected, match="corrupt"):
        check_body(base64.b64encode(with_trailer(gzip.compress(b"[]"), 3)), LIMITS, inflate_all=True)


@settings(max_examples=500)
@given(
    st.binary(max_size=60)
    | st.lists(st.sampled_from([b"\x1f", b"\x8b", b"\x08", b"\x00", b"x"]), max_size=40).map(b"".join)
    | st.binary(max_size=300).map(gzip.compress)
    | st.tuples(st.binary(max_size=50), st.binary(max_size=50)).map(lambda p: gzip.compress(p[0]) + gzip.compress(p[1]))
)
def test_both_gzip_claims_agree_on_any_bytes(raw: bytes) -> None:
    assert payload.gzip_claim(raw) == payload.gzip_claim_python(raw)


def test_a_gzip_claim_is_the_last_members_size_or_says_why_not() -> None:
    assert payload.gzip_claim(gzip.compress(b"x" * 1234)) == 1234
    assert payload.gzip_claim(gzip.compress(b"a") + gzip.compress(b"b")) == -1
    assert payload.gzip_claim(b"[not gzip at all, not even close]") == -2
