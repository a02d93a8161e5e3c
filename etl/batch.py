"""One raw file -> table rows and rejects: decode, transform, split into tables.

Pure: takes bytes, returns rows. The runner decides where they are written.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from clickstream.contract import RejectReason
from etl.decode import RejectedInput, decode_data
from etl.transform import RecordContext, transform_event, transform_items
from etl.users import build_users


@dataclass
class BatchOutput:
    """Rows per processed table and the rejects of one input."""

    events: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0


@dataclass(frozen=True)
class BatchSettings:
    """What the transform needs to know beyond the data."""

    project_id: str
    app_ids: frozenset[str]
    process_time: datetime


@dataclass(frozen=True)
class _Origin:
    """Where a reject came from: the raw file, the line, and what the record said of itself."""

    source_id: str
    source_file: str
    record_index: int = 0
    record: dict[str, Any] | None = None

    def reject(
        self, settings: BatchSettings, reason: str, detail: str, payload: str, event_index: int = -1
    ) -> dict[str, Any]:
        record = self.record or {}
        rid, app_id, ingest = record.get("rid"), record.get("appId"), record.get("ingest_time")
        return {
            "reason": str(reason),
            "detail": detail[:2048],
            "source_id": self.source_id,
            "source_file": self.source_file,
            "record_index": self.record_index,
            "event_index": event_index,
            "rid": rid if isinstance(rid, str) else None,
            "app_id": app_id if isinstance(app_id, str) else None,
            "ingest_time_msec": ingest if isinstance(ingest, int) and not isinstance(ingest, bool) else None,
            "payload": payload,
            "rejected_at": settings.process_time,
        }


def transform_raw_file(content: bytes, source_file: str, source_id: str, settings: BatchSettings) -> BatchOutput:
    """Turn a gzip JSON-lines raw file into rows; every record or event that fails becomes a reject."""
    output = BatchOutput()
    try:
        text = gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content
    except (OSError, EOFError, zlib.error) as exc:
        origin = _Origin(source_id, source_file)
        output.rejects.append(
            origin.reject(settings, RejectReason.DECODE_ERROR, f"cannot gunzip: {exc}", content.decode("latin-1"))
        )
        return output
    process_time = settings.process_time.isoformat()
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for index, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        output.records += 1
        origin = _Origin(source_id, source_file, index)
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            detail = f"raw record is not JSON: {exc}"
            output.rejects.append(
                origin.reject(settings, RejectReason.CORRUPT_JSON, detail, line.decode("utf-8", "replace"))
            )
            continue
        if not isinstance(record, dict):
            detail = "raw record is not a JSON object"
            output.rejects.append(
                origin.reject(settings, RejectReason.CORRUPT_JSON, detail, line.decode("utf-8", "replace"))
            )
            continue
        origin = _Origin(source_id, source_file, index, record)
        try:
            events = decode_data(record.get("data"))
        except RejectedInput as rejected:
            output.rejects.append(
                origin.reject(settings, rejected.reason, rejected.detail, line.decode("utf-8", "replace"))
            )
            continue
        context = RecordContext.from_record(record, settings.project_id, source_file, process_time)
        for event_index, event in enumerate(events):
            try:
                row = transform_event(event, context)
                if row["app_id"] not in settings.app_ids:
                    raise RejectedInput(RejectReason.UNKNOWN_APP, f"app_id {row['app_id']!r} is not configured")
            except RejectedInput as rejected:
                payload = orjson.dumps(event).decode()
                output.rejects.append(origin.reject(settings, rejected.reason, rejected.detail, payload, event_index))
                continue
            pairs.append((event, row))
            output.events.append(row)
            output.items.extend(transform_items(event, row))
    output.items = _dedup_items(output.items)
    output.users = build_users(pairs)
    return output


def _dedup_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for item in items:
        key = (item["event_id"], item["user_pseudo_id"], item["item_id"])
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
