"""Fuzz targets shared by the test suite (a fixed budget each) and ``bench/fuzz.py`` (minutes each).

A target is a hypothesis strategy and a harness: a context manager that sets up what the check needs
(a live server, an app, a warehouse) once, and yields the check, which raises on a finding. The suite
runs each target for a fixed number of examples; ``bench/fuzz.py`` runs it in batches of new seeds
until its time is up. Each package's tests register their targets in a ``fuzz_targets`` module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis.strategies import SearchStrategy

Check = Callable[[Any], None]


@dataclass(frozen=True)
class FuzzTarget:
    """What is fuzzed (``name``), with which inputs (``strategy``), and how it is checked (``harness``)."""

    name: str
    strategy: SearchStrategy[Any]
    harness: Callable[[], AbstractContextManager[Check]]


def run_examples(check: Check, strategy: SearchStrategy[Any], examples: int, seed_value: int | None = None) -> None:
    """Run ``check`` on ``examples`` inputs drawn from ``strategy``; a finding is raised, shrunk."""

    def body(value: Any) -> None:
        check(value)

    test = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )(given(strategy)(body))
    if seed_value is not None:
        test = seed(seed_value)(test)
    test()


def run_target(target: FuzzTarget, examples: int) -> None:
    """The suite's fixed budget: ``examples`` inputs, with the harness set up once."""
    with target.harness() as check:
        run_examples(check, target.strategy, examples)


@dataclass
class FuzzRun:
    """What a timed run of one target did."""

    name: str
    examples: int = 0
    batches: int = 0
    seconds: float = 0.0
    finding: str | None = None


def run_for(target: FuzzTarget, seconds: float, batch: int = 500, first_seed: int = 0) -> FuzzRun:
    """Run ``target`` in batches of ``batch`` examples, each from a new seed, until ``seconds`` have passed."""
    run = FuzzRun(target.name)
    started = time.monotonic()
    with target.harness() as check:
        while time.monotonic() - started < seconds:
            try:
                run_examples(check, target.strategy, batch, first_seed + run.batches)
            except Exception as exc:  # a finding: report it, shrunk, and stop this target
                run.finding = describe(exc)
                break
            finally:
                run.batches += 1
            run.examples += batch
    run.seconds = time.monotonic() - started
    return run


def plain_harness(check: Check) -> Callable[[], AbstractContextManager[Check]]:
    """A harness for a check that needs no set-up."""
    return lambda: nullcontext(check)


def describe(error: BaseException) -> str:
    """A finding in a line or a few: each of hypothesis' distinct failures, with the input it was shrunk to."""
    if isinstance(error, BaseExceptionGroup):
        return "\n".join(describe(inner) for inner in error.exceptions)
    notes = " ".join(note for note in getattr(error, "__notes__", []) if note.startswith(("Falsifying", "Failing")))
    return f"{type(error).__name__}: {str(error)[:500]} {notes[:2000]}"
