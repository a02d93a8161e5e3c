"""Shared test helpers: the seed fixtures, configs rooted in a temporary folder, a live collector."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from clickstream.config import Config, parse_config
from etl.batch import DEFAULT_CHUNK_EVENTS
from etl.process import EtlJob
from etl.transform import TransformSettings
from ingestion.app import CollectorApp
from ingestion.sinks import build_sink

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "fixtures" / "seed"
SHARED_REFERENCE = REPO.parent / "shared" / "reference"


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


@contextmanager
def live_collector(config: Config, **app_options: Any) -> Iterator[LiveCollector]:
    app = CollectorApp(config, build_sink(config), **app_options)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False, proxy_headers=False
        )
    )
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
