"""`clickstream serve` as an operator runs it: a config file and a process with its own workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml


class ServeProcess:
    """`clickstream serve` as a subprocess in its own process group, as an operator runs it."""

    def __init__(self, config_path: Path, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clickstream", "--config", str(config_path), "serve", "--log-level", "info"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited: {self.stderr()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("serve did not become healthy")

    def stop(self, timeout: float = 90) -> int:
        """SIGTERM and wait; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill_all(self) -> None:
        """``kill -9`` of the supervisor and every worker at once: a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the workers too must be gone (a worker in fsync dies after it)
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.01)
        raise AssertionError("the workers survived kill -9")

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read().decode(errors="replace")


def write_serve_config(folder: Path, port: int, **ingestion: Any) -> Path:
    """A config file for `clickstream serve` on ``port``, its home inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "clickstream.yml"
    document = {
        "home": str(folder / "home"),
        "apps": [{"id": "shop"}],
        "ingestion": {"host": "127.0.0.1", "port": port, **ingestion},
    }
    path.write_text(yaml.safe_dump(document))
    return path
