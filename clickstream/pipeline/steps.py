"""The steps a cycle is made of, each also a command of its own: etl, load and model; plus the marts' counts.

Each returns its stage's result object; the caller decides what to show (see observer.py).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import duckdb

from clickstream.config import Config
from clickstream.errors import InputError, ModelError
from clickstream.etl import EtlJob, EtlResult, run_etl
from clickstream.loader import LoadResult, run_load
from clickstream.modeling import ModelResult, run_dbt
from clickstream.pipeline.observer import StepObserver

MART_SCHEMA = "analytics"
_SILENT = StepObserver()


class EtlRunner(StrEnum):
    """Where `clickstream etl` runs the transform; both write the same files."""

    LOCAL = "local"
    SPARK = "spark"


def etl_step(
    config: Config,
    reprocess: bool = False,
    runner: EtlRunner = EtlRunner.LOCAL,
    spark_master: str | None = None,
    observer: StepObserver = _SILENT,
) -> EtlResult:
    """Run the ETL; raw files that could not be processed stay pending (``result.failed_files``)."""
    job = EtlJob.from_config(config)
    if runner is EtlRunner.SPARK:
        from clickstream.etl.spark_runner import run_spark_etl, spark_session

        master = spark_master or f"local[{config.etl.workers}]"
        observer.starting("etl", f"starting Spark ({master})")
        with spark_session(master) as spark, observer.progress("etl: raw files (Spark)") as update:
            return run_spark_etl(spark, config.storage_root, job, reprocess=reprocess, on_progress=update)
    with observer.progress("etl: raw files") as update:
        return run_etl(config.storage_root, job, config.etl.workers, update, reprocess=reprocess)


def load_step(config: Config, observer: StepObserver = _SILENT) -> LoadResult:
    """Load the new processed files into the warehouse, each exactly once."""
    with observer.progress("load: parquet files") as update:
        return run_load(config, update)


def model_step(
    config: Config, args: list[str] | None = None, verbose: bool = False, observer: StepObserver = _SILENT
) -> ModelResult:
    """dbt on the models (``args``, default ``build``); ``verbose``: dbt prints its own lines.

    When nodes fail on a quiet run, the ``ModelError`` names them and says they are "shown above": its
    ``result`` holds every problem, and a renderer prints them before the error's message.
    """
    words = args or ["build"]
    if words[0] in ("build", "run", "test"):
        _require_loaded_tables(config)
    command = " ".join(words)
    observer.starting("model", f"dbt {command} (target {config.dbt_target})")
    try:
        if verbose:
            return run_dbt(config, args)
        with observer.dbt_events(f"model: dbt {words[0]}") as on_event:
            return run_dbt(config, args, quiet=True, on_event=on_event)
    except ModelError as error:
        outcome = error.result
        if verbose or not isinstance(outcome, ModelResult) or not outcome.failures:
            raise
        failed = outcome.failures
        names = ", ".join(problem.name for problem in failed[:5]) + (", ..." if len(failed) > 5 else "")
        raise ModelError(
            f"dbt {command} failed: {len(failed)} node(s), shown above: {names}", error.hint, outcome
        ) from None


def _require_loaded_tables(config: Config) -> None:
    """Before dbt reads the loaded tables: on DuckDB, one line when there are none yet (dbt would print an
    error per source test)."""
    if config.dbt_target != "duckdb":
        return
    path = config.warehouse_path
    if path.exists():
        try:
            with duckdb.connect(str(path), read_only=True) as connection:
                found = connection.execute(
                    "select 1 from information_schema.tables where table_schema = ? and table_name = 'event_v2'",
                    [config.warehouse.schema_name],
                ).fetchone()
        except duckdb.Error:  # held by a writer: dbt will say what it finds
            return
        if found:
            return
    raise InputError(
        f"model: the warehouse {path} (warehouse.path) has no loaded tables yet",
        hint="run `clickstream etl` and `clickstream load` first, or `clickstream run` for a whole cycle",
    )


def mart_counts(warehouse_path: Path) -> dict[str, int]:
    """Rows of the core marts, read from the DuckDB warehouse."""
    with duckdb.connect(str(warehouse_path)) as connection:
        counts = {}
        for table in ("fct_events", "fct_sessions", "dim_users", "fct_event_items"):
            row = connection.execute(f"select count(*) from {MART_SCHEMA}.{table}").fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts
