"""How the pipeline reports while it works: an observer the caller passes in, that says nothing by default.

The pipeline never prints. Whoever runs it (the CLI, the demo, a test) subclasses :class:`StepObserver`
or :class:`CycleObserver` and overrides the hooks it wants to show; every hook here is a no-op, so a caller
that passes no observer gets the results and nothing else. Hooks that receive an exception are called
inside the ``except`` block, so a renderer may print the traceback that is being handled.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from clickstream.pipeline.results import CycleReport, StageRun

Progress = Callable[[int, int], None]
"""``update(done, total)``, called as a step works through its inputs."""
DbtEvents = Callable[[Any], None]
"""dbt's event callback (``run_dbt(on_event=...)``); dbt's threads call it."""


def _ignore(done: int, total: int) -> None:
    return None


class StepObserver:
    """What one step (etl, load, model) reports before and while it runs."""

    def starting(self, step: str, what: str) -> None:
        """``step`` is about to start ``what`` (a Spark session, a dbt command), which can take a while."""

    def progress(self, description: str) -> AbstractContextManager[Progress]:
        """A unit of work with a count: yields the ``update(done, total)`` the step calls."""
        return nullcontext(_ignore)

    def dbt_events(self, description: str) -> AbstractContextManager[DbtEvents | None]:
        """A quiet dbt run: yields the callback for dbt's events (None: dbt's events are not wanted)."""
        return nullcontext(None)


class CycleObserver(StepObserver):
    """What a cycle reports: each stage as it starts, ends or fails, and what the history could not keep."""

    def stage_started(self, name: str) -> None:
        """Stage ``name`` starts (it is not called for a stage skipped after a failure)."""

    def stage_finished(self, run: StageRun) -> None:
        """Stage ``run.name`` ended without raising; ``run.result`` holds what it returned."""

    def stage_failed(self, name: str, error: Exception) -> None:
        """Stage ``name`` raised ``error``; the cycle skips the stages after it and retries next time."""

    def history_not_recorded(self, message: str) -> None:
        """The run-history table could not take this cycle's rows (the cycle's work stands)."""

    def apps_not_read(self, message: str) -> None:
        """The live app list could not be read; this cycle runs with clickstream.yml's apps."""


class ScheduleObserver(CycleObserver):
    """What ``run_every`` reports between cycles."""

    def cycle_finished(self, report: CycleReport) -> None:
        """A cycle ended (cleanly or not: ``report.ok``)."""

    def cycle_skipped(self, message: str) -> None:
        """Another process held the pipeline lock, so this tick ran no cycle."""

    def cycle_crashed(self, error: Exception) -> None:
        """The cycle itself (not a stage) raised; the next tick retries."""

    def cycle_overran(self, seconds: float, interval_seconds: float) -> None:
        """A cycle took longer than the interval: the next one starts at once."""

    def waiting(self, seconds: float) -> None:
        """The next cycle starts in ``seconds``."""

    def stop_requested(self) -> None:
        """SIGTERM arrived: the schedule stops after the current cycle. Called from the signal handler."""
