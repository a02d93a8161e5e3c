"""Raw records -> chunks of ``event_v2`` and ``item_v2`` rows (Arrow) plus rejects, streaming.

Pure: takes raw JSON lines, yields Arrow tables. A chunk closes after about ``chunk_events`` events so
memory stays bounded whatever the input size; the runner enriches and writes each chunk before the next.
Every record or event that cannot become a row becomes a reject with its reason, never disappears.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from operator import floordiv, itemgetter
from typing import Any, BinaryIO, cast

import orjson
import pyarrow as pa
from isal import igzip, isal_zlib

from clickstream.contract import EVENT_V2, ITEM_V2, RejectReason
from clickstream.etl.arrow_rows import build_table, truncate_columns
from clickstream.etl.decode import RejectedInput, decode_data
from clickstream.etl.event_slots import EVENT_COLUMNS
from clickstream.etl.gc_pause import gc_paused
from clickstream.etl.settings import TransformSettings
from clickstream.etl.transform import ITEM_COLUMNS, RecordContext, transform_event, transform_items
from clickstream.etl.values import json_text
from clickstream.payload import CHUNK_BYTES, DEFAULT_MAX_DECODED_BYTES

DEFAULT_CHUNK_EVENTS = 20_000
# Events are converted to Arrow every this many rows of one partition (app and day), while their Python
# values are still in the CPU's caches: converting a whole chunk at its end reads every value back from
# memory. Smaller batches pay more per-call overhead. A chunk is still the unit of everything else.
BATCH_ROWS = 1024
# Columns the transform adds for enrichment and reject tracing; never written.
TRANSIENT_COLUMNS: dict[str, pa.DataType] = {
    "_ua": pa.string(),
    "_ip": pa.string(),
    "_traffic_attributes": pa.string(),
    "_user": pa.string(),
    "_record_index": pa.int64(),
    "_event_index": pa.int64(),
}
_ISAL_ERROR = cast(type[Exception], isal_zlib.error)  # untyped in isal's stubs
_GZIP_READER = cast(Callable[..., BinaryIO], igzip.IGzipFile)
_RECORD_INDEX, _EVENT_INDEX = len(EVENT_COLUMNS) - 2, len(EVENT_COLUMNS) - 1


@dataclass
class Chunk:
    """Rows of a run of consecutive raw records, and what was rejected among them."""

    events: pa.Table
    items: pa.Table
    rejects: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0
    lines: dict[int, bytes] = field(default_factory=dict)  # record index -> raw line, to trace later rejects


@dataclass(frozen=True)
class Origin:
    """Where a reject came from: the raw file, the line, and what the record said of itself."""

    source_id: str
    source_file: str
    record_index: int = 0
    record: dict[str, Any] | None = None

    def reject(
        self, settings: TransformSettings, reason: str, detail: str, payload: str, event_index: int = -1
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


class OversizedLine(bytes):
    """Stands for a raw line over the cap, which was skipped unread: the transform rejects it as ``too_large``."""


OVERSIZED_LINE = OversizedLine(b"\n")


def raw_lines(content: bytes | BinaryIO, max_line_bytes: int = DEFAULT_MAX_DECODED_BYTES) -> Iterator[bytes]:
    """Lines of a raw file given as bytes or a seekable binary stream, gunzipped when it is gzip.

    A line longer than ``max_line_bytes`` is read past in chunks and given as :data:`OVERSIZED_LINE`, so one
    line of a file from any writer (a gzip file can inflate a thousandfold) never has to fit in memory.
    """
    stream: BinaryIO = io.BytesIO(content) if isinstance(content, bytes) else content
    head = _peek(stream)
    if head == b"\x1f\x8b":
        # ISA-L's gzip reader inflates faster than the standard library's, with the same bytes (decision 35).
        stream = _GZIP_READER(fileobj=stream)
    readline = stream.readline
    while line := readline(max_line_bytes + 1):
        if len(line) > max_line_bytes and line[-1:] != b"\n":
            while line and line[-1:] != b"\n":
                line = readline(CHUNK_BYTES)
            yield OVERSIZED_LINE
        else:
            yield line


def _peek(stream: BinaryIO) -> bytes:
    position = stream.tell()
    head = stream.read(2)
    stream.seek(position)
    return head


def transform_lines(
    lines: Iterable[bytes],
    source_file: str,
    source_id: str,
    settings: TransformSettings,
    chunk_events: int = DEFAULT_CHUNK_EVENTS,
) -> Iterator[Chunk]:
    """Transform raw JSON lines into chunks; a file that is not valid gzip ends in a ``decode_error`` reject."""
    record_rows: list[list[Any]] = []  # the rows of one record, then routed to their partition's batch
    pending: dict[tuple[str, int], list[list[Any]]] = {}  # per (app, day): rows not yet converted to Arrow
    built: dict[tuple[str, int], list[pa.Table]] = {}  # per (app, day): this chunk's converted batches
    chunk_rows = 0
    items: list[tuple[Any, ...]] = []
    rejects: list[dict[str, Any]] = []
    kept: dict[int, bytes] = {}
    seen_items: set[tuple[Any, Any, Any]] = set()
    records = 0
    index = -1
    with gc_paused():
        iterator = iter(lines)
        while True:
            try:
                line = next(iterator)
            except StopIteration:
                break
            except (OSError, EOFError, zlib.error, _ISAL_ERROR) as exc:
                origin = Origin(source_id, source_file, index + 1)
                detail = f"the file is not readable gzip after line {index + 1}: {exc}"
                rejects.append(origin.reject(settings, RejectReason.DECODE_ERROR, detail, ""))
                break
            index += 1
            if line.__class__ is OversizedLine:
                origin = Origin(source_id, source_file, index)
                detail = f"the raw line is over {settings.payload_limits.max_decoded_bytes} bytes; skipped unread"
                rejects.append(origin.reject(settings, RejectReason.TOO_LARGE, detail, ""))
                records += 1
                continue
            if not line.strip():
                continue
            records += 1
            _transform_record(line, index, source_file, source_id, settings, record_rows, items, rejects)
            if record_rows:
                kept[index] = line
                chunk_rows += len(record_rows)
                for row in record_rows:
                    key = (row[_EVENT_APP], row[_EVENT_TIME] // _DAY_MSEC)
                    batch = pending.get(key)
                    if batch is None:
                        batch = pending[key] = []
                    batch.append(row)
                    if len(batch) >= BATCH_ROWS:
                        table = _event_batch(batch)
                        built.setdefault(key, []).append(table)
                        pending[key] = []
                record_rows.clear()
            if chunk_rows >= chunk_events:
                yield _chunk(built, pending, dedup_items(items, seen_items), rejects, records, kept, settings)
                pending, built, chunk_rows, items, rejects, kept, records = {}, {}, 0, [], [], {}, 0
        if chunk_rows or rejects or records:
            yield _chunk(built, pending, dedup_items(items, seen_items), rejects, records, kept, settings)


def _chunk(
    built: dict[tuple[str, int], list[pa.Table]],
    pending: dict[tuple[str, int], list[list[Any]]],
    items: list[tuple[Any, ...]],
    rejects: list[dict[str, Any]],
    records: int,
    kept: dict[int, bytes],
    settings: TransformSettings,
) -> Chunk:
    """The chunk's events, partition after partition in (app, day) order, each in input order (as
    :func:`group_by_partition` orders rows, so the writer copies nothing), and its items and rejects."""
    truncate = settings.truncate_strings
    tables: list[pa.Table] = []
    for key in sorted(built.keys() | pending.keys()):
        tables += built.get(key, ())
        if pending.get(key):
            tables.append(_event_batch(pending[key]))
    if not tables:
        tables.append(_event_batch([]))
    events = pa.concat_tables(tables)  # batches stay chunks: the writer reads them as they are
    if truncate:  # once per chunk: a check per column and batch costs more than converting a few values
        events = truncate_columns(EVENT_V2, events)
    group_by_partition(items, _ITEM_TIME, _ITEM_APP)
    item_table = build_table(ITEM_V2, ITEM_COLUMNS, items, truncate=truncate)
    return Chunk(events, item_table, rejects, records, kept)


def _event_batch(rows: list[list[Any]]) -> pa.Table:
    """Event rows as Arrow, strings not cut yet (:func:`truncate_columns` cuts a whole chunk at once)."""
    return build_table(EVENT_V2, EVENT_COLUMNS, rows, TRANSIENT_COLUMNS, truncate=False)


_DAY_MSEC = 86_400_000
_EVENT_TIME, _EVENT_APP = EVENT_COLUMNS.index("event_timestamp"), EVENT_COLUMNS.index("app_id")
_ITEM_TIME, _ITEM_APP = ITEM_COLUMNS.index("event_timestamp"), ITEM_COLUMNS.index("app_id")


def group_by_partition(rows: list[Any], time_slot: int, app_slot: int) -> None:
    """Stable-sort rows by (app, UTC day of the event time): the writer's partitions, each kept in input order.

    Moving list pointers here costs far less than the writer reordering every built Arrow column (``take``),
    and the output files hold the same rows in the same order either way.
    """
    count = len(rows)
    if count < 2:
        return
    # C-level loops (map, count, sorted) over the two values each row is grouped on.
    apps = list(map(itemgetter(app_slot), rows))
    days = list(map(floordiv, map(itemgetter(time_slot), rows), repeat(_DAY_MSEC, count)))
    if apps.count(apps[0]) == count:
        if days == sorted(days):
            return
        keys: list[Any] = days
    else:
        keys = list(zip(apps, days, strict=True))
    order = sorted(range(count), key=keys.__getitem__)  # stable: each partition keeps the input order
    rows[:] = map(rows.__getitem__, order)


def _transform_record(
    line: bytes,
    index: int,
    source_file: str,
    source_id: str,
    settings: TransformSettings,
    rows: list[list[Any]],
    items: list[tuple[Any, ...]],
    rejects: list[dict[str, Any]],
) -> None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        detail = f"raw record is not JSON: {exc}"
        rejects.append(
            Origin(source_id, source_file, index).reject(settings, RejectReason.CORRUPT_JSON, detail, _line_text(line))
        )
        return
    if record.__class__ is not dict:
        detail = "raw record is not a JSON object"
        rejects.append(
            Origin(source_id, source_file, index).reject(settings, RejectReason.CORRUPT_JSON, detail, _line_text(line))
        )
        return
    try:
        events = decode_data(record.get("data"), settings.payload_limits)
    except RejectedInput as rejected:
        origin = Origin(source_id, source_file, index, record)
        rejects.append(origin.reject(settings, rejected.reason, rejected.detail, _line_text(line)))
        return
    context = RecordContext(record, source_file, settings)
    for event_index, event in enumerate(events):
        try:
            row = transform_event(event, context, settings)
        except RejectedInput as rejected:
            payload = json_text(event)  # an event nested deeper than orjson writes is still kept
            origin = Origin(source_id, source_file, index, record)
            rejects.append(origin.reject(settings, rejected.reason, rejected.detail, payload, event_index))
            continue
        row[_RECORD_INDEX] = index
        row[_EVENT_INDEX] = event_index
        rows.append(row)
        if "items" in event:
            items.extend(transform_items(event, row, settings.job_info, settings.truncate_strings))


def _line_text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\n")


def event_payload(line: bytes, event_index: int) -> str:
    """The SDK event at ``event_index`` of a raw line, as JSON text (for rejects after the transform)."""
    try:
        return json_text(decode_data(orjson.loads(line).get("data"))[event_index])
    except (orjson.JSONDecodeError, RejectedInput, IndexError, AttributeError):
        return _line_text(line)


def dedup_items(items: list[tuple[Any, ...]], seen: set[tuple[Any, Any, Any]]) -> list[tuple[Any, ...]]:
    """First row of each ``(event_id, user_pseudo_id, item_id)`` not in ``seen`` (which it extends), as the
    original's item dedup; ``seen`` spans the whole input so chunking does not change the result."""
    unique = []
    for item in items:
        key = (item[1], item[4], item[6])
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
