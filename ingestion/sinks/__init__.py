"""Sinks: where the shipper puts sealed write-ahead-log segments.

``local`` writes gzip JSON-lines raw files under ``<home>/raw``; ``s3`` writes the same files as S3
objects; ``kinesis`` and ``kafka`` send one record or message per raw record. :func:`build_sink`
picks the one ``ingestion.sink`` names. Client libraries are imported only for the sink in use.
"""

from __future__ import annotations

from clickstream.config import Config
from clickstream.errors import SinkError
from clickstream.ingestion.sinks.base import UNDELIVERABLE_DIR, SegmentBatch, Sink
from clickstream.ingestion.sinks.local import StorageSink
from clickstream.storage import Storage

__all__ = ["UNDELIVERABLE_DIR", "SegmentBatch", "Sink", "StorageSink", "build_sink"]


def build_sink(config: Config) -> Sink:
    """The sink ``config.ingestion.sink`` names, set up from its section (validated by the config)."""
    ingestion = config.ingestion
    home = Storage(config.storage_root)
    if ingestion.sink == "local":
        return StorageSink(home)
    if ingestion.sink == "s3" and ingestion.s3 is not None:
        from clickstream.ingestion.sinks.s3 import S3Sink

        return S3Sink.from_config(ingestion.s3)
    if ingestion.sink == "kinesis" and ingestion.kinesis is not None:
        from clickstream.ingestion.sinks.kinesis import KinesisSink

        return KinesisSink.from_config(ingestion.kinesis, overflow=home)
    if ingestion.sink == "kafka" and ingestion.kafka is not None:
        from clickstream.ingestion.sinks.kafka import KafkaSink

        return KafkaSink.from_config(ingestion.kafka, overflow=home)
    raise SinkError(
        f"ingestion.sink is {ingestion.sink!r} but ingestion.{ingestion.sink} is missing",
        hint=f"add an ingestion.{ingestion.sink} section (see docs/configuration.md)",
    )
