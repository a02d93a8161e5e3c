"""A raw record over the caps is rejected as ``too_large`` without being inflated or read whole, and the rest
of its file goes on: raw files from before the collector's caps, or from another writer, cost bounded memory."""

from __future__ import annotations

import base64
import gzip
import tracemalloc

import orjson

from clickstream.etl.process import InputOutput, process_content
from clickstream.payload import PayloadLimits
from tests.support.etl import make_job

LIMITS = PayloadLimits(max_decoded_bytes=1_000_000, max_events=100)


def record(data: str) -> bytes:
    return orjson.dumps({"appId": "shop", "ingest_time": 1_700_000_000_000, "data": data})


def events(*ids: str) -> str:
    return orjson.dumps(
        [
            {"event_id": event_id, "app_id": "shop", "timestamp": 1_700_000_000_000, "event_type": "_page_view",
             "unique_id": "u1"}
            for event_id in ids
        ]
    ).decode()  # fmt: skip


def process(*lines: bytes, limits: PayloadLimits = LIMITS) -> InputOutput:
    content = gzip.compress(b"\n".join(lines) + b"\n")
    return process_content(content, "raw/x.jsonl.gz", "x", make_job(freshness_hours=None, payload_limits=limits))


def bomb(decoded_bytes: int) -> str:
    return base64.b64encode(gzip.compress(b"[" + b" " * decoded_bytes + b"]")).decode()


def test_a_record_that_inflates_past_the_cap_is_too_large_and_the_file_goes_on() -> None:
    output = process(record(events("a")), record(bomb(5_000_000)), record(events("b")))
    assert sorted(output.events.column("event_id").to_pylist()) == ["a", "b"]
    [reject] = output.rejects
    assert reject["reason"] == "too_large"
    assert reject["detail"] == "data: the body inflates to more than 1000000 bytes"


def test_a_record_with_more_events_than_the_cap_is_too_large() -> None:
    many = base64.b64encode(gzip.compress(events(*(str(n) for n in range(101))).encode())).decode()
    output = process(record(many), record(events("b")))
    assert output.events.column("event_id").to_pylist() == ["b"]
    assert [reject["reason"] for reject in output.rejects] == ["too_large"]


def test_a_raw_line_over_the_cap_is_skipped_unread_as_too_large() -> None:
    huge = record("[" + " " * 2_000_000 + "]")
    output = process(record(events("a")), huge, record(events("b")))
    assert sorted(output.events.column("event_id").to_pylist()) == ["a", "b"]
    [reject] = output.rejects
    assert (reject["reason"], reject["detail"]) == ("too_large", "the raw line is over 1000000 bytes; skipped unread")


def test_a_bomb_costs_the_etl_at_most_the_cap_in_memory() -> None:
    """100 MB decoded from about 100 KB: the default 32 MB cap, plus a chunk, is the most held at once."""
    line = record(bomb(100_000_000))
    tracemalloc.start()
    try:
        output = process(line, record(events("a")), limits=PayloadLimits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [reject["reason"] for reject in output.rejects] == ["too_large"]
    assert peak < 60_000_000
