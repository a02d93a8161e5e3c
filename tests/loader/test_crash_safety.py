"""`kill -9` the loader at random points, again and again: every row still ends up loaded exactly once."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from clickstream.contract import EVENT_V2, ITEM_V2, processed_file, rows_to_arrow
from clickstream.locks import exclusive_lock
from clickstream.storage import Storage
from tests.loader.test_duckdb_loader import event_row

pytestmark = pytest.mark.slow

FILES = 240
KILLS_WANTED = 20  # kills that land between two commits of a load
MAX_RUNS = 200


def item_row(event_id: str, item_id: str) -> dict[str, object]:
    row = event_row(event_id)
    return {key: row[key] for key in ("event_timestamp", "event_id", "event_name", "project_id", "app_id",
                                      "user_pseudo_id")} | {"item_id": item_id}  # fmt: skip


def write_processed(home: Path) -> int:
    """FILES event files and as many item files, 1 to 40 rows each; returns the rows written."""
    rng = random.Random(7)
    storage = Storage(home)
    rows = 0
    for number in range(FILES):
        day = date(2024, 5, 1 + number % 28)
        events = [event_row(f"e{number}-{index}") for index in range(rng.randint(1, 40))]
        storage.write_parquet(processed_file("event_v2", "shop", day, f"in-{number}"), rows_to_arrow(EVENT_V2, events))
        items = [item_row(f"e{number}-{index}", f"i{index}") for index in range(rng.randint(1, 40))]
        storage.write_parquet(processed_file("item_v2", "shop", day, f"in-{number}"), rows_to_arrow(ITEM_V2, items))
        rows += len(events) + len(items)
    return rows


def file_rows(home: Path) -> dict[str, int]:
    storage = Storage(home)
    return {
        stored.path: pq.ParquetFile(storage.path(stored.path)).metadata.num_rows
        for stored in storage.list_files("processed", ".parquet")
    }


def assert_rows_match_the_ledger(warehouse: Path) -> None:
    """Whatever was committed: each ledger entry's rows are in the table once, and no row lacks an entry."""
    with duckdb.connect(str(warehouse)) as connection:
        created = {row[0] for row in connection.execute("select table_name from information_schema.tables").fetchall()}
        if not created:
            return  # killed before the first transaction (the tables' creation) committed
        for table in ("event_v2", "item_v2"):
            mismatches = connection.execute(
                f"""with loaded as (select _source_file, count(*) as n from ods.{table} group by all)
                select coalesce(ledger.path, loaded._source_file), ledger.row_count, loaded.n
                from (select * from ods._loaded_files where table_name = ?) as ledger
                full join loaded on ledger.path = loaded._source_file
                where ledger.row_count is distinct from loaded.n""",
                [table],
            ).fetchall()
            assert mismatches == [], f"{table}: rows without a ledger entry or vice versa: {mismatches[:3]}"


def ledger_entries(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse)) as connection:
        tables = connection.execute("select count(*) from information_schema.tables where table_name = '_loaded_files'")
        if tables.fetchone() != (1,):
            return 0
        row = connection.execute("select count(*) from ods._loaded_files").fetchone()
    return int(row[0]) if row else 0


def assert_everything_loaded_once(home: Path, warehouse: Path, written: int) -> None:
    assert_rows_match_the_ledger(warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        loaded = connection.execute(
            "select (select count(*) from ods.event_v2) + (select count(*) from ods.item_v2)"
        ).fetchone()
        ledger = dict(connection.execute("select path, row_count from ods._loaded_files").fetchall())
    assert loaded == (written,)
    assert ledger == file_rows(home)


def test_random_kill_9s_during_loads_leave_every_row_loaded_exactly_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    written = write_processed(home)
    config_file = tmp_path / "clickstream.yml"
    warehouse = home / "warehouse.duckdb"
    config_file.write_text(yaml.safe_dump({"home": str(home), "warehouse": {"files_per_transaction": 1}}))
    command = [sys.executable, "-m", "clickstream", "--config", str(config_file), "load"]
    rng = random.Random(11)

    kills = completed = mid_load = 0
    for _ in range(MAX_RUNS):
        if mid_load >= KILLS_WANTED:
            break
        loader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.5, 2.5))  # start-up takes about a second: most kills land mid-load
        if loader.poll() is None:
            loader.kill()  # SIGKILL
            loader.wait()
            kills += 1
            if warehouse.exists():
                assert_rows_match_the_ledger(warehouse)
                mid_load += 0 < ledger_entries(warehouse) < 2 * FILES  # some batches committed, not all
            continue
        assert loader.returncode == 0, loader.stderr.read() if loader.stderr else ""
        # A run outlived its kill and finished everything: check it, then start over for more kills.
        assert_everything_loaded_once(home, warehouse, written)
        completed += 1
        for leftover in home.glob("warehouse.duckdb*"):
            leftover.unlink()

    final = subprocess.run(command, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert_everything_loaded_once(home, warehouse, written)
    print(f"{kills} kills ({mid_load} between two commits of a load), {completed} loads finished between them")
    assert mid_load >= KILLS_WANTED, f"only {mid_load} of {kills} kills landed mid-load"


def test_two_loaders_started_at_once_load_each_file_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    written = write_processed(home)
    config_file = tmp_path / "clickstream.yml"
    config_file.write_text(yaml.safe_dump({"home": str(home), "warehouse": {"files_per_transaction": 20}}))
    command = [sys.executable, "-m", "clickstream", "--config", str(config_file), "load"]
    loaders = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"]
    outputs = [loader.communicate(timeout=300) for loader in loaders]
    assert [loader.returncode for loader in loaders] == [0, 0], outputs
    assert sorted("480 new files" in out for out, _ in outputs) == [False, True]  # the one that waited found none
    assert_everything_loaded_once(home, home / "warehouse.duckdb", written)


def test_a_load_that_cannot_wait_exits_with_code_3_and_names_the_holder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config_file = tmp_path / "clickstream.yml"
    config_file.write_text(yaml.safe_dump({"home": str(home), "warehouse": {"lock_timeout_seconds": 0}}))
    command = [sys.executable, "-m", "clickstream", "--config", str(config_file), "load"]
    with exclusive_lock(home / "warehouse.duckdb.load.lock", 0, "a load"):
        busy = subprocess.run(command, capture_output=True, text=True, check=False)
    assert busy.returncode == 3
    assert f"a load is already running (pid {os.getpid()}" in " ".join(busy.stderr.split())
