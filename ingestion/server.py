"""Running the collector with uvicorn (`clickstream serve`)."""

from __future__ import annotations

import uvicorn

from clickstream.config import Config
from ingestion.app import CollectorApp
from ingestion.sinks import build_sink


def build_app(config: Config, worker: str = "w0") -> CollectorApp:
    """The collector for ``config`` with its configured sink."""
    return CollectorApp(config, build_sink(config), worker=worker)


def serve(config: Config, host: str | None = None, port: int | None = None, log_level: str = "warning") -> None:
    """Serve until interrupted (SIGINT/SIGTERM); on the way out the log is sealed and shipped."""
    app = build_app(config)
    uvicorn.run(
        app,
        host=host or config.ingestion.host,
        port=config.ingestion.port if port is None else port,
        lifespan="on",
        http="httptools",
        loop="auto",
        log_level=log_level,
        access_log=False,
        proxy_headers=False,  # the app applies its own trusted_proxies rule to X-Forwarded-For
        timeout_graceful_shutdown=10,
    )
