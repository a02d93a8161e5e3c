"""Seconds and throughput of each pipeline stage on simulated traffic; prints a table, writes JSON.

Usage: python bench/pipeline_stages.py [--users N] [--days D] [--concurrency C]

Stages: the collector over HTTP (a `clickstream serve` subprocess, load from this process),
then etl, load and dbt build on what it stored. Run it on an otherwise idle machine; the numbers
in docs/performance.md say which machine they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # as a script, bench/ comes first on the path and bench/etl.py would shadow etl/

from rich.table import Table  # noqa: E402

from bench.output import wide_console  # noqa: E402
from clickstream.config import load_config  # noqa: E402
from clickstream.etl.process import EtlJob  # noqa: E402
from clickstream.etl.runner import run_etl  # noqa: E402
from clickstream.loader.runner import run_load  # noqa: E402
from clickstream.modeling import run_dbt  # noqa: E402
from clickstream.pipeline.demo import start_server, stop_server, wait_until_healthy, write_demo_config  # noqa: E402
from clickstream.pipeline.steps import mart_counts  # noqa: E402
from clickstream.ports import free_port  # noqa: E402
from clickstream.simulator.generator import SimulationSpec, iter_requests  # noqa: E402
from clickstream.simulator.sender import send_http  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as folder:
        workdir = Path(folder)
        port = free_port()
        config = load_config(write_demo_config(workdir, port))
        requests = list(iter_requests(SimulationSpec(users=args.users, days=args.days, app_ids=tuple(config.app_ids))))
        server = start_server(workdir / "clickstream.yml")
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}/health", server)
            sent = send_http(requests, f"http://127.0.0.1:{port}/collect", args.concurrency)
        finally:
            stop_server(server)
        rows.append(("collect (HTTP, durable 200)", sent.seconds, f"{sent.requests / sent.seconds:,.0f} requests/s"))
        started = time.perf_counter()
        etl = run_etl(config.home, EtlJob.from_config(config), workers=config.etl.workers)
        rows.append(("etl", time.perf_counter() - started, f"{etl.events / etl.seconds:,.0f} events/s"))
        load = run_load(config)
        rows.append(("load (DuckDB)", load.seconds, f"{sum(load.rows.values()) / load.seconds:,.0f} rows/s"))
        model = run_dbt(config, ["build", "--quiet"])
        rows.append(("model (dbt build)", model.seconds, f"{sum(model.statuses.values())} nodes"))
        counts = mart_counts(config.warehouse_path)

    table = Table(title=f"pipeline stages: {args.users} users, {args.days} days, {sent.events:,} events, "
                  f"{sent.requests:,} requests; {os.cpu_count()} cores, {platform.machine()}")  # fmt: skip
    for column in ("stage", "seconds", "throughput"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage, seconds, throughput in rows:
        table.add_row(stage, f"{seconds:.2f}", throughput)
    wide_console().print(table)
    RESULTS.mkdir(exist_ok=True)
    result = {
        "users": args.users, "days": args.days, "events": sent.events, "requests": sent.requests,
        "cores": os.cpu_count(), "stages": [{"stage": s, "seconds": round(t, 3), "throughput": x} for s, t, x in rows],
        "marts": counts, "counts_match": counts["fct_events"] == sent.events,
    }  # fmt: skip
    (RESULTS / "pipeline_stages.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
