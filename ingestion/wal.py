"""The write-ahead log: where a request's record is made durable before the 200.

Requests hand their line to :meth:`WriteAheadLog.append` and wait; one committer writes every line
that queued up meanwhile and fsyncs once (group commit), so many requests share one fsync. Only the
committer's thread touches the segment file. A segment is sealed (renamed from ``.open`` to ``.seg``)
when it is large, old, or its hour ends; the shipper takes sealed segments to the sink.

One process owns a log folder at a time (an exclusive ``flock`` on ``LOCK``), so a second collector
started on the same folder fails at once instead of shipping segments the first is still writing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from clickstream.errors import SinkError
from clickstream.fsync import fsync_directory

OPEN_SUFFIX = ".open"
SEALED_SUFFIX = ".seg"
LOCK = "LOCK"
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
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        self._pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._lock: int | None = None
        self._size = 0
        self._opened_ms = 0
        self._seq = 0
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
        self._lock = descriptor

    def sealed_segments(self) -> list[Path]:
        return _segments(self.directory, SEALED_SUFFIX)

    def stop(self) -> None:
        """Ask the committer to finish the batch it is writing, commit what is queued, and return."""
        self._stopping = True
        self._wake.set()

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

    async def append(self, line: bytes) -> None:
        """Return once ``line`` (one JSON record, newline-terminated) is on disk and fsync'd."""
        if self._stopping:
            raise OSError("the log is closing")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((line, future))
        self._wake.set()
        await future

    async def run_committer(self, tick_seconds: float = 1.0) -> None:
        """Commit queued lines in groups until :meth:`stop`; also seals idle segments as they age."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=tick_seconds)
            self._wake.clear()
            stopping = self._stopping
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._commit, [line for line, _ in batch])
            except Exception as exc:  # a disk error fails these requests, not the server
                self.last_error = exc
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                if batch:
                    self.last_error = None
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
            if stopping and not self._pending:
                return

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
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            self._abandon_failed_write()
            raise
        self._size += len(data)
        self.committed_records += len(lines)
        self.commits += 1

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
            if self._size:
                self._path.rename(self._path.with_suffix(SEALED_SUFFIX))
            else:
                self._path.unlink()

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
        self._size = 0
        fsync_directory(self.directory)

    def _seal(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._file = None
        if self._size:
            self._path.rename(self._path.with_suffix(SEALED_SUFFIX))
        else:
            self._path.unlink()
        fsync_directory(self.directory)
