"""dbt model time on DuckDB: a full build for N events, then an incremental run after adding 1 % new events.

Usage: python bench/modeling.py [--events 1000000 10000000] [--base-events 100000] [--threads 2] [--keep DIR]

Input: the real ETL (every enricher on) processes about ``--base-events`` simulated events once; their
``event_v2``, ``item_v2`` and ``user_v2`` rows are then replicated inside DuckDB with new event, user (and
so session) ids, one suffix per copy, up to N events. ETL-ing millions of events here would dominate the
benchmark's time; replicating them is quick, and every copy is a distinct user with the
simulator's realistic sessions. The simulator writes its days of history at once, so every copy gets the
ingest time a live collector would have given it: two seconds after the event; copies are spread back over
``--days`` of history (91 by default, whole weeks), so 1 % of the events is about a day of traffic. The
increment is 1 % of N more events: new copies of some base users with every time (ingest, event, session
start) moved to start one hour after the newest loaded event, as the next day of traffic would arrive.

Timed: ``dbt run`` of every model (staging views, the session engine, core marts, reports, metadata
scan) on a fresh warehouse, then ``dbt run`` again after the increment is loaded. Data tests are not
timed (they scan whole tables and are run by ``clickstream model`` = ``dbt build``); ``--with-tests``
adds a timed ``dbt test`` after the full build. Prints a table and writes bench/results/modeling.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.etl import generate  # noqa: E402
from bench.output import wide_console  # noqa: E402
from clickstream.config import Config, parse_config  # noqa: E402
from clickstream.contract import PROCESSED_TABLES, REJECTED  # noqa: E402
from clickstream.etl.process import EtlJob  # noqa: E402
from clickstream.etl.runner import run_etl  # noqa: E402
from clickstream.loader.duckdb_warehouse import DuckDBWarehouse  # noqa: E402
from clickstream.loader.runner import run_load  # noqa: E402
from clickstream.modeling import run_dbt  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
HOUR_MSEC = 3_600_000
# Columns made unique per copy: a copy is a new set of users, so sessions and events are new too.
RENAMED = {
    "event_v2": ("event_id", "user_pseudo_id"),
    "item_v2": ("event_id", "user_pseudo_id"),
    "user_v2": ("user_pseudo_id",),
}


def bench_config(home: Path, warehouse: Path, threads: int) -> Config:
    document = {
        "home": str(home),
        "apps": [{"id": "shop"}],
        "etl": {"workers": os.cpu_count() or 1, "freshness_hours": None},
        "warehouse": {"path": str(warehouse)},
        "dbt": {"threads": threads},
    }
    return parse_config(document, home)


def build_base(folder: Path, events: int, threads: int) -> tuple[Path, int]:
    """The ETL output of about ``events`` simulated events, loaded into base.duckdb; returns (path, events)."""
    base = folder / "base.duckdb"
    config = bench_config(folder / "base-home", base, threads)
    if not base.exists():
        generate(config.home, events)
        run_etl(config.home, EtlJob.from_config(config), workers=config.etl.workers)
        run_load(config)
    with duckdb.connect(str(base), read_only=True) as connection:
        row = connection.execute("select count(*) from ods.event_v2").fetchone()
    assert row is not None
    return base, int(row[0])


SHIFTED_MSEC = ("event_time_msec", "session_start_time_msec")


def _copy_sql(table: str, suffix_sql: str, where: str = "", shift_msec: int | str = 0) -> str:
    columns = PROCESSED_TABLES[table].column_names
    select = []
    for column in columns:
        if column == "ingest_time_msec":  # received as it happened
            select.append(f"event_time_msec + ({shift_msec}) + 2000 as ingest_time_msec")
        elif column in RENAMED[table]:
            select.append(f"{column} || {suffix_sql} as {column}")
        elif shift_msec and column in SHIFTED_MSEC:
            select.append(f"{column} + ({shift_msec}) as {column}")
        elif shift_msec and column == "event_timestamp":
            select.append(f"event_timestamp + to_milliseconds({shift_msec}) as event_timestamp")
        else:
            select.append(column)
    return f"insert into ods.{table} ({', '.join(columns)}) select {', '.join(select)} from base.ods.{table} {where}"


def replicate(warehouse: Path, base: Path, copies: int, weeks: int) -> int:
    """A fresh warehouse holding ``copies`` copies of the base rows, spread back over ``weeks`` weeks."""
    warehouse.unlink(missing_ok=True)
    store = DuckDBWarehouse(warehouse, "ods")
    with store.connect() as connection:
        store.ensure_tables([*PROCESSED_TABLES.values(), REJECTED])
        connection.execute(f"attach '{base}' as base (read_only)")
        for table in RENAMED:
            week_msec = 7 * 24 * HOUR_MSEC
            connection.execute(
                _copy_sql(
                    table, "'~' || cast(copy_index as varchar)", shift_msec=f"-(copy_index % {weeks}) * {week_msec}"
                ).replace(f"from base.ods.{table}", f"from base.ods.{table}, range({copies}) as copies(copy_index)")
            )
        row = connection.execute("select count(*) from ods.event_v2").fetchone()
    assert row is not None
    return int(row[0])


def add_increment(warehouse: Path, base: Path, events: int) -> int:
    """About ``events`` new events (new copies of base users), moved to an hour after the newest event."""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"attach '{base}' as base (read_only)")
        total = connection.execute("select count(*) from base.ods.event_v2").fetchone()
        assert total is not None
        share = min(1.0, events / total[0])
        pick = f"where hash(user_pseudo_id) % 1000000 < {int(share * 1_000_000)}"
        row = connection.execute(
            "select max(ingest_time_msec) - (select min(event_time_msec) from base.ods.event_v2 "
            f"{pick.replace('where', 'where event_time_msec is not null and')}) from ods.event_v2"
        ).fetchone()
        assert row is not None
        shift = int(row[0]) + HOUR_MSEC
        before = connection.execute("select count(*) from ods.event_v2").fetchone()
        for table in RENAMED:
            connection.execute(_copy_sql(table, "'~new'", pick, shift))
        after = connection.execute("select count(*) from ods.event_v2").fetchone()
    assert before is not None and after is not None
    return int(after[0]) - int(before[0])


def slowest(config: Config, count: int = 5) -> list[tuple[str, float]]:
    """The slowest models of the last dbt invocation, from its run_results.json."""
    results = json.loads((config.home / "dbt" / "target" / "run_results.json").read_text())["results"]
    ranked = sorted(results, key=lambda result: -result["execution_time"])[:count]
    return [(result["unique_id"].split(".")[-1], round(result["execution_time"], 2)) for result in ranked]


def measure(
    folder: Path, base: Path, base_events: int, events: int, threads: int, with_tests: bool, days: int
) -> dict[str, Any]:
    copies = max(1, math.ceil(events / base_events))
    warehouse = folder / f"warehouse-{events}.duckdb"
    home = folder / f"home-{events}"
    shutil.rmtree(home, ignore_errors=True)
    config = bench_config(home, warehouse, threads)
    started = time.perf_counter()
    loaded = replicate(warehouse, base, copies, max(1, days // 7))
    prepare = time.perf_counter() - started
    # one run over the whole history (the default backfill limit would split it into 30-day runs)
    full = run_dbt(config, ["run", "--quiet", "--vars", '{"clickstream__backfill_limit_days": 3650}']).seconds
    full_slowest = slowest(config)
    tests = run_dbt(config, ["test", "--quiet"]).seconds if with_tests else None
    added = add_increment(warehouse, base, loaded // 100)
    incremental = run_dbt(config, ["run", "--quiet"]).seconds
    incremental_slowest = slowest(config)
    with duckdb.connect(str(warehouse)) as connection:  # dbt-duckdb keeps a read-write one open in-process
        counts = {
            table: int(connection.execute(f"select count(*) from analytics.{table}").fetchone()[0])  # type: ignore[index]
            for table in ("fct_events", "fct_sessions", "dim_users")
        }
    return {
        "events": loaded, "prepare_seconds": prepare, "full_run_seconds": full, "test_seconds": tests,
        "added_events": added, "incremental_run_seconds": incremental, "ratio": incremental / full, "counts": counts,
        "slowest_full": full_slowest, "slowest_incremental": incremental_slowest,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--base-events", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=91, help="days of history the copies are spread over")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="dbt threads")
    parser.add_argument("--with-tests", action="store_true", help="also time `dbt test` after the full build")
    parser.add_argument("--keep", type=Path, help="reuse or keep the base data and warehouses in this folder")
    args = parser.parse_args()

    console = wide_console()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-modeling-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        console.print(f"base: ETL of about {args.base_events:,} simulated events in {folder} ...")
        base, base_events = build_base(folder, args.base_events, args.threads)
        results = []
        for events in args.events:
            console.print(f"{events:,} events: replicate, dbt run, +1 %, dbt run ...")
            results.append(measure(folder, base, base_events, events, args.threads, args.with_tests, args.days))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)

    table = Table(title=f"dbt on DuckDB, {platform.machine()}, {os.cpu_count()} cores, {args.threads} dbt threads")
    headings = ["Events", "Full run s", "Events/s", "+1 % events", "Incremental run s", "Incremental / full"]
    if args.with_tests:
        headings.insert(2, "dbt test s")
    for heading in headings:
        table.add_column(heading, justify="right")
    for result in results:
        row = [
            f"{result['events']:,}",
            f"{result['full_run_seconds']:.1f}",
            f"{result['events'] / result['full_run_seconds']:,.0f}",
            f"{result['added_events']:,}",
            f"{result['incremental_run_seconds']:.1f}",
            f"{100 * result['ratio']:.1f} %",
        ]
        if args.with_tests:
            row.insert(2, f"{result['test_seconds']:.1f}")
        table.add_row(*row)
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "modeling.json").write_text(json.dumps({"base_events": base_events, "results": results}, indent=2))


if __name__ == "__main__":
    main()
