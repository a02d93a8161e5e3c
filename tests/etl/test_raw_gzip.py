"""A raw file that stops being readable gzip part-way keeps the rows before the damage and ends in one
``decode_error`` reject naming the line, never an exception that would lose the whole input."""

from __future__ import annotations

import gzip

import orjson

from clickstream.etl.process import process_content
from tests.support.etl import make_job


def _raw(count: int) -> bytes:
    lines = []
    for index in range(count):
        event = {"event_id": f"e{index}", "app_id": "shop", "timestamp": 1_700_000_000_000 + index,
                 "event_type": "_page_view", "unique_id": f"u{index}", "attributes": {"n": "x" * 200}}  # fmt: skip
        record = {"appId": "shop", "ingest_time": 1_700_000_000_000, "data": orjson.dumps([event]).decode()}
        lines.append(orjson.dumps(record) + b"\n")
    # Barely compressible padding, so the damage lands well after the first records.
    return gzip.compress(b"".join(lines), compresslevel=1)


def _process(content: bytes) -> tuple[int, list[dict[str, object]]]:
    output = process_content(content, "raw.jsonl.gz", "test", make_job(("shop",), freshness_hours=None))
    return output.events.num_rows, output.rejects


def test_a_whole_raw_gzip_file_is_read() -> None:
    assert _process(_raw(500)) == (500, [])


def test_a_truncated_raw_file_ends_in_a_decode_error_after_the_rows_it_held() -> None:
    content = _raw(500)
    rows, rejects = _process(content[: len(content) // 2])
    assert 0 < rows < 500
    assert [reject["reason"] for reject in rejects] == ["decode_error"]
    assert "not readable gzip" in str(rejects[0]["detail"])


def test_corrupt_bytes_near_the_end_of_a_raw_file_end_in_a_decode_error() -> None:
    content = bytearray(_raw(500))
    position = int(len(content) * 0.99)
    content[position : position + 16] = bytes(255 - byte for byte in content[position : position + 16])
    rows, rejects = _process(bytes(content))
    assert rows < 500
    assert [reject["reason"] for reject in rejects] == ["decode_error"]


def test_a_damaged_checksum_is_a_decode_error_naming_the_last_line_read() -> None:
    content = bytearray(_raw(50))
    content[-8] ^= 0xFF  # the CRC-32 of the trailer
    rows, rejects = _process(bytes(content))
    # The lines still in the reader's buffer when the check fails are not trusted: the reject says where
    # reading stopped, and the raw file stays for a rerun.
    assert [reject["reason"] for reject in rejects] == ["decode_error"]
    assert f"after line {rows}:" in str(rejects[0]["detail"])
    assert "CRC" in str(rejects[0]["detail"])
