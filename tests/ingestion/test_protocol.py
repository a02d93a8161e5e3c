"""The collector speaks the original's HTTP protocol (reference section 1.1), over a real socket."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clickstream.config import Config
from clickstream.storage import Storage
from tests.support.collector import LiveCollector, Reply, exchange, live_collector
from tests.support.config import make_config

EVENTS = [{"event_type": "_page_view", "event_id": "e-1", "app_id": "shop", "timestamp": 1, "unique_id": "u"}]


@pytest.fixture
def collector_config(tmp_path: Path) -> Config:
    return make_config(
        tmp_path / "home",
        ingestion={
            "cors_origins": ["https://shop.example.com", "https://*.example.org"],
            "trusted_proxies": ["127.0.0.1/32"],
            "max_body_bytes": 4096,
        },
    )


@pytest.fixture
def collector(collector_config: Config, direct: bool) -> Iterator[LiveCollector]:
    """A collector on each answering path in turn: collect POSTs must be answered alike on both."""
    with live_collector(collector_config, direct=direct) as live:
        yield live


@pytest.fixture
def any_path_collector(collector_config: Config) -> Iterator[LiveCollector]:
    """A collector on the default path, for requests other than collect POSTs: both paths hand those to
    the same ASGI app, so running them on each would test the same code twice."""
    with live_collector(collector_config) as live:
        yield live


def request(
    live: LiveCollector, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    return exchange(live, method, path, body, headers)


def raw_records(home: Path) -> list[dict[str, Any]]:
    storage = Storage(home)
    records = []
    for stored in storage.list_files("raw", ".jsonl.gz"):
        records += [json.loads(line) for line in gzip.decompress(storage.read_bytes(stored.path)).splitlines()]
    return records


def test_a_json_array_is_answered_200_with_an_empty_body_and_a_request_id(collector: LiveCollector) -> None:
    response = request(collector, "POST", "/collect?appId=shop&platform=Web", json.dumps(EVENTS).encode())
    assert response.status == 200
    assert response.body == b""
    assert len(response.getheader("X-Request-ID") or "") == 32


def test_the_raw_record_has_the_original_fields_and_keeps_the_body_verbatim(
    collector_config: Config, direct: bool
) -> None:
    body = base64.b64encode(gzip.compress(json.dumps(EVENTS).encode()))
    with live_collector(collector_config, direct=direct) as live:
        response = request(
            live,
            "POST",
            "/collect?appId=shop&platform=Android&compression=gzip&event_bundle_sequence_id=5&upload_timestamp=1700000000000",
            body,
            {"User-Agent": "Dalvik/2.1.0", "X-Forwarded-For": "203.0.113.9"},
        )
        assert response.status == 200
    [record] = raw_records(collector_config.home)
    assert list(record) == [
        "date", "data", "ip", "ua", "uri", "rid", "method", "appId", "platform", "compression",
        "client_timestamp", "ingest_time", "server_ingest_time",
    ]  # fmt: skip
    assert record["data"] == body.decode()
    assert record["uri"].startswith("/collect?appId=shop&platform=Android&compression=gzip&event_bundle_sequence_id=5")
    assert record["rid"] == response.getheader("X-Request-ID")
    assert (record["appId"], record["platform"], record["compression"]) == ("shop", "Android", "gzip")
    assert record["client_timestamp"] == 1700000000000
    assert record["ip"] == "203.0.113.9"  # the peer is a trusted proxy
    assert record["ua"] == "Dalvik/2.1.0" and record["method"] == "POST"


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home")
    with live_collector(config, direct=direct) as live:
        assert request(live, "POST", "/collect?appId=shop", b"[]", {"X-Forwarded-For": "203.0.113.9"}).status == 200
    [record] = raw_records(config.home)
    assert record["ip"] == "127.0.0.1"


def test_a_gzip_content_encoding_is_decoded_before_storing(collector_config: Config, direct: bool) -> None:
    with live_collector(collector_config, direct=direct) as live:
        body = gzip.compress(json.dumps(EVENTS).encode())
        assert request(live, "POST", "/collect?appId=shop", body, {"Content-Encoding": "gzip"}).status == 200
    assert json.loads(raw_records(collector_config.home)[0]["data"]) == EVENTS


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("/collect?platform=Web", b"[]", 400, b"appId query parameter is required"),
        ("/collect?appId=stranger", b"[]", 403, b"unknown appId"),
        ("/collect?appId=shop", b"x" * 5000, 413, b"body too large"),
        ("/collect?appId=shop", b"", 400, b"body is empty"),
    ],
    ids=["no-app-id", "unknown-app", "too-large", "empty-body"],
)
def test_a_bad_collect_post_gets_its_status_and_a_reason(
    collector: LiveCollector, path: str, body: bytes, status: int, reason: bytes
) -> None:
    response = request(collector, "POST", path, body)
    assert (response.status, response.body) == (status, reason)
    assert collector.app.refusals[reason.decode()] == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason"),
    [
        ("GET", "/collect?appId=shop", None, 405, b"method not allowed: use POST"),
        ("POST", "/elsewhere", b"[]", 404, b"not found"),
    ],
    ids=["wrong-method", "unknown-path"],
)
def test_a_request_off_the_collect_route_gets_its_status_and_a_reason(
    any_path_collector: LiveCollector, method: str, path: str, body: bytes | None, status: int, reason: bytes
) -> None:
    response = request(any_path_collector, method, path, body)
    assert (response.status, response.body) == (status, reason)
    assert any_path_collector.app.refusals[reason.decode()] == 1


def test_ping_returns_the_server_time_in_milliseconds(any_path_collector: LiveCollector) -> None:
    response = request(any_path_collector, "GET", "/ping")
    assert response.status == 200
    assert json.loads(response.body)["timestamp"] > 1.6e12


def test_health_is_ready_while_the_log_is_writable(any_path_collector: LiveCollector) -> None:
    response = request(any_path_collector, "GET", "/health")
    assert response.status == 200
    assert json.loads(response.body)["status"] == "ok"


def test_a_preflight_from_a_configured_origin_gets_204_and_cors_headers(any_path_collector: LiveCollector) -> None:
    response = request(
        any_path_collector, "OPTIONS", "/collect?appId=shop", headers={"Origin": "https://shop.example.com"}
    )
    assert response.status == 204
    assert response.getheader("Access-Control-Allow-Origin") == "https://shop.example.com"
    assert response.getheader("Access-Control-Allow-Credentials") == "true"
    assert "POST" in (response.getheader("Access-Control-Allow-Methods") or "")


def test_an_origin_matching_a_pattern_is_allowed(collector: LiveCollector) -> None:
    response = request(collector, "POST", "/collect?appId=shop", b"[]", {"Origin": "https://blog.example.org"})
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "https://blog.example.org"


def test_a_request_from_another_origin_is_refused(collector: LiveCollector) -> None:
    response = request(collector, "POST", "/collect?appId=shop", b"[]", {"Origin": "https://evil.example.net"})
    assert (response.status, response.body) == (403, b"origin not allowed")


def test_a_gzip_body_that_inflates_past_the_limit_is_refused_413(collector: LiveCollector) -> None:
    bomb = gzip.compress(b"[" + b" " * 100_000 + b"]")
    assert len(bomb) < 4096
    response = request(collector, "POST", "/collect?appId=shop", bomb, {"Content-Encoding": "gzip"})
    assert (response.status, response.body) == (413, b"body too large")


def test_malformed_numbers_in_the_query_are_stored_as_null(collector_config: Config, direct: bool) -> None:
    with live_collector(collector_config, direct=direct) as live:
        for value in ("--5", "99999999999999999999", "inf"):
            assert request(live, "POST", f"/collect?appId=shop&upload_timestamp={value}", b"[]").status == 200
    assert [record["client_timestamp"] for record in raw_records(collector_config.home)] == [None, None, None]
