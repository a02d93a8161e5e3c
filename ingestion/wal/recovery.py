"""Taking a log folder over: its lock, and sealing the segments a previous process left open.

One process owns a log folder at a time (an exclusive ``flock`` on ``LOCK``), so a second collector
started on the same folder fails at once instead of shipping segments the first is still writing, and an
adopter (ingestion/adoption.py) recovers a dead collector's folder with the same code a restarted worker
runs on its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from clickstream.errors import SinkError
from clickstream.fsync import fsync_directory
from clickstream.ingestion.wal.segments import OPEN_SUFFIX, SEALED_SUFFIX, list_segments

LOCK = "LOCK"


class FolderLock:
    """The exclusive lock on one log folder, held from recovery until released."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`SinkError` when another process holds it or the folder went."""
        if self._descriptor is not None:
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
                self._descriptor = descriptor
                return
        os.close(descriptor)
        raise SinkError(f"the log folder {self.directory} was removed while taking its lock", hint="start again")

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def seal_leftovers(directory: Path) -> None:
    """Seal every ``.open`` segment in the folder, cut after its last whole line; drop the empty ones.

    A crash can leave a torn last line in every segment that was open (one per writer), and a segment
    made from a spare still has its zeros after the last commit; neither was acknowledged (the 200
    follows the flush of the whole line), so both are cut off. Intact segments are renamed without
    being rewritten.
    """
    for leftover in list_segments(directory, OPEN_SUFFIX):
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
    fsync_directory(directory)
