"""Fuzzing the request path: malformed and hostile requests never get a 5xx and never crash a worker.

Two levels: the ASGI app directly (many examples, fast), and raw bytes over a socket into uvicorn with our
connection limits (fewer examples, but the HTTP parser and the limits are in the loop).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clickstream.config import Config
from clickstream.ingestion.app import CollectorApp
from clickstream.ingestion.server import build_app
from tests.ingestion.fuzz_targets import TARGETS
from tests.support.collector import LiveCollector, live_collector
from tests.support.config import make_config
from tests.support.fuzzing import run_target

ALLOWED = {200, 204, 400, 401, 403, 404, 405, 408, 413, 429, 431}

header_names = st.sampled_from(
    [
        b"content-length",
        b"content-encoding",
        b"content-type",
        b"origin",
        b"x-forwarded-for",
        b"user-agent",
        b"authorization",
        b"x-api-key",
        b"transfer-encoding",
        b"expect",
        b"host",
        b"cookie",
    ]
) | st.binary(min_size=1, max_size=20)
header_values = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"gzip", b"GZIP", b"deflate", b"-1", b"99999999999999999999", b"0", b"12", b"https://x.example"]),
    st.integers(min_value=-5, max_value=10**7).map(lambda n: str(n).encode()),
)
bodies = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=2000).map(gzip.compress),
    st.binary(max_size=1000).map(lambda b: base64.b64encode(gzip.compress(b))),
    st.just(gzip.compress(b"[" + b" " * 50_000 + b"]")),  # inflates past the limit
)
queries = st.one_of(
    st.binary(max_size=300),
    st.dictionaries(
        st.sampled_from(["appId", "platform", "compression", "upload_timestamp", "event_bundle_sequence_id", "x"]),
        st.text(max_size=30) | st.sampled_from(["shop", "uba-app", "gzip", "-0", "1e99"]),
    ).map(lambda q: "&".join(f"{k}={v}" for k, v in q.items()).encode("utf-8", "surrogatepass")),
)


@pytest.fixture(scope="module")
def app_and_loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CollectorApp, asyncio.AbstractEventLoop]]:
    home = tmp_path_factory.mktemp("fuzz") / "home"
    config = make_config(home, ingestion={"max_body_bytes": 4096, "cors_origins": ["https://*.example.com"]})
    loop = asyncio.new_event_loop()
    app = build_app(config)
    loop.run_until_complete(app.startup())
    yield app, loop
    loop.run_until_complete(app.shutdown())
    loop.close()


async def call(app: CollectorApp, scope: dict[str, Any], chunks: list[bytes]) -> list[dict[str, Any]]:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["POST", "GET", "OPTIONS", "HEAD", "PUT", "DELETE", "PATCH", "X"]),
    path=st.sampled_from(["/collect", "/ping", "/health", "/metrics", "/", "/collect/", "/%00"]) | st.text(max_size=30),
    query=queries,
    headers=st.lists(st.tuples(header_names, header_values), max_size=8),
    body=bodies,
    split=st.integers(min_value=1, max_value=4),
)
def test_the_app_answers_every_request_without_a_server_error(
    app_and_loop: tuple[CollectorApp, asyncio.AbstractEventLoop],
    method: str,
    path: str,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    split: int,
) -> None:
    app, loop = app_and_loop
    size = max(1, len(body) // split)
    chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    scope = {
        "type": "http", "method": method, "path": path, "raw_path": path.encode("utf-8", "surrogatepass"),
        "query_string": query, "headers": [(name.lower(), value) for name, value in headers],
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8080), "scheme": "http", "http_version": "1.1",
    }  # fmt: skip
    sent = loop.run_until_complete(call(app, scope, chunks))
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] in ALLOWED
    assert sent[-1]["type"] == "http.response.body"


# --- raw bytes into the real server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCollector]:
    config: Config = make_config(
        tmp_path_factory.mktemp("fuzz-live") / "home",
        ingestion={"max_body_bytes": 4096, "max_header_bytes": 2048, "request_timeout_seconds": 0.3},
    )
    with live_collector(config) as collector:
        yield collector


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes the connection or one whole response has arrived."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):  # the server may close or go quiet
            while not _one_response(received) and (chunk := sock.recv(65536)):
                received += chunk
        return received


def _one_response(received: bytes) -> bool:
    head, separator, body = received.partition(b"\r\n\r\n")
    if not separator:
        return False
    match = re.search(rb"(?im)^content-length: *(\d+)", head)
    return match is not None and len(body) >= int(match.group(1))


request_lines = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda method, target, version: method + b" " + target + b" " + version + b"\r\n",
        st.sampled_from([b"POST", b"GET", b"OPTIONS", b"BREW"]) | st.binary(min_size=1, max_size=8),
        st.sampled_from([b"/collect?appId=shop", b"/ping", b"*", b"http://x/collect?appId=shop"])
        | st.binary(max_size=60),
        st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/9"]),
    ),
)
raw_headers = st.lists(
    st.one_of(
        st.builds(lambda n, v: n + b": " + v + b"\r\n", header_names, header_values),
        st.binary(max_size=80).map(lambda b: b + b"\r\n"),
        st.just(b"X-Big: " + b"a" * 3000 + b"\r\n"),
        st.just(b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
    ),
    max_size=6,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=request_lines, headers=raw_headers, body=bodies)
def test_hostile_bytes_on_the_wire_never_get_a_server_error(live: LiveCollector, line: bytes, headers: list[bytes],
                                                            body: bytes) -> None:  # fmt: skip
    answer = exchange(live.port, line + b"".join(headers) + b"\r\n" + body)
    statuses = [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)]
    assert statuses, f"no answer to {line!r}: {answer[:300]!r}"  # every request gets one, if only a 400 or 408
    assert set(statuses) <= ALLOWED, answer[:300]
    assert exchange(live.port, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 200 ")


def test_the_wire_fuzz_target_finds_nothing_on_its_budget() -> None:
    """Pipelined, cut, hostile and well-formed requests on both answering paths (bench/fuzz.py runs it longer)."""
    [target] = TARGETS
    run_target(target, 40)
