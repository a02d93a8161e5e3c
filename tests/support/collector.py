"""A live collector: the app `clickstream serve` runs in a worker, served by uvicorn in a thread."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from clickstream.config import Config
from clickstream.ingestion.app import CollectorApp
from clickstream.ingestion.server import uvicorn_config
from clickstream.ingestion.sinks import build_sink
from tests.support.loopback import free_port


class LiveCollector:
    """A collector served by uvicorn on a loopback port in a background thread."""

    def __init__(self, app: CollectorApp, port: int) -> None:
        self.app = app
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"


@contextmanager
def live_collector(config: Config, *, direct: bool = True, **app_options: Any) -> Iterator[LiveCollector]:
    """The collector as `clickstream serve` runs one worker (same uvicorn settings and limits), in a thread.

    ``direct``: collect POSTs are answered on the connection, as `clickstream serve` does; off, through
    ASGI (``ingestion.direct``). Tests of what both paths do take it from the ``direct`` fixture.
    """
    app = CollectorApp(config, build_sink(config), **app_options)
    port = free_port()
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


@dataclass(frozen=True)
class Reply:
    """A collector's answer, read whole, so a test can look at it after the connection is closed."""

    status: int
    body: bytes
    headers: http.client.HTTPMessage

    def getheader(self, name: str) -> str | None:
        return self.headers.get(name)


def exchange(
    live: LiveCollector, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    """One request to ``live`` on a fresh connection, and its whole reply."""
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.read(), response.headers)
    finally:
        connection.close()
