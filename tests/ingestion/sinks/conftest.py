"""Real servers for the sink tests: moto's AWS server and librdkafka's mock Kafka cluster, on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka import Producer

from tests.support.sinks import REGION, aws, unique


@pytest.fixture(autouse=True)
def _no_real_aws(fake_aws_credentials: None) -> None:
    """Every sink test runs with fake credentials (the ``fake_aws_credentials`` fixture in tests/conftest.py)."""


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
