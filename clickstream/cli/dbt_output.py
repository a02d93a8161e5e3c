"""dbt's run as a person wants to see it: a progress bar while it runs, then failures and warnings in full.

dbt prints a line per node start and end, so a build of this project is a couple of hundred lines in which
the one failure is easy to miss. Without ``--verbose`` dbt's own lines stay in its log file, and this
module renders its events instead; ``--verbose`` gives dbt's lines as dbt prints them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.markup import escape
from rich.progress import TextColumn

from clickstream.cli.render import errors, progress_display
from clickstream.modeling import ModelResult, NodeProblem

# Events whose text the summary shows as they come: warnings the project's macros raise (a backlog left for
# the next run, for example) and dbt's deprecations, which a quiet run would otherwise hide.
_SHOWN_WARNINGS = ("JinjaLogWarning",)


@contextmanager
def dbt_progress(description: str) -> Iterator[Any]:
    """A progress bar fed by dbt's events; yields the callback to hand to ``run_dbt(on_event=...)``."""
    with progress_display(TextColumn("{task.fields[node]}", style="dim"), transient=True) as progress:
        task = progress.add_task(description, total=None, node="")

        def on_event(message: Any) -> None:  # dbt's threads call this: Progress guards itself
            name = message.info.name
            data = message.data
            if name == "LogStartLine":
                progress.update(task, total=data.total, node=data.node_info.node_name)
            elif name == "NodeFinished":
                progress.advance(task)
            elif name in _SHOWN_WARNINGS or name.endswith("Deprecation"):
                progress.console.print(f"[yellow]dbt: {escape(message.info.msg)}[/yellow]")

        yield on_event


def print_problems(result: ModelResult) -> None:
    """Each failed, errored or warned node with dbt's whole message and where its compiled SQL is."""
    for problem in result.problems:
        _print_problem(problem)


def _print_problem(problem: NodeProblem) -> None:
    colour = "yellow" if problem.status == "warn" else "red"
    errors.print(f"[{colour}]{problem.status.upper()}[/{colour}] [bold]{escape(problem.name)}[/bold]")
    for line in problem.message.strip().splitlines():
        errors.print(f"    {escape(line)}", soft_wrap=True)
    if problem.compiled_path:
        errors.print(f"    compiled SQL: {escape(problem.compiled_path)}", soft_wrap=True)
