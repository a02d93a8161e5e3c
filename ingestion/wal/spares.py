"""Spare segments: zero-filled, fsync'd files of the segment size, kept ready for the next segment to open.

A new segment that is a spare renamed makes every commit overwrite blocks the file system has already
allocated, so its flush carries no file-size or block-allocation metadata (no journal commit) and is
cheaper. The price is every segment's bytes written twice, so it is opt-in (``preallocate``) and the
work runs on a thread of its own, away from the commits. Recovery relies on records never holding a NUL
byte (JSON escapes it): a segment made from a spare ends at its first NUL.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from clickstream.ingestion.wal.segments import write_all

SPARE_PREFIX = "spare-"
_ZEROS = bytes(1 << 20)

logger = logging.getLogger("clickstream.ingestion.wal")


def delete_spare_files(directory: Path) -> None:
    """Remove every spare in the folder (ready or half-written): none holds a record."""
    for spare in directory.glob(f"{SPARE_PREFIX}*"):
        spare.unlink(missing_ok=True)


class SparePool:
    """The ready spares of one log folder, and the thread body that refills them."""

    def __init__(self, directory: Path, segment_bytes: int) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self._spares: list[Path] = []  # ready spare files, oldest first
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._seq = 0

    def take(self) -> Path | None:
        """A ready spare for a new segment, if there is one (a segment opens without one otherwise)."""
        with self._lock:
            spare = self._spares.pop(0) if self._spares else None
        self._wanted.set()
        return spare

    def wake(self) -> None:
        """Have the spare thread look again: to refill, or to see that it should return."""
        self._wanted.set()

    def prepare(self, ready: int, running: Callable[[], bool]) -> None:
        """The spare thread: keep ``ready`` spares (one per writer) while ``running()`` holds."""
        while True:
            self._wanted.wait()
            self._wanted.clear()
            while running() and len(self._spares) < ready:
                try:
                    spare = self._zero_filled_spare()
                except OSError as exc:  # a full disk: segments open without a spare; the log reports errors
                    logger.warning("could not prepare a spare log segment", extra={"error": str(exc)})
                    break
                with self._lock:
                    self._spares.append(spare)
            if not running():
                return

    def discard(self) -> None:
        """Forget the ready spares and delete their files, and one the thread may still be writing."""
        with self._lock:
            self._spares = []
        delete_spare_files(self.directory)

    def _zero_filled_spare(self) -> Path:
        self._seq += 1
        spare = self.directory / f"{SPARE_PREFIX}{self._seq:06d}"
        partial = spare.with_name(spare.name + ".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            zeros = memoryview(_ZEROS)
            for offset in range(0, self.segment_bytes, len(zeros)):
                write_all(descriptor, zeros[: self.segment_bytes - offset], offset)
            os.fsync(descriptor)  # the blocks are allocated and the length is on disk before any commit uses them
        except BaseException:
            os.close(descriptor)
            partial.unlink(missing_ok=True)
            raise
        os.close(descriptor)
        partial.rename(spare)
        return spare
