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


def transform_raw_file(content: bytes, source_file: str, source_id: str, settings: BatchSettings) -> BatchOutput:
    """Turn a gzip JSON-lines raw file into rows; every record or event that fails becomes a reject."""
    output = BatchOutput()
    try:
        text = gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content
    except (OSError, EOFError, zlib.error) as exc:
        output.rejects.append(
            _reject(
                settings,
                "invalid_file",
                f"cannot gunzip: {exc}",
                source_id,
                source_file,
                0,
                -1,
                None,
                None,
                content[:65535].decode("latin-1"),
            )
        )
        return output
    process_time = settings.process_time.isoformat()
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for index, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        output.records += 1
        payload = line.decode("utf-8", "replace")
        try:
            record = orjson.loads(line)
            if not isinstance(record, dict):
                raise RejectedInput("invalid_record", "raw record is not a JSON object")
            context = RecordContext.from_record(record, settings.project_id, source_file, process_time)
            events = decode_data(record.get("data"))
        except orjson.JSONDecodeError as exc:
            output.rejects.append(
                _reject(settings, "invalid_record", str(exc), source_id, source_file, index, -1, None, None, payload)
            )
            continue
        except RejectedInput as rejected:
            app_id = record.get("appId") if isinstance(record, dict) else None
            ingest = record.get("ingest_time") if isinstance(record, dict) else None
            output.rejects.append(
                _reject(
                    settings,
                    rejected.reason,
                    rejected.detail,
                    source_id,
                    source_file,
                    index,
                    -1,
                    app_id,
                    ingest,
                    payload,
                )
            )
            continue
        for event_index, event in enumerate(events):
            try:
                row = transform_event(event, context)
                if row["app_id"] not in settings.app_ids:
                    raise RejectedInput("unknown_app", f"app_id {row['app_id']!r} is not configured")
            except RejectedInput as rejected:
                output.rejects.append(
                    _reject(settings, rejected.reason, rejected.detail, source_id, source_file, index, event_index,
                            context.app_id, context.ingest_time_msec, orjson.dumps(event).decode())
                )  # fmt: skip
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


def _reject(
    settings: BatchSettings,
    reason: str,
    detail: str,
    source_id: str,
    source_file: str,
    record_index: int,
    event_index: int,
    app_id: Any,
    ingest_time: Any,
    payload: str,
) -> dict[str, Any]:
    return {
        "reason": reason,
        "detail": detail[:2048],
        "source_id": source_id,
        "source_file": source_file,
        "record_index": record_index,
        "event_index": event_index,
        "app_id": app_id if isinstance(app_id, str) else None,
        "ingest_time_msec": ingest_time if isinstance(ingest_time, int) else None,
        "payload": payload,
        "rejected_at": settings.process_time,
    }
