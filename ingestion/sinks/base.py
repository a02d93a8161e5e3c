"""What every sink receives and promises.

The shipper hands a sink one sealed log segment at a time as a :class:`SegmentBatch`: the raw records
(JSON lines, exactly as the write-ahead log holds them) and the raw-file key they ship under. File
sinks (local, S3) store the batch as one gzip JSON-lines file at that key; record sinks (Kinesis,
Kafka) send each line as its own record. Either way :meth:`Sink.put_segment` returns only once the
destination has confirmed every record, and raises otherwise, because the shipper deletes the
segment as soon as it returns.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

import orjson
from isal import igzip

from clickstream.storage import Storage

UNDELIVERABLE_DIR = "undeliverable"
"""Folder under home for records a record sink's destination can never accept (too large)."""

logger = logging.getLogger("clickstream.ingestion.sinks")


@dataclass(frozen=True)
class SegmentBatch:
    """The records of one sealed log segment and the raw-file key they ship under.

    ``key`` is ``raw/year=/month=/day=/hour=/<worker>-<segment>.jsonl.gz`` and depends only on the
    segment, so shipping the same segment again after a crash targets the same name.
    """

    key: PurePosixPath
    content: bytes  # newline-terminated JSON lines
    known_count: int | None = None  # the number of lines, when the log knows it (saves counting them)

    def records(self) -> list[bytes]:
        """Each raw record's JSON text, without its newline."""
        lines = self.content.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        return lines

    @property
    def record_count(self) -> int:
        if self.known_count is not None:
            return self.known_count
        return self.content.count(b"\n") + (0 if self.content.endswith(b"\n") or not self.content else 1)

    def gzipped(self) -> bytes:
        """The raw file: the content as gzip, as the ETL and the original's S3 sink expect.

        No timestamp in the gzip header, so a re-ship writes byte-identical files. Made with ISA-L: mobile
        SDK bodies are base64 of gzip, which zlib compresses slowly enough to cost more CPU than serving
        the requests; ISA-L writes standard gzip of the same size far quicker (decision 15,
        docs/performance.md#decision-15).
        """
        return igzip.compress(self.content, compresslevel=2, mtime=0)


def partition_key(record: bytes) -> str:
    """The record's request id (random, so load spreads evenly over shards), else a hash of the record."""
    try:
        rid = orjson.loads(record).get("rid")
    except (orjson.JSONDecodeError, AttributeError):
        rid = None
    if isinstance(rid, str) and 0 < len(rid) <= 256:
        return rid
    return hashlib.sha1(record, usedforsecurity=False).hexdigest()


class Sink(Protocol):
    """Where sealed segments go. ``put_segment`` must be durable (confirmed) when it returns."""

    def put_segment(self, batch: SegmentBatch) -> None: ...


def set_aside(storage: Storage, sink: str, batch: SegmentBatch, records: list[bytes], limit: int) -> PurePosixPath:
    """Keep records the destination refuses for their size under ``undeliverable/<sink>/<raw key>``.

    Dropping them would break the promise of a 200, and retrying them would block every later
    segment, so they are written locally in the raw-file format (an operator can move them into
    ``raw/`` for the ETL) and logged. The name derives from the batch's key, so a re-ship rewrites it.
    """
    key = PurePosixPath(UNDELIVERABLE_DIR, sink) / batch.key
    storage.write_bytes(key, gzip.compress(b"".join(record + b"\n" for record in records), compresslevel=6, mtime=0))
    logger.error(
        "records too large for the sink were set aside",
        extra={"sink": sink, "records": len(records), "limit_bytes": limit, "path": storage.path(key)},
    )
    return key
