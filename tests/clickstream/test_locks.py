"""The process lock: one holder at a time, across processes and threads, and never held by the dead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from clickstream.errors import LockBusy
from clickstream.locks import exclusive_lock

HOLD_AND_FORK = """
import os, sys, time
from pathlib import Path
from clickstream.locks import exclusive_lock
with exclusive_lock(Path(sys.argv[1]), 0, "a pipeline cycle"):
    child = os.fork()
    if child == 0:  # a worker of a process pool: it outlives its parent
        time.sleep(60)
        os._exit(0)
    print(child, flush=True)
    time.sleep(60)
"""


def test_a_second_holder_in_the_same_process_is_refused_and_named(tmp_path: Path) -> None:
    with exclusive_lock(tmp_path / "l.lock", 0, "a load"), pytest.raises(LockBusy) as refused:
        exclusive_lock(tmp_path / "l.lock", 0.1, "a load").__enter__()
    assert f"a load is already running (pid {os.getpid()}" in refused.value.message


def test_a_waiting_thread_gets_the_lock_when_the_holder_lets_go(tmp_path: Path) -> None:
    order: list[str] = []

    def wait_for_it() -> None:
        with exclusive_lock(tmp_path / "l.lock", 10, "a load"):
            order.append("waiter")

    with exclusive_lock(tmp_path / "l.lock", 0, "a load"):
        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        time.sleep(0.2)
        order.append("holder done")
    waiter.join(timeout=10)
    assert order == ["holder done", "waiter"]


def test_a_killed_holders_forked_children_do_not_keep_its_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AND_FORK, str(tmp_path / "l.lock")], stdout=subprocess.PIPE)
    assert holder.stdout is not None
    child = int(holder.stdout.readline())
    try:
        holder.kill()  # kill -9 of the cycle; its pool worker lives on
        holder.wait()
        os.kill(child, 0)  # the child is still alive...
        acquired = []
        with exclusive_lock(tmp_path / "l.lock", 0, "a pipeline cycle"):  # ...and yet the lock is free
            acquired.append(True)
        assert acquired == [True]
    finally:
        os.kill(child, signal.SIGKILL)
