"""The ASGI application: the original's HTTP protocol over a write-ahead log.

Routes: ``POST <path>`` (default ``/collect``), ``GET /ping``, ``GET /health``, ``GET /metrics``, CORS
preflights. Refusals get the right status and a short reason in the body, and are counted by reason.
Checks run cheapest first and before the body is read: app id, authentication, rate limit, log space,
declared size, memory budget; so a refused request costs little and a large body is never buffered.
The worker's background work (recovering the log, the shipping and reporting loops, shutdown) lives in
:mod:`clickstream.ingestion.background`.
"""

from __future__ import annotations

import fnmatch
import itertools
import logging
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from clickstream.config import Config
from clickstream.contract import raw_record
from clickstream.ingestion import metrics as prom
from clickstream.ingestion.adoption import wal_folder
from clickstream.ingestion.auth import build_authenticator
from clickstream.ingestion.background import Background
from clickstream.ingestion.limits import AppRateLimiter, ByteBudget
from clickstream.ingestion.record import client_ip, parse_networks, query_params
from clickstream.ingestion.shipper import Sink
from clickstream.ingestion.wal import WriteAheadLog
from clickstream.payload import PayloadRejected, check_body, inflate
from clickstream.state import live_apps

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

logger = logging.getLogger("clickstream.ingestion")

CORS_ALLOW_HEADERS = (
    "DNT,X-CustomHeader,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type"
)
_TEXT = (b"content-type", b"text/plain")
_JSON = (b"content-type", b"application/json")
_CLOSE = (b"connection", b"close")
_NO_CONTENT = (b"content-length", b"0")
ACK_TYPE, ACK_LENGTH = _TEXT, _NO_CONTENT  # a 200's headers around its request id (the direct path caches them)


class RequestRefused(Exception):
    """A request that gets a non-200 answer; ``reason`` is the counter key and the body."""

    def __init__(self, status: int, reason: str, retry_after: int | None = None, close: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        self.close = close  # the body was not read: drop the connection rather than drain it


class CollectorApp:
    """One collector worker: protocol checks, raw record, durable append; shipping runs in its background."""

    def __init__(
        self, config: Config, sink: Sink, worker: str = "w0", ship_interval_seconds: float | None = None
    ) -> None:
        ingestion = config.ingestion
        workers = ingestion.worker_count
        self.config = config
        self.home = config.home
        self.path = ingestion.path
        self.apps = frozenset(config.app_ids)  # replaced by refresh_apps: apps created or deleted in the Studio
        self.max_body = ingestion.max_body_bytes
        self.payload_limits = ingestion.payload_limits
        self.inflate_every_body = ingestion.inflate_every_body
        self.cors_origins = ingestion.cors_origins  # plus the live apps' origins, after refresh_apps
        self.trusted_proxies = parse_networks(ingestion.trusted_proxies)
        self.worker = worker
        self.peers = [f"w{n}" for n in range(workers)]
        self.sink = sink
        ship_interval = ship_interval_seconds or ingestion.ship_interval_seconds
        self.durable = ingestion.durability == "fsync"
        shared_log = ingestion.wal_root is not None  # a folder of the fleet's log root, removed when emptied
        self.wal = WriteAheadLog(
            wal_folder(config, worker),  # <home>/wal/<worker>, or the shared log root (ingestion/adoption.py)
            ingestion.segment_max_bytes,
            ingestion.segment_max_age_seconds,
            durable=self.durable,
            writers=ingestion.wal_writers,
            preallocate=ingestion.wal_preallocate,
            gather_seconds=ingestion.wal_gather_ms / 1000,
        )
        self.wal_cap = max(1, ingestion.wal_max_bytes // workers)
        self.retry_after = ingestion.retry_after_seconds
        self.inflight = ByteBudget(ingestion.max_inflight_bytes)
        limit = ingestion.rate_limit
        self.rate_limiter = (
            AppRateLimiter(limit.requests_per_second, limit.burst, limit.per_app, workers) if limit else None
        )
        self.authenticator = build_authenticator(ingestion.auth)
        allow_headers = CORS_ALLOW_HEADERS + (",X-Api-Key,Authorization" if self.authenticator else "")
        self._cors_fixed = [
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
            (b"access-control-allow-headers", allow_headers.encode()),
            (b"vary", b"Origin"),
        ]
        self._allow_any_origin = "*" in self.cors_origins
        self.metrics = prom.WorkerMetrics(worker)
        # Request ids are 32 hex digits like nginx's $request_id: a random prefix per process and a counter.
        self._request_prefix = os.urandom(8).hex()
        self._request_numbers = itertools.count()
        self.background = Background(  # shipping and reporting loops, and the log's start-up and shutdown
            self.wal,
            sink,
            self.metrics,
            self.inflight,
            home=self.home,
            ship_interval=ship_interval,
            shared_log=shared_log,
            refresh_apps=self.refresh_apps,
            apps_interval=ingestion.apps_refresh_seconds,
        )

    def refresh_apps(self) -> None:
        """Take the live app list (the Studio's database merged with the config): new apps are accepted, deleted
        ones refused, and each app's allowed origins join ``ingestion.cors_origins``. Runs off the event loop;
        the request path only reads the attributes it replaces."""
        live = live_apps(self.config)
        origins = [*self.config.ingestion.cors_origins, *live.origins]
        self.cors_origins, self._allow_any_origin = origins, "*" in origins
        self.apps = live.ids

    # --- what tests and /health read -----------------------------------------------------------

    def count_refusal(self, status: int, reason: str) -> None:
        """Count a refusal made below the app (by the connection limits)."""
        self.metrics.requests[status] += 1
        self.metrics.refusals[reason] += 1

    @property
    def refusals(self) -> Counter[str]:
        return self.metrics.refusals

    @property
    def accepted(self) -> int:
        return self.metrics.stored_records

    @property
    def shipped_records(self) -> int:
        return self.metrics.shipped_records

    # --- lifecycle -----------------------------------------------------------------------------

    async def startup(self) -> None:
        await self.background.start()
        logger.info(
            "collector worker started",
            extra={"worker": self.worker, "durability": "fsync" if self.durable else "memory", "pid": os.getpid()},
        )

    async def shutdown(self) -> None:
        """Commit, seal and ship the whole log, then release its folder (see :meth:`Background.stop`)."""
        await self.background.stop()
        logger.info(
            "collector worker stopped",
            extra={
                "worker": self.worker,
                "stored_records": self.metrics.stored_records,
                "shipped_records": self.metrics.shipped_records,
                "unshipped_segments": len(self.wal.sealed_segments()),
            },
        )

    # --- ASGI ----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every request the connection does not answer itself (see :mod:`clickstream.ingestion.direct`)."""
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        started = time.perf_counter()
        headers: dict[bytes, bytes] = dict(scope["headers"])
        cors: Headers = []
        try:
            cors = self.cors_headers(headers.get(b"origin"))
            if scope["path"] == self.path and scope["method"] == "POST":
                request_id = await self._collect(scope, headers, receive)
                status, response, body = 200, self.acknowledge(request_id, cors, started), b""
            else:
                status, body, extra = self._route(scope)
                response = [*extra, *cors, (b"content-length", str(len(body)).encode())]
        except RequestRefused as refused:
            status, response, body = self.refuse(refused, headers, cors)
        else:
            self.metrics.requests[status] += 1
        await send({"type": "http.response.start", "status": status, "headers": response})
        await send({"type": "http.response.body", "body": body})

    # --- the steps of a collect request, shared by the ASGI path and the connection's direct path ----

    def acknowledge(self, request_id: bytes, cors: Headers, started: float) -> Headers:
        """Count a stored request and return its 200's headers (the body is empty)."""
        self.metrics.observe_ack(time.perf_counter() - started)
        return [_TEXT, (b"x-request-id", request_id), _NO_CONTENT, *cors]

    def refuse(self, refused: RequestRefused, headers: dict[bytes, bytes], cors: Headers) -> tuple[int, Headers, bytes]:
        """Count a refusal and return its status, headers and body (the reason)."""
        self.metrics.requests[refused.status] += 1
        self.metrics.refusals[refused.reason] += 1
        body = refused.reason.encode()
        extra = [_TEXT]
        if refused.retry_after is not None:
            extra.append((b"retry-after", str(refused.retry_after).encode()))
        if refused.status == 401:
            extra.append((b"www-authenticate", b"Bearer" if headers.get(b"authorization") else b"ApiKey"))
        if refused.close:
            extra.append(_CLOSE)
        return refused.status, [*extra, *cors, (b"content-length", str(len(body)).encode())], body

    def cors_headers(self, origin: bytes | None) -> Headers:
        """CORS headers for an allowed origin; other origins are refused, as nginx does in the original."""
        if origin is None:
            return []
        text = origin.decode("latin-1")
        if not self._allow_any_origin and not any(fnmatch.fnmatchcase(text, allowed) for allowed in self.cors_origins):
            raise RequestRefused(403, "origin not allowed")
        return [(b"access-control-allow-origin", origin), *self._cors_fixed]

    def app_id(self, query: dict[str, str]) -> str:
        """The request's configured app id: 400 without one, 403 for one not configured."""
        app_id = query.get("appId")
        if not app_id:
            raise RequestRefused(400, "appId query parameter is required")
        if app_id not in self.apps:
            raise RequestRefused(403, "unknown appId")
        return app_id

    def reserve(self, app_id: str, headers: dict[bytes, bytes]) -> int:
        """Rate limit, log space, declared size and memory budget, before the body is read.

        Returns the bytes reserved in the in-flight budget (the declared length), which the caller
        releases with :meth:`release` once the request is answered.
        """
        if self.rate_limiter is not None:
            wait = self.rate_limiter.retry_after(app_id)
            if wait:
                raise RequestRefused(429, "rate limit exceeded for this appId", wait)
        if self.wal.backlog_bytes >= self.wal_cap:
            raise RequestRefused(503, "log full: the sink is not keeping up; retry later", self.retry_after)
        declared = headers.get(b"content-length")
        reserved = int(declared) if declared is not None and declared.isdigit() else 0
        if reserved > self.max_body:
            raise RequestRefused(413, "body too large", close=True)
        if not self.inflight.reserve(reserved):
            raise RequestRefused(503, "server busy; retry", 1, close=True)
        return reserved

    def release(self, reserved: int) -> None:
        self.inflight.release(reserved)

    def record_line(
        self,
        body: bytes,
        headers: dict[bytes, bytes],
        query: dict[str, str],
        query_string: str,
        raw_path: bytes,
        peer: str,
    ) -> tuple[bytes, bytes]:
        """The raw record of a received body as a log line, and the request id; 400/413 for a bad body."""
        if headers.get(b"content-encoding", b"").lower() == b"gzip":
            body = self._gunzip(body)
        try:
            data = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestRefused(400, "body is not UTF-8 text") from None
        if not data or data.isspace():
            raise RequestRefused(400, "body is empty")
        try:
            check_body(body, self.payload_limits, inflate_all=self.inflate_every_body)  # within the ETL's caps
        except PayloadRejected as rejected:
            raise RequestRefused(413 if rejected.kind == "too_large" else 400, rejected.detail) from None
        request_id = f"{self._request_prefix}{next(self._request_numbers):016x}"
        forwarded = headers.get(b"x-forwarded-for")
        ip = peer
        if forwarded is not None and self.trusted_proxies:
            ip = client_ip(peer or None, forwarded.decode("latin-1"), self.trusted_proxies)
        uri = raw_path.decode("latin-1") + (f"?{query_string}" if query_string else "")
        record = raw_record(
            data=data,
            uri=uri,
            query=query,
            method="POST",
            ip=ip,
            user_agent=headers.get(b"user-agent", b"").decode("latin-1"),
            request_id=request_id,
            now_ms=int(time.time() * 1000),
        )
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE), request_id.encode()

    def stored(self, body_bytes: int) -> None:
        """Count a request whose record is in the log."""
        self.metrics.stored_records += 1
        self.metrics.received_bytes += body_bytes

    def store_failed(self, error: BaseException) -> RequestRefused:
        """The refusal for a request the log could not take (the error is logged)."""
        logger.error("appending to the write-ahead log failed", exc_info=error, extra={"worker": self.worker})
        return RequestRefused(503, "cannot store the request now; retry", self.retry_after)

    def _route(self, scope: Scope) -> tuple[int, bytes, Headers]:
        """Every route but a collect POST (which ``__call__`` takes first)."""
        method, path = scope["method"], scope["path"]
        if method == "OPTIONS":
            return 204, b"", []
        if path == self.path:
            raise RequestRefused(405, "method not allowed: use POST")
        if path in ("/ping", "/health", "/metrics"):
            if method not in ("GET", "HEAD"):
                raise RequestRefused(405, "method not allowed: use GET")
            if path == "/ping":
                return 200, orjson.dumps({"timestamp": time.time() * 1000}), [_JSON]
            if path == "/metrics":
                self.background.refresh_gauges()
                body = prom.render(self.metrics, self.home, self.peers)
                return 200, body, [(b"content-type", prom.CONTENT_TYPE)]
            return self._health()
        raise RequestRefused(404, "not found")

    def _health(self) -> tuple[int, bytes, Headers]:
        if not self.wal.healthy:
            raise RequestRefused(503, "not ready: cannot write the log", self.retry_after)
        if self.wal.backlog_bytes >= self.wal_cap:
            raise RequestRefused(503, "not ready: the log is full because shipping is behind", self.retry_after)
        status = {
            "status": "ok",
            "worker": self.worker,
            "pid": os.getpid(),
            "durability": "fsync" if self.durable else "memory",
            "shipping": "failing" if self.background.ship_error else "ok",
            "accepted_requests": self.metrics.stored_records,
            "shipped_records": self.metrics.shipped_records,
            "refused_requests": sum(self.metrics.refusals.values()),
            "wal_backlog_bytes": self.wal.backlog_bytes,
        }
        return 200, orjson.dumps(status), [_JSON]

    async def _collect(self, scope: Scope, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        """Check, read and durably store one collect request; returns its request id.

        The connection answers most collect requests itself (:mod:`clickstream.ingestion.direct`); this path takes
        the rest: with authentication, chunked bodies, ``Expect: 100-continue``, pipelined requests.
        """
        query_string = scope["query_string"].decode("latin-1")
        query = query_params(query_string)
        app_id = self.app_id(query)
        if self.authenticator is not None:
            failure = await self.authenticator.check(app_id, headers)
            if failure is not None:
                retry = self.retry_after if failure.status == 503 else None
                raise RequestRefused(failure.status, failure.reason, retry)
        reserved = self.reserve(app_id, headers)
        try:
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body: bytes = message.get("body", b"")  # the common case: the whole body in one message
                if len(body) > self.max_body:
                    raise RequestRefused(413, "body too large", close=True)
            else:
                body, extra = await self._read_chunks(message, receive, reserved)
                reserved += extra
            client = scope.get("client")
            raw_path = scope.get("raw_path") or self.path.encode()
            line, request_id = self.record_line(
                body, headers, query, query_string, raw_path, client[0] if client else ""
            )
            try:
                await self.wal.append(line)
            except Exception as exc:
                raise self.store_failed(exc) from None
        finally:
            self.release(reserved)
        self.stored(len(body))
        return request_id

    def _gunzip(self, body: bytes) -> bytes:
        """Decompress a ``Content-Encoding: gzip`` body (every member), never inflating past the size limit."""
        try:
            return inflate(body, self.max_body)
        except PayloadRejected as rejected:
            if rejected.kind == "too_large":
                raise RequestRefused(413, "body too large") from None
            raise RequestRefused(400, f"body is not valid gzip: {rejected.detail}") from None

    async def _read_chunks(self, message: Message, receive: Receive, reserved: int) -> tuple[bytes, int]:
        """A body sent in several messages (chunked or large); bytes beyond ``reserved`` are reserved as they come.

        Returns the body and the extra bytes reserved, which the caller releases with the rest.
        """
        chunks: list[bytes] = []
        size = extra = 0
        while True:
            if message["type"] == "http.disconnect":
                self.inflight.release(extra)
                raise RequestRefused(400, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                self.inflight.release(extra)
                raise RequestRefused(413, "body too large", close=True)
            if size > reserved + extra:
                grow = size - reserved - extra
                if not self.inflight.reserve(grow):
                    self.inflight.release(extra)
                    raise RequestRefused(503, "server busy; retry", 1, close=True)
                extra += grow
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), extra
            message = await receive()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    logger.exception("collector worker failed to start", extra={"worker": self.worker})
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return
