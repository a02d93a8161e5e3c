"""The shipper: sealed log segments -> the sink (raw files, or records in a stream).

A segment is deleted only after the sink confirmed it, so a crash between the two ships it again:
file sinks rewrite the same name (the raw file's name derives from the segment's), record sinks send
the records again (at least once).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from clickstream.contract import RAW_FILE_SUFFIX, raw_partition
from clickstream.ingestion.sinks.base import SegmentBatch, Sink
from clickstream.ingestion.sinks.local import StorageSink
from clickstream.ingestion.wal import segment_opened_ms

__all__ = ["Sink", "StorageSink", "raw_path_for", "ship_segments"]


def raw_path_for(segment: Path, worker: str) -> PurePosixPath:
    """Raw file path of a segment: hour folder from when it opened, name from worker and segment."""
    opened = datetime.fromtimestamp(segment_opened_ms(segment) / 1000, UTC)
    return raw_partition(opened) / f"{worker}-{segment.stem}{RAW_FILE_SUFFIX}"


def ship_segments(segments: list[Path], sink: Sink, worker: str, known_counts: Mapping[str, int] | None = None) -> int:
    """Ship each segment, then delete it; returns the number of records shipped.

    ``known_counts`` (segment file name to records, from :attr:`WriteAheadLog.sealed_records`) saves
    counting the lines of a segment the log sealed itself, a second pass over every byte the log already
    wrote. Segments found at start-up are counted.
    """
    records = 0
    for segment in segments:
        count = known_counts.get(segment.name) if known_counts is not None else None
        batch = SegmentBatch(raw_path_for(segment, worker), segment.read_bytes(), count)
        sink.put_segment(batch)  # returns only once the sink holds every record
        segment.unlink()
        records += batch.record_count
    return records
