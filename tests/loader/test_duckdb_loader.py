"""Loading processed Parquet into DuckDB: every file exactly once, the ledger beside the rows."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from clickstream.config import Config, parse_config
from clickstream.contract import EVENT_V2, REJECTED, Column, Table, processed_file, rejected_file, rows_to_arrow
from clickstream.errors import LockBusy, WarehouseError
from clickstream.loader.duckdb_warehouse import DuckDBWarehouse
from clickstream.loader.runner import LoadResult, run_load
from clickstream.storage import Storage


def event_row(event_id: str) -> dict[str, Any]:
    moment = datetime(2024, 5, 1, 12, tzinfo=UTC)
    return {"event_timestamp": moment, "event_id": event_id, "event_time_msec": int(moment.timestamp() * 1000),
            "event_name": "_page_view", "project_id": "p", "app_id": "shop", "user_pseudo_id": "u1",
            "custom_parameters": {"k": {"value": "v", "type": "string"}}}  # fmt: skip


def write_events(home: Path, source_id: str, *event_ids: str) -> None:
    path = processed_file("event_v2", "shop", datetime(2024, 5, 1).date(), source_id)
    Storage(home).write_parquet(path, rows_to_arrow(EVENT_V2, [event_row(e) for e in event_ids]))


def config_for(home: Path, **warehouse: object) -> Config:
    return parse_config({"home": str(home), "warehouse": {"path": str(home / "wh.duckdb"), **warehouse}}, home)


def load(home: Path, **warehouse: object) -> LoadResult:
    return run_load(config_for(home, **warehouse))


def count(warehouse: Path, sql: str) -> int:
    with duckdb.connect(str(warehouse)) as connection:
        row = connection.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_new_files_are_loaded_with_a_ledger_entry_each(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a", "b")
    write_events(tmp_path, "in-2", "c")
    result = load(tmp_path)
    assert (result.files["event_v2"], result.rows["event_v2"]) == (2, 3)
    assert count(tmp_path / "wh.duckdb", "select count(*) from ods.event_v2") == 3
    assert (
        count(tmp_path / "wh.duckdb", "select sum(row_count) from ods._loaded_files where table_name = 'event_v2'") == 3
    )


def test_a_second_load_with_nothing_new_loads_nothing(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a")
    load(tmp_path)
    again = load(tmp_path)
    assert (again.total_files, again.already_loaded) == (0, 1)
    assert count(tmp_path / "wh.duckdb", "select count(*) from ods.event_v2") == 1


def test_only_files_that_arrived_since_are_loaded(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a")
    load(tmp_path)
    write_events(tmp_path, "in-2", "b")
    assert load(tmp_path).rows["event_v2"] == 1
    assert count(tmp_path / "wh.duckdb", "select count(distinct event_id) from ods.event_v2") == 2


def test_a_failed_load_leaves_neither_rows_nor_ledger_entries(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a")
    index = EVENT_V2.schema.get_field_index("event_name")
    loose = EVENT_V2.schema.set(index, EVENT_V2.schema.field(index).with_nullable(True))
    bad = pa.Table.from_pylist([{**event_row("b"), "event_name": None}], schema=loose)  # violates NOT NULL
    Storage(tmp_path).write_parquet(processed_file("event_v2", "shop", datetime(2024, 5, 1).date(), "in-2"), bad)
    with pytest.raises(WarehouseError, match="event_name"):
        load(tmp_path)
    assert count(tmp_path / "wh.duckdb", "select count(*) from ods.event_v2") == 0
    assert count(tmp_path / "wh.duckdb", "select count(*) from ods._loaded_files") == 0


def test_an_unreadable_file_is_named_in_the_error(tmp_path: Path) -> None:
    broken = tmp_path / "processed" / "event_v2" / "partition_app=shop" / "broken.parquet"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(WarehouseError, match=r"broken\.parquet is not a readable Parquet file"):
        load(tmp_path)


def test_a_column_the_contract_gains_is_added_and_nothing_is_lost(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb", "ods")
    narrow = Table("t", "test", (Column("a", pa.string(), "varchar(255)", "a"),), key=("a",))
    wide = Table("t", "test", (*narrow.columns, Column("b", pa.int64(), "bigint", "b")), key=("a",))
    with warehouse.connect() as connection:
        warehouse.ensure_tables([narrow])
        connection.execute("insert into ods.t (a) values ('kept')")
        warehouse.ensure_tables([wide])
        assert connection.execute("select a, b from ods.t").fetchall() == [("kept", None)]


def test_rejected_records_load_into_their_own_table(tmp_path: Path) -> None:
    reject = {"reason": "corrupt_json", "source_id": "in-1", "source_file": "raw/x", "record_index": 0,
              "event_index": -1, "payload": "{", "rejected_at": datetime(2024, 5, 1, tzinfo=UTC)}  # fmt: skip
    Storage(tmp_path).write_parquet(rejected_file("corrupt_json", "in-1"), rows_to_arrow(REJECTED, [reject]))
    result = load(tmp_path)
    assert result.rows["rejected"] == 1
    assert count(tmp_path / "wh.duckdb", "select count(*) from ods.rejected where reason = 'corrupt_json'") == 1


def test_the_ledger_records_each_files_checksum_and_rows(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a", "b")
    load(tmp_path)
    path = processed_file("event_v2", "shop", datetime(2024, 5, 1).date(), "in-1")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:
        row = connection.execute("select sha256, row_count, size_bytes from ods._loaded_files").fetchone()
    content = (tmp_path / path).read_bytes()
    assert row == (hashlib.sha256(content).hexdigest(), 2, len(content))


def test_a_reprocessed_file_replaces_its_own_rows_and_no_others(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a", "b")
    write_events(tmp_path, "in-2", "c")
    load(tmp_path)
    write_events(tmp_path, "in-1", "a2")  # the ETL re-processed in-1: same path, new content
    result = load(tmp_path)
    assert (result.files["event_v2"], result.replaced, result.already_loaded) == (1, 1, 1)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:
        ids = connection.execute("select event_id from ods.event_v2 order by event_id").fetchall()
        ledger = connection.execute("select sum(row_count), count(*) from ods._loaded_files").fetchone()
    assert ids == [("a2",), ("c",)]
    assert ledger == (2, 2)


def test_a_file_rewritten_with_the_same_content_is_not_loaded_and_its_new_time_is_recorded(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a")
    load(tmp_path)
    path = tmp_path / processed_file("event_v2", "shop", datetime(2024, 5, 1).date(), "in-1")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    again = load(tmp_path)
    assert (again.total_files, again.replaced, again.already_loaded) == (0, 0, 1)
    assert count(tmp_path / "wh.duckdb", "select count(*) from ods.event_v2") == 1
    assert count(tmp_path / "wh.duckdb", "select modified_ns from ods._loaded_files") == path.stat().st_mtime_ns


def test_a_same_size_rewrite_with_other_content_is_replaced(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a")
    load(tmp_path)
    path = tmp_path / processed_file("event_v2", "shop", datetime(2024, 5, 1).date(), "in-1")
    size = path.stat().st_size
    write_events(tmp_path, "in-1", "b")
    assert path.stat().st_size == size
    assert load(tmp_path).replaced == 1
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:
        assert connection.execute("select event_id from ods.event_v2").fetchall() == [("b",)]


def test_rows_of_a_file_the_etl_deleted_leave_the_warehouse(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a", "b")
    write_events(tmp_path, "in-2", "c")
    load(tmp_path)
    (tmp_path / processed_file("event_v2", "shop", datetime(2024, 5, 1).date(), "in-1")).unlink()
    result = load(tmp_path)
    assert (result.vanished, result.rows_removed) == (1, 2)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:
        assert connection.execute("select event_id from ods.event_v2").fetchall() == [("c",)]
        assert connection.execute("select count(*) from ods._loaded_files").fetchone() == (1,)


def test_a_data_root_without_any_processed_file_is_refused_not_emptied(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a")
    load(tmp_path)
    (tmp_path / processed_file("event_v2", "shop", datetime(2024, 5, 1).date(), "in-1")).unlink()
    with pytest.raises(WarehouseError, match="holds no processed files, but the warehouse has 1 loaded"):
        load(tmp_path)
    assert count(tmp_path / "wh.duckdb", "select count(*) from ods.event_v2") == 1


def test_files_written_before_the_contract_gained_a_column_still_load(tmp_path: Path) -> None:
    old = rows_to_arrow(EVENT_V2, [event_row("a")]).drop_columns(["event_value"])  # an older ETL's file
    Storage(tmp_path).write_parquet(processed_file("event_v2", "shop", datetime(2024, 5, 1).date(), "in-1"), old)
    assert load(tmp_path).rows["event_v2"] == 1
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:
        assert connection.execute("select event_id, event_value from ods.event_v2").fetchall() == [("a", None)]


def test_file_names_with_glob_characters_load_only_themselves(tmp_path: Path) -> None:
    write_events(tmp_path, "in[1]", "a")
    write_events(tmp_path, "in1", "b")
    write_events(tmp_path, "in*", "c")
    assert load(tmp_path).rows["event_v2"] == 3
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:
        rows = connection.execute("select _source_file, event_id from ods.event_v2 order by event_id").fetchall()
    assert [(name.rsplit("/", 1)[1], event) for name, event in rows] == [
        ("in[1].parquet", "a"), ("in1.parquet", "b"), ("in*.parquet", "c"),
    ]  # fmt: skip


def test_a_ledger_from_before_change_detection_keeps_loading(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:  # the ledger as the first loader made it
        connection.execute("create schema ods")
        connection.execute(
            "create table ods._loaded_files (path varchar primary key, table_name varchar not null, "
            "size_bytes bigint not null, sha256 varchar not null, row_count bigint not null, "
            "load_id varchar not null, loaded_at timestamp with time zone not null)"
        )
    write_events(tmp_path, "in-1", "a")
    assert load(tmp_path).rows["event_v2"] == 1
    assert load(tmp_path).total_files == 0


def test_a_second_loader_gives_up_cleanly_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a")
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb", "ods")
    with warehouse.load_lock(0), pytest.raises(LockBusy, match=rf"a load is already running \(pid {os.getpid()}"):
        load(tmp_path, lock_timeout_seconds=0.2)
    assert not (tmp_path / "wh.duckdb").exists()  # it gave up before touching the warehouse


def test_a_waiting_loader_loads_once_the_first_finishes(tmp_path: Path) -> None:
    write_events(tmp_path, "in-1", "a")
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb", "ods")
    results: list[LoadResult] = []
    with warehouse.load_lock(0):
        waiting = threading.Thread(target=lambda: results.append(load(tmp_path, lock_timeout_seconds=30)))
        waiting.start()
        time.sleep(0.3)
        assert not results  # still waiting
    waiting.join(timeout=30)
    assert results[0].rows["event_v2"] == 1


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    lock_file = tmp_path / "wh.duckdb.load.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock_file)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()  # SIGKILL: no chance to clean up
    holder.wait()
    write_events(tmp_path, "in-1", "a")
    assert load(tmp_path, lock_timeout_seconds=0).rows["event_v2"] == 1


HOLD_LOCK = """
import sys, time
from pathlib import Path
from clickstream.locks import exclusive_lock
with exclusive_lock(Path(sys.argv[1]), 0, "a load"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_rejects_that_all_vanished_after_a_re_processing_leave_the_warehouse(tmp_path: Path) -> None:
    reject = {"reason": "bot", "source_id": "in-1", "source_file": "raw/x", "record_index": 0,
              "event_index": 0, "payload": "{}", "rejected_at": datetime(2024, 5, 1, tzinfo=UTC)}  # fmt: skip
    Storage(tmp_path).write_parquet(rejected_file("bot", "in-1"), rows_to_arrow(REJECTED, [reject]))
    write_events(tmp_path, "in-1", "a")
    load(tmp_path)
    (tmp_path / rejected_file("bot", "in-1")).unlink()  # bots are now flagged, not rejected
    write_events(tmp_path, "in-1", "a", "bot-event")
    result = load(tmp_path)
    assert (result.vanished, result.rows_removed, result.replaced) == (1, 1, 1)
    assert count(tmp_path / "wh.duckdb", "select count(*) from ods.rejected") == 0
