"""Waiting for a query a warehouse runs on its own (Redshift Data API statements, Athena queries).

Both services answer "submitted" at once and are then asked how the query is doing; the question is
repeated with a doubling wait up to a cap, and the caller cancels a query still running at its time limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Polled(Generic[T]):
    """The last answer, and whether it came after the time limit without being final."""

    answer: T
    timed_out: bool


def poll(
    describe: Callable[[], T],
    final: Callable[[T], bool],
    *,
    first_interval: float,
    max_interval: float,
    timeout_seconds: float | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Polled[T]:
    """Ask ``describe`` until ``final`` holds for its answer, or until ``timeout_seconds`` have passed.

    Asked at once, then after ``first_interval`` seconds, doubling up to ``max_interval``; the time limit is
    checked after each answer that is not final, so the query always gets at least one look.
    """
    deadline = None if timeout_seconds is None else clock() + timeout_seconds
    interval = first_interval
    while True:
        answer = describe()
        if final(answer):
            return Polled(answer, timed_out=False)
        if deadline is not None and clock() >= deadline:
            return Polled(answer, timed_out=True)
        sleep(interval)
        interval = min(interval * 2, max_interval)
