"""An exclusive lock between processes on one machine, that a dead holder can never leave behind.

It is an ``flock`` on a file: the kernel releases it when the holding process exits, however it exits
(``kill -9`` included), so a stale lock is recovered by construction and there is no expiry to tune. The
file also says who holds it (pid, host, since when), so a process that gives up waiting can name the
holder instead of failing mysteriously.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from clickstream.errors import LockBusy

POLL_SECONDS = 0.05


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "another process"
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')} since {info.get('since', '?')}"


@contextmanager
def exclusive_lock(path: Path, timeout_seconds: float, purpose: str) -> Iterator[None]:
    """Hold ``path``'s lock for the block; wait up to ``timeout_seconds`` (0: try once), else LockBusy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"{purpose} is already running ({_holder(path)}); waited {timeout_seconds:g}s",
                        hint="let it finish, or raise the lock timeout; a dead holder releases the lock by itself",
                    ) from None
                time.sleep(POLL_SECONDS)
        stamp = {"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now(UTC).isoformat()}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(stamp).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # closing the descriptor releases the flock
