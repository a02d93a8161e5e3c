"""User-agent enrichment: browser, OS, device and device category.

The original parsed the collector's ``ua`` with uap-java and derived ``device_ua_device_category``
from the device family with a handful of substring rules; this module parses with ua-parser 1.x (the
same uap-core regexes, newer) on its compiled Rust matcher, and derives the category from the whole
parse (decision 40), with the original's category names. Parsing a string runs many regexes (see
docs/performance.md#figures-behind-code-comments), so results are cached on the raw string: real
traffic has few distinct agents, and a cache hit is one dictionary lookup.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import orjson
from ua_parser import OS, Device, Domain, UserAgent, load_builtins

try:  # the compiled matcher: the pure-Python one is too slow for the ETL's hot loop (decision 8)
    from ua_parser.regex import Resolver as _CompiledResolver
except ImportError as exc:  # pragma: no cover - exercised only on a broken install
    raise ImportError(
        "clickstream.etl.enrich.user_agent needs the compiled ua-parser backend: pip install ua-parser-rs"
    ) from exc

BOT = "Bot"
MOBILE = "Mobile"
TABLET = "Tablet"
PC = "PC"
OTHER = "Other"
# uap-java returns family "Other" when nothing matches; ua-parser 1.x returns None. We follow the
# original so that `device_ua_os` / `device_ua_device` read "Other" rather than NULL.
_UNKNOWN_FAMILY = "Other"
DEFAULT_CACHE_SIZE = 20_000


class UserAgentInfo(NamedTuple):
    """The ``device_ua_*`` columns of one event, plus the raw string for the ``device_ua`` map."""

    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    device: str | None = None
    device_category: str | None = None
    string: str | None = None
    # The parser's output as JSON text, as the original stored it in the `device_ua` map.
    user_agent_json: str | None = None
    os_json: str | None = None
    device_json: str | None = None

    @property
    def is_bot(self) -> bool:
        """True when the device category is ``Bot`` (crawlers, spiders): rejected or flagged by setting."""
        return self.device_category == BOT

    def as_map(self) -> dict[str, str]:
        """The ``device_ua`` map column: ``string`` (raw UA) and, once parsed, ``userAgent``/``os``/``device``.

        Keys with no value are left out (the map's values are non-null strings).
        """
        pairs = (
            ("device", self.device_json),
            ("os", self.os_json),
            ("string", self.string),
            ("userAgent", self.user_agent_json),
        )
        return {key: value for key, value in pairs if value is not None}


EMPTY = UserAgentInfo()


def device_category(
    ua: str,
    browser: str | None = None,
    os: str | None = None,
    device: str | None = None,
    brand: str | None = None,
    model: str | None = None,
) -> str:
    """The kind of device behind a user agent, from the whole parse (decision 40).

    The original looked at the device family alone, which names no kind for most agents: uap-core gives
    Windows and Linux desktops no device, and phones a brand and model ("Samsung SM-S918B"), all "Other".
    Crawlers first, whatever device they claim; then tablets (an iPad's agent says "Mobile"); TVs and
    consoles stay "Other"; then phones, desktops, and the original's rule on the device family last.
    """
    family = device or ""
    lowered = family.lower()
    if (
        brand == "Spider"
        or family in ("Spider", "Crawler")
        or "bot" in lowered
        or (browser is not None and _CRAWLER.search(browser) is not None)
    ):
        return BOT
    if (
        brand == "Generic_Android_Tablet"
        or browser == "Amazon Silk"
        or _TABLET_FAMILY.search(family)
        or (model is not None and _TABLET_MODEL.match(model))
        or _TABLET_MODEL.match(family)
    ):
        return TABLET
    if _TV_OR_CONSOLE.search(ua):
        return OTHER
    if os == "Android" and ua.startswith("Mozilla/") and not _MOBILE_TOKEN.search(ua):
        return TABLET  # Android browsers mark phones with "Mobile"; tablets leave it out
    if os in _PHONE_SYSTEMS or "mobile" in lowered or "phone" in lowered or family in ("iPhone", "iPod"):
        return MOBILE
    if os is not None and (
        os in _DESKTOP_SYSTEMS or "Linux" in os or (os.startswith("Windows") and os != "Windows RT")
    ):
        return PC
    if "pc" in lowered or "mac" in lowered or "linux" in lowered:
        return PC
    return OTHER


# What marks a crawler in the agent family uap-core names ("Googlebot", "YandexBot", "FacebookBot", ...).
_CRAWLER = re.compile(r"bot|spider|crawl", re.IGNORECASE)
# Tablet words in a device family ("Generic Tablet", "iPad", "Kindle Fire HD"), and tablet model numbers:
# Samsung Galaxy Tab (SM-T, SM-X, SM-P, GT-P), Amazon Fire (KF..), Lenovo, Huawei, Xiaomi and Google tablets.
_TABLET_FAMILY = re.compile(r"tablet|pad|kindle", re.IGNORECASE)
_TABLET_MODEL = re.compile(
    r"(?:Samsung )?(?:SM-[TXP]\d|GT-P\d)|KF[A-Z]{2,}|Lenovo ?(?:TB|Tab)|MediaPad|MatePad|(?:Xiaomi|Redmi) Pad"
    r"|Nexus (?:7|9|10)\b|Pixel (?:C|Tablet)\b",
    re.IGNORECASE,
)
_TV_OR_CONSOLE = re.compile(
    r"SMART-?TV|\bTV\b|BRAVIA|\bAFT[A-Z]|CrKey|Roku|HbbTV|Web0S|NetCast|Xbox|PlayStation|Nintendo", re.IGNORECASE
)
_MOBILE_TOKEN = re.compile(r"\bMobile\b")
_PHONE_SYSTEMS = frozenset(
    {"iOS", "Android", "Windows Phone", "Windows Mobile", "BlackBerry OS", "KaiOS", "Symbian OS", "Firefox OS",
     "HarmonyOS"}
)  # fmt: skip
_DESKTOP_SYSTEMS = frozenset(
    {"Mac OS X", "Mac OS", "Chrome OS", "Ubuntu", "Fedora", "Debian", "FreeBSD", "OpenBSD", "NetBSD", "Red Hat",
     "SUSE", "Mint", "Arch Linux", "Gentoo", "Kubuntu", "CentOS", "Solaris"}
)  # fmt: skip


def version_string(major: str | None, minor: str | None, patch: str | None) -> str | None:
    """``major.minor.patch`` with as many parts as are known from the left, as the original joined them."""
    if major is None:
        return None
    if minor is None:
        return major
    if patch is None:
        return f"{major}.{minor}"
    return f"{major}.{minor}.{patch}"


def _json(value: dict[str, str | None]) -> str:
    return orjson.dumps(value).decode()


class UserAgentParser:
    """Parses user-agent strings with a bounded LRU cache keyed on the raw string.

    Build one per process (it loads and compiles every regex) and reuse it.
    """

    def __init__(self, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self._resolver = _CompiledResolver(load_builtins())
        self._cached = lru_cache(maxsize=cache_size)(self._parse_uncached)

    def parse(self, ua: str | None) -> UserAgentInfo:
        """The enrichment for one raw ``User-Agent`` header; None or "" gives all-None fields."""
        if not ua:
            return EMPTY
        return self._cached(ua)

    def cache_info(self) -> str:
        """Hits, misses and size of the cache, for logs and the benchmark."""
        return str(self._cached.cache_info())

    def _parse_uncached(self, ua: str) -> UserAgentInfo:
        result = self._resolver(ua, Domain.ALL)
        agent = result.user_agent or UserAgent(_UNKNOWN_FAMILY)
        os = result.os or OS(_UNKNOWN_FAMILY)
        device = result.device or Device(_UNKNOWN_FAMILY)
        return UserAgentInfo(
            browser=agent.family,
            browser_version=version_string(agent.major, agent.minor, agent.patch),
            os=os.family,
            os_version=version_string(os.major, os.minor, os.patch),
            device=device.family,
            device_category=device_category(ua, agent.family, os.family, device.family, device.brand, device.model),
            string=ua,
            # Same keys and order as uap-java's objects serialised by the original.
            user_agent_json=_json(
                {"family": agent.family, "major": agent.major, "minor": agent.minor, "patch": agent.patch}
            ),
            os_json=_json(
                {
                    "family": os.family,
                    "major": os.major,
                    "minor": os.minor,
                    "patch": os.patch,
                    "patchMinor": os.patch_minor,
                }
            ),
            device_json=_json({"family": device.family}),
        )
