"""User-agent enrichment against the original's expected columns (tests/fixtures/seed/expected)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clickstream.etl.enrich.user_agent import UserAgentParser, device_category, version_string
from tests.support.data import seed_file

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
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/128.0.6613.137 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)"
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36"
)
SAMSUNG_TABLET_APP = "Dalvik/2.1.0 (Linux; U; Android 13; SM-T870 Build/TP1A.220624.014)"
KINDLE_SILK = (
    "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/126.3.2 "
    "like Chrome/126.0.6478.197 Safari/537.36"
)
ANDROID_APP = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240805.005)"
LINUX_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
CHROMEBOOK = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36"
)
SMART_TV = (
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 "
    "Chrome/76.0.3809.146 TV Safari/537.36"
)


@pytest.fixture(scope="module")
def parser() -> UserAgentParser:
    return UserAgentParser()


def expected(name: str) -> dict[str, Any]:
    return dict(json.loads(seed_file(f"expected/{name}").read_text()))


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


def test_chrome_on_windows_is_a_pc(parser: UserAgentParser) -> None:
    # uap-core gives Windows desktops no device ("Other"): the original's family-only rule said "Other".
    info = parser.parse(WINDOWS_CHROME)
    assert (info.os, info.device, info.device_category) == ("Windows", "Other", "PC")


def test_a_samsung_android_phone_is_mobile(parser: UserAgentParser) -> None:
    # A brand-model family ("Samsung SM-S918B") names no kind of device: the original's rule said "Other".
    info = parser.parse(ANDROID_SAMSUNG)
    assert (info.device, info.device_category) == ("Samsung SM-S918B", "Mobile")


def test_an_ipad_is_a_tablet_though_its_agent_says_mobile(parser: UserAgentParser) -> None:
    assert parser.parse(IPAD).device_category == "Tablet"


@pytest.mark.parametrize(
    "agent",
    [ANDROID_TABLET, SAMSUNG_TABLET_APP, KINDLE_SILK],
    ids=["chrome-without-mobile-token", "app-on-a-galaxy-tab", "kindle-silk"],
)
def test_android_tablets_are_tablets(parser: UserAgentParser, agent: str) -> None:
    assert parser.parse(agent).device_category == "Tablet"


@pytest.mark.parametrize(
    "agent", [GOOGLEBOT, GOOGLEBOT_SMARTPHONE, BINGBOT, GPTBOT], ids=["googlebot", "smartphone", "bing", "gpt"]
)
def test_crawlers_are_bots_whatever_device_they_claim(parser: UserAgentParser, agent: str) -> None:
    assert parser.parse(agent).device_category == "Bot"


@pytest.mark.parametrize(
    ("agent", "category"),
    [
        (IPHONE, "Mobile"),
        (MAC_SAFARI, "PC"),
        (LINUX_FIREFOX, "PC"),
        (CHROMEBOOK, "PC"),
        (ANDROID_APP, "Mobile"),
        (SMART_TV, "Other"),
        ("curl/8.4.0", "Other"),
    ],
    ids=["iphone", "mac", "linux", "chromeos", "android-app", "smart-tv", "curl"],
)
def test_other_real_agents_get_the_category_users_expect(parser: UserAgentParser, agent: str, category: str) -> None:
    assert parser.parse(agent).device_category == category


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
    ],
)
def test_a_device_family_alone_gives_the_originals_category(family: str, category: str) -> None:
    assert device_category("", device=family) == category


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
