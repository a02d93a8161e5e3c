"""Fuzz targets of the collector (tests/support/fuzzing.py): bytes on the wire into a live worker, on both
answering paths.

Requests are well-formed or hostile, pipelined on one connection and cut into pieces at random points (the
direct path checks gzip bodies by their trailers, the ASGI one with ``inflate_every_body``). Every
answer must be one the protocol allows (never a 5xx), a connection must end up with exactly one answer per
well-formed request before any close, and the worker must still answer a ping afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import logging
import re
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from clickstream.config import Config
from tests.support.collector import live_collector
from tests.support.config import make_config
from tests.support.fuzzing import Check, FuzzTarget

ALLOWED = {100, 200, 204, 400, 401, 403, 404, 405, 408, 413, 429, 431}
REQUEST_TIMEOUT = 0.3
MAX_HEADER_BYTES = 2048


@dataclass(frozen=True)
class Wire:
    """One connection's bytes: requests (``well_formed`` each or not), in pieces sent back to back."""

    requests: tuple[bytes, ...]
    well_formed: tuple[bool, ...]
    cuts: tuple[int, ...]
    direct: bool


json_bodies = st.one_of(
    st.just(b'[{"event_type":"_page_view","event_id":"e","app_id":"shop","timestamp":1,"unique_id":"u"}]'),
    st.binary(max_size=300),
    st.integers(min_value=0, max_value=3000).map(lambda n: b"[" + b"1," * n + b"1]"),
)


def gzip_of(data: bytes) -> bytes:
    """One gzip member, the same bytes every time (no time stamp): hypothesis replays what it draws."""
    return gzip.compress(data, mtime=0)


def sdk(data: bytes) -> bytes:
    """The SDKs' ``compression=gzip`` encoding: base64 of gzip."""
    return base64.b64encode(gzip_of(data))


sdk_bodies = st.one_of(
    json_bodies.map(sdk),
    st.tuples(json_bodies, json_bodies).map(lambda pair: base64.b64encode(gzip_of(pair[0]) + gzip_of(pair[1]))),
    st.tuples(json_bodies, st.binary(max_size=20)).map(lambda pair: base64.b64encode(gzip_of(pair[0]) + pair[1])),
    st.integers(min_value=0, max_value=3_000_000).map(lambda n: sdk(b"[" + b" " * n + b"]")),
    st.binary(max_size=400).map(base64.b64encode),
    json_bodies.map(lambda body: sdk(body)[: max(1, len(body) // 3)]),
)  # fmt: skip
queries = st.sampled_from(
    [b"appId=shop", b"appId=shop&compression=gzip", b"appId=stranger", b"", b"appId=shop&platform=Web&x=%ff"]
)
methods = st.sampled_from([b"POST", b"GET", b"OPTIONS", b"HEAD", b"PUT"])
paths = st.sampled_from([b"/collect", b"/ping", b"/health", b"/metrics", b"/nowhere"])
extra_headers = st.lists(
    st.sampled_from(
        [
            b"Content-Encoding: gzip",
            b"Origin: https://shop.example.com",
            b"X-Forwarded-For: 203.0.113.9",
            b"User-Agent: Mozilla/5.0",
            b"Expect: 100-continue",
            b"Connection: close",
            b"X-Pad: " + b"p" * 1500,
        ]
    ),
    max_size=3,
    unique=True,
)


@st.composite
def well_formed_requests(draw: st.DrawFn) -> bytes:
    method, path, query = draw(methods), draw(paths), draw(queries)
    body = draw(sdk_bodies | json_bodies) if method in (b"POST", b"PUT") else b""
    headers = [b"Host: x", *draw(extra_headers)]
    if b"Content-Encoding: gzip" in headers:
        body = gzip_of(body) if draw(st.booleans()) else body + b"junk"
    if draw(st.booleans()) or not body:
        headers.append(b"Content-Length: " + str(len(body)).encode())
        framed = body
    else:  # chunked, in pieces of a drawn size
        size = draw(st.integers(min_value=1, max_value=max(1, len(body))))
        pieces = [body[i : i + size] for i in range(0, len(body), size)]
        framed = b"".join(b"%x\r\n" % len(piece) + piece + b"\r\n" for piece in pieces)
        framed += b"0\r\n\r\n"
        headers.append(b"Transfer-Encoding: chunked")
    target = path + (b"?" + query if query else b"")
    return method + b" " + target + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + framed  # fmt: skip


hostile_requests = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda head: head + b"\r\n\r\n", st.binary(max_size=200)),
    st.just(b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nX-Grow: " + b"g" * 6000),
    st.just(b"GET /collect?appId=" + b"u" * 5000 + b" HTTP/1.1\r\n\r\n"),
    st.just(b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n[]"),
    st.just(b"POST /collect?appId=stranger HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"),
    st.just(b"POST /collect?appId=shop HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
)


@st.composite
def wires(draw: st.DrawFn) -> Wire:
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=3))
    requests = tuple(draw(well_formed_requests() if kind else hostile_requests) for kind in kinds)
    size = sum(len(request) for request in requests)
    cuts = tuple(sorted(draw(st.lists(st.integers(min_value=1, max_value=max(1, size)), max_size=4, unique=True))))
    return Wire(requests, tuple(kinds), cuts, draw(st.booleans()))


def collector_config(home: Path, inflate_every_body: bool = False) -> Config:
    return make_config(
        home,
        ingestion={
            "max_body_bytes": 200_000,
            "max_decoded_bytes": 1_000_000,
            "max_events_per_request": 1000,
            "max_header_bytes": MAX_HEADER_BYTES,
            "request_timeout_seconds": REQUEST_TIMEOUT,
            "cors_origins": ["https://shop.example.com"],
            "inflate_every_body": inflate_every_body,
        },
    )


def send(port: int, wire: Wire) -> bytes:
    """Send the wire's pieces back to back, then read its answers.

    With only well-formed requests, reading stops a moment after the last expected answer (a keep-alive
    connection stays open); otherwise it goes on until the server closes the connection or goes quiet past
    the request timeout, so that a late second answer (a 408 after a refusal) is seen.
    """
    data = b"".join(wire.requests)
    expected = len(wire.requests) if all(wire.well_formed) else None
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT + 0.7) as sock:
        start = 0
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for cut in (*wire.cuts, len(data)):
                sock.sendall(data[start:cut])
                start = cut
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
                if expected is not None and len([code for code in statuses(received) if code != 100]) >= expected:
                    sock.settimeout(0.05)
        return received


def statuses(answer: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)]  # bodies run into the next head


def check_answers(wire: Wire, answer: bytes) -> None:
    codes = statuses(answer)
    assert codes, f"no answer to {wire.requests!r}"
    assert set(codes) <= ALLOWED, f"{codes} for {wire.requests!r}: {answer[:400]!r}"
    expected = len(wire.requests)
    if all(wire.well_formed) and b"Connection: close" not in b"".join(wire.requests) and 431 not in codes:
        interim = codes.count(100)
        assert len(codes) - interim == expected, f"{codes} for {expected} requests: {wire.requests!r}"
    else:
        assert len(codes) <= expected + 1, f"{codes} for {expected} requests: {wire.requests!r}"  # one 408 at most


class _Errors(logging.Handler):
    """Error records a worker logs (an app exception uvicorn caught, a failed answer): each is a finding."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def collector_wire_harness() -> Iterator[Check]:
    errors = _Errors()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "clickstream.ingestion")]
    for logger in loggers:
        logger.addHandler(errors)
    with (
        tempfile.TemporaryDirectory() as folder,
        live_collector(collector_config(Path(folder) / "direct"), direct=True) as direct,
        live_collector(collector_config(Path(folder) / "asgi", inflate_every_body=True), direct=False) as asgi,
    ):

        def check(wire: Wire) -> None:
            port = direct.port if wire.direct else asgi.port
            check_answers(wire, send(port, wire))
            ping = send(port, Wire((b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",), (True,), (), True))
            assert statuses(ping) == [200], "the worker stopped answering"
            logged, errors.records[:] = list(errors.records), []
            assert not logged, f"{logged[0].getMessage()} after {wire.requests!r}"

        try:
            yield check
        finally:
            for logger in loggers:
                logger.removeHandler(errors)


TARGETS = [FuzzTarget("collector-wire", wires(), collector_wire_harness)]
