"""The connection answers collect POSTs itself (``ingestion.direct``) and leaves every other case to ASGI."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from tests.support.collector import live_collector
from tests.support.config import make_config
from tests.support.data import raw_events


def collect_request(event_id: str, extra_headers: bytes = b"") -> bytes:
    body = f'[{{"event_id":"{event_id}"}}]'.encode()
    return (
        b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
        + extra_headers + b"\r\n" + body
    )  # fmt: skip


def header(head: bytes, name: bytes) -> bytes:
    """The value of header ``name`` in a response head (the test fails if the head lacks it)."""
    found = re.search(rb"(?im)^" + re.escape(name) + rb": *(\S+)", head)
    assert found is not None, f"no {name!r} header in {head!r}"
    return found.group(1)


def read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """``count`` whole responses (each with a Content-Length) from ``sock``, in the order they came."""
    received = b""
    responses: list[bytes] = []
    while len(responses) < count:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(responses)} responses: {received!r}"
        received += chunk
        while (end := received.find(b"\r\n\r\n")) >= 0:
            head = received[:end]
            length = int(header(head, b"content-length"))
            if len(received) < end + 4 + length:
                break
            responses.append(head)
            received = received[end + 4 + length :]
    return responses


def test_pipelined_collect_requests_are_answered_in_order_and_all_stored(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home")
    with (
        live_collector(config, direct=direct) as live,
        socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock,
    ):
        sock.sendall(b"".join(collect_request(f"e{n}") for n in range(5)) + b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        responses = read_responses(sock, 6)
    assert [response.split(b" ")[1] for response in responses] == [b"200"] * 6
    request_ids = [header(response, b"x-request-id") for response in responses[:5]]
    assert request_ids == sorted(request_ids)  # one per request, issued in the order they were sent
    assert sorted(event["event_id"] for event in raw_events(config.home)) == [f"e{n}" for n in range(5)]


def test_a_collect_request_expecting_100_continue_gets_it_and_is_stored(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home")
    with (
        live_collector(config, direct=direct) as live,
        socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock,
    ):
        request = collect_request("late", b"Expect: 100-continue\r\n")
        head, _, body = request.partition(b"\r\n\r\n")
        sock.sendall(head + b"\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 100 ")
        sock.sendall(body)
        assert read_responses(sock, 1)[0].startswith(b"HTTP/1.1 200 ")
    assert [event["event_id"] for event in raw_events(config.home)] == ["late"]


def test_a_refusal_before_the_body_keeps_the_connection_usable(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home")
    with (
        live_collector(config, direct=direct) as live,
        socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock,
    ):
        unknown = collect_request("x").replace(b"appId=shop", b"appId=nope")
        sock.sendall(unknown + collect_request("kept"))
        statuses = [response.split(b" ")[1] for response in read_responses(sock, 2)]
    assert statuses == [b"403", b"200"]
    assert [event["event_id"] for event in raw_events(config.home)] == ["kept"]
    assert live.app.inflight.used == 0
