"""`clickstream demo` on the terminal: the demo's reports as lines and bars, then what was sent against what was built.

The demo itself (folder, collector, traffic, cycle) is clickstream/pipeline/demo.py.
"""

from __future__ import annotations

from pathlib import Path

from clickstream.cli.cycle import ConsoleObserver
from clickstream.cli.render import console, key_value_table
from clickstream.config import Config
from clickstream.pipeline.demo import DemoObserver, DemoResult
from clickstream.simulator.sender import SimulationStats


class ConsoleDemoObserver(ConsoleObserver, DemoObserver):
    """The demo's folder and traffic, then its cycle, as `clickstream run` shows one."""

    def __init__(self) -> None:
        super().__init__(None)

    def demo_started(self, workdir: Path, config: Config) -> None:
        self.config = config
        console.print(f"demo: fresh folder {workdir}")

    def simulated(self, sent: SimulationStats) -> None:
        console.print(
            f"simulate: {sent.requests:,} requests ({sent.duplicate_requests} SDK retries), "
            f"{sent.events:,} events in {sent.seconds:.1f}s"
        )


def print_demo(result: DemoResult, warehouse: Path) -> None:
    sent = result.sent
    console.print(
        key_value_table(
            "demo: sent vs. built",
            [
                ("requests sent", sent.requests),
                ("events sent (distinct)", sent.events),
                ("events in fct_events", result.counts["fct_events"]),
                ("sessions sent", len(sent.sessions)),
                ("sessions in fct_sessions", result.counts["fct_sessions"]),
                ("users sent", len(sent.users)),
                ("users in dim_users", result.counts["dim_users"]),
                ("items in fct_event_items", result.counts["fct_event_items"]),
            ],
        )
    )
    console.print(key_value_table("demo: seconds per stage", [(k, f"{v:.1f}") for k, v in result.timings.items()]))
    console.print(f"warehouse: {warehouse} (schemas ods and analytics)")
    for path in result.dashboards:
        console.print(f"dashboard: {path} (open it in a browser)")
    verdict = "[green]counts match[/green]" if result.matches else "[red]counts differ[/red]"
    console.print(f"demo: {verdict}")
