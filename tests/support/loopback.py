"""Real HTTP endpoints on loopback for tests: an OIDC issuer's keys, a discovery document, the ECS task
metadata endpoint, a static page. Each test writes only its handler's answers. And free ports for servers
a test starts itself."""

from __future__ import annotations

import http.server
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from clickstream.ports import free_port as free_port  # the tests take their ports from here


class QuietLog:
    """Mixed into a request handler: no access log in the test output."""

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged."""


class QuietHandler(QuietLog, http.server.BaseHTTPRequestHandler):
    """A request handler without an access log; subclasses add ``do_GET`` and the like."""


@contextmanager
def serving(handler: Callable[..., socketserver.BaseRequestHandler], port: int = 0) -> Iterator[str]:
    """Serve ``handler`` on a loopback port (any free one by default) in a thread; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
