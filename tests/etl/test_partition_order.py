"""A chunk's rows are grouped by the writer's partitions (app, UTC day), each keeping the input order.

Items are grouped as Python rows (:func:`group_by_partition`); events are routed to a batch per partition
as they are transformed and converted to Arrow batch by batch, which must give exactly the same order.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from clickstream.etl import batch
from clickstream.etl.batch import group_by_partition, transform_lines
from clickstream.etl.settings import TransformSettings

DAY = 86_400_000


def test_rows_of_one_app_are_grouped_by_day_in_input_order() -> None:
    rows = [["a", 2 * DAY, "shop"], ["b", DAY + 5, "shop"], ["c", 2 * DAY + 1, "shop"], ["d", DAY, "shop"]]
    group_by_partition(rows, 1, 2)
    assert [row[0] for row in rows] == ["b", "d", "a", "c"]


def test_rows_of_several_apps_are_grouped_by_app_then_day_in_input_order() -> None:
    rows = [["a", DAY, "web"], ["b", DAY, "shop"], ["c", 0, "web"], ["d", DAY + 1, "shop"], ["e", DAY, "web"]]
    group_by_partition(rows, 1, 2)
    assert [row[0] for row in rows] == ["b", "d", "c", "a", "e"]


SETTINGS = TransformSettings(
    project_id="p", app_ids=frozenset({"shop", "web"}), process_time=datetime(2030, 1, 1, tzinfo=UTC)
)


def _lines(count: int) -> list[bytes]:
    """Records of three events each, alternating apps and going back and forth across days."""
    lines = []
    for record in range(count):
        events = [
            {"event_id": f"e{record}-{index}", "app_id": "shop" if (record + index) % 3 else "web",
             "timestamp": 1_700_000_000_000 + ((record * 7 + index * 5) % 11) * DAY // 2 + record,
             "event_type": "_page_view", "unique_id": f"u{record % 5}", "attributes": {"n": record}}
            for index in range(3)
        ]  # fmt: skip
        raw = {"appId": "shop", "ingest_time": 1_700_000_000_000, "data": orjson.dumps(events).decode()}
        lines.append(orjson.dumps(raw) + b"\n")
    return lines


def test_converting_events_in_batches_gives_the_same_chunks_as_one_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _lines(40)
    whole = list(transform_lines(lines, "raw.jsonl", "src", SETTINGS, chunk_events=50))
    monkeypatch.setattr(batch, "BATCH_ROWS", 7)  # several batches per chunk, and a chunk ending mid-batch
    batched = list(transform_lines(lines, "raw.jsonl", "src", SETTINGS, chunk_events=50))
    assert [chunk.events.num_rows for chunk in batched] == [chunk.events.num_rows for chunk in whole]
    for one, other in zip(whole, batched, strict=True):
        assert other.events.equals(one.events)
        assert other.items.equals(one.items)
        apps, times = other.events.column("app_id").to_pylist(), other.events.column("event_time_msec").to_pylist()
        keys = [(app, time // DAY) for app, time in zip(apps, times, strict=True)]
        assert keys == sorted(keys)  # grouped by partition
        assert len(set(apps)) == 2
    assert sum(chunk.events.num_rows for chunk in whole) == 120


def test_events_converted_in_batches_keep_the_order_of_the_row_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _lines(40)
    monkeypatch.setattr(batch, "BATCH_ROWS", 4)
    [chunk] = list(transform_lines(lines, "raw.jsonl", "src", SETTINGS, chunk_events=10_000))
    rows: list[list[object]] = []
    for line in lines:
        for event in orjson.loads(orjson.loads(line)["data"]):
            rows.append([event["event_id"], event["timestamp"], event["app_id"]])
    group_by_partition(rows, 1, 2)
    assert chunk.events.column("event_id").to_pylist() == [row[0] for row in rows]
