"""Running the collector (`clickstream serve`): uvicorn with our connection limits, one or more workers."""

from __future__ import annotations

import gc
import socket
from collections.abc import Callable

import uvicorn

from clickstream.config import Config
from ingestion.app import CollectorApp
from ingestion.connection import protocol_for
from ingestion.logs import configure_json_logging
from ingestion.metrics import clear_snapshots
from ingestion.sinks import build_sink


def build_app(config: Config, worker: str = "w0") -> CollectorApp:
    """The collector for ``config`` with its configured sink."""
    return CollectorApp(config, build_sink(config), worker=worker)


def uvicorn_config(
    app: CollectorApp, config: Config, host: str, port: int, log_level: str = "warning", *, direct: bool = True
) -> uvicorn.Config:
    """uvicorn settings for one collector worker: httptools with our limits, uvloop, no access log.

    ``direct``: the connection answers collect POSTs itself (:mod:`ingestion.direct`); off, all go through ASGI.
    """
    settings = config.ingestion
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        http=protocol_for(app, settings, direct=direct),
        loop="auto",
        log_config=None,
        log_level=log_level,
        access_log=False,
        server_header=False,
        proxy_headers=False,  # the app applies its own trusted_proxies rule to X-Forwarded-For
        timeout_keep_alive=settings.keepalive_timeout_seconds,
        timeout_graceful_shutdown=int(settings.shutdown_timeout_seconds),
        backlog=4096,
    )


def run_worker(
    config: Config,
    worker: str,
    sockets: list[socket.socket] | None,
    host: str,
    port: int,
    log_level: str,
    on_server: Callable[[uvicorn.Server], None] | None = None,
) -> None:
    """Serve as worker ``worker`` until SIGTERM/SIGINT, then finish in-flight requests, flush and ship."""
    configure_json_logging(log_level, worker=worker)
    app = build_app(config, worker)
    server = uvicorn.Server(uvicorn_config(app, config, host, port, log_level))
    if on_server is not None:
        on_server(server)
    # Everything imported so far lives as long as the process: keep the collector from rescanning it
    # on every full collection (the request path allocates enough to trigger them regularly).
    gc.freeze()
    server.run(sockets=sockets)


def serve(config: Config, host: str | None = None, port: int | None = None, log_level: str = "warning") -> None:
    """Serve until interrupted (SIGINT/SIGTERM); on the way out every worker seals and ships its log."""
    from ingestion.supervisor import Supervisor

    host = host or config.ingestion.host
    port = config.ingestion.port if port is None else port
    clear_snapshots(config.home)
    if config.ingestion.worker_count == 1:
        run_worker(config, "w0", None, host, port, log_level)
    else:
        Supervisor(config, host, port, log_level).run()
