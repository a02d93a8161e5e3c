"""Connection-level limits uvicorn's httptools protocol lacks: header size, request time, connection count.

uvicorn buffers every header a client sends and waits forever for a request that trickles in (or never
starts), so one slow or hostile client could hold memory and a connection slot without end. This
subclass answers before the ASGI app is involved:

* request line plus headers over ``max_header_bytes``: 431, connection closed (nginx's
  ``large_client_header_buffers`` does the same job). httptools buffers a header until its line ends, so
  the line still arriving is counted from the bytes received, and a head that grows past the limit is
  refused as the bytes come, not when (if ever) its header is finished;
* a request not received whole within ``request_timeout`` of its first byte (or of the connection
  opening): 408 and close, the remedy for slowloris-style clients. One timer per worker checks all
  connections every second, rather than a timer armed and cancelled for every request. A request
  already answered (refused before its body came) is not answered again: its connection is closed;
* an idle keep-alive connection is closed by the same sweep after uvicorn's ``timeout_keep_alive``
  (uvicorn arms a timer after every response; the sweep may close it up to a second later).
* more than ``max_connections`` open connections in this worker: 503 with ``Retry-After`` and close.

Given the collector, the protocol also answers most collect POSTs itself, without an ASGI task
(:mod:`clickstream.ingestion.direct` says which and why).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from clickstream.ingestion.direct import DirectCollect

if TYPE_CHECKING:
    from clickstream.config import IngestionConfig
    from clickstream.ingestion.app import CollectorApp

RefusalCounter = Callable[[int, str], None]


class _HeaderTooLarge(Exception):
    """The request line and headers passed ``max_header_bytes``: answered 431 and the connection closed."""


def limited_protocol(
    *,
    max_header_bytes: int,
    request_timeout: float,
    max_connections: int,
    retry_after: int,
    count_refusal: RefusalCounter,
    collector: CollectorApp | None = None,
) -> type[asyncio.Protocol]:
    """An uvicorn HTTP protocol class with these limits (uvicorn takes a class, not an instance).

    With ``collector`` (and no authentication configured on it) collect POSTs are answered directly.
    """

    sweep_every = min(1.0, request_timeout / 2)
    direct = collector if collector is not None and collector.authenticator is None else None
    collect_path = collector.path.encode() if collector is not None else b""

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        _header_bytes = 0  # the URL and the headers the parser has handed over
        _open_line = 0  # bytes of the head's line still arriving (httptools holds them until its end)
        _in_head = False  # between a request's first byte and the end of its headers
        _heads = 0  # requests begun on this connection (to tell whether one began in a given read)
        _fed_body = 0  # body bytes of the current read
        _too_large = False
        _running: Any = None  # the ASGI cycle whose task is answering; ``cycle`` may be one queued behind it
        _since: float | None = None  # loop time the current request (or the idle new connection) began
        _idle_since: float | None = None  # loop time the last response was written, while no request is under way
        _sweeping = False  # one timer per worker checks every connection's deadline

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self._refuse(503, "too many connections; retry", [(b"retry-after", str(retry_after).encode())])
                return
            self._since = self.loop.time()
            if not LimitedHttpToolsProtocol._sweeping:
                LimitedHttpToolsProtocol._sweeping = True
                self.loop.call_later(sweep_every, _sweep, self.loop, self.connections)

        def data_received(self, data: bytes) -> None:
            heads = self._heads
            self._fed_body = 0
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                if self._too_large:
                    self._refuse(431, "request header too large")
                else:
                    self._refuse(400, "invalid HTTP request")
                return
            except httptools.HttpParserUpgrade:
                self._refuse(400, "protocol upgrades are not supported")
                return
            if self._in_head and self._head_too_large(data, began_here=self._heads != heads):
                self._too_large = True
                self._refuse(431, "request header too large")

        def _head_too_large(self, data: bytes, began_here: bool) -> bool:
            """Whether the head under way, with its line still arriving, is over the limit.

            The open line is what follows the last newline received; in the read where the request began it
            is also at most what follows the previous request's body. Until a header is complete the open
            line may be the request line, whose URL is counted already, so the larger of the two is taken.
            """
            newline = data.rfind(b"\n")
            if newline >= 0:
                line = len(data) - newline - 1
            elif began_here:
                line = len(data)
            else:
                line = self._open_line + len(data)
            if began_here:
                line = min(line, len(data) - self._fed_body)
            self._open_line = line
            if self.headers:
                return self._header_bytes + line > max_header_bytes
            return max(self._header_bytes, line) > max_header_bytes

        # parser callbacks (the header ones inline uvicorn's, as they run for every header) -------

        def on_message_begin(self) -> None:
            # uvicorn's also builds the ASGI scope here; only a request for the ASGI app needs one (_to_asgi)
            self.url = b""
            self.expect_100_continue = False
            self.headers = []
            self._header_bytes = 0
            self._open_line = 0
            self._in_head = True
            self._heads += 1
            self._since = self.loop.time()
            self._idle_since = None

        def on_url(self, url: bytes) -> None:
            self._header_bytes += len(url)
            if self._header_bytes > max_header_bytes:
                self._too_large = True
                raise _HeaderTooLarge
            self.url += url

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_bytes += len(name) + len(value) + 4
            if self._header_bytes > max_header_bytes:
                self._too_large = True
                raise _HeaderTooLarge
            name = name.lower()
            if name == b"expect" and value.lower() == b"100-continue":
                self.expect_100_continue = True
            self.headers.append((name, value))

        def on_headers_complete(self) -> None:
            self._in_head = False
            if direct is None or not self._direct_candidate():
                self._to_asgi()
                return
            # an origin-form target as SDKs send it; anything else (an absolute URL, an escaped path, a
            # fragment) and a body without Content-Length (chunked) take the general path
            path, _, query = self.url.partition(b"?")
            headers = dict(self.headers)
            if path != collect_path or b"#" in query or b"content-length" not in headers:
                self._to_asgi()
                return
            cycle = DirectCollect(
                direct,
                self.transport,
                self.on_response_complete,
                headers=headers,
                query_string=query,
                raw_path=collect_path,
                peer=self.client[0] if self.client else "",
                keep_alive=self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive(),
                default_headers=self.server_state.default_headers,
            )
            self.cycle = cycle  # type: ignore[assignment]  # stands in for uvicorn's RequestResponseCycle
            cycle.begin()

        def _to_asgi(self) -> None:
            """uvicorn's handling: the ASGI scope its ``on_message_begin`` makes, then a task for the app."""
            url, headers, expect_100_continue = self.url, self.headers, self.expect_100_continue
            super().on_message_begin()
            self.url, self.headers, self.expect_100_continue = url, headers, expect_100_continue
            self.scope["headers"] = headers
            super().on_headers_complete()
            if not self.pipeline or self.pipeline[0][0] is not self.cycle:  # started now, not queued
                self._running = self.cycle

        def _direct_candidate(self) -> bool:
            """A POST, no interim 100 to send, no upgrade, no earlier request on this connection unanswered."""
            return (
                not self.expect_100_continue
                and not self.parser.should_upgrade()
                and (self.cycle is None or self.cycle.response_complete)
                and self.parser.get_method() == b"POST"
            )

        def on_body(self, body: bytes) -> None:
            self._fed_body += len(body)
            cycle = self.cycle
            if isinstance(cycle, DirectCollect):
                cycle.body(body)
            else:
                super().on_body(body)

        def on_message_complete(self) -> None:
            self._since = None
            cycle = self.cycle
            if isinstance(cycle, DirectCollect):
                cycle.complete()
            else:
                super().on_message_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            if isinstance(self.cycle, DirectCollect):
                self.cycle.abort()
            self._disconnect_running()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            """uvicorn's, less its keep-alive timer armed after every response: the sweep closes idle connections."""
            self.server_state.total_requests += 1
            if self.transport.is_closing():
                return
            self.flow.resume_reading()
            if self.pipeline:
                cycle, app = self.pipeline.pop()
                self._running = cycle
                start = getattr(self, "_start_asgi_task", None)  # recent uvicorn; older ones start it inline
                if start is not None:
                    start(cycle, app)
                else:
                    task = self.loop.create_task(cycle.run_asgi(app))
                    task.add_done_callback(self.tasks.discard)
                    self.tasks.add(task)
            else:
                self._idle_since = self.loop.time()

        # helpers ---------------------------------------------------------------------------------

        def timed_out(self, now: float) -> bool:
            return self._since is not None and now - self._since > request_timeout

        def idle_too_long(self, now: float) -> bool:
            """Idle after a response for longer than uvicorn's keep-alive timeout."""
            return self._idle_since is not None and now - self._idle_since > self.timeout_keep_alive

        def on_timeout(self) -> None:
            self._since = None
            if self.transport.is_closing():
                return
            # The cycle is the request under way once its headers are in; it may have been answered (refused
            # before its body came) or be answering: either way it gets no second response.
            cycle = None if self._in_head else self.cycle
            if cycle is not None and cycle.response_started:
                if isinstance(cycle, DirectCollect):
                    cycle.abort()
                self._disconnect_running()
                self.transport.close()
            else:
                self._refuse(408, "request not received in time")

        def _disconnect_running(self) -> None:
            """App tasks still reading or answering on this connection see a disconnect, and write nothing more.

            With pipelined requests the task answering is an earlier request's, not ``cycle``'s (uvicorn marks
            only ``cycle``), and uvloop raises on a write to a closed transport.
            """
            for cycle in (self._running, self.cycle):
                if cycle is not None and not isinstance(cycle, DirectCollect) and not cycle.response_complete:
                    cycle.disconnected = True
                    cycle.message_event.set()

        def _refuse(self, status: int, reason: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
            """Answer at the connection level and close: the ASGI app never sees the request."""
            self._since = None
            count_refusal(status, reason)
            if self.transport.is_closing():
                return
            if isinstance(self.cycle, DirectCollect):
                self.cycle.abort()
            self._disconnect_running()
            body = reason.encode()
            lines = [f"HTTP/1.1 {status} {_PHRASES.get(status, 'Error')}".encode()]
            lines += [name + b": " + value for name, value in headers or []]
            lines += [b"content-type: text/plain", b"content-length: " + str(len(body)).encode(), b"connection: close"]
            self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            self.transport.close()

    def _sweep(loop: asyncio.AbstractEventLoop, connections: set[Any]) -> None:
        now = loop.time()
        for connection in [c for c in connections if isinstance(c, LimitedHttpToolsProtocol)]:
            if connection.timed_out(now):
                connection.on_timeout()
            elif connection.idle_too_long(now):
                connection._idle_since = None
                connection.timeout_keep_alive_handler()
        loop.call_later(sweep_every, _sweep, loop, connections)

    return LimitedHttpToolsProtocol


_PHRASES: dict[int, str] = {
    400: "Bad Request",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def protocol_for(collector: CollectorApp, settings: IngestionConfig, *, direct: bool = True) -> type[asyncio.Protocol]:
    """The limited protocol for the collector's settings, counting its refusals on the collector.

    ``direct=False`` sends every request through the ASGI app (the tests run the protocol on both paths).
    """
    return limited_protocol(
        max_header_bytes=settings.max_header_bytes,
        request_timeout=settings.request_timeout_seconds,
        max_connections=settings.max_connections,
        retry_after=1,
        count_refusal=collector.count_refusal,
        collector=collector if direct else None,
    )
