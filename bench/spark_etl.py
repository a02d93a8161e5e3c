"""The Spark runner in local mode next to the local runner on the same raw files; prints a table, writes JSON.

Usage: python bench/spark_etl.py [--users N] [--days D] [--cores C]

``run_spark_bench(config, cores)`` is the measurement bench/etl.py calls: every raw file under the
config's home through the Spark runner in ``local[cores]``, with the job the config describes (every
enrichment on by default). It re-processes (``reprocess=True``), so it can run on a home another runner
already processed; outputs are replaced by the same bytes. Spark's start-up is timed separately and
not part of ``seconds``; the first job of a session still pays for starting the Python workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # as a script, bench/ comes first on the path and bench/etl.py would shadow etl/

from rich.table import Table  # noqa: E402

from bench.output import wide_console  # noqa: E402
from clickstream.config import Config, parse_config  # noqa: E402
from clickstream.etl.process import EtlJob  # noqa: E402
from clickstream.etl.runner import run_etl  # noqa: E402
from clickstream.etl.spark_runner import run_spark_etl, spark_session  # noqa: E402
from clickstream.simulator.generator import SimulationSpec, iter_requests  # noqa: E402
from clickstream.simulator.sender import write_raw  # noqa: E402
from clickstream.storage import Storage  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def run_spark_bench(config: Config, cores: int) -> dict[str, float]:
    """Seconds, events and rejects of the Spark runner (``local[cores]``) over every raw file under the
    config's home, and Spark's start-up seconds; a file that fails fails the benchmark.

    If a Spark session is already active in this process it is used as it is (its master wins).
    """
    job = EtlJob.from_config(config, datetime.now(UTC))
    started = time.perf_counter()
    with spark_session(f"local[{cores}]") as spark:
        startup = time.perf_counter() - started
        result = run_spark_etl(spark, config.home, job, reprocess=True)
    if result.failed_files:
        raise RuntimeError(f"the Spark runner failed on {len(result.failed_files)} files: {result.failed_files}")
    return {"seconds": result.seconds, "events": result.events, "rejected": result.rejected, "startup": startup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-spark-etl-") as folder:
        home = Path(folder)
        sent = write_raw(iter_requests(SimulationSpec(users=args.users, days=args.days)), Storage(home))
        config = parse_config({"home": str(home), "apps": [{"id": "shop"}], "etl": {"freshness_hours": None}}, home)
        local = run_etl(home, EtlJob.from_config(config), workers=args.cores)
        rows.append((f"local runner ({args.cores} workers)", local.seconds, f"{local.events / local.seconds:,.0f}"))
        spark = run_spark_bench(config, args.cores)
        rows.append(("Spark session start", spark["startup"], "-"))
        rows.append(
            (f"Spark runner (local[{args.cores}])", spark["seconds"], f"{spark['events'] / spark['seconds']:,.0f}")
        )
        files = len(Storage(home).list_files("raw"))

    table = Table(
        title=f"ETL runners, every enrichment on: {sent.events:,} events in {files} raw files; "
        f"{os.cpu_count()} cores, {platform.machine()}"
    )
    for column in ("run", "seconds", "events/s"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for name, seconds, rate in rows:
        table.add_row(name, f"{seconds:.2f}", rate)
    wide_console().print(table)
    RESULTS.mkdir(exist_ok=True)
    result = {
        "events": sent.events,
        "raw_files": files,
        "cores": args.cores,
        "runs": [{"run": run, "seconds": round(seconds, 3), "events_per_second": rate} for run, seconds, rate in rows],
    }
    (RESULTS / "spark_etl.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
