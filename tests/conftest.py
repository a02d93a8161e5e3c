"""Shared test helpers: the seed fixtures, configs rooted in a temporary folder, a live collector."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from clickstream.config import Config, parse_config
from clickstream.storage import Storage
from ingestion.app import CollectorApp
from ingestion.server import uvicorn_config
from ingestion.shipper import StorageSink

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "fixtures" / "seed"
SHARED_REFERENCE = REPO.parent / "shared" / "reference"


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


@contextmanager
def live_collector(config: Config, **app_options: Any) -> Iterator[LiveCollector]:
    """The collector as `clickstream serve` runs one worker (same uvicorn settings and limits), in a thread."""
    app = CollectorApp(config, StorageSink(Storage(config.home)), **app_options)
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, config, "127.0.0.1", port))
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
