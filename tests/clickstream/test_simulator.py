"""The simulator: SDK-shaped traffic, the same for the same seed."""

from __future__ import annotations

import base64
import gzip
import json
import re
from datetime import UTC, datetime

from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import encode

END = datetime(2026, 3, 1, tzinfo=UTC)


def event_ids(seed: int) -> list[str]:
    spec = SimulationSpec(users=15, days=3, end=END, seed=seed)
    return [event["event_id"] for request in iter_requests(spec) for event in request.events]


def test_the_same_seed_sends_the_same_events() -> None:
    assert event_ids(7) == event_ids(7)


def test_another_seed_sends_other_events() -> None:
    assert set(event_ids(7)).isdisjoint(event_ids(8))


def test_traffic_covers_web_android_and_ios_with_sessions_items_logins_and_campaigns() -> None:
    requests = list(iter_requests(SimulationSpec(users=120, days=7, end=END)))
    events = [event for request in requests for event in request.events]
    assert {request.platform for request in requests} == {"Web", "Android", "iOS"}
    names = {event["event_type"] for event in events}
    assert {"_session_start", "_page_view", "_screen_view", "_user_engagement", "_profile_set", "purchase"} <= names
    assert any(event.get("items") for event in events)
    assert any("_user_id" in event["user"] for event in events)
    assert any("utm_source=" in event["attributes"].get("_page_url", "") for event in events)
    assert any(event["attributes"].get("_latest_referrer") for event in events)
    assert all(event["timestamp"] < int(END.timestamp() * 1000) for event in events)


def test_web_session_ids_follow_the_sdk_format() -> None:
    requests = [r for r in iter_requests(SimulationSpec(users=20, days=2, end=END)) if r.platform == "Web"]
    event = requests[0].events[0]
    assert re.fullmatch(r"[0-9a-f]{8}-\d{8}-\d{9}", event["attributes"]["_session_id"])
    assert event["attributes"]["_session_id"].startswith(event["unique_id"][-8:])


def test_web_sends_json_text_and_mobile_sends_base64_gzip() -> None:
    requests = list(iter_requests(SimulationSpec(users=30, days=2, end=END)))
    web = next(r for r in requests if r.platform == "Web")
    mobile = next(r for r in requests if r.platform != "Web")
    web_query, web_body = encode(web, 1)
    mobile_query, mobile_body = encode(mobile, 1)
    assert json.loads(web_body) == web.events and "compression" not in web_query
    assert json.loads(gzip.decompress(base64.b64decode(mobile_body))) == mobile.events
    assert "compression=gzip" in mobile_query and "upload_timestamp=1" in mobile_query
