"""Decoding a raw record's data: JSON text, base64 of gzip, raw gzip; anything else has a reason."""

from __future__ import annotations

import base64
import gzip

import pytest

from etl.decode import RejectedInput, decode_data

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
    with pytest.raises(RejectedInput, match="neither JSON nor base64 of gzip"):
        decode_data(base64.b64encode(body).decode())
