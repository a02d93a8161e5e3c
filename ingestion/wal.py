"""The write-ahead log: where a request's record is made durable before the 200.

Requests hand their line to :meth:`WriteAheadLog.submit` with a callback (or await
:meth:`WriteAheadLog.append`); one committer writes every line that queued up meanwhile, fsyncs once
(group commit), and then calls every waiting request's callback, so many requests share one fsync and
a request costs a list append rather than a task or a future. Only the committer's thread touches the
segment file. A segment is sealed (renamed from ``.open`` to ``.seg``)
when it is large, old, or its hour ends; the shipper takes sealed segments to the sink.

One process owns a log folder at a time (an exclusive ``flock`` on ``LOCK``), so a second collector
started on the same folder fails at once instead of shipping segments the first is still writing.

With ``durable=False`` (the ``memory`` durability mode) :meth:`append` returns at once and the committer
writes queued lines every few milliseconds without fsync: faster, but a crash loses what was queued or
only in the page cache, like the original's S3 sink. Memory stays bounded: once ``buffer_bytes`` are
queued, appends wait for the committer.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from clickstream.errors import SinkError
from clickstream.fsync import fsync_directory

Committed = Callable[[BaseException | None], None]
"""Called once a submitted line is durable (with ``None``) or could not be written (with the error)."""

logger = logging.getLogger("clickstream.ingestion.wal")

OPEN_SUFFIX = ".open"
SEALED_SUFFIX = ".seg"
LOCK = "LOCK"
_RWF_DSYNC: int = getattr(os, "RWF_DSYNC", 0)  # Linux 4.7+: a write that is durable on return
_SEGMENT_NAME = re.compile(r"^(\d{13})-(\d{6})\.(open|seg)$")


def segment_opened_ms(segment: Path) -> int:
    """Epoch milliseconds at which a segment was opened (encoded in its name)."""
    return int(segment.name.split("-", 1)[0])


def _segments(directory: Path, suffix: str) -> list[Path]:
    return sorted(p for p in directory.glob(f"*{suffix}") if _SEGMENT_NAME.match(p.name))


class WriteAheadLog:
    """One worker's log: a folder of segments, one of them open for appends."""

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
    ) -> None:
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
        self._sealed_bytes = 0
        self._sealed_lock = threading.Lock()
        self._stopping = False
        # the committer (see run_committer): one writer thread takes one batch at a time from the loop
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop, while the committer runs
        self._jobs: queue.SimpleQueue[list[bytes] | None] = queue.SimpleQueue()
        self._in_flight: tuple[list[bytes], list[Committed]] = ([], [])  # the batch with the writer
        self._writing = False
        self._dispatching = False  # a dispatch is scheduled after the callbacks of this loop iteration
        self._finished: asyncio.Event | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._lock: int | None = None
        self._size = 0
        self._opened_ms = 0
        self._seq = 0
        self._dsync_writes = _RWF_DSYNC != 0  # see _write_durably
        self._records = 0  # lines in the open segment
        self.sealed_records: dict[str, int] = {}  # lines in each segment this log sealed, by file name
        self.last_error: BaseException | None = None
        self.committed_records = 0
        self.commits = 0

    # --- lifecycle -----------------------------------------------------------------------------

    def recover(self) -> list[Path]:
        """Take the folder's lock, seal what a previous process left open, and return all sealed segments.

        A crash can leave a torn last line; it was never acknowledged (the 200 follows the fsync of
        the whole line), so it is cut off. Intact segments are renamed without being rewritten.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        for leftover in _segments(self.directory, OPEN_SUFFIX):
            size = leftover.stat().st_size
            with open(leftover, "rb+") as handle:
                handle.seek(max(0, size - 1))
                if size and handle.read(1) != b"\n":
                    handle.seek(0)
                    content = handle.read()
                    handle.truncate(content.rfind(b"\n") + 1)
                    handle.flush()
                    os.fsync(handle.fileno())
            if leftover.stat().st_size:
                leftover.rename(leftover.with_suffix(SEALED_SUFFIX))
            else:
                leftover.unlink()
        fsync_directory(self.directory)
        self.refresh_sealed_bytes()
        return self.sealed_segments()

    def _acquire_lock(self) -> None:
        if self._lock is not None:
            return
        descriptor = os.open(self.directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise SinkError(
                f"another collector process is using the log folder {self.directory}",
                hint="stop it first, or give this worker its own folder",
            ) from None
        # A folder adopted meanwhile (ingestion/adoption.py) lost this LOCK while we waited: not ours to use.
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(descriptor), (self.directory / LOCK).stat()):
                self._lock = descriptor
                return
        os.close(descriptor)
        raise SinkError(f"the log folder {self.directory} was removed while taking its lock", hint="start again")

    def sealed_segments(self) -> list[Path]:
        return _segments(self.directory, SEALED_SUFFIX)

    def refresh_sealed_bytes(self) -> None:
        """Recount the sealed segments' bytes (after the shipper deleted some); forget shipped ones' counts."""
        with self._sealed_lock:
            total = 0
            names = set()
            for segment in self.sealed_segments():
                names.add(segment.name)
                with contextlib.suppress(FileNotFoundError):
                    total += segment.stat().st_size
            self._sealed_bytes = total
            for shipped in self.sealed_records.keys() - names:
                del self.sealed_records[shipped]

    @property
    def backlog_bytes(self) -> int:
        """Bytes this log holds that the sink does not have yet: sealed, open and queued."""
        return self._sealed_bytes + self._size + self._pending_bytes

    def oldest_unshipped_ms(self) -> int | None:
        """When the oldest record not yet in the sink was written (its segment's opening), if any."""
        sealed = self.sealed_segments()
        if sealed:
            return segment_opened_ms(sealed[0])
        return self._opened_ms if self._file is not None and self._size else None

    def stop(self) -> None:
        """Ask the committer to finish the batch it is writing, commit what is queued, and return."""
        self._stopping = True
        self._dispatch_soon()

    def close(self) -> None:
        """Seal the open segment and release the folder; call after the committer has returned."""
        self._seal()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    @property
    def healthy(self) -> bool:
        return self.last_error is None and os.access(self.directory, os.W_OK)

    # --- appends -------------------------------------------------------------------------------

    def submit(self, line: bytes, committed: Committed) -> None:
        """Queue ``line`` (one JSON record, newline-terminated); ``committed`` is called once it is fsync'd.

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

        One thread does every write, so segment state needs no lock and commits never run out of order.
        The loop hands it a batch through a queue and it answers with ``call_soon_threadsafe``: per group
        commit two wake-ups and no task, future or executor machinery (that machinery, run 500 times a
        second, cost a few microseconds of every request's CPU).
        """
        tick = tick_seconds if self.durable else min(tick_seconds, self.flush_seconds)
        loop = self._loop = asyncio.get_running_loop()
        self._finished = asyncio.Event()
        writer = threading.Thread(target=self._write_batches, args=(loop,), name="wal-writer", daemon=True)
        writer.start()
        self._timer = loop.call_later(tick, self._on_tick, tick)
        try:
            if self._waiters or self._stopping:
                self._dispatch()
            await self._finished.wait()
        finally:
            self._timer.cancel()
            self._loop = None
            self._jobs.put(None)
            writer.join()  # it finishes the batch it holds (one fsync) first

    def _dispatch_soon(self) -> None:
        """Dispatch once this loop iteration's callbacks ran, so the requests read in one poll share a commit."""
        if self._loop is not None and not self._writing and not self._dispatching:
            self._dispatching = True
            self._loop.call_soon(self._dispatch)

    def _dispatch(self) -> None:
        """Hand every queued line to the writer thread (which holds at most one batch at a time)."""
        self._dispatching = False
        if self._writing or self._loop is None:
            return
        self._in_flight = (self._pending, self._waiters)
        self._pending, self._waiters = [], []
        self._writing = True
        self._jobs.put(self._in_flight[0])

    def _on_tick(self, tick: float) -> None:
        """Every tick: write what memory mode queued, or seal an open segment that is due."""
        if self._loop is None:
            return
        self._timer = self._loop.call_later(tick, self._on_tick, tick)
        if self._writing or self._stopping:
            return
        if self._pending or (self._file is not None and self._due(self.clock(), 0)):
            self._dispatch()

    def _write_batches(self, loop: asyncio.AbstractEventLoop) -> None:
        """The writer thread: commit each batch, then tell the loop (:meth:`_written`)."""
        while (batch := self._jobs.get()) is not None:
            error: BaseException | None = None
            try:
                self._commit(batch)
            except Exception as exc:  # a disk error fails these requests, not the server
                error = exc
            try:
                loop.call_soon_threadsafe(self._written, error)
            except RuntimeError:  # the loop is closed: the committer was cancelled, nobody waits
                return

    def _written(self, error: BaseException | None) -> None:
        """On the loop: the writer's batch is on disk (or failed); answer its requests, dispatch the next."""
        (batch, waiters), self._in_flight = self._in_flight, ([], [])
        self._writing = False
        self._pending_bytes -= sum(map(len, batch))
        if error is not None:
            self.last_error = error
        elif batch:
            self.last_error = None
        for committed in waiters:
            try:
                committed(error)
            except Exception:  # one request's answer going wrong must not stop the others' or the log
                logger.exception("answering a committed request failed")
        if self._waiters or (self._stopping and self._pending):
            self._dispatch()
        elif self._stopping and self._finished is not None:
            self._finished.set()

    # --- committer thread ----------------------------------------------------------------------

    def _commit(self, lines: list[bytes]) -> None:
        now = self.clock()
        if self._file is not None and self._due(now, sum(map(len, lines))):
            self._seal()
        if not lines:
            return
        if self._file is None:
            self._open(now)
        handle = self._file
        assert handle is not None
        data = b"".join(lines)
        try:
            if not (self.durable and self._dsync_writes and self._write_durably(handle.fileno(), data)):
                handle.write(data)
                handle.flush()
                if self.durable:
                    os.fsync(handle.fileno())
        except BaseException:
            self._abandon_failed_write()
            raise
        self._size += len(data)
        self._records += len(lines)
        self.committed_records += len(lines)
        self.commits += 1

    def _write_durably(self, descriptor: int, data: bytes) -> bool:
        """Append ``data`` and return once it is on disk, in one system call (``RWF_DSYNC``).

        False (nothing written) where the kernel or file system lacks it: the caller writes, then fsyncs.

        As a write then an ``fdatasync`` (the data and the file size are durable), but the writer
        thread gives up and takes back the interpreter lock once per commit instead of twice: under
        load each hand-over costs context switches and can wait for the busy event loop.
        """
        try:
            written = os.pwritev(descriptor, [data], self._size, _RWF_DSYNC)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
            self._dsync_writes = False
            return False
        if written != len(data):
            raise OSError(errno.EIO, f"short write to {self._path}: {written} of {len(data)} bytes")
        return True

    def _abandon_failed_write(self) -> None:
        """Cut the segment back to its last committed byte and close it, so no refused line survives."""
        handle, self._file = self._file, None
        if handle is None or self._path is None:
            return
        with contextlib.suppress(OSError):
            handle.close()
        with contextlib.suppress(OSError):
            os.truncate(self._path, self._size)
        with contextlib.suppress(OSError):
            self._retire_open_segment()
        self._size = self._records = 0

    def _due(self, now: float, incoming: int) -> bool:
        opened = self._opened_ms / 1000
        same_hour = time.gmtime(opened)[:4] == time.gmtime(now)[:4]
        return (
            not same_hour
            or now - opened >= self.max_age_seconds
            or (self._size > 0 and self._size + incoming > self.max_bytes)
        )

    def _open(self, now: float) -> None:
        self._seq += 1
        self._opened_ms = max(int(now * 1000), self._opened_ms + 1)  # unique, increasing names
        self._path = self.directory / f"{self._opened_ms:013d}-{self._seq % 1_000_000:06d}{OPEN_SUFFIX}"
        self._file = open(self._path, "ab")  # noqa: SIM115 - kept open across commits
        self._size = self._records = 0
        fsync_directory(self.directory)

    def _seal(self) -> None:
        if self._file is None or self._path is None:
            return
        if not self.durable:
            os.fsync(self._file.fileno())  # a sealed segment is complete on disk before it is shipped
        self._file.close()
        self._file = None
        self._retire_open_segment()
        fsync_directory(self.directory)

    def _retire_open_segment(self) -> None:
        """Seal the open segment for shipping, or remove it when it holds nothing (the size counts move together)."""
        assert self._path is not None
        with self._sealed_lock:
            if self._size:
                sealed = self._path.with_suffix(SEALED_SUFFIX)
                self._path.rename(sealed)
                self._sealed_bytes += self._size
                self.sealed_records[sealed.name] = self._records
            else:
                self._path.unlink()
            self._size = self._records = 0
