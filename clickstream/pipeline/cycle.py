"""One pipeline cycle (etl, load, model, metadata, publish, dashboards), or one every interval.

Every stage is safe to interrupt and to repeat: the ETL's outputs appear atomically and a raw file stays
pending until its outputs exist, a load commits rows and ledger together, dbt replaces a model only when
it built, and the catalog file is written whole. So a failed stage needs no repair: the cycle stops
there (later stages would only work on stale inputs), the warehouse keeps its last good state, and the
next cycle retries. One lock keeps two cycles from overlapping; each cycle's stages go into the
run-history table. What happens is reported to the observer passed in; nothing here prints.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from clickstream.config import Config
from clickstream.errors import ClickstreamError, LockBusy
from clickstream.loader import open_warehouse
from clickstream.locks import cycle_lock_path, exclusive_lock
from clickstream.metadata import export_metadata
from clickstream.pipeline.observer import CycleObserver, ScheduleObserver
from clickstream.pipeline.results import (
    FAILED,
    OK,
    PARTIAL,
    RUNNING,
    SKIPPED,
    CycleReport,
    StageRun,
    summary_line,
)
from clickstream.pipeline.steps import etl_step, load_step, model_step
from clickstream.run_history import CYCLE, StageRecord
from clickstream.serving import publish_snapshot
from clickstream.state import RunHistory, database_url, live_apps, open_engine


@dataclass(frozen=True)
class StageOutput:
    """What a stage function reports: its result object and its counts in and out."""

    result: object
    count_in: int
    count_out: int
    detail: str = ""
    status: str = OK


Stage = Callable[[Config, CycleObserver], StageOutput]


def _etl(config: Config, observer: CycleObserver) -> StageOutput:
    """Raw files that failed stay pending (retried next cycle); what did process is loaded and modelled now."""
    result = etl_step(config, observer=observer)
    detail = f"{result.files_processed} raw files"
    if result.failed_files:
        failed = sorted(result.failed_files)
        detail += (
            f"; {len(failed)} failed and stay pending: {', '.join(failed[:3])}{', ...' if len(failed) > 3 else ''}"
        )
    return StageOutput(result, result.records, result.events, detail, PARTIAL if result.failed_files else OK)


def _load(config: Config, observer: CycleObserver) -> StageOutput:
    result = load_step(config, observer)
    return StageOutput(result, result.total_files, result.total_rows, f"{result.replaced} files replaced")


def _model(config: Config, observer: CycleObserver, verbose: bool = False) -> StageOutput:
    result = model_step(config, verbose=verbose, observer=observer)
    nodes = sum(result.statuses.values())
    done = sum(count for status, count in result.statuses.items() if status in ("success", "pass"))
    return StageOutput(result, nodes, done, ", ".join(f"{s} {n}" for s, n in sorted(result.statuses.items())))


def catalog_path(config: Config) -> Path:
    """Where each cycle writes the metadata catalog (the JSON `clickstream metadata export` prints)."""
    return config.home / "metadata" / "catalog.json"


def _metadata(config: Config, observer: CycleObserver) -> StageOutput:
    catalog = export_metadata(config, catalog_path(config))
    sizes = {key: len(value) for key, value in catalog.items() if isinstance(value, list)}
    return StageOutput(catalog, 0, sum(sizes.values()))


def _dashboards(config: Config, observer: CycleObserver) -> StageOutput:
    """Re-render the offline dashboards from the models just built (QuickSight reads the warehouse itself)."""
    from clickstream.quicksight import render_dashboards

    rendered = render_dashboards(config)
    return StageOutput(rendered, len(config.app_ids), len(rendered), f"{len(rendered)} HTML files")


def _publish(config: Config, observer: CycleObserver) -> StageOutput:
    """The Studio's read-only serving snapshot (see clickstream/serving.py): the Studio never opens the warehouse."""
    published = publish_snapshot(config)
    return StageOutput(published, published.events, published.events, f"{published.seconds:.1f}s")


def cycle_stages(config: Config, verbose: bool = False) -> list[tuple[str, Stage]]:
    """The stages of a cycle in order; the catalog and the offline dashboards need the DuckDB warehouse.

    ``verbose``: dbt prints its own lines instead of reporting its events to the observer.
    """

    def model(config: Config, observer: CycleObserver) -> StageOutput:
        return _model(config, observer, verbose)

    stages: list[tuple[str, Stage]] = [("etl", _etl), ("load", _load), ("model", model)]
    if config.dbt_target == "duckdb":
        stages.append(("metadata", _metadata))
        # publish before dashboards: a failed render must not freeze the Studio on the previous cycle's data
        if config.studio.publish_snapshot:
            stages.append(("publish", _publish))
        if config.warehouse.type == "duckdb" and config.dashboards.render:
            stages.append(("dashboards", _dashboards))
    return stages


def run_cycle(
    config: Config, lock_timeout_seconds: float = 0, verbose: bool = False, observer: CycleObserver | None = None
) -> CycleReport:
    """One cycle under the pipeline lock; stages after a failed one are skipped; history recorded.

    The cycle runs with the live app list (clickstream/state/apps.py): apps created in the Studio since the
    last cycle are transformed, loaded, modelled with their timezone and get dashboards.
    """
    observer = observer or CycleObserver()
    with exclusive_lock(cycle_lock_path(config), lock_timeout_seconds, "a pipeline cycle"):
        config = _with_live_apps(config, observer)
        report = CycleReport(uuid.uuid4().hex)
        started = datetime.now(UTC)
        _record(config, [StageRecord(report.run_id, CYCLE, started, started, RUNNING, 0, 0, "")], observer)
        for name, stage in cycle_stages(config, verbose):
            if any(run.status == FAILED for run in report.stages):
                now = datetime.now(UTC)
                report.stages.append(StageRun(name, now, now, SKIPPED, detail="an earlier stage failed"))
            else:
                report.stages.append(_run_stage(name, stage, config, observer))
        records = [stage.record(report.run_id) for stage in report.stages]
        cleanly = sum(run.status == OK for run in report.stages)
        outcome = StageRecord(report.run_id, CYCLE, started, datetime.now(UTC), OK if report.ok else FAILED,
                              len(records), cleanly, summary_line(report))  # fmt: skip
        _record(config, [*records, outcome], observer)
    return report


def _run_stage(name: str, stage: Stage, config: Config, observer: CycleObserver) -> StageRun:
    """Run one stage; any failure becomes a ``failed`` run with its message (and is retried next cycle)."""
    observer.stage_started(name)
    started = datetime.now(UTC)
    try:
        output = stage(config, observer)
    except Exception as error:
        ended = datetime.now(UTC)
        observer.stage_failed(name, error)
        return StageRun(name, started, ended, FAILED, detail=_describe(error))
    run = StageRun(name, started, datetime.now(UTC), output.status, output.count_in, output.count_out, output.detail)
    run.result = output.result
    observer.stage_finished(run)
    return run


def _with_live_apps(config: Config, observer: CycleObserver) -> Config:
    """``config`` with the live app list; with the config's own apps when the Studio's database fails."""
    try:
        return live_apps(config).pipeline_config(config)
    except Exception as error:  # a broken database must not stop the data of the apps the config names
        observer.apps_not_read(_describe(error))
        return config


def _describe(error: Exception) -> str:
    """A failed stage's error for the run history: ours by its message, anything else by its type too."""
    if isinstance(error, ClickstreamError):
        return error.message
    return f"{type(error).__name__}: {error}"


def _record(config: Config, records: list[StageRecord], observer: CycleObserver) -> None:
    """Append rows to the warehouse's run-history table and to the Studio's database (its pipeline page);
    a store that cannot take them is reported, not fatal."""
    try:
        warehouse = open_warehouse(config)
        try:
            warehouse.record_stages(records)
        finally:
            warehouse.close()
    except Exception as error:  # the cycle's work is done; a history row must not undo it
        observer.history_not_recorded(_describe(error))
    try:
        history = RunHistory(open_engine(database_url(config)), config.project_id)
        history.record(records)
    except Exception as error:
        observer.history_not_recorded(f"the Studio's database: {_describe(error)}")


@contextmanager
def _stop_on_sigterm(observer: ScheduleObserver) -> Iterator[Callable[[], bool]]:
    """SIGTERM asks the loop to stop after the current cycle instead of killing it mid-stage."""
    requested = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal requested
        requested = True
        observer.stop_requested()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield lambda: requested
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_every(
    config: Config,
    interval_seconds: float,
    max_cycles: int | None = None,
    verbose: bool = False,
    observer: ScheduleObserver | None = None,
) -> list[CycleReport]:
    """A cycle every ``interval_seconds`` (at once again when a cycle took longer), until stopped.

    ``max_cycles`` counts every tick, including one skipped because another cycle held the lock, so a
    bounded run always ends.
    """
    observer = observer or ScheduleObserver()
    reports: list[CycleReport] = []
    ticks = 0
    with _stop_on_sigterm(observer) as stop_requested:
        while not stop_requested() and (max_cycles is None or ticks < max_cycles):
            ticks += 1
            started = time.monotonic()
            try:
                report = run_cycle(config, verbose=verbose, observer=observer)
            except LockBusy as busy:
                observer.cycle_skipped(busy.message)
            except Exception as error:  # a scheduler outlives a bad cycle; the next one retries
                observer.cycle_crashed(error)
            else:
                reports.append(report)
                observer.cycle_finished(report)
            took = time.monotonic() - started
            if 0 < interval_seconds < took:  # silently back to back would look like a schedule
                observer.cycle_overran(took, interval_seconds)
            if max_cycles is not None and ticks >= max_cycles:
                break
            wake = started + interval_seconds
            if wake > time.monotonic():
                observer.waiting(wake - time.monotonic())
            while not stop_requested() and time.monotonic() < wake:
                time.sleep(min(0.5, max(0.0, wake - time.monotonic())))
    return reports
