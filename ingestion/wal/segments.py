"""A log folder's segments: their names, and opening, writing and sealing the one a writer has open.

Everything that touches a segment file while the log runs is here, so that the commit strategies only
decide *where* a batch is written (on the event loop or on a writer thread) and never *how*: the byte
layout, the order of renames and directory flushes a crash relies on, and the sealed segments' counts
the shipper reads stay in one place whichever strategy runs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clickstream.fsync import fsync_directory

if TYPE_CHECKING:
    from clickstream.ingestion.wal.spares import SparePool  # spares write with this module's write_all

Committed = Callable[[BaseException | None], None]
"""Called once a submitted line is durable (with ``None``) or could not be written (with the error)."""

OPEN_SUFFIX = ".open"
SEALED_SUFFIX = ".seg"
_RWF_DSYNC: int = getattr(os, "RWF_DSYNC", 0)  # Linux 4.7+: a write that is durable on return
_SEGMENT_NAME = re.compile(r"^(\d{13})-(\d{6})\.(open|seg)$")


def segment_opened_ms(segment: Path) -> int:
    """Epoch milliseconds at which a segment was opened (encoded in its name)."""
    return int(segment.name.split("-", 1)[0])


def list_segments(directory: Path, suffix: str) -> list[Path]:
    """The folder's segments with ``suffix`` (open or sealed), oldest first: names sort in opening order."""
    return sorted(p for p in directory.glob(f"*{suffix}") if _SEGMENT_NAME.match(p.name))


def write_all(descriptor: int, data: bytes | memoryview, offset: int) -> None:
    """``pwrite`` all of ``data`` at ``offset`` (a regular file may take it in several writes)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view = view[written:]
        offset += written


class Writer:
    """One writer (a thread, or the loop itself) and the segment only it writes to.

    The loop touches the segment fields only while the writer is idle (between its answer and the next
    batch), so they need no lock.
    """

    __slots__ = ("capacity", "descriptor", "in_flight", "index", "opened_ms", "path", "records", "size")

    def __init__(self, index: int) -> None:
        self.index = index
        self.in_flight: tuple[list[bytes], list[Committed]] = ([], [])  # the batch it writes now
        self.descriptor: int | None = None  # of the open segment
        self.path: Path | None = None
        self.size = 0  # bytes written (and committed) to the open segment
        self.capacity = 0  # the open segment's length on disk: more than ``size`` when it was a spare
        self.records = 0  # lines in the open segment
        self.opened_ms = 0


class Segments:
    """The segments of one log folder: a writer's open one, and the sealed ones waiting for the shipper."""

    def __init__(
        self, directory: Path, max_bytes: int, max_age_seconds: float, *, durable: bool, spares: SparePool | None
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self.durable = durable
        self.spares = spares  # None: new segments are created empty
        self.sealed_bytes = 0
        self.sealed_records: dict[str, int] = {}  # lines in each segment this log sealed, by file name
        self._sealed_lock = threading.Lock()  # the shipper's thread recounts while writers seal
        self._names_lock = threading.Lock()  # segment names are drawn by the writer threads
        self._last_opened_ms = 0
        self._seq = 0
        self._dsync_writes = _RWF_DSYNC != 0  # see _write_durably

    def sealed(self) -> list[Path]:
        return list_segments(self.directory, SEALED_SUFFIX)

    def refresh_sealed_bytes(self) -> None:
        """Recount the sealed segments' bytes (after the shipper deleted some); forget shipped ones' counts."""
        with self._sealed_lock:
            total = 0
            names = set()
            for segment in self.sealed():
                names.add(segment.name)
                with contextlib.suppress(FileNotFoundError):
                    total += segment.stat().st_size
            self.sealed_bytes = total
            for shipped in self.sealed_records.keys() - names:
                del self.sealed_records[shipped]

    def commit(self, writer: Writer, lines: list[bytes], now: float) -> None:
        """Write ``lines`` to the writer's segment (sealing it first when due); durable on return if the log is.

        An empty batch only seals a due segment.
        """
        if writer.descriptor is not None and self._due(writer, now, sum(map(len, lines))):
            self.seal(writer)
        if not lines:
            return
        if writer.descriptor is None:
            self._open(writer, now)
        descriptor = writer.descriptor
        assert descriptor is not None
        data = b"".join(lines)
        try:
            if not (self.durable and self._dsync_writes and self._write_durably(writer, descriptor, data)):
                write_all(descriptor, data, writer.size)
                if self.durable:
                    os.fdatasync(descriptor)
        except BaseException:
            self._abandon_failed_write(writer)
            raise
        writer.size += len(data)
        writer.capacity = max(writer.capacity, writer.size)
        writer.records += len(lines)

    def due(self, writer: Writer, now: float) -> bool:
        """Whether the writer's open segment should be sealed before anything else is written to it."""
        return self._due(writer, now, 0)

    def _write_durably(self, writer: Writer, descriptor: int, data: bytes) -> bool:
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

    def _abandon_failed_write(self, writer: Writer) -> None:
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

    def _due(self, writer: Writer, now: float, incoming: int) -> bool:
        opened = writer.opened_ms / 1000
        same_hour = time.gmtime(opened)[:4] == time.gmtime(now)[:4]
        return (
            not same_hour
            or now - opened >= self.max_age_seconds
            or (writer.size > 0 and writer.size + incoming > self.max_bytes)
        )

    def _open(self, writer: Writer, now: float) -> None:
        with self._names_lock:  # unique, increasing names across the writers
            self._seq += 1
            self._last_opened_ms = max(int(now * 1000), self._last_opened_ms + 1)
            writer.opened_ms = self._last_opened_ms
            writer.path = self.directory / f"{writer.opened_ms:013d}-{self._seq % 1_000_000:06d}{OPEN_SUFFIX}"
        spare = self.spares.take() if self.spares is not None else None
        writer.capacity = self.max_bytes if spare is not None else 0  # every spare is one segment long
        if spare is not None:
            spare.rename(writer.path)
        writer.descriptor = os.open(writer.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        writer.size = writer.records = 0
        fsync_directory(self.directory)

    def seal(self, writer: Writer) -> None:
        """Close the writer's open segment and hand it to the shipper (or drop it when empty)."""
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

    def _retire_open_segment(self, writer: Writer) -> None:
        """Seal the open segment for shipping, or remove it when it holds nothing (the size counts move together)."""
        assert writer.path is not None
        with self._sealed_lock:
            if writer.size:
                sealed = writer.path.with_suffix(SEALED_SUFFIX)
                writer.path.rename(sealed)
                self.sealed_bytes += writer.size
                self.sealed_records[sealed.name] = writer.records
            else:
                writer.path.unlink()
            writer.size = writer.records = writer.capacity = 0
