"""ETL throughput and peak memory on simulated raw files; prints a table, writes JSON.

Usage: python bench/etl.py [--events 1000000] [--workers 2] [--keep DIR] [--no-spark] [--rounds N]

Measures, on the same raw input (about ``--events`` SDK events of a week of traffic, written in arrival
order as the collector writes them, so each raw file is a short slice of time):

* ``physical limit``: gunzip, parse every record and event (orjson), decode base64+gzip bodies, and
  Parquet-write each event's JSON text: what reading and writing the data costs with no transform;
* ``local runner``: `clickstream etl` with every enrichment on (user agent, geo IP, traffic source);
* ``local, one file``: the same events gathered into a single raw file, one worker: the file is streamed
  in chunks, so peak memory must stay flat however large one input is;
* ``spark runner``: the same job through the Spark runner in local mode, when pyspark is installed.

``CPU µs/event`` is the CPU time of the mode's process and all the workers it started, per event: unlike
the rates, it holds still when other work shares the machine. Each mode runs in a fresh subprocess so its
peak memory is its own: the largest sum, sampled every 50 ms,
of the resident memory of that process and all its descendants (pool workers, or Spark's JVM and Python
workers). Run it on an otherwise idle machine and quote the machine with the numbers.

``--rounds N`` runs the physical limit and the local runner N times in turns (the other modes once) and
shows each one's median round with the range; the local runner's share of the physical limit is the
median of the rounds' own ratios, each from two runs taken back to back, so the host's drift over the
whole benchmark weighs less on it.

The ``columns:`` line says whether the workers built Arrow columns with the compiled converter (decision
38, which moves the CPU per event); ``CLICKSTREAM_ETL_NATIVE=0`` runs pyarrow's path, to compare.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.host import describe  # noqa: E402
from bench.output import wide_console  # noqa: E402
from bench.rounds import lower_median, median_ratio, spread  # noqa: E402
from clickstream.config import Config, parse_config  # noqa: E402
from clickstream.contract import RAW_DIR, RAW_FILE_SUFFIX  # noqa: E402
from clickstream.etl import native  # noqa: E402
from clickstream.etl.decode import RejectedInput, decode_data  # noqa: E402
from clickstream.simulator.generator import SimulationSpec, iter_requests  # noqa: E402
from clickstream.simulator.sender import write_raw  # noqa: E402
from clickstream.storage import Storage  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
EVENTS_PER_USER = 20  # about what the simulator produces per user over 7 days


def bench_config(home: Path, workers: int) -> Config:
    return parse_config(
        {"home": str(home), "apps": [{"id": "shop"}], "etl": {"workers": workers, "freshness_hours": None}}, home
    )


def generate(home: Path, events: int) -> int:
    """Raw files holding about ``events`` events; returns the number of raw records."""
    users = max(1, events // EVENTS_PER_USER)
    requests = iter_requests(SimulationSpec(users=users, days=7, app_ids=("shop",)))
    # The simulator yields user by user; a collector writes what arrives, so its raw files are short
    # slices of time. Sending order (a batch leaves with its last event) gives the files that shape.
    arrival_order = sorted(requests, key=lambda request: request.events[-1]["timestamp"])
    stats = write_raw(arrival_order, Storage(home))
    return stats.requests


# --- the modes, each run in its own subprocess ----------------------------------------------------


def _physical_file(path: str, out_dir: str) -> int:
    """Decode, parse and Parquet-write one raw file's events with no transform; returns events."""
    texts: list[str] = []
    with gzip.open(path, "rb") as stream:
        for line in stream:
            record = orjson.loads(line)
            try:
                events = decode_data(record.get("data"))
            except RejectedInput:
                continue
            texts.extend(orjson.dumps(event).decode() for event in events)
    target = Path(out_dir) / (Path(path).name + ".parquet")
    pq.write_table(pa.table({"event": pa.array(texts, pa.string())}), target, compression="snappy")
    return len(texts)


def run_physical(home: Path, workers: int) -> dict[str, float]:
    files = sorted(str(path) for path in (home / RAW_DIR).rglob(f"*{RAW_FILE_SUFFIX}"))
    out_dir = home / "physical"
    out_dir.mkdir(exist_ok=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        events = sum(pool.map(_physical_file, files, [str(out_dir)] * len(files)))
    return {"seconds": time.perf_counter() - started, "events": events}


def run_local(home: Path, workers: int) -> dict[str, float]:
    from clickstream.etl.process import EtlJob
    from clickstream.etl.runner import run_etl

    config = bench_config(home, workers)
    result = run_etl(config.home, EtlJob.from_config(config), workers=workers, reprocess=True)
    if result.failed_files:
        raise SystemExit(f"local runner failed: {result.failed_files}")
    return {"seconds": result.seconds, "events": result.events, "rejected": result.rejected}


def run_spark(home: Path, workers: int) -> dict[str, float]:
    from bench.spark_etl import run_spark_bench  # provided with the Spark runner

    config = bench_config(home, workers)
    return run_spark_bench(config, workers)


def run_one_file(home: Path, workers: int) -> dict[str, float]:
    """The local runner on the same events gathered into one raw file: memory must not grow with a file."""
    single = home / "single-file"
    target = single / RAW_DIR / "year=2026" / "month=01" / "day=01" / "hour=00" / f"all-000001{RAW_FILE_SUFFIX}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(target, "wb", compresslevel=1) as out:
            for path in sorted((home / RAW_DIR).rglob(f"*{RAW_FILE_SUFFIX}")):
                with gzip.open(path, "rb") as raw:
                    shutil.copyfileobj(raw, out)
    return run_local(single, 1)


MODES = {"physical": run_physical, "local": run_local, "spark": run_spark, "local, one file": run_one_file}


def _tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (JVM and Python workers included), from /proc."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * resource.getpagesize()
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


class PeakMemory:
    """Samples the whole process tree's resident memory every 50 ms; ``peak`` is the largest sum seen."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _tree_rss_bytes(os.getpid()))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def child_main(mode: str, home: Path, workers: int) -> None:
    with PeakMemory() as memory:
        result = MODES[mode](home, workers)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time of the mode and every worker it reaped: on a shared machine this, unlike seconds, holds still.
    result["cpu_seconds"] = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    largest_single = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    result["peak_rss_mb"] = max(memory.peak / 2**20, largest_single / 1024)  # ru_maxrss is in KiB on Linux
    print(json.dumps(result))


ROUNDED_MODES = ("physical", "local")  # short enough to repeat, and the goal is their ratio


def column_converter() -> str:
    """Which path the ETL's workers build Arrow columns on (decision 38): it moves the CPU per event."""
    if native.NATIVE:
        return "compiled converter (clickstream.etl._columns)"
    return "pyarrow's path (etl._columns not installed, or CLICKSTREAM_ETL_NATIVE=0)"


def events_per_second(result: dict[str, float]) -> float:
    return result["events"] / result["seconds"]


def median_result(results: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate (the lower middle one of an even count)."""
    return lower_median(results, key=events_per_second)


def paired_share(runs: list[dict[str, float]], limits: list[dict[str, float]]) -> float:
    """The median over rounds of a run's rate over the physical limit's rate in the same round."""
    pairs = zip(runs, limits, strict=True)
    return median_ratio([events_per_second(run) / events_per_second(limit) for run, limit in pairs])


def measure(mode: str, home: Path, workers: int) -> dict[str, float] | None:
    command = [sys.executable, __file__, "--child", mode, "--home", str(home), "--workers", str(workers)]
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=REPO)
    if done.returncode != 0:
        wide_console(stderr=True).print(f"[yellow]{mode}: failed ({done.stderr.strip().splitlines()[-1:]})[/yellow]")
        return None
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="reuse or keep the generated raw data in this folder")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="runs of the physical limit and local runner, in turns")
    parser.add_argument("--child", choices=sorted(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds needs at least 1")
    if args.generate:
        generate(args.home, args.generate)
        return
    if args.child:
        child_main(args.child, args.home, args.workers)
        return

    console = wide_console()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-etl-"))
    try:
        if not (folder / RAW_DIR).exists():
            console.print(f"generating about {args.events:,} events of raw data in {folder} ...")
            # In a process of its own: sorting into arrival order holds every request in memory, and the
            # mode subprocesses forked from a large parent would inherit its peak resident size (ru_maxrss).
            command = [sys.executable, __file__, "--generate", str(args.events), "--home", str(folder)]
            subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
        raw_bytes = sum(path.stat().st_size for path in (folder / RAW_DIR).rglob(f"*{RAW_FILE_SUFFIX}"))
        modes = ["physical", "local", "local, one file"] + ([] if args.no_spark else ["spark"])
        rounds = [{mode: measure(mode, folder, args.workers) for mode in ROUNDED_MODES} for _ in range(args.rounds)]
        rounds.append({mode: measure(mode, folder, args.workers) for mode in modes if mode not in ROUNDED_MODES})
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)

    runs = {mode: [result for round_ in rounds if (result := round_.get(mode)) is not None] for mode in modes}
    complete = [round_ for round_ in rounds[: args.rounds] if None not in round_.values()]  # a ratio needs both
    paired = {mode: [round_[mode] for round_ in complete] for mode in ROUNDED_MODES}
    host = describe()
    converter = column_converter()
    physical = median_result(runs["physical"]) if runs["physical"] else None
    table = Table(title=f"ETL on {platform.machine()}, {os.cpu_count()} cores, {args.workers} workers")
    headings = ("Mode", "Events", "Seconds", "Events/s", "% of physical", "CPU µs/event", "Peak RSS MB", "Rounds")
    for heading in headings:
        table.add_column(heading, justify="left" if heading in ("Mode", "Rounds") else "right")
    for mode, results in runs.items():
        if not results:
            table.add_row(mode, "-", "-", "failed or unavailable", "-", "-", "-", "")
            continue
        result = median_result(results)
        rate = events_per_second(result)
        if mode in paired and paired[mode] and paired["physical"]:
            share = f"{100 * paired_share(paired[mode], paired['physical']):.0f} %"
        else:
            share = f"{100 * rate / events_per_second(physical):.0f} %" if physical else "-"
        ranged = spread([events_per_second(run) for run in results])
        table.add_row(
            mode,
            f"{result['events']:,.0f}",
            f"{result['seconds']:.1f}",
            f"{rate:,.0f}",
            share,
            f"{1e6 * result['cpu_seconds'] / result['events']:.1f}" if result["events"] else "-",
            f"{result['peak_rss_mb']:,.0f}",
            f"{ranged}/s" if ranged else "",
        )
    console.print(table)
    console.print(f"raw input: {raw_bytes / 1e6:,.0f} MB gzip")
    console.print(f"host: {host}")
    console.print(f"columns: {converter}")
    RESULTS.mkdir(exist_ok=True)
    medians = {mode: median_result(results) for mode, results in runs.items() if results}
    summary = {"raw_bytes": raw_bytes, "host": host, "columns": converter, "results": medians, "rounds": runs}
    (RESULTS / "etl.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
