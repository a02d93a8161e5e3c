"""The Spark runner: the local runner's per-file transform spread over Spark tasks with ``mapInArrow``.

The unit of work is a whole raw file. The driver lists the pending raw files (the same done markers as
the local runner), makes a DataFrame of their paths, and ``mapInArrow`` calls
:func:`clickstream.etl.runner.process_file` on each path inside the executors; that function streams the file
through the transform and the plugin chain and writes its Parquet outputs (named from the input id)
and its done marker straight to the storage root, local or ``s3://``. The tasks return only one small
summary row per file, which the driver adds up into an :class:`clickstream.etl.runner.EtlResult`.

So the two runners produce the same file names and the same bytes, re-running is idempotent, and a file
whose processing fails simply stays pending (docs/decisions.md, "The Spark runner maps whole files").

Run it with ``spark-submit`` (EMR Serverless) or ``python -m clickstream.etl.spark_runner`` (local mode); the
arguments are in :mod:`clickstream.etl.spark_args`. pyspark is imported only inside functions: it is the optional
``spark`` extra.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from clickstream.contract import input_id
from clickstream.errors import ClickstreamError
from clickstream.etl.plugins import load_plugins
from clickstream.etl.process import EtlJob
from clickstream.etl.runner import EtlResult, add_summary, done_marker, pending_raw_files
from clickstream.etl.spark_tasks import SUMMARY_DDL, process_paths
from clickstream.etl.users import carry_user_state
from clickstream.storage import Storage

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# Local mode only: no web UI or console progress bars (they fight the CLI's own), loopback networking.
_LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.execution.pyspark.udf.faulthandler.enabled": "true",
}


@contextmanager
def spark_session(master: str | None = None, app_name: str = "clickstream-etl") -> Iterator[SparkSession]:
    """The active Spark session if there is one (left running), else a new one stopped on exit.

    ``master`` (``local[N]``) starts Spark in this process and points its Python workers at this
    interpreter (``PYSPARK_PYTHON``), which is the one that has pyarrow and this project installed. Under
    ``spark-submit`` leave it None: the submitter's master and environment apply.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ClickstreamError(
            "the Spark runner needs pyspark, which is not installed",
            hint="pip install 'clickstream-analytics[spark]' (and Java 17 for local mode)",
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            for key, value in _LOCAL_CONF.items():
                builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise ClickstreamError(
            f"could not start Spark ({master or 'spark-submit master'}): {type(exc).__name__}: {exc}",
            hint="Spark needs Java 17 on PATH (or JAVA_HOME); check the log lines above",
        ) from exc
    session.sparkContext.setLogLevel("WARN")
    try:
        yield session
    finally:
        session.stop()


def default_tasks(spark: SparkSession, files: int) -> int:
    """Two tasks per core, so a slow file does not idle the other cores, and never more tasks than files."""
    return max(1, min(files, 2 * spark.sparkContext.defaultParallelism))


def run_spark_etl(
    spark: SparkSession,
    root: str | Path,
    job: EtlJob,
    tasks: int | None = None,
    reprocess: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> EtlResult:
    """Process every pending raw file under ``root`` (every one with ``reprocess``) on ``spark``.

    The same contract as :func:`clickstream.etl.runner.run_etl`: a file that fails is reported in ``failed_files``
    and stays pending; the others are processed regardless. ``on_progress(done, total)`` is called
    before and after the Spark job (the files are processed inside one job).
    """
    started = time.perf_counter()
    storage = Storage(root)
    result = EtlResult()
    load_plugins(job.plugins)  # a misconfigured chain is a config error before any task starts
    pending, result.ignored_files = pending_raw_files(storage, reprocess)
    result.files_seen = len(pending)
    if on_progress:
        on_progress(0, len(pending))
    if pending:
        # Executors may run in another working directory: hand them an absolute root.
        task_root = storage.base if storage.is_local else storage.root
        paths = spark.createDataFrame([(path,) for path in pending], "path string")
        paths = paths.repartition(tasks or default_tasks(spark, len(pending)))
        summaries = paths.mapInArrow(partial(process_paths, root=task_root, job=job), SUMMARY_DDL)
        try:
            rows = [(row["path"], row["summary"], row["error"]) for row in summaries.collect()]
        except Exception as exc:  # the job itself failed (a worker crashed past its retries)
            log.error("etl: the Spark job failed: %s", exc)
            rows = list(_outcomes_from_markers(storage, pending, job, exc))
        for path, summary, error in rows:
            if error is not None or summary is None:
                result.failed_files[path] = error or "no summary returned"
            else:
                add_summary(result, orjson.loads(summary))
        if on_progress:
            on_progress(result.files_processed + len(result.failed_files), len(pending))
    carry_user_state(storage)  # on the driver: one pass over the run's user rows and the user state
    result.seconds = time.perf_counter() - started
    return result


def _outcomes_from_markers(
    storage: Storage, pending: Sequence[str], job: EtlJob, error: BaseException
) -> Iterator[tuple[str, str | None, str | None]]:
    """After a failed job, what each file's done marker says: the files this run finished (their marker
    carries this run's process time) are processed, every other one failed and stays pending."""
    this_run = job.settings.process_time.isoformat()
    cause = f"the Spark job failed: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    for path in pending:
        marker = done_marker(input_id(path))
        summary: dict[str, Any] | None = None
        if storage.exists(marker):
            summary = orjson.loads(storage.read_bytes(marker))
        if summary is not None and summary.get("processed_at") == this_run:
            yield path, orjson.dumps(summary).decode(), None
        else:
            yield path, None, cause


def main(argv: Sequence[str] | None = None) -> int:
    """``spark-submit`` / ``python -m clickstream.etl.spark_runner`` entry point; prints the result as one JSON line.

    Exit status: 0 when every pending file was processed, 1 when some failed (they stay pending), or the
    error's own code (2 for configuration errors) with the message and hint on stderr.
    """
    from clickstream.etl.spark_args import job_from_args, parse_args

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = parse_args(argv)
    try:
        root, job = job_from_args(args)
        with spark_session(args.master) as spark:
            result = run_spark_etl(spark, root, job, args.tasks, args.reprocess)
    except ClickstreamError as error:
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return error.exit_code
    print(json.dumps({"root": str(root), **dataclasses.asdict(result)}, sort_keys=True))
    return 1 if result.failed_files else 0


if __name__ == "__main__":
    # Re-import by module name so Spark pickles functions as ``etl.spark_runner.*``, not ``__main__.*``.
    from clickstream.etl.spark_runner import main as _main

    raise SystemExit(_main())
