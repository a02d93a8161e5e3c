"""An exclusive lock between processes (and threads), that a dead holder can never leave behind.

It is a POSIX record lock (``lockf``) on a file: the kernel releases it when the holding process exits,
however it exits (``kill -9`` included), so a stale lock is recovered by construction and there is no
expiry to tune. A record lock rather than ``flock`` because children forked by the holder (the ETL's
process pool) do not inherit it: with ``flock`` an orphaned worker would keep a dead cycle's lock.

Record locks belong to a process, and closing *any* descriptor of the file drops them, so within one
process a registry decides between threads and nobody opens the file while this process holds it. The
file also says who holds it (pid, host, since when), so a process that gives up waiting can name the
holder instead of failing mysteriously.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clickstream.errors import LockBusy

if TYPE_CHECKING:
    from clickstream.config import Config

POLL_SECONDS = 0.05


def cycle_lock_path(config: Config) -> Path:
    """The lock a pipeline cycle holds; a Studio publish waits for it too (both read the warehouse whole)."""
    return config.home / "locks" / "pipeline.lock"


_held: dict[str, str] = {}  # lock file -> holder description, for the locks this process holds
_held_guard = threading.Lock()


def _describe(stamp: bytes | str) -> str:
    try:
        info = json.loads(stamp or "{}")
    except ValueError:
        return "another process"
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')} since {info.get('since', '?')}"


def _try_acquire(path: Path, key: str) -> tuple[int | None, str]:
    """(descriptor holding the lock, "") or (None, who holds it)."""
    with _held_guard:
        if key in _held:
            return None, _held[key]
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by another process: say who, then let go of our descriptor (we hold nothing)
            holder = _describe(os.pread(descriptor, 4096, 0))
            os.close(descriptor)
            return None, holder
        stamp = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now(UTC).isoformat()})
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, stamp.encode(), 0)
        _held[key] = _describe(stamp)
        return descriptor, ""


@contextmanager
def exclusive_lock(path: Path, timeout_seconds: float, purpose: str) -> Iterator[None]:
    """Hold ``path``'s lock for the block; wait up to ``timeout_seconds`` (0: try once), else LockBusy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    deadline = time.monotonic() + timeout_seconds
    while True:
        descriptor, holder = _try_acquire(path, key)
        if descriptor is not None:
            break
        if time.monotonic() >= deadline:
            raise LockBusy(
                f"{purpose} is already running ({holder}); waited {timeout_seconds:g}s",
                hint="let it finish, or raise the lock timeout; a dead holder releases the lock by itself",
            )
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        with _held_guard:
            del _held[key]
            os.close(descriptor)  # closing the descriptor releases the lock
