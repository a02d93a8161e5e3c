"""User-agent enrichment against the original's expected columns (tests/fixtures/seed/expected)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from etl.enrich.user_agent import UserAgentParser, device_category, version_string
from tests.conftest import seed_file

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Mobile/15E148 Safari/604.1"
)
MAC_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Safari/605.1.15"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36"
)
ANDROID_SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/128.0.6613.127 Mobile Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture(scope="module")
def parser() -> UserAgentParser:
    return UserAgentParser()


def expected(name: str) -> dict[str, Any]:
    return json.loads(seed_file(f"expected/{name}").read_text())


def test_columns_match_the_originals_enrichment_field_by_field(parser: UserAgentParser) -> None:
    want = expected("test_enrich_UA_v2.json")
    info = parser.parse(want["device_ua"]["string"])
    assert info.browser == want["device_ua_browser"] == "Mobile Safari"
    assert info.browser_version == want["device_ua_browser_version"] == "16.6"
    assert info.os == want["device_ua_os"] == "iOS"
    assert info.os_version == want["device_ua_os_version"] == "16.6.1"
    assert info.device == want["device_ua_device"] == "iPhone"
    assert info.device_category == want["device_ua_device_category"] == "Mobile"


def test_device_ua_map_holds_the_same_keys_and_json_text_as_the_original(parser: UserAgentParser) -> None:
    want = expected("test_enrich_UA_v2.json")["device_ua"]
    assert parser.parse(want["string"]).as_map() == want


def test_an_http_client_agent_keeps_its_raw_string_in_the_map(parser: UserAgentParser) -> None:
    want = expected("transform_v3_traffic_source_event.json")
    info = parser.parse(want["ua"])
    assert info.as_map()["string"] == want["device_ua"]["string"]
    # That expected row came from the original's transformer alone (its UA enricher did not run in that
    # test), hence null device_ua_* there. With enrichment on, uap-core knows the client; OS and device
    # are "Other" as uap-java reports for unmatched parts.
    assert (info.browser, info.browser_version) == ("Apache-HttpClient", "4.5.12")
    assert (info.os, info.os_version, info.device, info.device_category) == ("Other", None, "Other", "Other")
    assert json.loads(info.as_map()["os"]) == {
        "family": "Other",
        "major": None,
        "minor": None,
        "patch": None,
        "patchMinor": None,
    }


@pytest.mark.parametrize(
    ("agent", "device", "category"),
    [
        (IPHONE, "iPhone", "Mobile"),
        (IPAD, "iPad", "Tablet"),
        (MAC_SAFARI, "Mac", "PC"),
        (GOOGLEBOT, "Spider", "Bot"),
        # The original's rule looks at the device family only: uap-core gives Windows desktops no device
        # ("Other") and Android phones a brand-model family, so both fall in "Other", as in the original.
        (WINDOWS_CHROME, "Other", "Other"),
        (ANDROID_SAMSUNG, "Samsung SM-S918B", "Other"),
    ],
    ids=["iphone", "ipad", "mac", "googlebot", "windows", "android"],
)
def test_real_agents_get_the_originals_device_category(
    parser: UserAgentParser, agent: str, device: str, category: str
) -> None:
    info = parser.parse(agent)
    assert (info.device, info.device_category) == (device, category)


def test_crawlers_are_bots(parser: UserAgentParser) -> None:
    assert parser.parse(GOOGLEBOT).is_bot
    assert parser.parse("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)").is_bot
    assert not parser.parse(IPHONE).is_bot


@pytest.mark.parametrize(
    ("family", "category"),
    [
        ("Spider", "Bot"),
        ("Crawler", "Bot"),
        ("FacebookBot", "Bot"),
        ("Generic Smartphone", "Mobile"),
        ("Generic Feature Phone", "Mobile"),
        ("Mobile Device", "Mobile"),
        ("Generic Tablet", "Tablet"),
        ("Kindle", "Tablet"),
        ("iPad", "Tablet"),
        ("Mac", "PC"),
        ("Linux Desktop", "PC"),
        ("Other", "Other"),
        (None, None),
    ],
)
def test_category_rule_checks_bot_then_mobile_tablet_pc(family: str | None, category: str | None) -> None:
    assert device_category(family) == category


@pytest.mark.parametrize(
    ("parts", "version"),
    [(("16", "6", "1"), "16.6.1"), (("16", "6", None), "16.6"), (("16", None, None), "16"), ((None, None, None), None)],
)
def test_versions_join_the_known_parts(parts: tuple[str | None, str | None, str | None], version: str | None) -> None:
    assert version_string(*parts) == version


@pytest.mark.parametrize("agent", [None, ""])
def test_a_missing_agent_gives_empty_columns_and_an_empty_map(parser: UserAgentParser, agent: str | None) -> None:
    info = parser.parse(agent)
    assert info.browser is None and info.device_category is None and not info.is_bot
    assert info.as_map() == {}


def test_an_unknown_agent_is_other_not_an_error(parser: UserAgentParser) -> None:
    info = parser.parse("definitely not a browser \x00 ✓")
    assert (info.browser, info.os, info.device, info.device_category) == ("Other", "Other", "Other", "Other")


def test_repeated_agents_are_served_from_the_cache(parser: UserAgentParser) -> None:
    first = parser.parse(MAC_SAFARI)
    assert parser.parse(MAC_SAFARI) is first
    assert "hits=" in parser.cache_info()
