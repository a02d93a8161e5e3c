"""The write-ahead log: where a request's record is made durable before the 200.

Requests hand their line to :meth:`WriteAheadLog.submit` with a callback (or await
:meth:`WriteAheadLog.append`); a writer writes every line that queued up meanwhile, flushes once
(group commit), and then calls every waiting request's callback, so many requests share one flush and
a request costs a list append rather than a task or a future.

This module composes the log from its parts and keeps only what every mode shares: the queue of lines
and their callbacks, handing a group to an idle writer, answering it, and the tick that seals aging
segments. Where a group is committed is a strategy chosen by ``writers``: on the event loop
(:mod:`.loop_commit`) or on writer threads (:mod:`.thread_commit`). How a segment is opened, written and
sealed is :mod:`.segments`; taking a folder over after a crash is :mod:`.recovery`; the pre-allocated
spare segments of ``preallocate`` are :mod:`.spares`.

With ``durable=False`` (the ``memory`` durability mode) :meth:`append` returns at once and one writer
writes queued lines every few milliseconds without fsync: faster, but a crash loses what was queued or
only in the page cache, like the original's S3 sink. Memory stays bounded: once ``buffer_bytes`` are
queued, appends wait for the writer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from clickstream.ingestion.wal.loop_commit import LoopCommit
from clickstream.ingestion.wal.recovery import FolderLock, seal_leftovers
from clickstream.ingestion.wal.segments import Committed, Segments, Writer, segment_opened_ms
from clickstream.ingestion.wal.spares import SparePool, delete_spare_files
from clickstream.ingestion.wal.thread_commit import ThreadCommit

logger = logging.getLogger("clickstream.ingestion.wal")

DEFAULT_WRITERS = 0  # commit on the event loop
DEFAULT_GATHER_SECONDS = 0.001  # an event-loop commit waits while requests keep arriving, this long at most


class WriteAheadLog:
    """One worker's log: a folder of segments, one open for appends per writer."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        max_age_seconds: float,
        clock: Callable[[], float] = time.time,
        *,
        durable: bool = True,
        flush_seconds: float = 0.02,
        buffer_bytes: int = 8_000_000,
        writers: int = DEFAULT_WRITERS,
        preallocate: bool = False,
        gather_seconds: float = DEFAULT_GATHER_SECONDS,
    ) -> None:
        if writers < 0:
            raise ValueError(f"a log has 0 writer threads (commits on the event loop) or more, not {writers}")
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        self.durable = durable
        self.flush_seconds = flush_seconds
        self.buffer_bytes = buffer_bytes
        self._pending: list[bytes] = []
        self._waiters: list[Committed] = []  # callbacks of the requests in ``_pending`` that wait for the commit
        self._pending_bytes = 0
        self._stopping = False
        # memory mode has no flush to overlap: one writer keeps one open segment
        self._writers = [Writer(index) for index in range(writers if durable and writers else 1)]
        self.preallocate = preallocate and durable  # memory mode's writes have no flush to make cheaper
        self._spares = SparePool(directory, max_bytes) if self.preallocate else None
        self._segments = Segments(directory, max_bytes, max_age_seconds, durable=durable, spares=self._spares)
        self.sealed_records = self._segments.sealed_records  # lines in each segment this log sealed, by file name
        self._committer: LoopCommit | ThreadCommit = (
            ThreadCommit(self._writers, self._commit_or_error, self._written)
            if writers > 0
            else LoopCommit(self._commit_or_error, self._written, gather_seconds if durable else 0.0)
        )
        self._idle = list(self._writers)  # writers without a batch, lowest index first
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop, while the committer runs
        self._dispatching = False  # a dispatch is scheduled after the callbacks of this loop iteration
        self._finished: asyncio.Event | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._lock = FolderLock(directory)
        self.last_error: BaseException | None = None
        self.committed_records = 0
        self.commits = 0

    @property
    def gather_seconds(self) -> float:
        """How long an event-loop commit waits while requests keep arriving (0: it does not wait)."""
        return self._committer.gather_seconds

    # --- lifecycle -----------------------------------------------------------------------------

    def recover(self) -> list[Path]:
        """Take the folder's lock, seal what a previous process left open, and return all sealed segments.

        Torn last lines and a spare's zeros were never acknowledged, so they are cut off (see
        :func:`.recovery.seal_leftovers`); spare files are deleted.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        try:
            delete_spare_files(self.directory)
            seal_leftovers(self.directory)
            self.refresh_sealed_bytes()
            return self.sealed_segments()
        except BaseException:
            self.release()  # a log that could not be recovered must not keep its folder locked (for adopters)
            raise

    def sealed_segments(self) -> list[Path]:
        return self._segments.sealed()

    def refresh_sealed_bytes(self) -> None:
        """Recount the sealed segments' bytes (after the shipper deleted some); forget shipped ones' counts."""
        self._segments.refresh_sealed_bytes()

    @property
    def backlog_bytes(self) -> int:
        """Bytes this log holds that the sink does not have yet: sealed, open and queued."""
        return self._segments.sealed_bytes + sum(writer.size for writer in self._writers) + self._pending_bytes

    def oldest_unshipped_ms(self) -> int | None:
        """When the oldest record not yet in the sink was written (its segment's opening), if any."""
        opened = [segment_opened_ms(segment) for segment in self.sealed_segments()[:1]]
        opened += [writer.opened_ms for writer in self._writers if writer.descriptor is not None and writer.size]
        return min(opened, default=None)

    def stop(self) -> None:
        """Ask the committer to finish the batches being written, commit what is queued, and return."""
        self._stopping = True
        self._dispatch_soon()

    def close(self) -> None:
        """Seal the open segments and release the folder; call after the committer has returned."""
        self.seal_all()
        self.release()

    def seal_all(self) -> None:
        """Seal every writer's open segment, keeping the folder locked (to ship them before releasing it)."""
        for writer in self._writers:
            self._segments.seal(writer)
        if self._spares is not None:
            self._spares.discard()
        else:
            delete_spare_files(self.directory)

    def release(self) -> None:
        """Let go of the folder's lock: from now on another process may recover (or adopt) the folder."""
        self._lock.release()

    @property
    def healthy(self) -> bool:
        return self.last_error is None and os.access(self.directory, os.W_OK)

    # --- appends -------------------------------------------------------------------------------

    def submit(self, line: bytes, committed: Committed) -> None:
        """Queue ``line`` (one JSON record, newline-terminated); ``committed`` is called once it is durable.

        Without durability ``committed(None)`` is called at once, unless the queue is full; then once the
        queue was written. Raises ``OSError`` when the log is closing (nothing was queued).
        """
        if self._stopping:
            raise OSError("the log is closing")
        self._pending_bytes += len(line)
        self._pending.append(line)
        if not self.durable and self._pending_bytes <= self.buffer_bytes:
            committed(None)
            return
        self._waiters.append(committed)
        self._dispatch_soon()

    async def append(self, line: bytes) -> None:
        """:meth:`submit` for a coroutine: returns once ``line`` is durable, raises what the commit raised."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def settle(error: BaseException | None) -> None:
            if future.done():  # the waiting request was cancelled; the line is committed regardless
                return
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

        self.submit(line, settle)
        await future

    async def run_committer(self, tick_seconds: float = 1.0) -> None:
        """Commit queued lines in groups until :meth:`stop`; also seals idle segments as they age.

        The commit strategy decides where a group is written: here in :meth:`_dispatch` (on the loop),
        or on its writer threads.
        """
        tick = tick_seconds if self.durable else min(tick_seconds, self.flush_seconds)
        loop = self._loop = asyncio.get_running_loop()
        self._finished = asyncio.Event()
        threads = self._committer.start(loop)
        spares = self._spares
        if spares is not None:
            spares.wake()
            writers = len(self._writers)
            threads.append(threading.Thread(target=spares.prepare, args=(writers, self._committing), name="wal-spares"))
        for thread in threads:
            thread.daemon = True
            thread.start()
        self._timer = loop.call_later(tick, self._on_tick, tick)
        try:
            if self._waiters or self._stopping:
                self._dispatch()
            await self._finished.wait()
        finally:
            self._timer.cancel()
            self._loop = None
            self._committer.stop()
            if spares is not None:
                spares.wake()  # the spare thread sees the loop gone and returns
            for thread in threads:
                thread.join()  # each writer finishes the batch it holds (one flush) first

    def _committing(self) -> bool:
        """Whether the committer runs and is not stopping (the spare thread's condition to keep going)."""
        return self._loop is not None and not self._stopping

    def _dispatch_soon(self) -> None:
        """Dispatch once this loop iteration's callbacks ran, so the requests read in one poll share a commit."""
        if self._loop is not None and not self._dispatching and (self._idle or self._stopping):
            self._dispatching = True
            self._loop.call_soon(self._dispatch)

    def _dispatch(self) -> None:
        """Hand every queued line to an idle writer (the lowest-numbered, so light load keeps one segment)."""
        self._dispatching = False
        if self._loop is None:
            return
        if self._committer.gathering(len(self._pending), self._stopping):
            self._dispatching = True
            self._loop.call_soon(self._dispatch)  # after one more (non-blocking) poll of the sockets
            return
        if self._pending and self._idle:
            batch, waiters = self._pending, self._waiters
            self._pending, self._waiters = [], []
            self._hand(self._idle.pop(0), batch, waiters)
        if self._stopping and not self._pending and len(self._idle) == len(self._writers) and self._finished:
            self._finished.set()

    def _hand(self, writer: Writer, batch: list[bytes], waiters: list[Committed]) -> None:
        writer.in_flight = (batch, waiters)
        self._committer.hand(writer, batch)

    def _on_tick(self, tick: float) -> None:
        """Every tick: write what memory mode queued, and seal the idle writers' segments that are due."""
        if self._loop is None:
            return
        self._timer = self._loop.call_later(tick, self._on_tick, tick)
        if self._stopping:
            return
        if self._pending and not self._dispatching:
            self._dispatch()
        now = self.clock()
        for writer in list(self._idle):
            if writer.descriptor is not None and self._segments.due(writer, now):
                self._idle.remove(writer)
                self._hand(writer, [], [])  # an empty batch: the writer seals its segment

    def _commit_or_error(self, writer: Writer, batch: list[bytes]) -> BaseException | None:
        """Commit a batch on the strategy's side (the loop or a writer thread); return what failed."""
        try:
            self._segments.commit(writer, batch, self.clock())
        except Exception as exc:  # a disk error fails these requests, not the server
            return exc
        return None

    def _written(self, writer: Writer, error: BaseException | None) -> None:
        """On the loop: a writer's batch is on disk (or failed); answer its requests, dispatch the next."""
        (batch, waiters), writer.in_flight = writer.in_flight, ([], [])
        self._idle.append(writer)
        self._idle.sort(key=lambda idle: idle.index)
        self._pending_bytes -= sum(map(len, batch))
        if error is not None:
            self.last_error = error
        elif batch:
            self.last_error = None
            self.committed_records += len(batch)
            self.commits += 1
        for committed in waiters:
            try:
                committed(error)
            except Exception:  # one request's answer going wrong must not stop the others' or the log
                logger.exception("answering a committed request failed")
        if self._waiters or self._stopping:
            if self._committer.answers_within_dispatch:
                self._dispatch_soon()
            else:
                self._dispatch()
