"""The ASGI application: the original's HTTP protocol over a write-ahead log.

Routes: ``POST <path>`` (default ``/collect``), ``GET /ping``, ``GET /health``, CORS preflights.
Refusals get the right status and a short reason in the body, and are counted by reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from clickstream.config import Config
from clickstream.contract import WAL_DIR, raw_record
from ingestion.record import client_ip, parse_networks, query_params
from ingestion.shipper import Sink, ship_segments
from ingestion.wal import WriteAheadLog

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger("clickstream.ingestion")

CORS_ALLOW_HEADERS = (
    "DNT,X-CustomHeader,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type"
)


class RequestRefused(Exception):
    """A request that gets a non-200 answer; ``reason`` is the counter key and the body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class CollectorApp:
    """One worker's collector: protocol checks, raw record, durable append, background shipping."""

    def __init__(self, config: Config, sink: Sink, worker: str = "w0", ship_interval_seconds: float = 1.0) -> None:
        ingestion = config.ingestion
        self.path = ingestion.path
        self.apps = frozenset(config.app_ids)
        self.max_body = ingestion.max_body_bytes
        self.cors_origins = ingestion.cors_origins
        self.trusted_proxies = parse_networks(ingestion.trusted_proxies)
        self.worker = worker
        self.sink = sink
        self.ship_interval = ship_interval_seconds
        self.wal = WriteAheadLog(
            config.home / WAL_DIR / worker, ingestion.segment_max_bytes, ingestion.segment_max_age_seconds
        )
        self.refusals: Counter[str] = Counter()
        self.accepted = 0
        self.shipped_records = 0
        self.ship_error: BaseException | None = None
        self._committer: asyncio.Task[None] | None = None
        self._shipper: asyncio.Task[None] | None = None
        self._stop_shipping = asyncio.Event()

    # --- lifecycle -----------------------------------------------------------------------------

    async def startup(self) -> None:
        self.wal.recover()
        await self._ship_sealed()
        self._committer = asyncio.create_task(self.wal.run_committer())
        self._shipper = asyncio.create_task(self._ship_forever())

    async def shutdown(self) -> None:
        """Commit what is queued, seal the open segment, ship everything, release the log folder."""
        self.wal.stop()
        if self._committer is not None:
            await self._committer
        self._stop_shipping.set()
        if self._shipper is not None:
            await self._shipper  # lets a shipment under way finish rather than racing it
        self.wal.close()
        await self._ship_sealed()

    async def _ship_sealed(self) -> None:
        """Ship sealed segments; a failure is logged and kept for /health, and retried next time."""
        try:
            self.shipped_records += await asyncio.to_thread(
                ship_segments, self.wal.sealed_segments(), self.sink, self.worker
            )
        except Exception as exc:
            self.ship_error = exc
            logger.exception("shipping sealed log segments failed; will retry")
        else:
            self.ship_error = None

    async def _ship_forever(self) -> None:
        while not self._stop_shipping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_shipping.wait(), timeout=self.ship_interval)
            if not self._stop_shipping.is_set():
                await self._ship_sealed()

    # --- ASGI ----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        cors = self._cors_headers(headers.get("origin"))
        try:
            if headers.get("origin") is not None and cors is None:
                raise RequestRefused(403, "origin not allowed")
            status, body, extra = await self._route(scope, headers, receive)
        except RequestRefused as refused:
            self.refusals[refused.reason] += 1
            status, body, extra = refused.status, refused.reason.encode(), []
        await self._respond(send, status, body, extra + (cors or []))

    async def _route(
        self, scope: Scope, headers: dict[str, str], receive: Receive
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        method, path = scope["method"], scope["path"]
        if method == "OPTIONS":
            return 204, b"", []
        if path == self.path:
            if method != "POST":
                raise RequestRefused(405, "method not allowed: use POST")
            return await self._collect(scope, headers, receive)
        if path == "/ping" and method == "GET":
            return 200, orjson.dumps({"timestamp": time.time() * 1000}), [(b"content-type", b"application/json")]
        if path == "/health" and method == "GET":
            if not self.wal.healthy:
                raise RequestRefused(503, "not ready: cannot write the log")
            status = {
                "status": "ok",
                "shipping": "failing" if self.ship_error else "ok",
                "accepted_requests": self.accepted,
                "shipped_records": self.shipped_records,
                "refused_requests": sum(self.refusals.values()),
            }
            return 200, orjson.dumps(status), [(b"content-type", b"application/json")]
        if path in ("/ping", "/health"):
            raise RequestRefused(405, "method not allowed: use GET")
        raise RequestRefused(404, "not found")

    async def _collect(
        self, scope: Scope, headers: dict[str, str], receive: Receive
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        query_string = scope["query_string"].decode("latin-1")
        query = query_params(query_string)
        app_id = query.get("appId")
        if not app_id:
            raise RequestRefused(400, "appId query parameter is required")
        if app_id not in self.apps:
            raise RequestRefused(403, "unknown appId")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise RequestRefused(413, "body too large")
        body = await self._read_body(receive)
        if headers.get("content-encoding", "").lower() == "gzip":
            body = self._gunzip(body)
        try:
            data = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestRefused(400, "body is not UTF-8 text") from None
        if not data.strip():
            raise RequestRefused(400, "body is empty")
        request_id = uuid.uuid4().hex
        client = scope.get("client")
        peer = client[0] if client else None
        raw_path = scope.get("raw_path") or scope["path"].encode()
        uri = raw_path.decode("latin-1") + (f"?{query_string}" if query_string else "")
        record = raw_record(
            data=data,
            uri=uri,
            query=query,
            method=scope["method"],
            ip=client_ip(peer, headers.get("x-forwarded-for"), self.trusted_proxies),
            user_agent=headers.get("user-agent", ""),
            request_id=request_id,
            now_ms=int(time.time() * 1000),
        )
        try:
            await self.wal.append(orjson.dumps(record) + b"\n")
        except Exception:
            logger.exception("appending to the write-ahead log failed")
            raise RequestRefused(503, "cannot store the request now; retry") from None
        self.accepted += 1
        return 200, b"", [(b"x-request-id", request_id.encode())]

    def _gunzip(self, body: bytes) -> bytes:
        """Decompress a ``Content-Encoding: gzip`` body, never inflating past the size limit."""
        inflater = zlib.decompressobj(wbits=31)
        try:
            plain = inflater.decompress(body, self.max_body + 1)
        except zlib.error:
            raise RequestRefused(400, "body is not valid gzip") from None
        if len(plain) > self.max_body or inflater.unconsumed_tail:
            raise RequestRefused(413, "body too large")
        if not inflater.eof:
            raise RequestRefused(400, "body is not valid gzip")
        return plain

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestRefused(400, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise RequestRefused(413, "body too large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _cors_headers(self, origin: str | None) -> list[tuple[bytes, bytes]] | None:
        if origin is None:
            return []
        if not any(allowed == "*" or fnmatch.fnmatchcase(origin, allowed) for allowed in self.cors_origins):
            return None
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
            (b"access-control-allow-headers", CORS_ALLOW_HEADERS.encode()),
            (b"vary", b"Origin"),
        ]

    @staticmethod
    async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        content_type = [] if any(k == b"content-type" for k, _ in headers) else [(b"content-type", b"text/plain")]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, *content_type, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return
