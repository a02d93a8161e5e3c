"""The ``kafka`` sink: one Kafka message per raw record, from an idempotent producer with ``acks=all``.

``put_segment`` produces every record, then flushes and reads every delivery report before it
returns: a record counts as shipped only when all in-sync replicas have it. Idempotence keeps the
producer's own retries from writing duplicates; a re-ship after a crash sends the segment again (at
least once; the ETL's models keep one row per ``event_id``). Messages are keyed by request id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from clickstream.config import KafkaSinkConfig
from clickstream.errors import SinkError
from clickstream.ingestion.sinks.base import SegmentBatch, partition_key, set_aside
from clickstream.storage import Storage

logger = logging.getLogger("clickstream.ingestion.sinks.kafka")

DEFAULTS: dict[str, Any] = {
    "linger.ms": 5,
    "delivery.timeout.ms": 30_000,  # a shipment gives up (and is retried later) after this, not after 5 minutes
    "compression.type": "lz4",
}
"""Producer settings the user's ``settings`` may override."""

_TOO_LARGE = {KafkaError.MSG_SIZE_TOO_LARGE}


def producer_config(settings: KafkaSinkConfig) -> dict[str, Any]:
    """librdkafka settings: defaults, then the user's, then the ones the delivery promise depends on."""
    return {
        **DEFAULTS,
        **settings.settings,
        "bootstrap.servers": settings.bootstrap_servers,
        "acks": "all",
        "enable.idempotence": True,
        "error_cb": _log_client_error,
        "logger": logger,
    }


def _log_client_error(error: KafkaError) -> None:
    logger.warning("kafka client error", extra={"code": error.name(), "reason": error.str(), "fatal": error.fatal()})


@dataclass
class _Deliveries:
    """Delivery reports of one batch, collected by the producer's callbacks during ``flush``."""

    delivered: int = 0
    too_large: list[bytes] = field(default_factory=list)
    errors: list[KafkaError] = field(default_factory=list)

    def report(self, error: KafkaError | None, message: Message) -> None:
        if error is None:
            self.delivered += 1
        elif error.code() in _TOO_LARGE:
            self.too_large.append(message.value() or b"")
        else:
            self.errors.append(error)


class KafkaSink:
    """Produces each raw record of a batch to ``topic``; the producer is created on first use."""

    def __init__(self, config: dict[str, Any], topic: str, overflow: Storage) -> None:
        self.config = config
        self.topic = topic
        self.overflow = overflow
        self.set_aside_records = 0
        self._producer: Producer | None = None
        self.flush_timeout = float(config.get("delivery.timeout.ms", 300_000)) / 1000 + 10

    @classmethod
    def from_config(cls, settings: KafkaSinkConfig, overflow: Storage) -> KafkaSink:
        return cls(producer_config(settings), settings.topic, overflow)

    @property
    def producer(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(self.config)
        return self._producer

    def put_segment(self, batch: SegmentBatch) -> None:
        deliveries = _Deliveries()
        records = batch.records()
        producer = self.producer
        for record in records:
            self._produce(producer, record, deliveries)
        undelivered = producer.flush(self.flush_timeout)
        if deliveries.too_large:
            limit = int(self.config.get("message.max.bytes", 1_000_000))
            set_aside(self.overflow, "kafka", batch, deliveries.too_large, limit)
            self.set_aside_records += len(deliveries.too_large)
        if any(error.fatal() for error in deliveries.errors):
            self._producer = None  # a fatal idempotence error leaves the producer unusable: start afresh next time
        if undelivered or deliveries.errors:
            reasons = sorted({error.name() for error in deliveries.errors}) or ["flush timed out"]
            missing = len(records) - deliveries.delivered - len(deliveries.too_large)
            raise SinkError(
                f"Kafka topic {self.topic!r} did not confirm {missing} of {len(records)} records "
                f"of {batch.key} ({', '.join(reasons)})",
                hint="check ingestion.kafka.bootstrap_servers and the brokers; the segment stays in the log",
            )

    def _produce(self, producer: Producer, record: bytes, deliveries: _Deliveries) -> None:
        key = partition_key(record).encode()
        while True:
            try:
                producer.produce(self.topic, value=record, key=key, on_delivery=deliveries.report)
                return
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.1)
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                if error.code() in _TOO_LARGE:
                    deliveries.too_large.append(record)
                    return
                raise SinkError(
                    f"Kafka producer refused a record for topic {self.topic!r}: {error.str()}",
                    hint="check ingestion.kafka.settings",
                ) from exc
