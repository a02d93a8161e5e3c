"""Hostile bodies and heads get bounded memory and exactly one clear answer; legitimate bulk traffic still flows.

Each test here is a finding against an earlier collector (issue 20): a gzip bomb in the SDK's own encoding,
a header streamed forever, a multi-member gzip body cut to its first member, a refused request answered twice.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import logging
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clickstream.config import Config
from clickstream.etl.decode import RejectedInput, decode_data
from tests.ingestion.test_protocol import raw_records, request
from tests.support.collector import LiveCollector, live_collector
from tests.support.config import make_config

SDK_QUERY = "/collect?appId=shop&platform=Android&compression=gzip"


@pytest.fixture
def collector_config(tmp_path: Path) -> Config:
    return make_config(
        tmp_path / "home",
        ingestion={"max_decoded_bytes": 2_000_000, "max_events_per_request": 500, "max_header_bytes": 4096},
    )


@pytest.fixture
def collector(collector_config: Config, direct: bool) -> Iterator[LiveCollector]:
    with live_collector(collector_config, direct=direct) as live:
        yield live


def sdk_body(events: bytes) -> bytes:
    """The SDK's ``compression=gzip`` encoding: base64 text of gzip(JSON)."""
    return base64.b64encode(gzip.compress(events))


def exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Send ``data`` and read whatever comes back until the server closes the connection or ``wait`` passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError):
            while chunk := sock.recv(65536):
                received += chunk
        return received


def test_an_sdk_body_that_inflates_past_the_cap_is_refused_413_and_not_stored(
    collector: LiveCollector, collector_config: Config
) -> None:
    bomb = sdk_body(b"[" + b" " * 5_000_000 + b"]")  # 6.7 KB on the wire, 5 MB decoded
    response = request(collector, "POST", SDK_QUERY, bomb)
    assert response.status == 413
    assert response.body.startswith(b"the body inflates to more than 2000000 bytes")
    assert collector.app.accepted == 0


def test_a_bomb_hidden_behind_a_small_last_gzip_member_is_refused_413(collector: LiveCollector) -> None:
    body = base64.b64encode(gzip.compress(b"[" + b" " * 5_000_000) + gzip.compress(b"]"))
    response = request(collector, "POST", SDK_QUERY, body)
    assert (response.status, response.body) == (413, b"the body inflates to more than 2000000 bytes")


def with_trailer(member: bytes, size: int) -> bytes:
    """A gzip member whose trailer states ``size`` (a lie unless it is the member's size)."""
    return member[:-4] + size.to_bytes(4, "little")


def test_a_bomb_whose_gzip_trailer_lies_is_stored_and_rejected_by_the_etl_as_too_large(
    collector_config: Config,
    direct: bool,
) -> None:
    """Only inflating finds the lie; the ETL does, within its caps (tests/etl/test_too_large.py)."""
    body = base64.b64encode(with_trailer(gzip.compress(b"[" + b" " * 5_000_000 + b"]"), 100))
    with live_collector(collector_config, direct=direct) as live:
        assert request(live, "POST", SDK_QUERY, body).status == 200
    [record] = raw_records(collector_config.home)
    with pytest.raises(RejectedInput) as rejected:
        decode_data(record["data"], collector_config.ingestion.payload_limits)
    assert rejected.value.reason == "too_large"


def test_with_inflate_every_body_a_bomb_whose_trailer_lies_is_refused_413(tmp_path: Path, direct: bool) -> None:
    config = make_config(tmp_path / "home", ingestion={"max_decoded_bytes": 2_000_000, "inflate_every_body": True})
    body = base64.b64encode(with_trailer(gzip.compress(b"[" + b" " * 5_000_000 + b"]"), 100))
    with live_collector(config, direct=direct) as live:
        response = request(live, "POST", SDK_QUERY, body)
    assert (response.status, response.body) == (413, b"the body inflates to more than 2000000 bytes")


def test_an_sdk_body_with_more_events_than_the_cap_is_refused_413(collector: LiveCollector) -> None:
    response = request(collector, "POST", SDK_QUERY, sdk_body(b"[" + b"{}," * 500 + b"{}]"))
    assert (response.status, response.body) == (413, b"the body holds more than 500 events")
    assert collector.app.accepted == 0


def test_a_plain_json_body_with_more_events_than_the_cap_is_refused_413(collector: LiveCollector) -> None:
    response = request(collector, "POST", "/collect?appId=shop", b"[" + b"1," * 500 + b"1]")
    assert response.status == 413


def test_an_sdk_body_at_the_event_cap_is_stored(collector: LiveCollector) -> None:
    events = json.dumps([{"event_id": str(n)} for n in range(500)]).encode()
    assert request(collector, "POST", SDK_QUERY, sdk_body(events)).status == 200
    assert collector.app.accepted == 1


GENERATOR_EVENT = {
    "platform": "Android", "os_version": "14", "make": "samsung", "brand": "samsung", "model": "SM-S918B",
    "locale": "en_US", "carrier": "T-Mobile", "network_type": "WIFI", "screen_height": 2340, "screen_width": 1080,
    "zone_offset": -28800000, "system_language": "en", "country_code": "US", "sdk_version": "0.13.0",
    "sdk_name": "aws-solution-clickstream-sdk", "app_version": "1.1.0", "app_package_name": "com.example.shop",
    "app_title": "Shop", "app_id": "shop",
}  # fmt: skip
GENERATOR_ATTRIBUTES = {
    "_screen_name": "ProductDetailActivity", "_screen_id": "com.example.shop.ProductDetailActivity",
    "_previous_screen_name": "MainActivity", "_previous_screen_id": "com.example.shop.MainActivity",
    "_entrances": 0, "_traffic_source_source": "google", "_traffic_source_medium": "cpc", "currency": "USD",
    "event_category": "recommended", "item_category": "shoes", "_screen_unique_id": "12345678",
}  # fmt: skip


def original_generator_batch(count: int) -> bytes:
    """``count`` events shaped like the original's data generator's (about 1.3 KB each as JSON)."""
    rng = random.Random(7)
    events = []
    for n in range(count):
        first_touch = {"value": 1_732_000_000_000, "set_timestamp": 1_732_000_000_000}
        event = {
            "hashCode": f"{rng.getrandbits(32):08x}", "unique_id": f"user-{rng.randrange(5000):05d}",
            "event_type": rng.choice(["_screen_view", "view_item", "add_to_cart", "_user_engagement"]),
            "event_id": f"{rng.getrandbits(128):032x}", "timestamp": 1_733_000_000_000 + n * 37,
            "device_id": f"{rng.getrandbits(64):016x}", **GENERATOR_EVENT,
            "user": {"_user_id": {"value": f"{n % 900}", "set_timestamp": 1_733_000_000_000},
                     "_user_first_touch_timestamp": first_touch},
            "attributes": {"_session_id": f"{rng.getrandbits(32):08x}-20241201-000000000",
                           "_session_start_timestamp": 1_733_000_000_000, "_session_duration": rng.randrange(600000),
                           "_session_number": rng.randrange(20), **GENERATOR_ATTRIBUTES},
        }  # fmt: skip
        events.append(event)
    return json.dumps(events).encode()


def test_the_original_generators_ten_thousand_event_request_is_stored(tmp_path: Path, direct: bool) -> None:
    """The original's data generator sends 10,000 events a request by default: about 13 MB decoded."""
    batch = original_generator_batch(10_000)
    body = sdk_body(batch)
    assert len(batch) > 12_000_000 and len(body) < 1_000_000
    with live_collector(make_config(tmp_path / "home"), direct=direct) as live:
        assert request(live, "POST", SDK_QUERY, body).status == 200
        assert live.app.accepted == 1


def test_a_gzip_content_encoding_of_two_members_is_stored_whole(collector_config: Config, direct: bool) -> None:
    body = gzip.compress(b'[{"event_id": "a"},') + gzip.compress(b'{"event_id": "b"}]')
    with live_collector(collector_config, direct=direct) as live:
        response = request(live, "POST", "/collect?appId=shop", body, {"Content-Encoding": "gzip"})
        assert response.status == 200
    [record] = raw_records(collector_config.home)
    assert json.loads(record["data"]) == [{"event_id": "a"}, {"event_id": "b"}]


def test_bytes_after_a_gzip_content_encoding_are_refused_400(collector: LiveCollector) -> None:
    body = gzip.compress(b'[{"event_id": "a"}]') + b"trailing junk"
    response = request(collector, "POST", "/collect?appId=shop", body, {"Content-Encoding": "gzip"})
    assert response.status == 400
    assert b"bytes follow the end of the gzip stream" in response.body
    assert collector.app.accepted == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (gzip.compress(b'[{"event_id": "a"}]') + b"junk", b"bytes follow the end of the gzip stream"),
        (gzip.compress(b'[{"event_id": "a"}]')[:-6], b"the gzip stream is cut short"),
        (with_trailer(gzip.compress(b'[{"event_id": "a"}]'), 3), b"the gzip stream is corrupt"),
    ],
    ids=["trailing-bytes", "cut", "wrong-trailer"],
)
def test_with_inflate_every_body_a_corrupt_sdk_body_is_refused_400(
    tmp_path: Path, body: bytes, reason: bytes, direct: bool
) -> None:
    with live_collector(make_config(tmp_path / "home", ingestion={"inflate_every_body": True}), direct=direct) as live:
        response = request(live, "POST", SDK_QUERY, base64.b64encode(body))
    assert response.status == 400
    assert response.body.startswith(reason)


def test_a_body_neither_json_nor_base64_of_gzip_is_refused_400(collector: LiveCollector) -> None:
    response = request(collector, "POST", SDK_QUERY, b"hello, collector")
    assert (response.status, response.body) == (400, b"the body is neither JSON nor base64 of gzip")


def test_a_header_streamed_without_end_is_refused_431_as_it_grows(collector: LiveCollector) -> None:
    with socket.create_connection(("127.0.0.1", collector.port), timeout=5) as sock:
        sock.sendall(b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nX-Grow: ")
        started = time.monotonic()
        answer = b""
        for _ in range(64):  # 64 x 1 KB: well past the 4 KB limit, and the header never ends
            try:
                sock.sendall(b"a" * 1024)
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.01)
        sock.settimeout(2)
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert answer.count(b"HTTP/1.1") == 1
    assert time.monotonic() - started < 5  # at once, not at the 30 s request timeout


def test_a_url_streamed_without_end_is_refused_431(collector: LiveCollector) -> None:
    answer = exchange(collector.port, b"GET /collect?appId=shop&x=" + b"a" * 8000)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_a_head_just_under_the_limit_in_small_pieces_is_served(collector: LiveCollector) -> None:
    head = b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 3000 + b"\r\nContent-Length: 2\r\n\r\n[]"
    with socket.create_connection(("127.0.0.1", collector.port), timeout=5) as sock:
        for start in range(0, len(head), 100):
            sock.sendall(head[start : start + 100])
            time.sleep(0.001)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_request_refused_before_its_body_gets_one_answer_when_the_body_never_comes(
    tmp_path: Path, direct: bool
) -> None:
    config = make_config(tmp_path / "home", ingestion={"request_timeout_seconds": 0.5})
    with live_collector(config, direct=direct) as live:
        answer = exchange(
            live.port, b"POST /collect?appId=stranger HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", wait=3
        )
    assert answer.startswith(b"HTTP/1.1 403 ")
    assert answer.count(b"HTTP/1.1 ") == 1  # no 408 after it: the connection is closed at the timeout instead


def test_a_refusal_behind_pipelined_requests_stops_the_one_being_answered_from_writing(
    collector_config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    """A collect POST waits for its fsync while a ping queues behind it and a third head grows past the limit:
    the 431 closes the connection, and the POST's app task, resuming, must see a disconnect, not a closed
    transport (uvloop raises on that write, and uvicorn logs it as the app's exception)."""
    body = b'[{"event_id": "a"}]'
    post = b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    ping = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
    hostile = b"POST /collect?appId=shop HTTP/1.1\r\nHost: x\r\nX-Grow: " + b"g" * 6000
    with caplog.at_level(logging.ERROR), live_collector(collector_config, direct=False) as live:
        for _ in range(20):
            exchange(live.port, post + ping + hostile, wait=1)
        time.sleep(0.2)
    assert not [record for record in caplog.records if "Exception in ASGI application" in record.getMessage()]
