"""The kafka sink against librdkafka's mock cluster (the real Kafka protocol, in process), read back by a consumer."""

from __future__ import annotations

import gzip
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer

from clickstream.errors import SinkError
from clickstream.ingestion.shipper import ship_segments
from clickstream.ingestion.sinks import build_sink
from clickstream.ingestion.sinks.kafka import KafkaSink, producer_config
from clickstream.storage import Storage
from tests.support.config import make_config
from tests.support.loopback import free_port
from tests.support.sinks import RAW_KEY, raw_line, unique, write_segment


def kafka_sink(tmp_path: Path, bootstrap: str, topic: str, **settings: Any) -> KafkaSink:
    section = {"bootstrap_servers": bootstrap, "topic": topic, "settings": settings}
    sink = build_sink(make_config(tmp_path / "home", ingestion={"sink": "kafka", "kafka": section}))
    assert isinstance(sink, KafkaSink)
    return sink


def consume(bootstrap: str, topic: str, expected: int, timeout: float = 30) -> list[tuple[bytes, bytes]]:
    """(key, value) of the topic's messages from the beginning, until ``expected`` arrived or time is up."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": uuid.uuid4().hex,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "log_level": 3,
        }
    )
    consumer.subscribe([topic])
    messages: list[tuple[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            messages.append((message.key() or b"", message.value() or b""))
    finally:
        consumer.close()
    return messages


@pytest.mark.slow  # a consumer group takes seconds to join
def test_every_raw_record_arrives_as_one_message_keyed_by_request_id(tmp_path: Path, kafka_bootstrap: str) -> None:
    topic = unique("raw")
    lines = [raw_line(n) for n in range(300)]
    segment = write_segment(tmp_path / "wal", lines)

    assert ship_segments([segment], kafka_sink(tmp_path, kafka_bootstrap, topic), "w0") == 300

    messages = consume(kafka_bootstrap, topic, expected=300)
    assert sorted(value for _, value in messages) == sorted(lines)
    assert sorted(key for key, _ in messages) == [f"rid-{n:06d}".encode() for n in range(300)]
    assert not segment.exists()


def test_unreachable_brokers_raise_after_the_delivery_timeout_and_the_segment_stays(tmp_path: Path) -> None:
    segment = write_segment(tmp_path / "wal", [raw_line(1), raw_line(2)])
    sink = kafka_sink(tmp_path, f"127.0.0.1:{free_port()}", "raw", **{"delivery.timeout.ms": 1500})

    with pytest.raises(SinkError, match="did not confirm 2 of 2 records") as error:
        ship_segments([segment], sink, "w0")

    assert "bootstrap_servers" in (error.value.hint or "")
    assert segment.exists()


@pytest.mark.slow
def test_a_record_over_the_message_size_limit_is_set_aside_locally_not_lost(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    topic = unique("raw")
    huge = raw_line(99, data="z" * 20_000)
    lines = [raw_line(1), huge, raw_line(2)]
    sink = kafka_sink(tmp_path, kafka_bootstrap, topic, **{"message.max.bytes": 10_000})

    ship_segments([write_segment(tmp_path / "wal", lines)], sink, "w0")

    assert sorted(value for _, value in consume(kafka_bootstrap, topic, expected=2)) == [lines[0], lines[2]]
    kept = Storage(tmp_path / "home").read_bytes(f"undeliverable/kafka/{RAW_KEY}")
    assert gzip.decompress(kept).splitlines() == [huge]


def test_the_producer_always_waits_for_all_replicas_and_is_idempotent(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        ingestion={
            "sink": "kafka",
            "kafka": {"bootstrap_servers": "b1:9092", "topic": "raw", "settings": {"linger.ms": 50}},
        },
    )
    assert config.ingestion.kafka is not None
    settings = producer_config(config.ingestion.kafka)
    assert settings["acks"] == "all" and settings["enable.idempotence"] is True
    assert settings["bootstrap.servers"] == "b1:9092"
    assert settings["linger.ms"] == 50  # the user's settings override the sink's defaults
