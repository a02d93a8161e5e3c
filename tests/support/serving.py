"""A server command as an operator runs it: started, probed over HTTP until it answers, then stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def serving(command: list[str], ready_url: str, cwd: Path, env: dict[str, str], timeout: float = 90) -> Iterator[None]:
    """Run ``command`` until ``ready_url`` answers anything over HTTP; SIGTERM it (and its workers) after.

    Its output goes to a file in ``cwd`` (a pipe nobody reads would fill up and stall the server)."""
    log = cwd / f"{command[1] if len(command) > 1 else 'server'}-{time.monotonic_ns()}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{' '.join(command)} exited {process.returncode}:\n{log.read_text()}")
            try:
                get(ready_url)
                break
            except OSError:
                assert time.monotonic() < deadline, f"{' '.join(command)} never answered {ready_url}"
                time.sleep(0.2)
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
