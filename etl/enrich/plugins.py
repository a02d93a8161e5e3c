"""The built-in enrichers as plugins of the chain (entry points ``user_agent``, ``geo_ip``, ``traffic_source``).

Each works on a chunk of ``event_v2`` rows: it reads the transient columns the transform added, decides
once per distinct input (user agents, addresses and referrer combinations repeat a lot within a chunk),
and writes its columns back with ``take``. ``EtlJob.from_config`` puts them first in the chain when
``etl.enrichment`` turns them on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from clickstream.contract import STRING_MAP, RejectReason
from clickstream.etl.arrow_rows import map_column
from clickstream.etl.enrich.geo import GeoResolver
from clickstream.etl.enrich.traffic_source import TrafficSource, TrafficSourceClassifier, TrafficSourceInput
from clickstream.etl.enrich.user_agent import UserAgentParser
from clickstream.etl.plugins import mark_rejected, with_column

_STRING = pa.string()


def _distinct(column: pa.ChunkedArray) -> tuple[list[Any], pa.Array]:
    """(distinct values, index of each row's value): work per distinct value, then ``take``."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    return encoded.dictionary.to_pylist(), encoded.indices


def _spread(values: list[Any], indices: pa.Array, arrow_type: pa.DataType = _STRING) -> pa.Array:
    return pc.take(pa.array(values, arrow_type), indices)


def _set_fields(
    events: pa.Table, columns: Sequence[tuple[str, str]], found: Sequence[Any], indices: pa.Array
) -> pa.Table:
    """Set each ``(column, field)``: the field of the result found for each row's distinct input."""
    for column, field in columns:
        events = with_column(events, column, _spread([getattr(item, field) for item in found], indices))
    return events


_USER_AGENT_COLUMNS = (
    ("device_ua_browser", "browser"),
    ("device_ua_browser_version", "browser_version"),
    ("device_ua_os", "os"),
    ("device_ua_os_version", "os_version"),
    ("device_ua_device", "device"),
    ("device_ua_device_category", "device_category"),
)
_GEO_COLUMNS = (
    ("geo_continent", "continent"),
    ("geo_sub_continent", "sub_continent"),
    ("geo_country", "country"),
    ("geo_region", "region"),
    ("geo_metro", "metro"),
    ("geo_city", "city"),
)


class UserAgentEnricher:
    """``device_ua_*`` and the ``device_ua`` map from the request's User-Agent; bots rejected or kept."""

    name = "user_agent"

    def __init__(self, bots: str = "reject") -> None:
        if bots not in ("reject", "flag"):
            raise TypeError("bots must be 'reject' or 'flag'")
        self.reject_bots = bots == "reject"
        self.parser = UserAgentParser()

    def process(self, events: pa.Table) -> pa.Table:
        agents, indices = _distinct(events.column("_ua"))
        parsed = [self.parser.parse(agent) for agent in agents]
        events = _set_fields(events, _USER_AGENT_COLUMNS, parsed, indices)
        device_ua = map_column([info.as_map() for info in parsed], STRING_MAP)
        events = with_column(events, "device_ua", pc.take(device_ua, indices))
        if self.reject_bots and any(info.is_bot for info in parsed):
            bot = _spread([info.is_bot for info in parsed], indices, pa.bool_())
            events = mark_rejected(events, pc.fill_null(bot, False), RejectReason.BOT, "the user agent is a bot's")
        return events


class GeoEnricher:
    """``geo_*`` from the client IP (the first address of the list), before any IP protection."""

    name = "geo_ip"

    def __init__(self, database: str | None = None) -> None:
        self.resolver = GeoResolver(Path(database) if database else None)

    def process(self, events: pa.Table) -> pa.Table:
        addresses, indices = _distinct(events.column("_ip"))
        return _set_fields(events, _GEO_COLUMNS, [self.resolver.lookup(address) for address in addresses], indices)


_TRAFFIC_READ = (
    "app_id", "page_view_page_url", "page_view_page_referrer", "page_view_latest_referrer",
    "page_view_latest_referrer_host", "page_view_hostname", "_traffic_attributes",
)  # fmt: skip
_TRAFFIC_WRITE = tuple(f"traffic_source_{field}" for field in TrafficSource._fields)


def _page_key(url: str | None) -> str | None:
    """What of a page URL classification depends on: scheme and host (internal referrers) and query (UTM
    parameters, click ids), not the path or fragment. Pages differ mostly by path, so keying on this lets
    one classification serve every page of a visit."""
    if not url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    rest = rest.split("#", 1)[0]
    query = rest.split("?", 1)[1] if "?" in rest else ""
    authority = rest.split("?", 1)[0].split("/", 1)[0]
    return f"{scheme}://{authority}?{query}"


# What classification reads besides the page URL's key (the app, the referrers, the host, the attributes).
_TRAFFIC_GROUP = tuple(name for name in _TRAFFIC_READ if name != "page_view_page_url")


def _page_key_codes(events: pa.Table) -> pa.Array:
    """Each row's page URL key (:func:`_page_key`) as a number, computed once per distinct URL."""
    urls = pc.dictionary_encode(events.column("page_view_page_url"), null_encoding="encode").combine_chunks()
    numbers: dict[str | None, int] = {}
    per_url = [numbers.setdefault(_page_key(url), len(numbers)) for url in urls.dictionary.to_pylist()]
    return pc.take(pa.array(per_url, pa.int64()), urls.indices)


def _group_codes(columns: Sequence[pa.ChunkedArray], codes: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(group number of each row, first row of each group in group order) for rows grouped on ``codes`` and
    the values of ``columns`` (null is a value of its own). Groups are numbered in order of first appearance."""
    for column in columns:
        encoded = pc.dictionary_encode(column, null_encoding="encode").combine_chunks()
        combined = pc.add(pc.multiply(codes, len(encoded.dictionary)), pc.cast(encoded.indices, pa.int64()))
        codes = pc.cast(pc.dictionary_encode(combined).indices, pa.int64())  # renumbered: stays below the rows
    groups = pc.dictionary_encode(codes)
    group_of_row = groups.indices
    order = pc.sort_indices(group_of_row)  # stable: each group's first row comes first
    ordered = pc.take(group_of_row, order)
    count = len(ordered)
    starts = pa.concat_arrays([_TRUE, pc.not_equal(ordered.slice(0, count - 1), ordered.slice(1))])
    return group_of_row, pc.filter(order, starts)


_TRUE = pa.array([True])


class TrafficSourceEnricher:
    """``traffic_source_*`` by the original's rule engine, per app rules, once per distinct input."""

    name = "traffic_source"

    def __init__(self, rules_dir: str | None = None, app_ids: Sequence[str] = ()) -> None:
        self.classifier = TrafficSourceClassifier(Path(rules_dir) if rules_dir else None)
        self.classifier.preload(list(app_ids))

    def process(self, events: pa.Table) -> pa.Table:
        if events.num_rows == 0:
            return events
        # Rows are grouped by what classification reads, the page URL only by the parts it reads (its key),
        # all in Arrow; each group is classified once, from its first row, and the result spread with take.
        codes, first_rows = _group_codes([events.column(name) for name in _TRAFFIC_GROUP], _page_key_codes(events))
        firsts = [pc.take(events.column(name), first_rows).to_pylist() for name in _TRAFFIC_READ]
        results = [self._classify(key) for key in zip(*firsts, strict=True)]
        for column, values in zip(_TRAFFIC_WRITE, zip(*results, strict=True), strict=True):
            events = with_column(events, column, _spread(list(values), codes))
        return events

    def _classify(self, key: tuple[Any, ...]) -> TrafficSource:
        app_id, page_url, page_referrer, latest_referrer, latest_host, hostname, attributes_json = key
        attributes: dict[str, Any] = orjson.loads(attributes_json) if attributes_json else {}
        attributes.update(
            _page_url=page_url,
            _page_referrer=page_referrer,
            _latest_referrer=latest_referrer,
            _latest_referrer_host=latest_host,
        )
        return self.classifier.classify(TrafficSourceInput.from_attributes(attributes, hostname), app_id)
