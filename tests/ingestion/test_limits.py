"""Back-pressure and limits: memory stays bounded and slow or hostile clients cannot hold a worker."""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
from pathlib import Path

import pytest

from tests.support.collector import LiveCollector, Reply, exchange, live_collector
from tests.support.config import make_config


def post(live: LiveCollector, body: bytes = b"[]", app_id: str = "shop") -> Reply:
    return exchange(live, "POST", f"/collect?appId={app_id}", body)


def raw_exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it (or ``wait`` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError):  # the answer is complete once the server goes quiet
            while chunk := sock.recv(65536):
                received += chunk
        return received


def test_an_app_over_its_rate_gets_429_with_retry_after(tmp_path: Path, direct: bool) -> None:
    config = make_config(
        tmp_path / "home", ingestion={"workers": 1, "rate_limit": {"requests_per_second": 0.5, "burst": 2}}
    )
    with live_collector(config, direct=direct) as live:
        statuses = [post(live).status for _ in range(3)]
        refused = post(live)
        other_app = post(live, app_id="uba-app")
    assert statuses == [200, 200, 429]
    assert refused.status == 429
    assert refused.body == b"rate limit exceeded for this appId"
    assert int(refused.getheader("Retry-After") or 0) >= 1
    assert other_app.status == 200  # each app has its own bucket
    assert live.app.refusals["rate limit exceeded for this appId"] == 2


def test_a_per_app_rate_overrides_the_default(tmp_path: Path, direct: bool) -> None:
    config = make_config(
        tmp_path / "home",
        ingestion={"workers": 1, "rate_limit": {"requests_per_second": 1000, "per_app": {"uba-app": 0.5}}},
    )
    with live_collector(config, direct=direct) as live:
        assert [post(live, app_id="uba-app").status for _ in range(2)] == [200, 429]  # burst = 2 s of 0.5/s
        assert [post(live).status for _ in range(20)] == [200] * 20


def test_the_rate_is_shared_among_workers(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"workers": 4, "rate_limit": {"requests_per_second": 4}})
    with live_collector(config, direct=direct) as live:  # this worker's share: 1/s with a burst of 2
        assert [post(live).status for _ in range(3)] == [200, 200, 429]


def test_a_full_log_answers_503_with_retry_after_instead_of_accepting(tmp_path: Path, direct: bool) -> None:
    config = make_config(
        tmp_path / "home",
        ingestion={"workers": 1, "wal_max_bytes": 2000, "segment_max_bytes": 500, "retry_after_seconds": 7},
    )
    with live_collector(config, ship_interval_seconds=3600, direct=direct) as live:  # the sink never gets anything
        statuses = [post(live, b'[{"padding":"' + b"x" * 300 + b'"}]').status for _ in range(10)]
        refused = post(live)
        health = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        health.request("GET", "/health")
        health_response = health.getresponse()
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 503
    assert (refused.status, refused.getheader("Retry-After")) == (503, "7")
    assert refused.body == b"log full: the sink is not keeping up; retry later"
    assert health_response.status == 503  # a load balancer stops sending here until shipping catches up


def test_413_is_decided_from_the_declared_length_before_any_body_arrives(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"max_body_bytes": 1000})
    with live_collector(config, direct=direct) as live:
        started = time.monotonic()
        answer = raw_exchange(
            live.port,
            b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n"
            b"Expect: 100-continue\r\n\r\n",  # the body is never sent
        )
        assert time.monotonic() - started < 4
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in answer  # the client is not invited to send what would be refused
    assert b"connection: close" in answer.lower()
    assert answer.endswith(b"body too large")


def test_a_chunked_body_is_cut_off_at_the_limit(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"max_body_bytes": 1000})
    chunk = b"[" + b" " * 798 + b"]"
    with live_collector(config, direct=direct) as live:
        answer = raw_exchange(
            live.port,
            b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + (b"320\r\n" + chunk + b"\r\n") * 2,  # 1,600 bytes so far; the last chunk never comes
        )
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_headers_over_the_limit_get_431(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"max_header_bytes": 2048})
    with live_collector(config, direct=direct) as live:
        answer = raw_exchange(
            live.port, b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 4000 + b"\r\n\r\n[]"
        )
        assert post(live).status == 200  # the worker is fine
        assert live.app.refusals["request header too large"] == 1
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_a_request_that_trickles_in_is_cut_off_with_408(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"request_timeout_seconds": 0.5})
    with (
        live_collector(config, direct=direct) as live,
        socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock,
    ):
        sock.sendall(b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\n")  # and then nothing
        started = time.monotonic()
        answer = sock.recv(65536)
        assert sock.recv(65536) == b""  # closed
        assert time.monotonic() - started < 5
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_never_sends_is_closed(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"request_timeout_seconds": 0.5})
    with live_collector(config, direct=direct) as live:
        answer = raw_exchange(live.port, b"", wait=5)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"keepalive_timeout_seconds": 1})
    with (
        live_collector(config, direct=direct) as live,
        socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock,
    ):
        sock.sendall(b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert sock.recv(65536) == b""
        assert 0.5 < time.monotonic() - started < 5


def test_connections_over_the_limit_get_503_with_retry_after(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"max_connections": 2})
    with live_collector(config, direct=direct) as live:
        held = [socket.create_connection(("127.0.0.1", live.port), timeout=5) for _ in range(2)]
        try:
            time.sleep(0.2)
            answer = raw_exchange(live.port, b"")
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)
        assert post(live).status == 200
    assert answer.startswith(b"HTTP/1.1 503 ")
    assert b"retry-after: 1" in answer.lower()


def test_bodies_beyond_the_memory_budget_are_refused_503(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"max_inflight_bytes": 100})
    with live_collector(config, direct=direct) as live:
        refused = post(live, b"[" + b" " * 200 + b"]")
        accepted = post(live, b"[]")
    assert (refused.status, refused.getheader("Retry-After")) == (503, "1")
    assert accepted.status == 200
    assert live.app.inflight.used == 0  # every reservation was given back


@pytest.mark.parametrize("size", [10, 5000])
def test_memory_held_for_bodies_is_released_after_each_request(tmp_path: Path, size: int, direct: bool) -> None:
    config = make_config(tmp_path / "home")
    with live_collector(config, direct=direct) as live:
        for _ in range(5):
            post(live, b"[" + b" " * size + b"]")
        raw_exchange(live.port, b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n[", 0.5)
        time.sleep(0.3)
        assert live.app.inflight.used == 0
