"""The ``local`` sink: raw files under the storage root, written atomically."""

from __future__ import annotations

from dataclasses import dataclass

from clickstream.ingestion.sinks.base import SegmentBatch
from clickstream.storage import Storage


@dataclass
class StorageSink:
    """Writes each batch as one gzip JSON-lines file through :class:`Storage` (temporary name, fsync, rename)."""

    storage: Storage

    def put_segment(self, batch: SegmentBatch) -> None:
        self.storage.write_bytes(batch.key, batch.gzipped())
