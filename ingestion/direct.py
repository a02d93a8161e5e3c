"""Collect requests answered by the connection itself, without an ASGI task.

uvicorn runs every request as an asyncio task that talks to the app in ASGI messages: a scope dict,
an ``asyncio.Event``, a ``receive`` and two ``send`` calls that check every response header with a
regular expression, and a timer re-armed after each response. On the collector's one hot route that
machinery cost more CPU than the collector's own work (``docs/decisions.md``, entry 17). So the
connection (:mod:`clickstream.ingestion.connection`) answers a collect POST itself when that is simple: no
authentication configured, a ``Content-Length`` body, no ``Expect: 100-continue``, and no earlier
request on the connection still waiting for its answer. Everything else goes to the ASGI app as before.

Both paths run the same steps of :class:`~clickstream.ingestion.app.CollectorApp` (checks, raw record, log,
counters) in the same order, so they answer alike; the protocol tests run on both. The log calls back
when a group commit is on disk, so a request waiting for its fsync costs a callback in a list, not a task.

A :class:`DirectCollect` stands where uvicorn keeps its ``RequestResponseCycle`` (``protocol.cycle``)
with the fields uvicorn's protocol reads, so pipelined requests queue behind it, a graceful shutdown
waits for its answer, and a disconnect is noticed, as for any other request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from clickstream.ingestion.app import ACK_LENGTH, ACK_TYPE, RequestRefused
from clickstream.ingestion.record import query_params

if TYPE_CHECKING:
    from clickstream.ingestion.app import CollectorApp, Headers

logger = logging.getLogger("clickstream.ingestion")

_CLOSE = (b"connection", b"close")


class _NoEvent:
    """uvicorn's protocol sets ``cycle.message_event`` when a connection ends; nothing waits on ours."""

    def set(self) -> None:
        return None


_NO_EVENT = _NoEvent()


class DirectCollect:
    """One collect POST, from its headers to its answer, on the connection's callbacks.

    It runs for every request at thousands a second, so it keeps to slots, reads the app's parts once,
    and writes a 200 from cached bytes (:func:`_head_of_200`) rather than joining header tuples.
    """

    __slots__ = (
        "app",
        "body_bytes",
        "chunks",
        "cors",
        "default_headers",
        "disconnected",
        "headers",
        "keep_alive",
        "on_response",
        "peer",
        "query",
        "query_string",
        "raw_path",
        "receiving",
        "request_id",
        "reserved",
        "response_complete",
        "response_started",
        "started",
        "transport",
    )

    message_event = _NO_EVENT

    def __init__(
        self,
        app: CollectorApp,
        transport: asyncio.Transport,
        on_response: Callable[[], None],
        *,
        headers: dict[bytes, bytes],
        query_string: bytes,
        raw_path: bytes,
        peer: str,
        keep_alive: bool,
        default_headers: Headers,
    ) -> None:
        self.started = time.perf_counter()
        self.app = app
        self.transport = transport
        self.on_response = on_response
        self.headers = headers
        self.query_string = query_string.decode("latin-1")
        self.raw_path = raw_path
        self.peer = peer
        self.keep_alive = keep_alive
        self.default_headers = default_headers
        # the fields of uvicorn's RequestResponseCycle that its protocol reads
        self.response_started = False
        self.response_complete = False
        self.disconnected = False
        # this request's state
        self.receiving = True  # until the whole body is in
        self.reserved = 0  # bytes held in the app's in-flight budget
        self.chunks: list[bytes] = []
        self.cors: Headers = []
        self.query: dict[str, str] = {}
        self.request_id = b""
        self.body_bytes = 0

    # --- the connection's parser callbacks ---------------------------------------------------------

    def begin(self) -> None:
        """Headers are in: the checks that need no body (origin, app id, limits, declared size)."""
        app = self.app
        try:
            origin = self.headers.get(b"origin")
            if origin is not None:
                self.cors = app.cors_headers(origin)
            self.query = query = query_params(self.query_string)
            self.reserved = app.reserve(app.app_id(query), self.headers)
        except RequestRefused as refused:
            self._refused(refused)  # the rest of the body is read and dropped by the parser
        except Exception:
            self._failed()

    def body(self, chunk: bytes) -> None:
        if not self.response_complete:
            self.chunks.append(chunk)  # at most the declared length, which ``begin`` reserved

    def complete(self) -> None:
        """The body is in: build the record and hand it to the log, which calls :meth:`committed`."""
        self.receiving = False
        if self.response_complete:
            return
        app = self.app
        chunks = self.chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.chunks = []
        self.body_bytes = len(body)
        try:
            line, self.request_id = app.record_line(
                body, self.headers, self.query, self.query_string, self.raw_path, self.peer
            )
            try:
                app.wal.submit(line, self.committed)
            except Exception as exc:
                raise app.store_failed(exc) from None
        except RequestRefused as refused:
            self._release()
            self._refused(refused)
        except Exception:
            self._release()
            self._failed()

    def committed(self, error: BaseException | None) -> None:
        """The log's answer: on disk (200), or the write failed (503; the record is not kept)."""
        self._release()
        app = self.app
        if error is not None:
            self._refused(app.store_failed(error))
            return
        app.stored(self.body_bytes)
        metrics = app.metrics
        metrics.requests[200] += 1
        metrics.observe_ack(time.perf_counter() - self.started)
        self.response_started = self.response_complete = True
        transport = self.transport
        if not transport.is_closing():
            parts = [_head_of_200(self.default_headers), self.request_id, _AFTER_REQUEST_ID]
            for name, value in self.cors:
                parts += (name, b": ", value, b"\r\n")
            if not self.keep_alive:
                parts.append(b"connection: close\r\n")
            parts.append(b"\r\n")
            transport.write(b"".join(parts))
            if not self.keep_alive:
                transport.close()
        self.on_response()

    def abort(self) -> None:
        """The connection ended (or was refused below us) before the body was in: free its budget."""
        if self.receiving:
            self.receiving = False
            self.response_complete = True
            self._release()

    # --- helpers -------------------------------------------------------------------------------------

    def _release(self) -> None:
        if self.reserved:
            self.app.release(self.reserved)
            self.reserved = 0

    def _refused(self, refused: RequestRefused) -> None:
        self._answer(*self.app.refuse(refused, self.headers, self.cors))

    def _failed(self) -> None:
        """A bug, not a refusal: logged, and answered 500 as uvicorn answers an app's exception."""
        logger.exception("answering a collect request failed", extra={"worker": self.app.worker})
        self.app.metrics.requests[500] += 1
        self._answer(500, [(b"content-type", b"text/plain"), (b"content-length", b"14")], b"internal error")

    def _answer(self, status: int, headers: Headers, body: bytes) -> None:
        """Write a response that is not a 200 (unless the client is gone) and let the connection go on."""
        self.response_started = self.response_complete = True
        transport = self.transport
        if not transport.is_closing():
            keep_alive = self.keep_alive and _CLOSE not in headers
            parts = [STATUS_LINE[status]]
            for name, value in (*self.default_headers, *headers):
                parts += (name, b": ", value, b"\r\n")
            if not keep_alive and _CLOSE not in headers:
                parts.append(b"connection: close\r\n")
            parts += (b"\r\n", body)
            transport.write(b"".join(parts))
            if not keep_alive:
                transport.close()
        self.on_response()


# A 200 is the status line, uvicorn's default headers (the date; replaced by a new list every second),
# then the same headers as the ASGI path's (``CollectorApp.acknowledge``): content type, request id,
# empty length and any CORS headers. The part before the request id is built once per default-headers list.
_AFTER_REQUEST_ID = b"\r\n" + ACK_LENGTH[0] + b": " + ACK_LENGTH[1] + b"\r\n"
_cached_head: tuple[Headers | None, bytes] = (None, b"")


def _head_of_200(default_headers: Headers) -> bytes:
    global _cached_head
    cached_for, head = _cached_head
    if cached_for is not default_headers:
        parts = [STATUS_LINE[200]]
        for name, value in (*default_headers, ACK_TYPE):
            parts += (name, b": ", value, b"\r\n")
        head = b"".join(parts) + b"x-request-id: "
        _cached_head = (default_headers, head)
    return head
