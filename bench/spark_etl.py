"""The Spark runner in local mode next to the local runner on the same raw files; prints a table, writes JSON.

Usage: python bench/spark_etl.py [--users N] [--days D] [--cores C]

`run_spark_bench(home, job, cores)` is the measurement other benchmarks call (bench/etl.py): the seconds
the Spark runner takes to process every raw file under ``home``, Spark's start-up excluded (it is
printed separately here). It re-processes (``reprocess=True``), so it can run on a home another runner
already processed; outputs are replaced by the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from etl.process import EtlJob
from etl.runner import EtlResult, run_etl
from etl.spark_runner import run_spark_etl, spark_session
from etl.transform import TransformSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RESULTS = Path(__file__).resolve().parent / "results"


def run_spark_etl_checked(spark: SparkSession, home: Path | str, job: EtlJob) -> EtlResult:
    """Every raw file under ``home`` through the Spark runner; a failed file fails the benchmark."""
    result = run_spark_etl(spark, home, job, reprocess=True)
    if result.failed_files:
        raise RuntimeError(f"the Spark runner failed on {len(result.failed_files)} files: {result.failed_files}")
    return result


def run_spark_bench(home: Path | str, job: EtlJob, cores: int) -> float:
    """Seconds the Spark runner (``local[cores]``) takes over every raw file under ``home``, start-up excluded.

    If a Spark session is already active in this process it is used as it is (its master wins).
    """
    with spark_session(f"local[{cores}]") as spark:
        return run_spark_etl_checked(spark, home, job).seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-spark-etl-") as folder:
        home = Path(folder)
        spec = SimulationSpec(users=args.users, days=args.days, app_ids=("shop",))
        sent = write_raw(iter_requests(spec), Storage(home))
        settings = TransformSettings(project_id="bench", app_ids=frozenset({"shop"}), process_time=datetime.now(UTC))
        job = EtlJob(settings)
        local = run_etl(home, job, workers=args.cores)
        rows.append((f"local runner ({args.cores} workers)", local.seconds, f"{local.events / local.seconds:,.0f}"))
        started = time.perf_counter()
        with spark_session(f"local[{args.cores}]") as spark:
            startup = time.perf_counter() - started
            rows.append(("Spark session start", startup, "-"))
            on_spark = run_spark_etl_checked(spark, home, job)
        rows.append(
            (f"Spark runner (local[{args.cores}])", on_spark.seconds, f"{on_spark.events / on_spark.seconds:,.0f}")
        )

    table = Table(
        title=f"ETL runners: {sent.events:,} events in {sent.requests:,} requests; "
        f"{os.cpu_count()} cores, {platform.machine()}"
    )
    for column in ("run", "seconds", "events/s"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for name, seconds, rate in rows:
        table.add_row(name, f"{seconds:.2f}", rate)
    Console().print(table)
    RESULTS.mkdir(exist_ok=True)
    result = {
        "events": sent.events,
        "cores": args.cores,
        "runs": [{"run": run, "seconds": round(seconds, 3), "events_per_second": rate} for run, seconds, rate in rows],
    }
    (RESULTS / "spark_etl.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
