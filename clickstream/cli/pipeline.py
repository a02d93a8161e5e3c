"""The one-stage commands (etl, load, model): run the pipeline's step, then render its result.

:class:`ConsoleStepObserver` turns a step's reports into Rich progress bars and lines; the ``render_*``
functions print a step's summary, shared with a cycle's rendering (cycle.py).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from clickstream.cli.dbt_output import dbt_progress, print_problems
from clickstream.cli.render import console, progress_bar
from clickstream.config import Config
from clickstream.errors import InputError, ModelError
from clickstream.etl import EtlResult, native
from clickstream.loader import LoadResult
from clickstream.modeling import ModelResult
from clickstream.pipeline import steps
from clickstream.pipeline.observer import DbtEvents, Progress, StepObserver
from clickstream.pipeline.steps import EtlRunner


class ConsoleStepObserver(StepObserver):
    """A step's reports on the terminal: a line before a slow start, progress bars while it runs."""

    def starting(self, step: str, what: str) -> None:
        console.print(f"{step}: {what}")

    def progress(self, description: str) -> AbstractContextManager[Progress]:
        return progress_bar(description)

    def dbt_events(self, description: str) -> AbstractContextManager[DbtEvents | None]:
        return dbt_progress(description)


def render_etl(config: Config, result: EtlResult, runner: EtlRunner = EtlRunner.LOCAL) -> None:
    """The ETL's summary line, then what a person should know: nothing found, the slow path, skipped files."""
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
            "[yellow]etl: the compiled converter (clickstream.etl._columns) is off, so columns take pyarrow's path: "
            "the same output, a little slower. Not installed? Install a C compiler and reinstall the package; or unset "
            "CLICKSTREAM_ETL_NATIVE=0[/yellow]"
        )
    for path in result.ignored_files:
        console.print(f"[yellow]etl: ignored {path}: not in the raw/year=/month=/day=/hour= layout[/yellow]")
    for path, error in result.failed_files.items():
        console.print(f"[red]etl: failed {path}: {error}[/red]")


def render_load(result: LoadResult) -> None:
    loaded = ", ".join(f"{table} {rows:,} rows" for table, rows in result.rows.items() if result.files.get(table))
    replaced = f", {result.replaced} of them re-processed (old rows replaced)" if result.replaced else ""
    if result.vanished:
        replaced += f"; {result.vanished} vanished files forgotten ({result.rows_removed:,} rows removed)"
    console.print(
        f"load: {result.total_files} new files{replaced} ({loaded or 'nothing new'}); "
        f"{result.already_loaded} already loaded, skipped ({result.seconds:.1f}s)"
    )


def render_model(result: ModelResult, verbose: bool) -> None:
    """dbt's warnings in full (a quiet run hid its lines), then the count of nodes by status."""
    if not verbose:
        print_problems(result)  # only warnings can be left when dbt succeeded
    summary = ", ".join(f"{status} {count}" for status, count in sorted(result.statuses.items()))
    console.print(f"model: {summary or 'nothing to do'} ({result.seconds:.1f}s)")


def render_model_failure(error: Exception, verbose: bool) -> None:
    """The failed nodes a quiet dbt run's error says are "shown above" (see pipeline.steps.model_step)."""
    outcome = error.result if isinstance(error, ModelError) else None
    if not verbose and isinstance(outcome, ModelResult) and outcome.failures:
        print_problems(outcome)


def etl_step(
    config: Config,
    reprocess: bool = False,
    runner: EtlRunner = EtlRunner.LOCAL,
    spark_master: str | None = None,
) -> EtlResult:
    """`clickstream etl`: raw files that could not be processed stay pending, and the command fails naming them."""
    result = steps.etl_step(config, reprocess, runner, spark_master, ConsoleStepObserver())
    render_etl(config, result, runner)
    if result.failed_files:
        raise InputError(
            f"{len(result.failed_files)} raw file(s) could not be processed; they stay pending",
            hint="fix the cause shown above and run `clickstream etl` again",
        )
    return result


def load_step(config: Config) -> LoadResult:
    """`clickstream load`."""
    result = steps.load_step(config, ConsoleStepObserver())
    render_load(result)
    return result


def model_step(config: Config, args: list[str] | None = None, verbose: bool = False) -> ModelResult:
    """`clickstream model`: a progress bar and a summary, failures in full; ``verbose``: dbt's own lines."""
    try:
        result = steps.model_step(config, args, verbose, ConsoleStepObserver())
    except ModelError as error:
        render_model_failure(error, verbose)
        raise
    render_model(result, verbose)
    return result
