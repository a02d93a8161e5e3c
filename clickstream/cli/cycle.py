"""`clickstream run`: one pipeline cycle (etl, load, model, metadata, publish, dashboards), or one every interval.

Every stage is safe to interrupt and to repeat: the ETL's outputs appear atomically and a raw file stays
pending until its outputs exist, a load commits rows and ledger together, dbt replaces a model only when
it built, and the catalog file is written whole. So a failed stage needs no repair: the cycle stops
there (later stages would only work on stale inputs), the warehouse keeps its last good state, and the
next cycle retries. One lock keeps two cycles from overlapping; each cycle's stages go into the
run-history table.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType

from clickstream.cli.pipeline import etl_step, load_step, model_step
from clickstream.cli.render import console, errors
from clickstream.config import Config
from clickstream.errors import ClickstreamError, LockBusy
from clickstream.locks import exclusive_lock
from clickstream.metadata import export_metadata
from clickstream.serving import publish_snapshot
from etl.runner import EtlResult
from loader.factory import open_warehouse
from loader.runner import LoadResult
from loader.warehouse import StageRecord

OK, PARTIAL, FAILED, SKIPPED, RUNNING = "ok", "partial", "failed", "skipped", "running"
CYCLE = "cycle"  # the run-history row of a whole cycle: "running" when it starts, its outcome when it ends


@dataclass
class StageRun:
    """One stage of a cycle: when, how it ended, what went in and came out."""

    name: str
    started_at: datetime
    ended_at: datetime
    status: str
    count_in: int = 0
    count_out: int = 0
    detail: str = ""
    result: object = None

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def record(self, run_id: str) -> StageRecord:
        """This stage as a run-history row."""
        return StageRecord(
            run_id, self.name, self.started_at, self.ended_at, self.status, self.count_in, self.count_out, self.detail
        )


@dataclass
class CycleReport:
    """Every stage of one cycle, in order."""

    run_id: str
    stages: list[StageRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(stage.status == OK for stage in self.stages)

    def stage(self, name: str) -> StageRun:
        return next(stage for stage in self.stages if stage.name == name)

    @property
    def etl(self) -> EtlResult:
        result = self.stage("etl").result
        assert isinstance(result, EtlResult)
        return result

    @property
    def load(self) -> LoadResult:
        result = self.stage("load").result
        assert isinstance(result, LoadResult)
        return result


@dataclass(frozen=True)
class StageOutput:
    """What a stage function reports: its result object and its counts in and out."""

    result: object
    count_in: int
    count_out: int
    detail: str = ""
    status: str = OK


def _etl(config: Config) -> StageOutput:
    """Raw files that failed stay pending (retried next cycle); what did process is loaded and modelled now."""
    result = etl_step(config, fail_on_failed_files=False)
    detail = f"{result.files_processed} raw files"
    if result.failed_files:
        failed = sorted(result.failed_files)
        detail += (
            f"; {len(failed)} failed and stay pending: {', '.join(failed[:3])}{', ...' if len(failed) > 3 else ''}"
        )
    return StageOutput(result, result.records, result.events, detail, PARTIAL if result.failed_files else OK)


def _load(config: Config) -> StageOutput:
    result = load_step(config)
    return StageOutput(result, result.total_files, result.total_rows, f"{result.replaced} files replaced")


def _model(config: Config, verbose: bool = False) -> StageOutput:
    result = model_step(config, verbose=verbose)
    nodes = sum(result.statuses.values())
    done = sum(count for status, count in result.statuses.items() if status in ("success", "pass"))
    return StageOutput(result, nodes, done, ", ".join(f"{s} {n}" for s, n in sorted(result.statuses.items())))


def catalog_path(config: Config) -> Path:
    """Where each cycle writes the metadata catalog (the JSON `clickstream metadata export` prints)."""
    return config.home / "metadata" / "catalog.json"


def _metadata(config: Config) -> StageOutput:
    started = time.perf_counter()
    catalog = export_metadata(config, catalog_path(config))
    sizes = {key: len(value) for key, value in catalog.items() if isinstance(value, list)}
    console.print(
        "metadata: "
        + ", ".join(f"{count} {key}" for key, count in sizes.items())
        + f" -> {catalog_path(config)} ({time.perf_counter() - started:.1f}s)"
    )
    return StageOutput(catalog, 0, sum(sizes.values()))


def _dashboards(config: Config) -> StageOutput:
    """Re-render the offline dashboards from the models just built (QuickSight reads the warehouse itself)."""
    from quicksight.render import render_dashboards

    rendered = render_dashboards(config)
    for dashboard in rendered:
        console.print(f"dashboards: {dashboard.title} -> {dashboard.path}")
    return StageOutput(rendered, len(config.app_ids), len(rendered), f"{len(rendered)} HTML files")


def _publish(config: Config) -> StageOutput:
    """The Studio's read-only serving snapshot (see clickstream/serving.py): the Studio never opens the warehouse."""
    published = publish_snapshot(config)
    return StageOutput(published, published.events, published.events, f"{published.seconds:.1f}s")


def cycle_stages(config: Config, verbose: bool = False) -> list[tuple[str, Callable[[Config], StageOutput]]]:
    """The stages of a cycle in order; the catalog and the offline dashboards need the DuckDB warehouse.

    ``verbose``: dbt prints its own lines instead of a progress bar and a summary.
    """
    model = partial(_model, verbose=verbose)
    stages: list[tuple[str, Callable[[Config], StageOutput]]] = [("etl", _etl), ("load", _load), ("model", model)]
    if config.dbt_target == "duckdb":
        stages.append(("metadata", _metadata))
        # publish before dashboards: a failed render must not freeze the Studio on the previous cycle's data
        if config.studio.publish_snapshot:
            stages.append(("publish", _publish))
        if config.warehouse.type == "duckdb" and config.dashboards.render:
            stages.append(("dashboards", _dashboards))
    return stages


def cycle_lock_path(config: Config) -> Path:
    return config.home / "locks" / "pipeline.lock"


def run_cycle(config: Config, lock_timeout_seconds: float = 0, verbose: bool = False) -> CycleReport:
    """One cycle under the pipeline lock; stages after a failed one are skipped; history recorded."""
    with exclusive_lock(cycle_lock_path(config), lock_timeout_seconds, "a pipeline cycle"):
        report = CycleReport(uuid.uuid4().hex)
        started = datetime.now(UTC)
        _record(config, [StageRecord(report.run_id, CYCLE, started, started, RUNNING, 0, 0, "")])
        for name, stage in cycle_stages(config, verbose):
            if any(run.status == FAILED for run in report.stages):
                now = datetime.now(UTC)
                report.stages.append(StageRun(name, now, now, SKIPPED, detail="an earlier stage failed"))
            else:
                report.stages.append(_run_stage(name, stage, config))
        records = [stage.record(report.run_id) for stage in report.stages]
        cleanly = sum(run.status == OK for run in report.stages)
        outcome = StageRecord(report.run_id, CYCLE, started, datetime.now(UTC), OK if report.ok else FAILED,
                              len(records), cleanly, summary_line(report))  # fmt: skip
        _record(config, [*records, outcome])
    return report


def _run_stage(name: str, stage: Callable[[Config], StageOutput], config: Config) -> StageRun:
    """Run one stage; any failure becomes a ``failed`` run with its message (and is retried next cycle)."""
    started = datetime.now(UTC)
    try:
        output = stage(config)
    except Exception as error:
        return StageRun(name, started, datetime.now(UTC), FAILED, detail=_describe(name, error))
    run = StageRun(name, started, datetime.now(UTC), output.status, output.count_in, output.count_out, output.detail)
    run.result = output.result
    return run


def _describe(stage: str, error: Exception) -> str:
    """Print a failed stage's error (ours as a line and a hint, anything else with its traceback)."""
    if isinstance(error, ClickstreamError):
        errors.print(f"[red]{stage} failed:[/red] {error.message}")
        if error.hint:
            errors.print(f"[yellow]hint:[/yellow] {error.hint}")
        return error.message
    errors.print(f"[red]{stage} failed unexpectedly:[/red]")
    errors.print_exception()
    return f"{type(error).__name__}: {error}"


def _record(config: Config, records: list[StageRecord]) -> None:
    """Append rows to the run-history table; a warehouse that cannot take them is reported, not fatal."""
    try:
        warehouse = open_warehouse(config)
        try:
            warehouse.record_stages(records)
        finally:
            warehouse.close()
    except Exception as error:  # the cycle's work is done; a history row must not undo it
        message = error.message if isinstance(error, ClickstreamError) else f"{type(error).__name__}: {error}"
        errors.print(f"[yellow]run history not recorded:[/yellow] {message}")


def summary_line(report: CycleReport) -> str:
    parts = [f"{stage.name} {stage.status} {stage.seconds:.1f}s" for stage in report.stages]
    return f"run {report.run_id[:8]}: " + ", ".join(parts)


@contextmanager
def _stop_on_sigterm() -> Iterator[Callable[[], bool]]:
    """SIGTERM asks the loop to stop after the current cycle instead of killing it mid-stage."""
    requested = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal requested
        requested = True
        console.print("run: SIGTERM received; stopping after this cycle")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield lambda: requested
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_every(
    config: Config, interval_seconds: float, max_cycles: int | None = None, verbose: bool = False
) -> list[CycleReport]:
    """A cycle every ``interval_seconds`` (at once again when a cycle took longer), until stopped.

    ``max_cycles`` counts every tick, including one skipped because another cycle held the lock, so a
    bounded run always ends.
    """
    reports: list[CycleReport] = []
    ticks = 0
    with _stop_on_sigterm() as stop_requested:
        while not stop_requested() and (max_cycles is None or ticks < max_cycles):
            ticks += 1
            started = time.monotonic()
            try:
                report = run_cycle(config, verbose=verbose)
            except LockBusy as busy:
                console.print(f"run: skipped this cycle: {busy.message}")
            except Exception:  # a scheduler outlives a bad cycle; the next one retries
                errors.print("[red]run: the cycle failed unexpectedly; retrying at the next interval[/red]")
                errors.print_exception()
            else:
                reports.append(report)
                console.print(summary_line(report))
            took = time.monotonic() - started
            if 0 < interval_seconds < took:  # silently back to back would look like a schedule
                console.print(
                    f"run: [yellow]this cycle took {took:.0f}s, longer than the interval ({interval_seconds:g}s): "
                    "the next one starts at once; give --every more time[/yellow]"
                )
            if max_cycles is not None and ticks >= max_cycles:
                break
            wake = started + interval_seconds
            if wake > time.monotonic():
                console.print(f"run: next cycle in {wake - time.monotonic():.0f}s")
            while not stop_requested() and time.monotonic() < wake:
                time.sleep(min(0.5, max(0.0, wake - time.monotonic())))
    return reports


def parse_interval(text: str) -> float:
    """``30s``, ``5m``, ``1h`` or plain seconds -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(value) * units[unit]
    except ValueError:
        seconds = -1
    if seconds <= 0:
        raise ClickstreamError(f"--every {text!r} is not an interval", hint="write it like 30s, 5m or 1h")
    return seconds
