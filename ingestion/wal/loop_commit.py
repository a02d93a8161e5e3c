"""Group commit on the event loop itself (``writers=0``, the default): the loop blocks for each flush.

Requests that arrive during a flush wait in the kernel's socket buffers and form the next group, so
there is no thread hand-over per commit (context switches, a wait for the interpreter lock) and the
groups are as large as they get: the fewest flushes, whose kernel and device work is the dearest part
of a durable request. Groups are gathered while polls of the sockets keep bringing lines, up to
``gather_seconds``. Decision 37 in docs/decisions.md.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from clickstream.ingestion.wal.segments import Writer

Commit = Callable[[Writer, list[bytes]], BaseException | None]
Written = Callable[[Writer, BaseException | None], None]


class LoopCommit:
    """Commits each batch where it is handed over, on the loop, and answers it at once."""

    answers_within_dispatch = True
    """An answer runs inside a dispatch: the next dispatch is scheduled, not called, so that the loop
    polls the sockets in between and the lines that arrived during the flush form the next group."""

    def __init__(self, commit: Commit, written: Written, gather_seconds: float) -> None:
        self._commit = commit
        self._written = written
        self.gather_seconds = gather_seconds
        self._gathered = 0  # lines queued at the last dispatch that waited for one more poll (0: not gathering)
        self._gather_started = 0.0

    def start(self, loop: asyncio.AbstractEventLoop) -> list[threading.Thread]:
        return []  # nothing runs beside the loop

    def hand(self, writer: Writer, batch: list[bytes]) -> None:
        self._written(writer, self._commit(writer, batch))

    def gathering(self, pending: int, stopping: bool) -> bool:
        """Whether a commit should wait for one more poll: the last one brought new lines.

        Requests arrive while the previous group is flushed and while the loop answers it, so the poll
        that starts a dispatch rarely holds every request the clients have sent. Waiting while polls keep
        bringing lines, up to ``gather_seconds``, makes fewer, larger groups: fewer flushes per request.
        A lone request waits one poll (microseconds).
        """
        if self.gather_seconds <= 0 or not pending or stopping:
            self._gathered = 0
            return False
        now = time.monotonic()
        if not self._gathered:
            self._gather_started = now
        elif pending <= self._gathered or now - self._gather_started >= self.gather_seconds:
            self._gathered = 0
            return False
        self._gathered = pending
        return True

    def stop(self) -> None:
        """Nothing to tell: no thread runs beside the loop."""
