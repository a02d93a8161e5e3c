"""Real servers for the sink tests: moto's AWS server and librdkafka's mock Kafka cluster, on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from confluent_kafka import Producer

from clickstream.contract import raw_record

REGION = "eu-west-1"
SEGMENT_NAME = "1700000000000-000001.seg"  # opened 2023-11-14 22:13:20 UTC
RAW_KEY = "raw/year=2023/month=11/day=14/hour=22/w0-1700000000000-000001.jsonl.gz"


@pytest.fixture(autouse=True)
def _no_real_aws(fake_aws_credentials: None) -> None:
    """Every sink test runs with fake credentials (the ``fake_aws_credentials`` fixture in tests/conftest.py)."""


def aws(service: str, endpoint: str) -> Any:
    """A plain boto3 client on moto, for setting up and reading back (not the sink's own client)."""
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def bucket(moto_endpoint: str) -> str:
    name = unique("raw")
    aws("s3", moto_endpoint).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture
def stream(moto_endpoint: str) -> str:
    name = unique("raw")
    client = aws("kinesis", moto_endpoint)
    client.create_stream(StreamName=name, ShardCount=2)
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    return name


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """librdkafka's in-process mock cluster (3 brokers), kept alive by the producer that hosts it."""
    host = Producer({"test.mock.num.brokers": 3, "log_level": 3})
    brokers = host.list_topics(timeout=10).brokers.values()
    yield ",".join(f"{broker.host}:{broker.port}" for broker in brokers)
    host.flush(5)


def raw_line(n: int, data: str | None = None) -> bytes:
    """One raw record as the collector logs it, with request id ``rid-<n>``."""
    record = raw_record(
        data=data if data is not None else f'[{{"event_type":"_page_view","event_id":"e-{n}"}}]',
        uri=f"/collect?appId=shop&platform=Web&event_bundle_sequence_id={n}",
        query={"appId": "shop", "platform": "Web"},
        method="POST",
        ip="203.0.113.7",
        user_agent="Mozilla/5.0",
        request_id=f"rid-{n:06d}",
        now_ms=1_700_000_000_000 + n,
    )
    return orjson.dumps(record)


def write_segment(directory: Path, lines: list[bytes], name: str = SEGMENT_NAME) -> Path:
    """A sealed write-ahead-log segment holding ``lines``, as the log leaves it for the shipper."""
    directory.mkdir(parents=True, exist_ok=True)
    segment = directory / name
    segment.write_bytes(b"".join(line + b"\n" for line in lines))
    return segment
