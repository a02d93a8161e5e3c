"""The kinesis sink: real boto3 clients against moto's Kinesis server, and botocore's Stubber for refusals."""

from __future__ import annotations

import gzip
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
import orjson
import pytest
from botocore.stub import Stubber

from clickstream.errors import SinkError
from clickstream.ingestion.shipper import ship_segments
from clickstream.ingestion.sinks import SegmentBatch, build_sink
from clickstream.ingestion.sinks.kinesis import MAX_BYTES_PER_REQUEST, KinesisSink, request_batches
from clickstream.ingestion.sinks.retry import Backoff
from clickstream.storage import Storage
from tests.support.config import make_config
from tests.support.sinks import RAW_KEY, REGION, aws, raw_line, write_segment


def kinesis_sink(tmp_path: Path, endpoint: str, stream: str) -> KinesisSink:
    section = {"stream": stream, "endpoint_url": endpoint, "region": REGION}
    sink = build_sink(make_config(tmp_path / "home", ingestion={"sink": "kinesis", "kinesis": section}))
    assert isinstance(sink, KinesisSink)
    return sink


def stream_records(endpoint: str, stream: str) -> list[dict[str, Any]]:
    """Every record in every shard of ``stream``, from the start."""
    client = aws("kinesis", endpoint)
    found = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=10_000)
            found.extend(page["Records"])
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return found


def test_every_raw_record_becomes_one_kinesis_record_keyed_by_request_id(
    tmp_path: Path, moto_endpoint: str, stream: str
) -> None:
    lines = [raw_line(n) for n in range(5)]
    segment = write_segment(tmp_path / "wal", lines)

    assert ship_segments([segment], kinesis_sink(tmp_path, moto_endpoint, stream), "w0") == 5

    records = stream_records(moto_endpoint, stream)
    assert sorted(record["Data"] for record in records) == sorted(lines)
    assert sorted(record["PartitionKey"] for record in records) == [f"rid-{n:06d}" for n in range(5)]
    assert not segment.exists()


def test_requests_stay_within_500_records_and_5_mib(tmp_path: Path, moto_endpoint: str, stream: str) -> None:
    # moto refuses requests over either limit, as Kinesis does.
    small = [raw_line(n) for n in range(1_200)]
    large = [raw_line(n, data="x" * 900_000) for n in range(2_000, 2_014)]
    sink = kinesis_sink(tmp_path, moto_endpoint, stream)

    ship_segments([write_segment(tmp_path / "wal", small + large)], sink, "w0")

    assert sorted(record["Data"] for record in stream_records(moto_endpoint, stream)) == sorted(small + large)


def test_request_batches_split_at_the_record_count_and_the_byte_limit() -> None:
    entries = [(b"x" * 10, "k")] * 1_001 + [(b"y" * 1_000_000, "k")] * 12
    batches = request_batches(entries)
    assert [len(batch) for batch in batches] == [500, 500, 6, 5, 2]
    assert all(sum(len(data) + len(key) for data, key in batch) <= MAX_BYTES_PER_REQUEST for batch in batches)
    assert [entry for batch in batches for entry in batch] == entries


def test_a_record_over_the_1_mib_limit_is_set_aside_locally_not_lost(
    tmp_path: Path, moto_endpoint: str, stream: str
) -> None:
    huge = raw_line(99, data="z" * 1_100_000)
    lines = [raw_line(1), huge, raw_line(2)]
    sink = kinesis_sink(tmp_path, moto_endpoint, stream)

    ship_segments([write_segment(tmp_path / "wal", lines)], sink, "w0")

    assert sorted(record["Data"] for record in stream_records(moto_endpoint, stream)) == [lines[0], lines[2]]
    kept = Storage(tmp_path / "home").read_bytes(f"undeliverable/kinesis/{RAW_KEY}")
    assert gzip.decompress(kept).splitlines() == [huge]
    assert sink.set_aside_records == 1


def test_a_missing_stream_is_reported_with_the_fix_and_the_segment_stays(tmp_path: Path, moto_endpoint: str) -> None:
    segment = write_segment(tmp_path / "wal", [raw_line(1)])

    with pytest.raises(SinkError, match="ResourceNotFoundException") as error:
        ship_segments([segment], kinesis_sink(tmp_path, moto_endpoint, "no-such-stream"), "w0")

    assert error.value.hint == "create the stream or fix ingestion.kinesis.stream"
    assert segment.exists()


def entry(line: bytes) -> dict[str, Any]:
    return {"Data": line, "PartitionKey": orjson.loads(line)["rid"]}


def stubbed_sink(tmp_path: Path, attempts: int, waits: list[float]) -> tuple[KinesisSink, Any]:
    client = boto3.client("kinesis", region_name=REGION)
    backoff = Backoff(attempts=attempts, base_seconds=0.01, sleep=waits.append)
    return KinesisSink(client, "raw", Storage(tmp_path / "home"), backoff), client


def accepted(sequence: int) -> dict[str, str]:
    return {"SequenceNumber": str(sequence), "ShardId": "shardId-000000000000"}


def refused(code: str) -> dict[str, str]:
    return {"ErrorCode": code, "ErrorMessage": "Rate exceeded for shard shardId-000000000000"}


def test_only_the_refused_entries_are_sent_again(tmp_path: Path) -> None:
    lines = [raw_line(n) for n in range(4)]
    waits: list[float] = []
    sink, client = stubbed_sink(tmp_path, attempts=3, waits=waits)
    with Stubber(client) as stub:
        stub.add_response(
            "put_records",
            {
                "FailedRecordCount": 2,
                "Records": [
                    accepted(1),
                    refused("ProvisionedThroughputExceededException"),
                    accepted(2),
                    refused("InternalFailure"),
                ],
            },
            {"StreamName": "raw", "Records": [entry(line) for line in lines]},
        )
        stub.add_response(
            "put_records",
            {"FailedRecordCount": 1, "Records": [accepted(3), refused("ProvisionedThroughputExceededException")]},
            {"StreamName": "raw", "Records": [entry(lines[1]), entry(lines[3])]},
        )
        stub.add_response(
            "put_records",
            {"Records": [accepted(4)]},
            {"StreamName": "raw", "Records": [entry(lines[3])]},
        )

        sink.put_segment(SegmentBatch(PurePosixPath(RAW_KEY), b"".join(line + b"\n" for line in lines)))

        stub.assert_no_pending_responses()
    assert len(waits) == 2
    assert 0.005 <= waits[0] <= 0.01 <= waits[1] <= 0.02  # exponential backoff with jitter


def test_entries_still_refused_after_the_last_try_raise_and_the_segment_stays(tmp_path: Path) -> None:
    lines = [raw_line(n) for n in range(2)]
    segment = write_segment(tmp_path / "wal", lines)
    sink, client = stubbed_sink(tmp_path, attempts=2, waits=[])
    throttled = refused("ProvisionedThroughputExceededException")
    with Stubber(client) as stub:
        stub.add_response("put_records", {"FailedRecordCount": 1, "Records": [accepted(1), throttled]})
        stub.add_response("put_records", {"FailedRecordCount": 1, "Records": [throttled]})

        with pytest.raises(SinkError, match="still refused 1 of the records") as error:
            ship_segments([segment], sink, "w0")

    assert "ProvisionedThroughputExceededException" in str(error.value)
    assert segment.exists()


def test_a_throttled_request_is_sent_again_whole(tmp_path: Path) -> None:
    lines = [raw_line(n) for n in range(2)]
    sink, client = stubbed_sink(tmp_path, attempts=3, waits=[])
    request = {"StreamName": "raw", "Records": [entry(line) for line in lines]}
    with Stubber(client) as stub:
        stub.add_client_error("put_records", "LimitExceededException", "Rate exceeded", 400, request)
        stub.add_response("put_records", {"Records": [accepted(1), accepted(2)]}, request)

        sink.put_segment(SegmentBatch(PurePosixPath(RAW_KEY), b"".join(line + b"\n" for line in lines)))

        stub.assert_no_pending_responses()
