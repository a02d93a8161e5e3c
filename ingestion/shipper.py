"""The shipper: sealed log segments -> gzip JSON-lines raw files in the sink.

A segment is deleted only after the sink holds its file, so a crash between the two ships it again to
the same name (the raw file's name derives from the segment's), never losing or duplicating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

from isal import igzip

from clickstream.contract import RAW_FILE_SUFFIX, raw_partition
from clickstream.storage import Storage
from ingestion.wal import segment_opened_ms


class Sink(Protocol):
    """Where raw files go. ``put`` must be durable when it returns."""

    def put(self, relative_path: PurePosixPath, data: bytes) -> None: ...


@dataclass
class StorageSink:
    """The ``local`` sink (and S3 through the same storage interface)."""

    storage: Storage

    def put(self, relative_path: PurePosixPath, data: bytes) -> None:
        self.storage.write_bytes(relative_path, data)


def raw_path_for(segment: Path, worker: str) -> PurePosixPath:
    """Raw file path of a segment: hour folder from when it opened, name from worker and segment."""
    opened = datetime.fromtimestamp(segment_opened_ms(segment) / 1000, UTC)
    return raw_partition(opened) / f"{worker}-{segment.stem}{RAW_FILE_SUFFIX}"


def compress_raw(content: bytes) -> bytes:
    """Standard gzip, made with ISA-L: about ten times zlib's speed at the same size for SDK bodies.

    Mobile SDK bodies are base64 of gzip, which zlib compresses at only 40-50 MB/s a core; at
    thousands of requests a second that would cost more CPU than serving them.
    """
    return igzip.compress(content, compresslevel=2)


def ship_segments(segments: list[Path], sink: Sink, worker: str) -> int:
    """Ship each segment, then delete it; returns the number of records shipped."""
    records = 0
    for segment in segments:
        content = segment.read_bytes()
        records += content.count(b"\n")
        sink.put(raw_path_for(segment, worker), compress_raw(content))
        segment.unlink()
    return records
