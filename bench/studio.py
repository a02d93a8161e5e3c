"""Analytics Studio query latency on DuckDB: p50/p95 of the four analyses analysts run most.

Usage: python bench/studio.py [--events 10000000] [--base-events 100000] [--repeat 10] [--threads 2] [--keep DIR]
       [--only NAME ...] [--reuse-snapshot]

Input: bench/modeling.py's generator (the real ETL over ``--base-events`` simulated events, replicated
inside DuckDB as distinct users over ``--days`` of history) up to ``--events`` events, then ``dbt run``
of fct_events and dim_users (users are merged users, read through dim_users) and what they need, then the
cycle's ``publish`` of the serving snapshot (timed). Queries
are the Studio's own SQL (studio/analyses.py, studio/paths.py) run by its snapshot reader with ``--threads`` DuckDB
threads, over the whole history:

* funnel: 5 steps, 1 hour window, users;
* retention: weekly cohorts, 8 weeks of returns;
* path: 3 levels of events after the session start, within sessions, consecutive repeats merged, in users
  (the preset events other than the start, such as _user_engagement, are left out as in the original);
* path, every event: the same with the preset events listed as nodes and the rest as ``other``, so every
  event of the range is in a path (the heaviest path request);
* event: users per day grouped by platform.

``--only path`` runs just the queries whose name contains ``path`` (repeatable); ``--reuse-snapshot`` queries
the snapshot a previous ``--keep`` run published instead of publishing again (a byte copy of the warehouse).
Each query runs once to warm up, then ``--repeat`` times; the table shows p50 and p95 (the goal is in
docs/performance.md#analytics-studio-queries). Results also go to bench/results/studio.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.modeling import bench_config, build_base, replicate  # noqa: E402
from bench.output import wide_console  # noqa: E402
from clickstream.modeling import run_dbt  # noqa: E402
from clickstream.serving import publish_snapshot, snapshot_path  # noqa: E402
from clickstream.studio import analyses, model, paths  # noqa: E402
from clickstream.studio.catalog import Catalog  # noqa: E402
from clickstream.studio.snapshot import SnapshotReader  # noqa: E402
from clickstream.studio.sqlbuild import render  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FUNNEL = ["_session_start", "_page_view", "view_item", "add_to_cart", "purchase"]


def requests(first: date, last: date, events: set[str]) -> dict[str, tuple[Any, Any]]:
    """The four benchmark requests over [first, last], as (builder, request)."""
    scope = {"appId": "shop", "timeScopeType": "FIXED", "timeStart": first.isoformat(), "timeEnd": last.isoformat()}
    steps = [name for name in FUNNEL if name in events]
    missing = sorted(set(FUNNEL) - events)
    preset = [name for name in paths.BUILT_IN_EVENTS if name in events and name != "_session_start"]
    if missing:
        raise SystemExit(f"the simulated data lacks funnel events {missing}; it has {sorted(events)}")
    return {
        "funnel (5 steps)": (analyses.funnel_analysis, model.FunnelRequest.model_validate({
            **scope, "conversionIntervalInSeconds": 3600, "eventAndConditions": [{"eventName": s} for s in steps]})),
        "retention (8 weeks)": (analyses.retention_analysis, model.RetentionRequest.model_validate({
            **scope, "groupColumn": "WEEK", "periods": 8, "pairEventAndConditions": [
                {"startEvent": {"eventName": "_session_start"}, "backEvent": {"eventName": "_session_start"}}]})),
        "path (3 levels)": (paths.path_analysis, model.PathRequest.model_validate({
            **scope, "eventAndConditions": [{"eventName": "_session_start"}],
            "pathAnalysis": {"levels": 3, "mergeConsecutiveEvents": True}})),
        "path (3 levels, every event)": (paths.path_analysis, model.PathRequest.model_validate({
            **scope, "eventAndConditions": [{"eventName": "_session_start"}],
            "pathAnalysis": {"levels": 3, "mergeConsecutiveEvents": True, "includingOtherEvents": True,
                             "nodes": preset[:model.MAX_PATH_NODES]}})),
        "event by platform": (analyses.event_analysis, model.EventRequest.model_validate({
            **scope, "eventAndConditions": [{"eventName": "_page_view", "computeMethod": "USER_ID_CNT"}],
            "groupCondition": {"conditions": [{"category": "event_outer", "property": "platform"}]}})),
    }  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--base-events", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=91, help="days of history the copies are spread over")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs of each query")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="DuckDB threads (and dbt's)")
    parser.add_argument("--keep", type=Path, help="reuse or keep the base data and warehouse in this folder")
    parser.add_argument("--only", action="append", help="run only the queries whose name contains this")
    parser.add_argument(
        "--reuse-snapshot",
        action="store_true",
        help="query the snapshot an earlier --keep run published instead of publishing again",
    )
    args = parser.parse_args()

    console = wide_console()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-studio-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        console.print(f"base: ETL of about {args.base_events:,} simulated events in {folder} ...")
        base, base_events = build_base(folder, args.base_events, args.threads)
        warehouse = folder / f"studio-{args.events}.duckdb"
        config = bench_config(folder / f"studio-home-{args.events}", warehouse, args.threads)
        if not snapshot_path(config).exists():
            console.print(f"{args.events:,} events: replicate, dbt run +fct_events +dim_users ...")
            replicate(warehouse, base, max(1, math.ceil(args.events / base_events)), max(1, args.days // 7))
            vars_ = '{"clickstream__backfill_limit_days": 3650}'
            run_dbt(config, ["run", "--quiet", "--select", "+fct_events", "+dim_users", "--vars", vars_])
        reuse = args.reuse_snapshot and snapshot_path(config).exists()
        published = None if reuse else publish_snapshot(config)
        reader = SnapshotReader(snapshot_path(config), args.threads)
        span = reader.query("select cast(min(event_timestamp) as date) as first, cast(max(event_timestamp) as date) "
                            "as last, list(distinct event_name) as names from events").rows[0]  # fmt: skip
        catalog = Catalog(events={"shop": set(span["names"])})
        results = []
        events = reader.query("select count(*) as n from events").rows[0]["n"]
        for name, (build, request) in requests(span["first"], span["last"], set(span["names"])).items():
            if args.only and not any(part in name for part in args.only):
                continue
            sql = render(build(catalog, request).tree, "duckdb")
            rows = len(reader.query(sql).rows)  # warm-up
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                reader.query(sql)
                timings.append(time.perf_counter() - started)
            results.append({"query": name, "rows": rows, "p50": statistics.median(timings),
                            "p95": percentile(timings, 0.95), "timings": timings})  # fmt: skip
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)

    publishing = "snapshot reused" if published is None else f"snapshot published in {published.seconds:.1f} s"
    title = (f"Studio queries on DuckDB: {events:,} events, {platform.machine()}, {os.cpu_count()} cores, "
             f"{args.threads} threads; {publishing}")  # fmt: skip
    table = Table(title=title)
    for heading in ("Query", "Result rows", "p50 s", "p95 s", "p95 < 2 s"):
        table.add_column(heading, justify="right")
    for result in results:
        table.add_row(result["query"], f"{result['rows']:,}", f"{result['p50']:.3f}", f"{result['p95']:.3f}",
                      "yes" if result["p95"] < 2 else "no")  # fmt: skip
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "studio.json").write_text(json.dumps({
        "events": events, "publish_seconds": None if published is None else published.seconds, "threads": args.threads,
        "repeat": args.repeat, "results": results}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
