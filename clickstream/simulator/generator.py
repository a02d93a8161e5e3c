"""Users, sessions and events as the Clickstream SDKs produce them, deterministic for a seed.

Each user draws from its own random stream (seeded by the run seed and the user's index), so the
traffic of user N does not depend on how many users are simulated or in what order they are sent.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from clickstream.simulator import profiles as p

T = TypeVar("T")
DAY_MS = 86_400_000


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate: how many users, over how many days ending when, for which apps."""

    users: int = 200
    days: int = 7
    end: datetime = field(default_factory=lambda: datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    app_ids: tuple[str, ...] = ("shop",)
    seed: int = 42
    duplicate_rate: float = 0.01


@dataclass
class SimRequest:
    """One HTTP request an SDK would send: its query parameters, headers and event objects."""

    app_id: str
    platform: str
    events: list[dict[str, Any]]
    compress: bool
    user_agent: str
    ip: str
    bundle_sequence_id: int
    duplicate: bool = False


def _weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    return rng.choices([option for option, _ in options], weights=[weight for _, weight in options])[0]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _session_id(unique_id: str, start_ms: int) -> str:
    start = datetime.fromtimestamp(start_ms / 1000, UTC)
    return f"{unique_id[-8:]}-{start:%Y%m%d-%H%M%S}{start.microsecond // 1000:03d}"


class _User:
    """One simulated device-scoped user and the SDK state it carries between events."""

    def __init__(self, spec: SimulationSpec, index: int) -> None:
        rng = random.Random(f"{spec.seed}-{index}")
        self.rng = rng
        self.app_id = rng.choice(spec.app_ids)
        self.platform = _weighted(rng, (("Web", 0.5), ("Android", 0.3), ("iOS", 0.2)))
        self.country = _weighted(rng, p.COUNTRIES)
        self.ip = rng.choice(self.country.ip_prefixes) + f"{rng.randint(1, 254)}.{rng.randint(1, 254)}"
        self.unique_id = _uuid(rng)
        if self.platform == "Web":
            self.browser = _weighted(rng, p.WEB_BROWSERS)
            self.user_agent = self.browser.user_agent
            self.device_id = self.unique_id
        else:
            options = [(d, w) for d, w in p.MOBILE_DEVICES if d.platform == self.platform]
            self.device = _weighted(rng, options)
            self.user_agent = self.device.user_agent
            self.device_id = f"{rng.getrandbits(64):016x}"
        self.user_id: str | None = None
        self.login_session = rng.randint(1, 4) if rng.random() < 0.4 else None
        self.bundle_sequence = 0
        self.first_touch_ms = 0

    def base_event(self, event_type: str, timestamp: int, session: dict[str, Any]) -> dict[str, Any]:
        country = self.country
        event: dict[str, Any] = {
            "event_type": event_type,
            "event_id": _uuid(self.rng),
            "device_id": self.device_id,
            "unique_id": self.unique_id,
            "app_id": self.app_id,
            "timestamp": timestamp,
            "platform": self.platform,
            "locale": country.locale,
            "system_language": country.language,
            "country_code": country.code,
            "zone_offset": country.timezone_offset_minutes * 60_000,
            "sdk_name": p.SDK_NAME,
        }
        if self.platform == "Web":
            event.update(
                host_name=p.SITE_HOST,
                make=self.browser.make,
                screen_width=self.browser.screen[0],
                screen_height=self.browser.screen[1],
                viewport_width=self.browser.viewport[0],
                viewport_height=self.browser.viewport[1],
                sdk_version=p.WEB_SDK_VERSION,
            )
        else:
            device = self.device
            event.update(
                os_version=device.os_version,
                make=device.make,
                brand=device.brand,
                model=device.model,
                carrier=self.rng.choice(country.carriers),
                network_type=self.rng.choice(("WIFI", "WIFI", "5G", "4G")),
                screen_width=device.screen[0],
                screen_height=device.screen[1],
                app_version=p.APP_VERSION,
                app_package_name=p.APP_PACKAGE,
                app_title=p.APP_TITLE,
                sdk_version=p.ANDROID_SDK_VERSION if self.platform == "Android" else p.IOS_SDK_VERSION,
            )
        user: dict[str, Any] = {
            "_user_first_touch_timestamp": {"value": self.first_touch_ms, "set_timestamp": self.first_touch_ms}
        }
        if self.user_id:
            user["_user_id"] = {"value": self.user_id, "set_timestamp": session["login_ms"]}
        event["user"] = user
        event["attributes"] = {
            "_session_id": session["id"],
            "_session_start_timestamp": session["start_ms"],
            "_session_duration": timestamp - session["start_ms"],
            "_session_number": session["number"],
        }
        if self.platform == "Web":
            event["attributes"].update(
                _page_title=session["page_title"],
                _page_url=session["page_url"],
                _latest_referrer=session["latest_referrer"],
                _latest_referrer_host=urlsplit(session["latest_referrer"]).hostname or "",
            )
        return event


def _session(user: _User, number: int, start_ms: int) -> list[dict[str, Any]]:
    """The events of one session, in time order."""
    rng = user.rng
    web = user.platform == "Web"
    traffic = rng.choices(("direct", "referral", "campaign"), weights=(0.5, 0.25, 0.25))[0]
    referrer = _weighted(rng, p.REFERRERS) if traffic == "referral" else ""
    campaign = _weighted(rng, [(c[:3], c[3]) for c in p.CAMPAIGNS]) if traffic == "campaign" else None
    landing_path, landing_title, _ = rng.choice(p.PAGES)
    landing_url = f"https://{p.SITE_HOST}{landing_path}"
    if campaign and web:
        landing_url += "?" + urlencode(
            {"utm_source": campaign[0], "utm_medium": campaign[1], "utm_campaign": campaign[2]}
        )
    session: dict[str, Any] = {
        "id": _session_id(user.unique_id, start_ms),
        "start_ms": start_ms,
        "number": number,
        "page_url": landing_url,
        "page_title": landing_title,
        "latest_referrer": referrer,
        "login_ms": start_ms,
    }
    events: list[dict[str, Any]] = []
    now = start_ms

    def emit(
        event_type: str, attributes: dict[str, Any] | None = None, items: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        event = user.base_event(event_type, now, session)
        event["attributes"].update(attributes or {})
        if campaign and not web and event_type == "_session_start":
            event["attributes"].update(
                _traffic_source_source=campaign[0],
                _traffic_source_medium=campaign[1],
                _traffic_source_campaign=campaign[2],
            )
        if items:
            event["items"] = items
        events.append(event)
        return event

    if number == 1:
        emit("_first_open")
    if not web:
        emit("_app_start", {"_is_first_time": number == 1})
    emit("_session_start")
    views = min(1 + int(rng.expovariate(0.45)), 10)
    previous_url, previous_name, previous_ms = referrer, "", 0
    for view_index in range(views):
        if view_index:
            path, title, screen = rng.choice(p.PAGES)
            session["page_url"], session["page_title"] = f"https://{p.SITE_HOST}{path}", title
        else:
            path, title, screen = landing_path, landing_title, next(s for u, _, s in p.PAGES if u == landing_path)
        engagement = now - previous_ms if previous_ms else 0
        if web:
            emit("_page_view", {
                "_page_referrer": previous_url, "_page_referrer_title": "", "_entrances": 1 if view_index == 0 else 0,
                "_previous_timestamp": previous_ms, "_engagement_time_msec": engagement,
            })  # fmt: skip
        else:
            emit("_screen_view", {
                "_screen_name": screen, "_screen_id": f"com.example.shop.{screen}",
                "_screen_unique_id": f"{rng.getrandbits(32):08x}",
                "_previous_screen_name": previous_name, "_entrances": 1 if view_index == 0 else 0,
                "_previous_timestamp": previous_ms, "_engagement_time_msec": engagement,
            })  # fmt: skip
        previous_url, previous_name, previous_ms = session["page_url"], screen, now
        now += rng.randint(2_000, 20_000)
        if rng.random() < 0.15:
            term = rng.choice(p.SEARCH_TERMS)
            emit("_search", {"_search_key": "q", "_search_term": term})
            now += rng.randint(1_000, 5_000)
        if rng.random() < 0.45:
            product = rng.choice(p.PRODUCTS)
            item = {"id": product.item_id, "name": product.name, "category": product.category,
                    "brand": product.brand, "price": product.price, "currency": "USD", "quantity": 1}  # fmt: skip
            emit("view_item", {"currency": "USD", "value": product.price}, [item])
            now += rng.randint(3_000, 40_000)
            if rng.random() < 0.3:
                emit("add_to_cart", {"currency": "USD", "value": product.price}, [item])
                now += rng.randint(2_000, 30_000)
                if rng.random() < 0.5:
                    emit("begin_checkout", {"currency": "USD", "value": product.price}, [item])
                    now += rng.randint(10_000, 90_000)
                    if rng.random() < 0.6:
                        emit("purchase", {"currency": "USD", "value": product.price,
                                          "transaction_id": f"T{rng.getrandbits(40):010x}"}, [item])  # fmt: skip
                        now += rng.randint(2_000, 10_000)
        if user.login_session == number and user.user_id is None and view_index == 0:
            user.user_id = f"user-{rng.getrandbits(32):08x}"
            session["login_ms"] = now
            profile = emit("_profile_set")
            profile["user"]["_user_name"] = {
                "value": rng.choice(("alex", "sam", "kim", "lee", "max")),
                "set_timestamp": now,
            }
            profile["user"]["membership_level"] = {
                "value": rng.choice(("basic", "silver", "gold")),
                "set_timestamp": now,
            }
            now += rng.randint(1_000, 5_000)
        if web and rng.random() < 0.4:
            emit("_scroll", {"_engagement_time_msec": now - previous_ms})
        now += rng.randint(5_000, 60_000)
        emit("_user_engagement", {"_engagement_time_msec": now - previous_ms})
        now += rng.randint(500, 3_000)
    if not web:
        emit("_app_end")
    return events


def _requests(user: _User, events: list[dict[str, Any]], duplicate_rate: float) -> Iterator[SimRequest]:
    """Group a session's events into requests as the SDKs batch them."""
    web = user.platform == "Web"
    batch: list[dict[str, Any]] = []
    for event in events:
        if batch and (
            len(batch) >= (10 if web else 30) or (web and event["timestamp"] - batch[0]["timestamp"] > 5_000)
        ):
            yield from _request(user, batch, duplicate_rate)
            batch = []
        batch.append(event)
    if batch:
        yield from _request(user, batch, duplicate_rate)


def _request(user: _User, events: list[dict[str, Any]], duplicate_rate: float) -> Iterator[SimRequest]:
    user.bundle_sequence += 1
    request = SimRequest(
        user.app_id, user.platform, events, user.platform != "Web", user.user_agent, user.ip, user.bundle_sequence
    )
    yield request
    if user.rng.random() < duplicate_rate:  # the SDK timed out waiting and sent the same batch again
        yield SimRequest(**{**request.__dict__, "duplicate": True})


def iter_requests(spec: SimulationSpec) -> Iterator[SimRequest]:
    """Every request of the simulation, user by user, each user's in time order."""
    end_ms = int(spec.end.timestamp() * 1000)
    start_ms = end_ms - spec.days * DAY_MS
    for index in range(spec.users):
        user = _User(spec, index)
        session_start = start_ms + int(user.rng.random() * (end_ms - start_ms - 3_600_000))
        user.first_touch_ms = session_start
        for number in range(1, 9):
            events = _session(user, number, session_start)
            if events[-1]["timestamp"] >= end_ms:
                break
            yield from _requests(user, events, spec.duplicate_rate)
            if user.rng.random() < 0.45:
                break
            session_start = events[-1]["timestamp"] + 1_800_000 + int(user.rng.expovariate(1 / (1.2 * DAY_MS)))
            if session_start >= end_ms - 3_600_000:
                break
