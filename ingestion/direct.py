"""Collect requests answered by the connection itself, without an ASGI task.

uvicorn runs every request as an asyncio task that talks to the app in ASGI messages: a scope dict,
an ``asyncio.Event``, a ``receive`` and two ``send`` calls that check every response header with a
regular expression, and a timer re-armed after each response. On the collector's one hot route that
machinery cost more CPU than the collector's own work (``docs/decisions.md``, entry 17). So the
connection (:mod:`ingestion.connection`) answers a collect POST itself when that is simple: no
authentication configured, a ``Content-Length`` body, no ``Expect: 100-continue``, and no earlier
request on the connection still waiting for its answer. Everything else goes to the ASGI app as before.

Both paths run the same steps of :class:`~ingestion.app.CollectorApp` (checks, raw record, log,
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

from ingestion.app import RequestRefused
from ingestion.record import query_params

if TYPE_CHECKING:
    from ingestion.app import CollectorApp, Headers

logger = logging.getLogger("clickstream.ingestion")

_CLOSE = (b"connection", b"close")


class _NoEvent:
    """uvicorn's protocol sets ``cycle.message_event`` when a connection ends; nothing waits on ours."""

    def set(self) -> None:
        return None


_NO_EVENT = _NoEvent()


class DirectCollect:
    """One collect POST, from its headers to its answer, on the connection's callbacks."""

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
            self.cors = app.cors_headers(self.headers.get(b"origin"))
            self.query = query_params(self.query_string)
            self.reserved = app.reserve(app.app_id(self.query), self.headers)
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
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
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
        app.metrics.requests[200] += 1
        self._answer(200, app.acknowledge(self.request_id, self.cors, self.started), b"")

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
        """Write the response (unless the client is gone) and let the connection take its next request."""
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
