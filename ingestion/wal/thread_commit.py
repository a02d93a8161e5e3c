"""Group commits on writer threads (``writers=N``), each with its own open segment.

While one writer's group is flushed, the lines that arrive meanwhile go to an idle writer, so group
commits overlap and the loop never waits for the disk: worth its CPU where a flush is slow (a network
file system). Each segment is written by one writer only, in order, and a request is answered only once
its own bytes are durable. The loop hands a batch over through the writer's ``SimpleQueue`` and the
thread answers with ``call_soon_threadsafe``: two wake-ups per group commit and no task, future or
executor machinery, which would run once per commit for every request. Decisions 30 and 33 in
docs/decisions.md.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable

from clickstream.ingestion.wal.segments import Writer

Commit = Callable[[Writer, list[bytes]], BaseException | None]
Written = Callable[[Writer, BaseException | None], None]


class ThreadCommit:
    """Hands each batch to its writer's thread, which commits it and tells the loop."""

    answers_within_dispatch = False
    """An answer comes from a thread through the loop's queue, outside any dispatch: the next one runs at once."""

    gather_seconds = 0.0  # an idle writer takes the lines at once: overlapping flushes make the groups

    def __init__(self, writers: list[Writer], commit: Commit, written: Written) -> None:
        self._writers = writers
        self._commit = commit
        self._written = written
        self._jobs: list[queue.SimpleQueue[list[bytes] | None]] = [queue.SimpleQueue() for _ in writers]

    def start(self, loop: asyncio.AbstractEventLoop) -> list[threading.Thread]:
        """The writer threads, not started yet."""
        return [
            threading.Thread(target=self._write_batches, args=(writer, loop), name=f"wal-writer-{writer.index}")
            for writer in self._writers
        ]

    def hand(self, writer: Writer, batch: list[bytes]) -> None:
        self._jobs[writer.index].put(batch)

    def gathering(self, pending: int, stopping: bool) -> bool:
        return False

    def stop(self) -> None:
        """Tell every writer thread to return once it has finished the batch it holds."""
        for jobs in self._jobs:
            jobs.put(None)

    def _write_batches(self, writer: Writer, loop: asyncio.AbstractEventLoop) -> None:
        """A writer thread: commit each batch, then tell the loop."""
        jobs = self._jobs[writer.index]
        while (batch := jobs.get()) is not None:
            error = self._commit(writer, batch)
            try:
                loop.call_soon_threadsafe(self._written, writer, error)
            except RuntimeError:  # the loop is closed: the committer was cancelled, nobody waits
                return
