"""A time limit on one DuckDB query: a timer interrupts the cursor, and the caller answers 504.

DuckDB has no statement timeout setting; ``interrupt()`` on the connection that runs the query is its way
to cancel one, and it frees the query's threads at once (a timeout that only stopped waiting would leave
the query burning CPU). The interrupt belongs to that connection: a cursor is a connection of its own, so
the timer must hold the cursor that executes, not the handle it was made from.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


class QueryTimeout(RuntimeError):
    """The query ran longer than ``studio.query_timeout_seconds`` and was cancelled."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query ran longer than {seconds:g} s and was cancelled: narrow the time range, the events or the "
            "grouping, or raise studio.query_timeout_seconds"
        )
        self.seconds = seconds


@contextmanager
def interrupt_after(cursor: duckdb.DuckDBPyConnection, seconds: float | None) -> Iterator[None]:
    """Run the block with ``cursor`` interrupted after ``seconds`` (None: no limit); QueryTimeout if it was."""
    if seconds is None:
        yield
        return
    fired = threading.Event()

    def interrupt() -> None:
        fired.set()
        cursor.interrupt()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.InterruptException:
        if fired.is_set():
            raise QueryTimeout(seconds) from None
        raise
    finally:
        timer.cancel()
