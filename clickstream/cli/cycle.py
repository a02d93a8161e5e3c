"""`clickstream run` on the terminal: the pipeline's cycle and schedule reports as lines, bars and errors.

The cycle itself (stages, lock, run history, schedule) is clickstream/pipeline/cycle.py; this module only
renders what it reports.
"""

from __future__ import annotations

from clickstream.cli.pipeline import ConsoleStepObserver, render_etl, render_load, render_model, render_model_failure
from clickstream.cli.render import console, errors
from clickstream.config import Config
from clickstream.errors import ClickstreamError
from clickstream.etl import EtlResult
from clickstream.loader import LoadResult
from clickstream.modeling import ModelResult
from clickstream.pipeline.cycle import catalog_path
from clickstream.pipeline.observer import ScheduleObserver
from clickstream.pipeline.results import CycleReport, StageRun, summary_line


class ConsoleObserver(ConsoleStepObserver, ScheduleObserver):
    """A cycle's stages and a schedule's ticks as the terminal shows them; failures on stderr."""

    def __init__(self, config: Config | None, verbose: bool = False) -> None:
        self.config = config  # None until the caller knows it (the demo writes its config first)
        self.verbose = verbose

    def stage_finished(self, run: StageRun) -> None:
        result, config = run.result, self.config
        assert config is not None, "a cycle runs with a config"
        if isinstance(result, EtlResult):
            render_etl(config, result)
        elif isinstance(result, LoadResult):
            render_load(result)
        elif isinstance(result, ModelResult):
            render_model(result, self.verbose)
        elif run.name == "metadata" and isinstance(result, dict):
            sizes = {key: len(value) for key, value in result.items() if isinstance(value, list)}
            console.print(
                "metadata: "
                + ", ".join(f"{count} {key}" for key, count in sizes.items())
                + f" -> {catalog_path(config)} ({run.seconds:.1f}s)"
            )
        elif run.name == "dashboards" and isinstance(result, list):
            for dashboard in result:
                console.print(f"dashboards: {dashboard.title} -> {dashboard.path}")

    def stage_failed(self, name: str, error: Exception) -> None:
        """Ours as a line and a hint, anything else with its traceback."""
        render_model_failure(error, self.verbose)
        if isinstance(error, ClickstreamError):
            errors.print(f"[red]{name} failed:[/red] {error.message}")
            if error.hint:
                errors.print(f"[yellow]hint:[/yellow] {error.hint}")
            return
        errors.print(f"[red]{name} failed unexpectedly:[/red]")
        errors.print_exception()

    def history_not_recorded(self, message: str) -> None:
        errors.print(f"[yellow]run history not recorded:[/yellow] {message}")

    def apps_not_read(self, message: str) -> None:
        errors.print(f"[yellow]the live app list could not be read, using clickstream.yml's apps:[/yellow] {message}")

    def cycle_finished(self, report: CycleReport) -> None:
        console.print(summary_line(report))

    def cycle_skipped(self, message: str) -> None:
        console.print(f"run: skipped this cycle: {message}")

    def cycle_crashed(self, error: Exception) -> None:
        errors.print("[red]run: the cycle failed unexpectedly; retrying at the next interval[/red]")
        errors.print_exception()

    def cycle_overran(self, seconds: float, interval_seconds: float) -> None:
        console.print(
            f"run: [yellow]this cycle took {seconds:.0f}s, longer than the interval ({interval_seconds:g}s): "
            "the next one starts at once; give --every more time[/yellow]"
        )

    def waiting(self, seconds: float) -> None:
        console.print(f"run: next cycle in {seconds:.0f}s")

    def stop_requested(self) -> None:
        console.print("run: SIGTERM received; stopping after this cycle")
