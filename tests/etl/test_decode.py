"""Decoding a raw record's data: JSON text, base64 of gzip, raw gzip; anything else has a reason."""

from __future__ import annotations

import base64
import gzip

import pytest

from clickstream.etl.decode import RejectedInput, decode_data
from clickstream.payload import PayloadLimits

EVENTS = [{"event_id": "a"}, {"event_id": "b"}]
TEXT = b'[{"event_id":"a"},{"event_id":"b"}]'


def test_a_json_array_is_read_as_is() -> None:
    assert decode_data(TEXT.decode()) == EVENTS


def test_a_single_json_object_is_one_event() -> None:
    assert decode_data('{"event_id":"a"}') == [{"event_id": "a"}]


def test_base64_of_gzip_is_decoded() -> None:
    assert decode_data(base64.b64encode(gzip.compress(TEXT)).decode()) == EVENTS


def test_raw_gzip_bytes_are_decoded() -> None:
    assert decode_data(gzip.compress(TEXT)) == EVENTS


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "decode_error"),
        ("", "decode_error"),
        ("[not json", "corrupt_json"),
        ("test data text", "decode_error"),
        (base64.b64encode(b"plain, not gzip").decode(), "decode_error"),
        (42, "decode_error"),
    ],
)
def test_undecodable_data_is_rejected_with_a_reason(data: object, reason: str) -> None:
    with pytest.raises(RejectedInput) as rejected:
        decode_data(data)
    assert rejected.value.reason == reason


def test_a_body_of_two_gzip_members_decodes_whole() -> None:
    body = gzip.compress(b'[{"a": 1},') + gzip.compress(b'{"a": 2}]')
    assert decode_data(base64.b64encode(body).decode()) == [{"a": 1}, {"a": 2}]


def test_a_truncated_gzip_body_is_a_decode_error() -> None:
    body = gzip.compress(b'[{"a": 1}]')[:-6]
    with pytest.raises(RejectedInput, match="cut short") as rejected:
        decode_data(base64.b64encode(body).decode())
    assert rejected.value.reason == "decode_error"


def test_bytes_after_the_last_gzip_member_are_a_decode_error() -> None:
    body = gzip.compress(b'[{"a": 1}]') + b"junk"
    with pytest.raises(RejectedInput, match="follow the end of the gzip stream") as rejected:
        decode_data(base64.b64encode(body).decode())
    assert rejected.value.reason == "decode_error"


def test_data_that_inflates_past_the_cap_is_too_large() -> None:
    bomb = base64.b64encode(gzip.compress(b"[" + b" " * 2_000_000 + b"]")).decode()
    with pytest.raises(RejectedInput, match="inflates to more than 1000000 bytes") as rejected:
        decode_data(bomb, PayloadLimits(max_decoded_bytes=1_000_000))
    assert rejected.value.reason == "too_large"


def test_data_with_more_events_than_the_cap_is_too_large() -> None:
    many = base64.b64encode(gzip.compress(b"[" + b"{}," * 100 + b"{}]")).decode()
    with pytest.raises(RejectedInput, match="more than 100 events") as rejected:
        decode_data(many, PayloadLimits(max_events=100))
    assert rejected.value.reason == "too_large"


def test_plain_json_text_with_more_events_than_the_cap_is_too_large() -> None:
    with pytest.raises(RejectedInput, match="more than 100 events") as rejected:
        decode_data("[" + "1," * 100 + "1]", PayloadLimits(max_events=100))
    assert rejected.value.reason == "too_large"


def test_data_at_the_caps_is_read() -> None:
    events = b"[" + b",".join([b'{"event_id":"x"}'] * 100) + b"]"
    limits = PayloadLimits(max_decoded_bytes=len(events), max_events=100)
    assert len(decode_data(base64.b64encode(gzip.compress(events)).decode(), limits)) == 100
    assert len(decode_data(events.decode(), limits)) == 100
