"""A DuckDB query over its time limit is cancelled (its threads freed), not just abandoned."""

from __future__ import annotations

import time

import duckdb
import pytest

from clickstream.config import Config
from clickstream.serving import snapshot_path
from clickstream.studio.deadline import QueryTimeout, interrupt_after
from clickstream.studio.snapshot import SnapshotReader

SLOW = "select count(*) from range(100000000000) a, range(10) b where (a + b) % 7 = 3"


def test_a_query_over_the_limit_is_interrupted_and_reported() -> None:
    cursor = duckdb.connect(":memory:").cursor()
    started = time.monotonic()
    refused = pytest.raises(QueryTimeout, match=r"longer than 0\.3 s .*studio\.query_timeout_seconds")
    with refused, interrupt_after(cursor, 0.3):
        cursor.execute(SLOW).fetchall()
    assert time.monotonic() - started < 30  # cancelled, not run to the end (hours)
    assert cursor.execute("select 42").fetchall() == [(42,)]  # the cursor is usable again


def test_a_query_within_the_limit_is_untouched() -> None:
    cursor = duckdb.connect(":memory:").cursor()
    with interrupt_after(cursor, 30):
        assert cursor.execute("select 1 + 1").fetchall() == [(2,)]
    time.sleep(0.05)
    assert cursor.execute("select 3").fetchall() == [(3,)]


def test_the_snapshot_reader_cancels_a_query_over_the_studios_time_limit(studio_config: Config) -> None:
    reader = SnapshotReader(snapshot_path(studio_config), timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        reader.query(SLOW)
    assert time.monotonic() - started < 30
    assert reader.query("select count(*) as n from events").rows[0]["n"] > 0  # the next query runs as usual
