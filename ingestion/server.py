"""Running the collector (`clickstream serve`): uvicorn with our connection limits, one or more workers."""

from __future__ import annotations

import ctypes
import gc
import socket
from collections.abc import Callable

import uvicorn

from clickstream.config import Config
from clickstream.ingestion.adoption import adopting, shipping_sink, with_task_id
from clickstream.ingestion.app import CollectorApp
from clickstream.ingestion.connection import protocol_for
from clickstream.ingestion.logs import configure_json_logging
from clickstream.ingestion.metrics import clear_snapshots
from clickstream.ingestion.sinks import build_sink


def build_app(config: Config, worker: str = "w0") -> CollectorApp:
    """The collector for ``config`` with its configured sink."""
    return CollectorApp(config, shipping_sink(config, build_sink(config)), worker=worker)


def uvicorn_config(
    app: CollectorApp, config: Config, host: str, port: int, log_level: str = "warning", *, direct: bool = True
) -> uvicorn.Config:
    """uvicorn settings for one collector worker: httptools with our limits, uvloop, no access log.

    ``direct``: the connection answers collect POSTs itself (:mod:`clickstream.ingestion.direct`); off, all go
    through ASGI.
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
    keep_freed_memory()
    server.run(sockets=sockets)


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> None:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the kernel at once.

    A worker frees the same sizes all the time (a group commit's lines, a 16 MB segment read and
    compressed for the sink). With glibc's defaults the top of the heap is given back when 128 KB are
    free and blocks over its (adaptive) mmap threshold are mapped afresh, so the next allocation
    page-faults and zeroes new pages, on the request path (see
    docs/performance.md#figures-behind-code-comments). Kept memory is bounded by the largest blocks a
    worker uses.
    Other C libraries (musl) have no ``mallopt``; there this does nothing.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError, TypeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 64 * 1024 * 1024)  # a fixed threshold also stops glibc's own adapting
    mallopt(_M_TRIM_THRESHOLD, 64 * 1024 * 1024)
    mallopt(_M_TOP_PAD, 16 * 1024 * 1024)


def serve(config: Config, host: str | None = None, port: int | None = None, log_level: str = "warning") -> None:
    """Serve until interrupted (SIGINT/SIGTERM); on the way out every worker seals and ships its log."""
    from clickstream.ingestion.supervisor import Supervisor

    host = host or config.ingestion.host
    port = config.ingestion.port if port is None else port
    clear_snapshots(config.home)
    config = with_task_id(config)  # once, so every worker names the same folder under a shared log root
    with adopting(config, build_sink):  # with a shared log root: ship the logs of collectors that died
        if config.ingestion.worker_count == 1:
            run_worker(config, "w0", None, host, port, log_level)
        else:
            Supervisor(config, host, port, log_level).run()
