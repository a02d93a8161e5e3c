"""Freshness: seconds from an event's 200 at `clickstream serve` until it is queryable in fct_events.

Usage: python bench/pipeline.py [--every 1m] [--rounds 8] [--gap 25] [--timeout 300]

Starts `clickstream serve` and `clickstream run --every <interval>` as an operator would (two processes,
default config apart from the port and a temporary home), then sends a round of traffic (one new
simulated user's requests over HTTP) every ``--gap`` seconds, so rounds land at different points of the
shipper's segment age and of the run cycle. A poller opens the DuckDB warehouse read-only for a moment
every two seconds and notes when all of a round's event ids are in ``analytics.fct_events``. Latency of a
round = that moment minus the first 200 of the round. Prints per-round latencies, their median and
maximum, and the cycles' durations; writes bench/results/pipeline.json. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.output import wide_console  # noqa: E402
from clickstream.pipeline.demo import wait_until_healthy  # noqa: E402
from clickstream.ports import free_port  # noqa: E402
from clickstream.simulator.generator import SimulationSpec, iter_requests  # noqa: E402
from clickstream.simulator.sender import send_http  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
console = wide_console(highlight=False)


@dataclass
class Round:
    number: int
    sent_at: float
    event_ids: set[str]
    seen_at: float | None = None

    @property
    def latency(self) -> float | None:
        return None if self.seen_at is None else self.seen_at - self.sent_at


@dataclass
class Rounds:
    items: list[Round] = field(default_factory=list)

    def pending(self) -> list[Round]:
        return [item for item in self.items if item.seen_at is None]


def write_config(folder: Path, port: int) -> Path:
    document = {
        "home": str(folder / "home"),
        "apps": [{"id": "shop", "timezone": "UTC"}],
        "ingestion": {"port": port, "workers": 1, "trusted_proxies": ["127.0.0.1/32"]},
    }
    path = folder / "clickstream.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def start(config: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "clickstream", "--config", str(config), *args]
    return subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def send_round(number: int, port: int) -> Round:
    """One new user's requests (no SDK retries); the round's clock starts at its first request."""
    end = datetime.now(UTC)
    requests = list(iter_requests(SimulationSpec(users=1, days=1, end=end, seed=1000 + number, duplicate_rate=0)))
    event_ids = {str(event["event_id"]) for request in requests for event in request.events}
    sent_at = time.time()
    stats = send_http(requests, f"http://127.0.0.1:{port}/collect", concurrency=1)
    if stats.failed_requests:
        raise SystemExit(f"round {number}: {stats.failed_requests} requests failed: {stats.last_error}")
    return Round(number, sent_at, event_ids)


def poll(warehouse: Path, rounds: Rounds) -> None:
    """Mark rounds whose events are all in fct_events; the warehouse is busy during loads and dbt: skip then."""
    pending = rounds.pending()
    if not pending or not warehouse.exists():
        return
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            wanted = sorted({event_id for item in pending for event_id in item.event_ids})
            found = {
                row[0]
                for row in connection.execute(
                    "select event_id from analytics.fct_events where event_id in (select unnest(?))", [wanted]
                ).fetchall()
            }
    except duckdb.Error:
        return  # locked by the pipeline, or the marts are not built yet
    now = time.time()
    for item in pending:
        if item.event_ids <= found:
            item.seen_at = now


def cycle_seconds(warehouse: Path) -> list[float]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select epoch(max(ended_at) - min(started_at)) from ods._pipeline_runs group by run_id order by 1"
        ).fetchall()
    return [float(row[0]) for row in rows]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", default="1m", help="the interval given to `clickstream run --every`")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of traffic")
    parser.add_argument("--gap", type=float, default=25.0, help="seconds between rounds")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up on a round after this many seconds")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    port = free_port()
    config = write_config(folder, port)
    warehouse = folder / "home" / "warehouse.duckdb"
    server = start(config, "serve", log=folder / "serve.log")
    runner: subprocess.Popen[bytes] | None = None
    rounds = Rounds()
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/health", server)
        runner = start(config, "run", "--every", args.every, log=folder / "run.log")
        next_round = time.time()
        while len(rounds.items) < args.rounds or rounds.pending():
            if len(rounds.items) < args.rounds and time.time() >= next_round:
                rounds.items.append(send_round(len(rounds.items) + 1, port))
                console.print(f"round {len(rounds.items)} sent ({len(rounds.items[-1].event_ids)} events)")
                next_round += args.gap
            poll(warehouse, rounds)
            oldest = min((item.sent_at for item in rounds.pending()), default=time.time())
            if time.time() - oldest > args.timeout:
                console.print(f"[red]gave up: a round was not visible after {args.timeout:.0f}s[/red]")
                break
            if runner.poll() is not None:
                raise SystemExit(f"`clickstream run` exited; see {folder / 'run.log'}")
            time.sleep(2)
    finally:
        if runner is not None:
            stop(runner)
        stop(server)

    latencies = [item.latency for item in rounds.items if item.latency is not None]
    cycles = cycle_seconds(warehouse)
    table = Table(title=f"freshness with `clickstream run --every {args.every}` ({os.cpu_count()} cores)")
    table.add_column("round", justify="right")
    table.add_column("events", justify="right")
    table.add_column("seconds until in fct_events", justify="right")
    for item in rounds.items:
        table.add_row(
            str(item.number), str(len(item.event_ids)), "-" if item.latency is None else f"{item.latency:.0f}"
        )
    console.print(table)
    summary = {
        "every": args.every,
        "rounds": len(rounds.items),
        "visible": len(latencies),
        "median_seconds": statistics.median(latencies) if latencies else None,
        "max_seconds": max(latencies) if latencies else None,
        "cycles": len(cycles),
        "median_cycle_seconds": statistics.median(cycles) if cycles else None,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    console.print(
        f"visible {len(latencies)}/{len(rounds.items)}; "
        + (f"median {statistics.median(latencies):.0f}s, max {max(latencies):.0f}s; " if latencies else "")
        + f"{len(cycles)} cycles"
        + (f", median cycle {statistics.median(cycles):.1f}s" if cycles else "")
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pipeline.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
