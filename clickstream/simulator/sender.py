"""Delivering simulated requests: over HTTP as the SDKs do, or straight into raw files."""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import orjson

from clickstream.contract import RAW_FILE_SUFFIX, raw_partition, raw_record
from clickstream.simulator.generator import SimRequest
from clickstream.storage import Storage


@dataclass
class SimulationStats:
    """What was sent: the numbers the pipeline's tables must match."""

    requests: int = 0
    duplicate_requests: int = 0
    failed_requests: int = 0
    events: int = 0
    bytes_sent: int = 0
    events_by_platform: dict[str, int] = field(default_factory=dict)
    sessions: set[tuple[str, str, str]] = field(default_factory=set)
    users: set[tuple[str, str]] = field(default_factory=set)
    seconds: float = 0.0
    last_error: str | None = None

    def count(self, request: SimRequest) -> None:
        self.requests += 1
        if request.duplicate:
            self.duplicate_requests += 1
            return
        self.events += len(request.events)
        self.events_by_platform[request.platform] = self.events_by_platform.get(request.platform, 0) + len(
            request.events
        )
        for event in request.events:
            self.users.add((event["app_id"], event["unique_id"]))
            self.sessions.add((event["app_id"], event["unique_id"], event["attributes"]["_session_id"]))


def encode(request: SimRequest, upload_ms: int) -> tuple[str, bytes]:
    """(query string, body) of a request, as the SDK puts them on the wire."""
    params, body = encode_request(request, upload_ms)
    return urlencode(params), body


def encode_request(request: SimRequest, upload_ms: int) -> tuple[dict[str, str], bytes]:
    """(query parameters, body) of a request: web sends JSON text, mobile SDKs base64 of gzip(JSON)."""
    text = orjson.dumps(request.events)
    body = base64.b64encode(gzip.compress(text, compresslevel=6)) if request.compress else text
    params = {
        "platform": request.platform,
        "appId": request.app_id,
        "event_bundle_sequence_id": str(request.bundle_sequence_id),
        "upload_timestamp": str(upload_ms),
        "hashCode": hashlib.sha256(body).hexdigest()[:8],
    }
    if request.compress:
        params["compression"] = "gzip"
    return params, body


def send_http(
    requests: Iterable[SimRequest],
    endpoint: str,
    concurrency: int = 4,
    retries: int = 3,
    on_progress: Callable[[SimulationStats], None] | None = None,
) -> SimulationStats:
    """POST every request to ``endpoint`` (e.g. ``http://127.0.0.1:8080/collect``) over keep-alive connections."""
    target = urlsplit(endpoint)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    stats = SimulationStats()
    lock = threading.Lock()
    work: queue.Queue[SimRequest | None] = queue.Queue(maxsize=concurrency * 16)
    started = time.perf_counter()

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=15)
        while (request := work.get()) is not None:
            query, body = encode(request, int(time.time() * 1000))
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": request.user_agent,
                "X-Forwarded-For": request.ip,
            }
            ok = False
            for _ in range(retries):
                try:
                    connection.request("POST", f"{target.path}?{query}", body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                    if ok:
                        break
                    error = f"HTTP {response.status}"
                except (OSError, http.client.HTTPException) as exc:
                    error = str(exc) or type(exc).__name__
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=15)
            with lock:
                stats.count(request)
                stats.bytes_sent += len(body)
                if not ok:
                    stats.failed_requests += 1
                    stats.last_error = error
                if on_progress:
                    on_progress(stats)
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for request in requests:
        work.put(request)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()
    stats.seconds = time.perf_counter() - started
    return stats


def write_raw(
    requests: Iterable[SimRequest],
    storage: Storage,
    records_per_file: int = 5_000,
    on_progress: Callable[[SimulationStats], None] | None = None,
) -> SimulationStats:
    """Write the requests as raw records (what `clickstream serve` would write), bypassing HTTP."""
    stats = SimulationStats()
    started = time.perf_counter()
    worker = f"sim{uuid.uuid4().hex[:6]}"
    lines: list[bytes] = []
    sequence = 0

    def flush() -> None:
        nonlocal sequence, lines
        if not lines:
            return
        sequence += 1
        now = datetime.now(UTC)
        path = raw_partition(now) / f"{worker}-{int(now.timestamp() * 1000)}-{sequence:06d}{RAW_FILE_SUFFIX}"
        storage.write_bytes(path, gzip.compress(b"".join(lines), compresslevel=6))
        lines = []

    for request in requests:
        now_ms = int(time.time() * 1000)
        params, body = encode_request(request, now_ms)
        record = raw_record(
            data=body.decode(),
            uri=f"/collect?{urlencode(params)}",
            query=params,
            method="POST",
            ip=request.ip,
            user_agent=request.user_agent,
            request_id=uuid.uuid4().hex,
            now_ms=now_ms,
        )
        lines.append(orjson.dumps(record) + b"\n")
        stats.count(request)
        stats.bytes_sent += len(body)
        if len(lines) >= records_per_file:
            flush()
        if on_progress:
            on_progress(stats)
    flush()
    stats.seconds = time.perf_counter() - started
    return stats
