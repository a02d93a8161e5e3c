"""Traffic-source classification: the original's rule engine (seed-system section 3.4).

Order of evidence for one event:

1. what the SDK sent: ``_traffic_source_*`` attributes, else ``_utm_*`` and ``_gclid``. When the SDK
   named a source but not its category or channel group, only those two are derived by the rules.
2. otherwise the URLs: UTM parameters and click ids of the page URL, else of the latest referrer,
   else of the page referrer; ``gclid`` means source ``Google``, any other ``*clid`` parameter names
   the source itself, both with medium ``(CPC)``;
3. the referrer: the latest referrer unless it is the page's own host (internal), else the page
   referrer unless internal. Its host gives source, category and search term through the category
   rules (then the source name does, for UTM sources);
4. the inferred medium when none was tagged: ``(CPC)`` with a click id, ``(Organic)`` for Search,
   ``(Referral)`` for Social/Video/Shopping/Referral or any external referrer, ``None`` otherwise;
5. the channel group: the first matching channel rule (which sees the medium as tagged, before step 4),
   else ``Unassigned``;
6. no source at all: source, category and channel ``Direct`` (channel ``Internal`` when the visitor
   came from the site itself), campaign ``Direct``.

Rule tables are the original's defaults (``etl/enrich/rules/``), or per app
``<rules_dir>/<app_id>/traffic_source_category_rule_v1.json`` and ``..._channel_rule_v1.json``.
Results are cached per distinct input, so a cache hit costs one tuple hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from clickstream.etl.enrich.traffic_rules import UNASSIGNED, CategoryRules, ChannelInput, ChannelRules, read_rule_file
from clickstream.etl.enrich.urls import host_of, parse_url

DIRECT = "Direct"
INTERNAL = "Internal"
SEARCH = "Search"
SOCIAL = "Social"
VIDEO = "Video"
SHOPPING = "Shopping"
REFERRAL = "Referral"
MEDIUM_NONE = "None"  # the text "None", as the original wrote it (not NULL)
GCLID = "gclid"
GOOGLE = "Google"
CPC = "(CPC)"
ORGANIC = "(Organic)"
INFERRED_REFERRAL = "(Referral)"

CATEGORY_RULE_FILE = "traffic_source_category_rule_v1.json"
CHANNEL_RULE_FILE = "traffic_source_channel_rule_v1.json"
DEFAULT_CATEGORY_RULES = "traffic_source_category_rule_v0.json"
DEFAULT_CHANNEL_RULES = "traffic_source_channel_rule_v0.json"
DEFAULT_CACHE_SIZE = 50_000
_SAFE_APP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class TrafficSourceInput(NamedTuple):
    """Everything classification reads from one event (an immutable, hashable cache key).

    Field names are the SDK attribute names without their leading underscore; ``page_hostname`` is the
    event's host name (``host_name``), used as the site's host when the page URL gives none.
    """

    page_url: str | None = None
    page_referrer: str | None = None
    latest_referrer: str | None = None
    latest_referrer_host: str | None = None
    traffic_source_source: str | None = None
    traffic_source_medium: str | None = None
    traffic_source_campaign: str | None = None
    traffic_source_content: str | None = None
    traffic_source_term: str | None = None
    traffic_source_campaign_id: str | None = None
    traffic_source_clid_platform: str | None = None
    traffic_source_clid: str | None = None
    traffic_source_channel_group: str | None = None
    traffic_source_category: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    utm_id: str | None = None
    utm_source_platform: str | None = None
    gclid: str | None = None
    page_hostname: str | None = None

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any], page_hostname: str | None = None) -> TrafficSourceInput:
        """The input from an event's ``attributes`` object (``_page_url``, ``_utm_source``, ...)."""
        values = list(map(attributes.get, _ATTRIBUTE_KEYS))  # C-level loop: this runs once per event
        values.append(page_hostname)
        if not _TEXT_TYPES.issuperset(map(type, values)):
            values = [_text(value) for value in values]
        return cls._make(values)


_ATTRIBUTE_KEYS = tuple("_" + name for name in TrafficSourceInput._fields[:-1])


_TEXT_TYPES = frozenset({str, type(None)})


def _text(value: Any) -> str | None:
    """Attribute values as the original's typed reader saw them: text, numbers as text, else nothing."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


class TrafficSource(NamedTuple):
    """The ``traffic_source_*`` columns of one event."""

    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    term: str | None = None
    campaign_id: str | None = None
    clid_platform: str | None = None
    clid: str | None = None  # JSON text {"type": ..., "value": ...}
    channel_group: str | None = None
    category: str | None = None


def clid_json(kind: str, value: str | None) -> str:
    return orjson.dumps({"type": kind, "value": value}).decode()


def sdk_traffic_source(facts: TrafficSourceInput) -> TrafficSource:
    """Only what the SDK sent (``_traffic_source_*`` over ``_utm_*``/``_gclid``), with no rules applied."""
    clid = facts.traffic_source_clid
    if clid is None and facts.gclid is not None:
        clid = clid_json(GCLID, facts.gclid)
    return TrafficSource(
        source=_first(facts.traffic_source_source, facts.utm_source),
        medium=_first(facts.traffic_source_medium, facts.utm_medium),
        campaign=_first(facts.traffic_source_campaign, facts.utm_campaign),
        content=_first(facts.traffic_source_content, facts.utm_content),
        term=_first(facts.traffic_source_term, facts.utm_term),
        campaign_id=_first(facts.traffic_source_campaign_id, facts.utm_id),
        clid_platform=_first(facts.traffic_source_clid_platform, facts.utm_source_platform),
        clid=clid,
        channel_group=facts.traffic_source_channel_group,
        category=facts.traffic_source_category,
    )


def _first(preferred: str | None, fallback: str | None) -> str | None:
    return preferred if preferred is not None else fallback


@dataclass(slots=True)
class _Utm:
    """The campaign fields while they are being worked out."""

    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    term: str | None = None
    campaign_id: str | None = None
    clid_platform: str | None = None
    clid: str | None = None

    def normalized(self) -> _Utm:
        """Empty values dropped; ``Direct`` as source/medium/campaign and ``{}`` as click id mean nothing."""
        return _Utm(
            source=_meaningful(self.source),
            medium=_meaningful(self.medium),
            campaign=_meaningful(self.campaign),
            content=self.content or None,
            term=self.term or None,
            campaign_id=self.campaign_id or None,
            clid_platform=self.clid_platform or None,
            clid=None if not self.clid or self.clid == "{}" else self.clid,
        )


def _meaningful(value: str | None) -> str | None:
    return None if not value or value.lower() == "direct" else value


def utm_from_url(url: str | None) -> _Utm:
    """Campaign fields from a URL's ``utm_*`` parameters and click ids (shared: do not modify the result)."""
    if not url:
        return _NO_UTM
    return _utm_from_url(url)


@lru_cache(maxsize=50_000)
def _utm_from_url(url: str) -> _Utm:
    parsed = parse_url(url)
    if parsed is None:
        return _Utm()
    params = parsed.params

    def first(name: str) -> str | None:
        values = params.get(name)
        return values[0] if values else None  # only the first value counts, and "" counts as missing

    utm = _Utm(
        source=first("utm_source"),
        medium=first("utm_medium"),
        campaign=first("utm_campaign"),
        content=first("utm_content"),
        term=first("utm_term"),
        campaign_id=first("utm_id"),
        clid_platform=first("utm_source_platform"),
    )
    gclid = first(GCLID)
    if gclid is not None:
        kind: str | None = GCLID
        utm.clid = clid_json(GCLID, gclid)
    else:
        kind = next((name for name in params if name.endswith("clid")), None)
        if kind is not None:
            utm.clid = clid_json(kind, first(kind))
    if utm.source is None and kind is not None:
        utm.source = GOOGLE if kind == GCLID else kind
        if not utm.medium:
            utm.medium = CPC
    return utm


_NO_UTM = _Utm()


@dataclass(slots=True)
class _Result:
    utm: _Utm
    category: str | None
    channel: str | None


class RuleSet:
    """One pair of compiled rule tables and the classifications made with them (cached)."""

    def __init__(self, categories: CategoryRules, channels: ChannelRules, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.categories = categories
        self.channels = channels
        self._cached = lru_cache(maxsize=cache_size)(self._classify)

    def classify(self, facts: TrafficSourceInput) -> TrafficSource:
        return self._cached(facts)

    def cache_info(self) -> str:
        return str(self._cached.cache_info())

    def _classify(self, facts: TrafficSourceInput) -> TrafficSource:
        sent = sdk_traffic_source(facts)
        if sent.source is None:
            utm = utm_from_url(facts.page_url)
            return self._with_referrers(utm, facts)
        if sent.source and (sent.category is None or sent.channel_group is None):
            utm = _Utm(*sent[:8])
            derived = self._with_referrers(utm, facts)
            # What the SDK named wins (the original overwrote a sent category when only the channel was missing).
            return sent._replace(
                category=_first(sent.category, derived.category),
                channel_group=_first(sent.channel_group, derived.channel_group),
            )
        return sent

    def _with_referrers(self, utm: _Utm, facts: TrafficSourceInput) -> TrafficSource:
        page_host = host_of(facts.page_url) or (facts.page_hostname.lower() if facts.page_hostname else None)
        page_referrer = facts.page_referrer
        latest_referrer = facts.latest_referrer
        latest_host = facts.latest_referrer_host or host_of(latest_referrer)
        utm = utm.normalized()
        if utm.source is None:
            utm = utm_from_url(latest_referrer)
        if utm.source is None:
            utm = utm_from_url(page_referrer)
        referrer_host = host_of(page_referrer)
        internal_referrer = _same_host(page_host, referrer_host)
        internal_latest = _same_host(page_host, latest_host)
        if latest_referrer and not internal_latest:
            result = self._categorize(utm, latest_referrer, latest_host)
        elif page_referrer and not internal_referrer:
            result = self._categorize(utm, page_referrer, referrer_host)
        else:
            result = self._categorize(utm, None, None)
        # "Came from the site itself" is judged on the referrer the browser reported last.
        from_internal = internal_latest if latest_referrer else bool(page_referrer) and internal_referrer
        return _finish(result, has_referrer=bool(page_referrer or latest_referrer), from_internal=from_internal)

    def _categorize(self, utm_in: _Utm, referrer: str | None, referrer_host: str | None) -> _Result:
        utm = utm_in.normalized()
        match = self.categories.evaluate(referrer)
        category = match.category
        if utm.source is None:
            utm.source = match.source
        if utm.term is None:
            utm.term = match.terms
        if utm.source is not None and category in (None, UNASSIGNED):
            category = self.categories.category_of_source(utm.source)
        # Channel rules see the medium as tagged: an inferred "(Organic)" must not stop an untagged search
        # visit from being Organic Search ("medium is blank or organic", as the original documents it).
        channel = self.channels.evaluate(
            ChannelInput(
                None if category == UNASSIGNED else category,
                utm.source,
                utm.medium,
                utm.campaign,
                utm.content,
                utm.term,
                utm.campaign_id,
                utm.clid_platform,
                utm.clid,
                referrer,
                referrer_host,
            )
        )
        utm.medium = _medium_by_category(utm, category)
        if utm.source is None:
            if referrer:
                utm.source = referrer_host
            else:
                utm.campaign = DIRECT
        return _Result(utm, category, channel)


def _same_host(page_host: str | None, other: str | None) -> bool:
    return page_host is not None and other is not None and page_host.lower() == other.lower()


def _medium_by_category(utm: _Utm, category: str | None) -> str | None:
    if utm.medium or category is None:
        return utm.medium
    if utm.clid:
        return CPC
    if category == SEARCH:
        return ORGANIC
    if category in (SOCIAL, VIDEO, SHOPPING, REFERRAL):
        return INFERRED_REFERRAL
    return utm.medium


def _finish(result: _Result, has_referrer: bool, from_internal: bool) -> TrafficSource:
    utm, category, channel = result.utm, result.category, result.channel
    if utm.source is not None:
        category = category or UNASSIGNED
        channel = channel or UNASSIGNED
    else:
        utm = replace(utm, source=DIRECT)
        category = DIRECT
        channel = INTERNAL if from_internal else DIRECT
    if utm.medium is None:
        utm = replace(utm, medium=INFERRED_REFERRAL if has_referrer and not from_internal else MEDIUM_NONE)
    return TrafficSource(
        utm.source,
        utm.medium,
        utm.campaign,
        utm.content,
        utm.term,
        utm.campaign_id,
        utm.clid_platform,
        utm.clid,
        channel,
        category,
    )


def default_rule_set(cache_size: int = DEFAULT_CACHE_SIZE) -> RuleSet:
    """The original's default tables, shipped as package data."""
    return RuleSet(_default_categories(), _default_channels(), cache_size)


@lru_cache(maxsize=1)
def _default_categories() -> CategoryRules:
    resource = resources.files("clickstream.etl.enrich") / "rules" / DEFAULT_CATEGORY_RULES
    return CategoryRules.from_json(orjson.loads(resource.read_bytes()), f"etl/enrich/rules/{DEFAULT_CATEGORY_RULES}")


@lru_cache(maxsize=1)
def _default_channels() -> ChannelRules:
    resource = resources.files("clickstream.etl.enrich") / "rules" / DEFAULT_CHANNEL_RULES
    return ChannelRules.from_json(orjson.loads(resource.read_bytes()), f"etl/enrich/rules/{DEFAULT_CHANNEL_RULES}")


class TrafficSourceClassifier:
    """Classifies events with the default rules or, per app, the files under ``rules_dir/<app_id>/``.

    An app's category and channel files override the defaults independently. Each app's rules are
    loaded (and validated) the first time the app is seen; :meth:`preload` does it up front.
    """

    def __init__(self, rules_dir: Path | None = None, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.rules_dir = rules_dir
        self._cache_size = cache_size
        self.default = default_rule_set(cache_size)
        self._by_app: dict[str | None, RuleSet] = {None: self.default}

    def classify(self, facts: TrafficSourceInput, app_id: str | None = None) -> TrafficSource:
        rules = self._by_app.get(app_id)
        if rules is None:
            rules = self.rules_for(app_id)
        return rules.classify(facts)

    def preload(self, app_ids: list[str]) -> None:
        for app_id in app_ids:
            self.rules_for(app_id)

    def rules_for(self, app_id: str | None) -> RuleSet:
        """The rule set of ``app_id`` (loaded once); the default when the app has no files of its own."""
        known = self._by_app.get(app_id)
        if known is not None:
            return known
        rules = self._load_app(app_id)
        self._by_app[app_id] = rules
        return rules

    def _load_app(self, app_id: str | None) -> RuleSet:
        if self.rules_dir is None or app_id is None or not _SAFE_APP_ID.match(app_id):
            return self.default
        folder = self.rules_dir / app_id
        category_file, channel_file = folder / CATEGORY_RULE_FILE, folder / CHANNEL_RULE_FILE
        if not category_file.is_file() and not channel_file.is_file():
            return self.default
        categories = (
            CategoryRules.from_json(read_rule_file(category_file), str(category_file))
            if category_file.is_file()
            else self.default.categories
        )
        channels = (
            ChannelRules.from_json(read_rule_file(channel_file), str(channel_file))
            if channel_file.is_file()
            else self.default.channels
        )
        return RuleSet(categories, channels, self._cache_size)
