"""Shared test helpers: the seed fixtures, configs rooted in a temporary folder, a live collector."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from moto.server import ThreadedMotoServer

from clickstream.config import Config, parse_config
from clickstream.storage import Storage
from etl.batch import DEFAULT_CHUNK_EVENTS
from etl.process import EtlJob
from etl.settings import TransformSettings
from ingestion.app import CollectorApp
from ingestion.server import uvicorn_config
from ingestion.sinks import build_sink

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "fixtures" / "seed"
SHARED_REFERENCE = REPO.parent / "shared" / "reference"

# The headless chromium fixture (`browser`) for every browser test.
pytest_plugins = ["tests.browser"]


def make_job(app_ids: tuple[str, ...] = ("shop", "uba-app"), **settings: Any) -> EtlJob:
    """An ETL job for tests: fixed process time, given apps, other transform settings as keywords."""
    plugins = tuple(settings.pop("plugins", ()))
    chunk_events = settings.pop("chunk_events", DEFAULT_CHUNK_EVENTS)
    settings.setdefault("project_id", "test_project_id_01")
    settings.setdefault("process_time", datetime(2024, 1, 1, tzinfo=UTC))
    return EtlJob(TransformSettings(app_ids=frozenset(app_ids), **settings), plugins, chunk_events)


def seed_file(name: str) -> Path:
    """A file of the original system's test data (copied under tests/fixtures/seed with its licence)."""
    path = SEED / name
    assert path.exists(), f"missing fixture {path}"
    return path


def make_config(home: Path, **overrides: Any) -> Config:
    """A config whose home is ``home``; overrides are top-level sections as plain dicts."""
    data: dict[str, Any] = {"home": str(home), "apps": [{"id": "shop"}, {"id": "uba-app"}]}
    data.update(overrides)
    return parse_config(data, home)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path / "home")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveCollector:
    """A collector served by uvicorn on a loopback port in a background thread."""

    def __init__(self, app: CollectorApp, port: int) -> None:
        self.app = app
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"


DIRECT_COLLECT = True
"""Whether live collectors answer collect POSTs on the connection (as `clickstream serve` does) or via ASGI."""


@pytest.fixture(params=["direct", "asgi"])
def answering_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test on both paths a collect POST can take (``ingestion.direct``): they must answer alike."""
    monkeypatch.setattr(sys.modules[__name__], "DIRECT_COLLECT", request.param == "direct")
    return str(request.param)


@contextmanager
def live_collector(config: Config, direct: bool | None = None, **app_options: Any) -> Iterator[LiveCollector]:
    """The collector as `clickstream serve` runs one worker (same uvicorn settings and limits), in a thread.

    ``direct`` chooses the answering path; by default the ``answering_path`` fixture's (else the direct one).
    """
    app = CollectorApp(config, build_sink(config), **app_options)
    port = free_port()
    direct = DIRECT_COLLECT if direct is None else direct
    server = uvicorn.Server(uvicorn_config(app, config, "127.0.0.1", port, direct=direct))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "collector did not start"
        assert thread.is_alive(), "collector thread died"
        time.sleep(0.02)
    try:
        yield LiveCollector(app, port)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def raw_events(home: Path) -> list[dict[str, Any]]:
    """Every event in the raw files under ``home`` (plain JSON bodies only)."""
    import gzip
    import json

    storage = Storage(home)
    events: list[dict[str, Any]] = []
    for stored in storage.list_files("raw", ".jsonl.gz"):
        for line in gzip.decompress(storage.read_bytes(stored.path)).splitlines():
            events += json.loads(json.loads(line)["data"])
    return events


class ServeProcess:
    """`clickstream serve` as a subprocess in its own process group, as an operator runs it."""

    def __init__(self, config_path: Path, port: int) -> None:
        import subprocess
        import sys

        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clickstream", "--config", str(config_path), "serve", "--log-level", "info"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        import urllib.request

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
        import signal

        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill_all(self) -> None:
        """``kill -9`` of the supervisor and every worker at once: a crash."""
        import os
        import signal

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
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "clickstream.yml"
    document = {
        "home": str(folder / "home"),
        "apps": [{"id": "shop"}],
        "ingestion": {"host": "127.0.0.1", "port": port, **ingestion},
    }
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's AWS server in a thread on a free loopback port (one for the session; tests use unique names)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials moto accepts, and no chance of reading a developer's real AWS configuration."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
