"""The pipeline's stage steps (etl, load, model) with their progress bars and summary lines, and mart counts."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import duckdb

from clickstream.cli.dbt_output import dbt_progress, print_problems
from clickstream.cli.render import console, progress_bar
from clickstream.config import Config
from clickstream.errors import InputError, ModelError
from clickstream.modeling import ModelResult, run_dbt
from etl import native
from etl.process import EtlJob
from etl.runner import EtlResult, run_etl
from loader.runner import LoadResult, run_load

MART_SCHEMA = "analytics"


class EtlRunner(StrEnum):
    """Where `clickstream etl` runs the transform; both write the same files."""

    LOCAL = "local"
    SPARK = "spark"


def etl_step(
    config: Config,
    reprocess: bool = False,
    runner: EtlRunner = EtlRunner.LOCAL,
    spark_master: str | None = None,
    fail_on_failed_files: bool = True,
) -> EtlResult:
    """Run the ETL; raw files that could not be processed stay pending and, by default, raise at the end."""
    job = EtlJob.from_config(config)
    if runner is EtlRunner.SPARK:
        from etl.spark_runner import run_spark_etl, spark_session

        master = spark_master or f"local[{config.etl.workers}]"
        console.print(f"etl: starting Spark ({master})")
        with spark_session(master) as spark, progress_bar("etl: raw files (Spark)") as update:
            result = run_spark_etl(spark, config.storage_root, job, reprocess=reprocess, on_progress=update)
    else:
        with progress_bar("etl: raw files") as update:
            result = run_etl(config.storage_root, job, config.etl.workers, update, reprocess=reprocess)
    rejected = ", ".join(f"{reason} {count}" for reason, count in sorted(result.rejected_by_reason.items())) or "none"
    console.print(
        f"etl: {result.files_processed} of {result.files_seen} new raw files processed, {result.records:,} records -> "
        f"{result.events:,} events, {result.items:,} items, {result.users:,} user rows; rejected: {rejected} "
        f"({result.seconds:.1f}s)"
    )
    if result.files_seen == 0:  # say where it looked: an empty run is most often the wrong home or data_root
        console.print(f"etl: no new raw files under {config.storage_root.rstrip('/')}/raw")
    if not native.NATIVE and runner is EtlRunner.LOCAL:
        console.print(
            "[yellow]etl: the compiled converter (etl._columns) is off, so columns take pyarrow's path: the same "
            "output, a little slower. Not installed? Install a C compiler and reinstall the package; or unset "
            "CLICKSTREAM_ETL_NATIVE=0[/yellow]"
        )
    for path in result.ignored_files:
        console.print(f"[yellow]etl: ignored {path}: not in the raw/year=/month=/day=/hour= layout[/yellow]")
    for path, error in result.failed_files.items():
        console.print(f"[red]etl: failed {path}: {error}[/red]")
    if result.failed_files and fail_on_failed_files:
        raise InputError(
            f"{len(result.failed_files)} raw file(s) could not be processed; they stay pending",
            hint="fix the cause shown above and run `clickstream etl` again",
        )
    return result


def load_step(config: Config) -> LoadResult:
    with progress_bar("load: parquet files") as update:
        result = run_load(config, update)
    loaded = ", ".join(f"{table} {rows:,} rows" for table, rows in result.rows.items() if result.files.get(table))
    replaced = f", {result.replaced} of them re-processed (old rows replaced)" if result.replaced else ""
    if result.vanished:
        replaced += f"; {result.vanished} vanished files forgotten ({result.rows_removed:,} rows removed)"
    console.print(
        f"load: {result.total_files} new files{replaced} ({loaded or 'nothing new'}); "
        f"{result.already_loaded} already loaded, skipped ({result.seconds:.1f}s)"
    )
    return result


def model_step(config: Config, args: list[str] | None = None, verbose: bool = False) -> ModelResult:
    """dbt on the models: a progress bar and a summary, failures in full; ``verbose``: dbt's own lines."""
    if (args or ["build"])[0] in ("build", "run", "test"):
        _require_loaded_tables(config)
    command = " ".join(args or ["build"])
    console.print(f"model: dbt {command} (target {config.dbt_target})")
    try:
        if verbose:
            result = run_dbt(config, args)
        else:
            with dbt_progress(f"model: dbt {(args or ['build'])[0]}") as on_event:
                result = run_dbt(config, args, quiet=True, on_event=on_event)
    except ModelError as error:
        outcome = error.result
        if verbose or not isinstance(outcome, ModelResult) or not outcome.failures:
            raise
        failed = outcome.failures
        print_problems(outcome)
        names = ", ".join(problem.name for problem in failed[:5]) + (", ..." if len(failed) > 5 else "")
        raise ModelError(
            f"dbt {command} failed: {len(failed)} node(s), shown above: {names}", error.hint, outcome
        ) from None
    if not verbose:
        print_problems(result)  # only warnings can be left when dbt succeeded
    summary = ", ".join(f"{status} {count}" for status, count in sorted(result.statuses.items()))
    console.print(f"model: {summary or 'nothing to do'} ({result.seconds:.1f}s)")
    return result


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
