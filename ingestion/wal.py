"""The write-ahead log: where a request's record is made durable before the 200.

Requests hand their line to :meth:`WriteAheadLog.submit` with a callback (or await
:meth:`WriteAheadLog.append`); a writer writes every line that queued up meanwhile, flushes once
(group commit), and then calls every waiting request's callback, so many requests share one flush and
a request costs a list append rather than a task or a future.

By default (``writers=0``) the commit runs on the event loop itself, once the callbacks of the loop
iteration that read the requests have run, and once polls of the sockets stop bringing new requests
(``gather_seconds`` at most): the loop blocks for the flush (a fraction of a millisecond on a local
disk) and requests that arrive meanwhile wait in the kernel's socket buffers, to form the next group.
That costs the least CPU per request: no thread hand-over (each is context switches and a wait for the
interpreter lock) and the largest groups, so the fewest flushes, whose kernel and device work is
the dearest part of a durable request. ``writers=N`` instead gives the log N writer threads, each with
its own open segment: while one writer's group is flushed, the lines that arrive meanwhile go to an idle
writer, so group commits overlap and the loop never waits for the disk; worth its CPU where a flush is
slow (a network file system). Each segment is written by one writer only, in order, and a request's
callback runs only once its own bytes are durable. A segment is sealed (renamed from ``.open`` to
``.seg``) when it is large, old, or its hour ends; the shipper takes sealed segments to the sink. Names
are unique and increasing in opening order across the writers.

With ``preallocate`` a background thread keeps zero-filled, fsync'd ``spare-*`` files of the segment
size ready, and a new segment is a spare renamed: a commit then overwrites blocks the file system has
already allocated, so its flush carries no file-size or block-allocation metadata (no journal commit),
which makes it cheaper and quicker. A segment is cut to its written length when it is sealed. Records
never hold a NUL byte (JSON escapes it), so recovery reads a segment up to its first NUL and last newline.
The price is every segment's bytes written twice; a network file system that bills or caps throughput
is better off without it.

One process owns a log folder at a time (an exclusive ``flock`` on ``LOCK``), so a second collector
started on the same folder fails at once instead of shipping segments the first is still writing.

With ``durable=False`` (the ``memory`` durability mode) :meth:`append` returns at once and one writer
writes queued lines every few milliseconds without fsync: faster, but a crash loses what was queued or
only in the page cache, like the original's S3 sink. Memory stays bounded: once ``buffer_bytes`` are
queued, appends wait for the writer.
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

from clickstream.errors import SinkError
from clickstream.fsync import fsync_directory

Committed = Callable[[BaseException | None], None]
"""Called once a submitted line is durable (with ``None``) or could not be written (with the error)."""

logger = logging.getLogger("clickstream.ingestion.wal")

OPEN_SUFFIX = ".open"
SEALED_SUFFIX = ".seg"
LOCK = "LOCK"
DEFAULT_WRITERS = 0  # commit on the event loop
DEFAULT_GATHER_SECONDS = 0.001  # an event-loop commit waits while requests keep arriving, this long at most
SPARE_PREFIX = "spare-"
_ZEROS = bytes(1 << 20)
_RWF_DSYNC: int = getattr(os, "RWF_DSYNC", 0)  # Linux 4.7+: a write that is durable on return
_SEGMENT_NAME = re.compile(r"^(\d{13})-(\d{6})\.(open|seg)$")


def segment_opened_ms(segment: Path) -> int:
    """Epoch milliseconds at which a segment was opened (encoded in its name)."""
    return int(segment.name.split("-", 1)[0])


def _segments(directory: Path, suffix: str) -> list[Path]:
    return sorted(p for p in directory.glob(f"*{suffix}") if _SEGMENT_NAME.match(p.name))


class _Writer:
    """One writer (a thread, or the loop itself) and the segment only it writes to.

    The loop touches the segment fields only while the writer is idle (between its answer and the next
    batch), so they need no lock.
    """

    __slots__ = ("capacity", "descriptor", "in_flight", "index", "jobs", "opened_ms", "path", "records", "size")

    def __init__(self, index: int) -> None:
        self.index = index
        self.jobs: queue.SimpleQueue[list[bytes] | None] = queue.SimpleQueue()
        self.in_flight: tuple[list[bytes], list[Committed]] = ([], [])  # the batch it writes now
        self.descriptor: int | None = None  # of the open segment
        self.path: Path | None = None
        self.size = 0  # bytes written (and committed) to the open segment
        self.capacity = 0  # the open segment's length on disk: more than ``size`` when it was a spare
        self.records = 0  # lines in the open segment
        self.opened_ms = 0


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
        self._sealed_bytes = 0
        self._sealed_lock = threading.Lock()
        self._stopping = False
        self._threaded = writers > 0
        # memory mode has no flush to overlap: one writer keeps one open segment
        self._writers = [_Writer(index) for index in range(writers if durable and writers else 1)]
        self.preallocate = preallocate and durable  # memory mode's writes have no flush to make cheaper
        self._spares: list[Path] = []  # ready spare files, oldest first
        self._spares_lock = threading.Lock()
        self._spare_wanted = threading.Event()
        self._spare_seq = 0
        self._idle = list(self._writers)  # writers without a batch, lowest index first
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop, while the committer runs
        self._dispatching = False  # a dispatch is scheduled after the callbacks of this loop iteration
        self.gather_seconds = gather_seconds if durable and not self._threaded else 0.0
        self._gathered = 0  # lines queued at the last dispatch that waited for one more poll (0: not gathering)
        self._gather_started = 0.0
        self._finished: asyncio.Event | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._lock: int | None = None
        self._names_lock = threading.Lock()  # segment names are drawn by the writer threads
        self._last_opened_ms = 0
        self._seq = 0
        self._dsync_writes = _RWF_DSYNC != 0  # see _write_durably
        self.sealed_records: dict[str, int] = {}  # lines in each segment this log sealed, by file name
        self.last_error: BaseException | None = None
        self.committed_records = 0
        self.commits = 0

    # --- lifecycle -----------------------------------------------------------------------------

    def recover(self) -> list[Path]:
        """Take the folder's lock, seal what a previous process left open, and return all sealed segments.

        A crash can leave a torn last line in every segment that was open (one per writer), and a segment
        made from a spare still has its zeros after the last commit; neither was acknowledged (the 200
        follows the flush of the whole line), so both are cut off. Intact segments are renamed without
        being rewritten; spare files are deleted.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            return self._seal_leftovers()
        except BaseException:
            self.release()  # a log that could not be recovered must not keep its folder locked (for adopters)
            raise

    def _seal_leftovers(self) -> list[Path]:
        self._delete_spare_files()
        for leftover in _segments(self.directory, OPEN_SUFFIX):
            with open(leftover, "rb+") as handle:
                committed = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, committed - 1))
                if committed and handle.read(1) != b"\n":  # torn, or a spare's zeros: read it all to cut it
                    handle.seek(0)
                    content = handle.read()
                    first_nul = content.find(b"\0")
                    committed = content.rfind(b"\n", 0, len(content) if first_nul < 0 else first_nul) + 1
                    handle.truncate(committed)
                    handle.flush()
                    os.fsync(handle.fileno())
            if committed:
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
        return self._sealed_bytes + sum(writer.size for writer in self._writers) + self._pending_bytes

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
            self._seal(writer)
        self._discard_spares()

    def release(self) -> None:
        """Let go of the folder's lock: from now on another process may recover (or adopt) the folder."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

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

        With writer threads, the loop hands an idle writer a batch through its queue and the thread
        answers with ``call_soon_threadsafe``: per group commit two wake-ups and no task, future or
        executor machinery, which run once per group commit added to every request's CPU (decision 30,
        docs/performance.md#decision-30). Without, the loop commits in :meth:`_dispatch`.
        """
        tick = tick_seconds if self.durable else min(tick_seconds, self.flush_seconds)
        loop = self._loop = asyncio.get_running_loop()
        self._finished = asyncio.Event()
        threads = [
            threading.Thread(target=self._write_batches, args=(writer, loop), name=f"wal-writer-{writer.index}")
            for writer in (self._writers if self._threaded else [])
        ]
        if self.preallocate:
            self._spare_wanted.set()
            threads.append(threading.Thread(target=self._prepare_spares, name="wal-spares"))
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
            for writer in self._writers:
                writer.jobs.put(None)
            self._spare_wanted.set()  # the spare thread sees the loop gone and returns
            for thread in threads:
                thread.join()  # each writer finishes the batch it holds (one flush) first

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
        if self._gathering():
            self._dispatching = True
            self._loop.call_soon(self._dispatch)  # after one more (non-blocking) poll of the sockets
            return
        if self._pending and self._idle:
            batch, waiters = self._pending, self._waiters
            self._pending, self._waiters = [], []
            self._hand(self._idle.pop(0), batch, waiters)
        if self._stopping and not self._pending and len(self._idle) == len(self._writers) and self._finished:
            self._finished.set()

    def _gathering(self) -> bool:
        """Whether an event-loop commit should wait for one more poll: the last one brought new lines.

        Requests arrive while the previous group is flushed and while the loop answers it, so the poll
        that starts a dispatch rarely holds every request the clients have sent. Waiting while polls keep
        bringing lines, up to ``gather_seconds``, makes fewer, larger groups: fewer flushes per request.
        A lone request waits one poll (microseconds).
        """
        if self.gather_seconds <= 0 or not self._pending or self._stopping:
            self._gathered = 0
            return False
        now = time.monotonic()
        if not self._gathered:
            self._gather_started = now
        elif len(self._pending) <= self._gathered or now - self._gather_started >= self.gather_seconds:
            self._gathered = 0
            return False
        self._gathered = len(self._pending)
        return True

    def _hand(self, writer: _Writer, batch: list[bytes], waiters: list[Committed]) -> None:
        writer.in_flight = (batch, waiters)
        if self._threaded:
            writer.jobs.put(batch)
        else:
            self._written(writer, self._commit_or_error(writer, batch))

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
            if writer.descriptor is not None and self._due(writer, now, 0):
                self._idle.remove(writer)
                self._hand(writer, [], [])  # an empty batch: the writer seals its segment

    def _write_batches(self, writer: _Writer, loop: asyncio.AbstractEventLoop) -> None:
        """A writer thread: commit each batch, then tell the loop (:meth:`_written`)."""
        while (batch := writer.jobs.get()) is not None:
            error = self._commit_or_error(writer, batch)
            try:
                loop.call_soon_threadsafe(self._written, writer, error)
            except RuntimeError:  # the loop is closed: the committer was cancelled, nobody waits
                return

    def _commit_or_error(self, writer: _Writer, batch: list[bytes]) -> BaseException | None:
        try:
            self._commit(writer, batch)
        except Exception as exc:  # a disk error fails these requests, not the server
            return exc
        return None

    def _written(self, writer: _Writer, error: BaseException | None) -> None:
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
            if self._threaded:
                self._dispatch()
            else:  # answered from within a dispatch: the next one runs after this loop iteration
                self._dispatch_soon()

    # --- writers -------------------------------------------------------------------------------

    def _commit(self, writer: _Writer, lines: list[bytes]) -> None:
        now = self.clock()
        if writer.descriptor is not None and self._due(writer, now, sum(map(len, lines))):
            self._seal(writer)
        if not lines:
            return
        if writer.descriptor is None:
            self._open(writer, now)
        descriptor = writer.descriptor
        assert descriptor is not None
        data = b"".join(lines)
        try:
            if not (self.durable and self._dsync_writes and self._write_durably(writer, descriptor, data)):
                _write_all(descriptor, data, writer.size)
                if self.durable:
                    os.fdatasync(descriptor)
        except BaseException:
            self._abandon_failed_write(writer)
            raise
        writer.size += len(data)
        writer.capacity = max(writer.capacity, writer.size)
        writer.records += len(lines)

    def _write_durably(self, writer: _Writer, descriptor: int, data: bytes) -> bool:
        """Write ``data`` after the segment's last commit and return once it is on disk, in one system call.

        False (nothing written) where the kernel or file system lacks ``RWF_DSYNC``: the caller writes,
        then ``fdatasync``s. One call instead of two: a writer thread gives up and takes back the
        interpreter lock once per commit instead of twice (under load each hand-over costs context
        switches and can wait for the busy event loop).
        """
        try:
            written = os.pwritev(descriptor, [data], writer.size, _RWF_DSYNC)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
            self._dsync_writes = False
            return False
        if written != len(data):
            raise OSError(errno.EIO, f"short write to {writer.path}: {written} of {len(data)} bytes")
        return True

    def _abandon_failed_write(self, writer: _Writer) -> None:
        """Cut the segment back to its last committed byte and close it, so no refused line survives."""
        descriptor, writer.descriptor = writer.descriptor, None
        if descriptor is None or writer.path is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, writer.size)
            os.fsync(descriptor)  # a spare's zeros or a partial write must not reappear after a crash
        with contextlib.suppress(OSError):
            os.close(descriptor)
        with contextlib.suppress(OSError):
            self._retire_open_segment(writer)
        writer.size = writer.records = writer.capacity = 0

    def _due(self, writer: _Writer, now: float, incoming: int) -> bool:
        opened = writer.opened_ms / 1000
        same_hour = time.gmtime(opened)[:4] == time.gmtime(now)[:4]
        return (
            not same_hour
            or now - opened >= self.max_age_seconds
            or (writer.size > 0 and writer.size + incoming > self.max_bytes)
        )

    def _open(self, writer: _Writer, now: float) -> None:
        with self._names_lock:  # unique, increasing names across the writers
            self._seq += 1
            self._last_opened_ms = max(int(now * 1000), self._last_opened_ms + 1)
            writer.opened_ms = self._last_opened_ms
            writer.path = self.directory / f"{writer.opened_ms:013d}-{self._seq % 1_000_000:06d}{OPEN_SUFFIX}"
        spare = self._take_spare() if self.preallocate else None
        writer.capacity = self.max_bytes if spare is not None else 0  # every spare is one segment long
        if spare is not None:
            spare.rename(writer.path)
        writer.descriptor = os.open(writer.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        writer.size = writer.records = 0
        fsync_directory(self.directory)

    def _seal(self, writer: _Writer) -> None:
        descriptor = writer.descriptor
        if descriptor is None or writer.path is None:
            return
        if writer.capacity > writer.size:  # a spare's zeros after the last commit go before the segment ships
            os.ftruncate(descriptor, writer.size)
            os.fsync(descriptor)
        elif not self.durable:
            os.fsync(descriptor)  # a sealed segment is complete on disk before it is shipped
        os.close(descriptor)
        writer.descriptor = None
        self._retire_open_segment(writer)
        fsync_directory(self.directory)

    def _retire_open_segment(self, writer: _Writer) -> None:
        """Seal the open segment for shipping, or remove it when it holds nothing (the size counts move together)."""
        assert writer.path is not None
        with self._sealed_lock:
            if writer.size:
                sealed = writer.path.with_suffix(SEALED_SUFFIX)
                writer.path.rename(sealed)
                self._sealed_bytes += writer.size
                self.sealed_records[sealed.name] = writer.records
            else:
                writer.path.unlink()
            writer.size = writer.records = writer.capacity = 0

    # --- spare segments (``preallocate``) ------------------------------------------------------

    def _take_spare(self) -> Path | None:
        """A ready spare for a new segment, if there is one (a segment opens without one otherwise)."""
        with self._spares_lock:
            spare = self._spares.pop(0) if self._spares else None
        self._spare_wanted.set()
        return spare

    def _prepare_spares(self) -> None:
        """The spare thread: keep one zero-filled, fsync'd spare per writer ready while the committer runs."""
        while True:
            self._spare_wanted.wait()
            self._spare_wanted.clear()
            while self._loop is not None and not self._stopping and len(self._spares) < len(self._writers):
                try:
                    spare = self._zero_filled_spare()
                except OSError as exc:  # a full disk: segments open without a spare; the log reports errors
                    logger.warning("could not prepare a spare log segment", extra={"error": str(exc)})
                    break
                with self._spares_lock:
                    self._spares.append(spare)
            if self._loop is None or self._stopping:
                return

    def _zero_filled_spare(self) -> Path:
        self._spare_seq += 1
        spare = self.directory / f"{SPARE_PREFIX}{self._spare_seq:06d}"
        partial = spare.with_name(spare.name + ".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            zeros = memoryview(_ZEROS)
            for offset in range(0, self.max_bytes, len(zeros)):
                _write_all(descriptor, zeros[: self.max_bytes - offset], offset)
            os.fsync(descriptor)  # the blocks are allocated and the length is on disk before any commit uses them
        except BaseException:
            os.close(descriptor)
            partial.unlink(missing_ok=True)
            raise
        os.close(descriptor)
        partial.rename(spare)
        return spare

    def _discard_spares(self) -> None:
        with self._spares_lock:
            self._spares = []
        self._delete_spare_files()  # the ready ones, and one the thread may still be writing

    def _delete_spare_files(self) -> None:
        for spare in self.directory.glob(f"{SPARE_PREFIX}*"):
            spare.unlink(missing_ok=True)


def _write_all(descriptor: int, data: bytes | memoryview, offset: int) -> None:
    """``pwrite`` all of ``data`` at ``offset`` (a regular file may take it in several writes)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view = view[written:]
        offset += written
