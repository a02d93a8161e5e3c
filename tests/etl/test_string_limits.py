"""Strings are cut to their column's ``varchar(n)`` size in bytes (the original's max-length rule), never
splitting a character, whether a chunk was converted to Arrow in one batch or in several."""

from __future__ import annotations

import orjson
import pytest

from clickstream.etl import batch
from clickstream.etl.process import process_content
from tests.support.etl import make_job

TITLE = "é" * 1500  # 3,000 bytes of two-byte characters; page_view_page_title is varchar(2048)


def _content(count: int) -> bytes:
    lines = []
    for index in range(count):
        event = {"event_id": f"e{index}", "app_id": "shop", "timestamp": 1_700_000_000_000 + index,
                 "event_type": "_page_view", "unique_id": "u1",
                 "attributes": {"_page_title": TITLE if index % 2 else "short"}}  # fmt: skip
        record = {"appId": "shop", "ingest_time": 1_700_000_000_000, "data": orjson.dumps([event]).decode()}
        lines.append(orjson.dumps(record))
    return b"\n".join(lines)


@pytest.mark.parametrize("batch_rows", [1, 3, 1024])
def test_a_string_longer_than_its_column_is_cut_at_a_character_boundary(
    monkeypatch: pytest.MonkeyPatch, batch_rows: int
) -> None:
    monkeypatch.setattr(batch, "BATCH_ROWS", batch_rows)
    output = process_content(_content(8), "raw.jsonl", "test", make_job(("shop",), freshness_hours=None))
    titles = output.events.column("page_view_page_title").to_pylist()
    assert titles[::2] == ["short"] * 4
    assert titles[1::2] == ["é" * 1024] * 4  # 2,048 bytes


def test_strings_are_kept_whole_when_truncation_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "BATCH_ROWS", 3)
    job = make_job(("shop",), freshness_hours=None, truncate_strings=False)
    output = process_content(_content(8), "raw.jsonl", "test", job)
    assert output.events.column("page_view_page_title").to_pylist()[1::2] == [TITLE] * 4
