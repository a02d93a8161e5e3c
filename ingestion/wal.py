"""The write-ahead log: where a request's record is made durable before the 200.

Requests hand their line to :meth:`WriteAheadLog.append` and wait; one committer writes every line
that queued up meanwhile and fsyncs once (group commit), so many requests share one fsync. Only the
committer's thread touches the segment file. A segment is sealed (renamed from ``.open`` to ``.seg``)
when it is large, old, or its hour ends; the shipper takes sealed segments to the sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

OPEN_SUFFIX = ".open"
SEALED_SUFFIX = ".seg"


def segment_opened_ms(segment: Path) -> int:
    """Epoch milliseconds at which a segment was opened (encoded in its name)."""
    return int(segment.name.split("-", 1)[0])


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
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._size = 0
        self._opened_ms = 0
        self._seq = 0
        self.last_error: BaseException | None = None
        self.committed_records = 0
        self.commits = 0

    # --- lifecycle -----------------------------------------------------------------------------

    def recover(self) -> list[Path]:
        """Seal segments a previous process left open (keeping only complete lines); return all sealed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in sorted(self.directory.glob(f"*{OPEN_SUFFIX}")):
            content = leftover.read_bytes()
            complete = content[: content.rfind(b"\n") + 1]
            if complete:
                leftover.write_bytes(complete)
                leftover.rename(leftover.with_suffix(SEALED_SUFFIX))
            else:
                leftover.unlink()
        return self.sealed_segments()

    def sealed_segments(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{SEALED_SUFFIX}"))

    def close(self) -> None:
        """Seal the open segment (if it holds anything); call after the committer has stopped."""
        self._seal()

    @property
    def healthy(self) -> bool:
        return self.last_error is None and os.access(self.directory, os.W_OK)

    # --- appends -------------------------------------------------------------------------------

    async def append(self, line: bytes) -> None:
        """Return once ``line`` (one JSON record, newline-terminated) is on disk and fsync'd."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((line, future))
        self._wake.set()
        await future

    async def run_committer(self, tick_seconds: float = 1.0) -> None:
        """Commit queued lines in groups until cancelled; also seals idle segments when they age."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=tick_seconds)
            self._wake.clear()
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._commit, [line for line, _ in batch])
            except Exception as exc:  # a disk error fails these requests, not the server
                self.last_error = exc
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.last_error = None
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def drain(self) -> None:
        """Commit whatever is queued now (used at shutdown, after the server stopped taking requests)."""
        batch, self._pending = self._pending, []
        await asyncio.to_thread(self._commit, [line for line, _ in batch])
        for _, future in batch:
            if not future.done():
                future.set_result(None)

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
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        self._size += len(data)
        self.committed_records += len(lines)
        self.commits += 1

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
        self._opened_ms = int(now * 1000)
        self._path = self.directory / f"{self._opened_ms}-{self._seq:06d}{OPEN_SUFFIX}"
        self._file = open(self._path, "ab")  # noqa: SIM115 - kept open across commits
        self._size = 0

    def _seal(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._file = None
        if self._size:
            self._path.rename(self._path.with_suffix(SEALED_SUFFIX))
        else:
            self._path.unlink()
