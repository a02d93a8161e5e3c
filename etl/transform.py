"""One SDK event and its raw record -> the values of an ``event_v2`` row and its ``item_v2`` rows.

Reference sections 2 and 3.3. Pure functions of their inputs, shared by the local and Spark runners.
For speed an event becomes a tuple in :data:`EVENT_COLUMNS` order holding values as the SDK sent them;
:mod:`etl.arrow_rows` turns many such tuples into Arrow columns, coercing types column by column.
Enrichment (user agent, geo IP, traffic-source classification) runs afterwards on Arrow batches, reading
the transient columns (names starting with ``_``) that the transform adds for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

from clickstream.contract import RejectReason
from etl.decode import RejectedInput
from etl.enrich.privacy import IpPrivacy, protect_ip
from etl.values import MAX_TIME_MSEC, integer, iso_msec, text, value_type

# Top-level keys the SDKs send that map to columns (aliases included); every other key becomes a
# custom parameter.
_TOP_LEVEL_KNOWN = frozenset(
    {
        "event_type", "event_name", "event_id", "app_id", "timestamp", "unique_id", "user_pseudo_id",
        "device_id", "device_unique_id", "advertising_id", "platform", "os_version", "make", "brand",
        "model", "carrier", "network_type", "screen_height", "screen_width", "viewport_height",
        "viewport_width", "zone_offset", "locale", "system_language", "sdk_version", "sdk_name",
        "app_version", "app_package_name", "app_title", "host_name", "event_value", "event_value_in_usd",
        "event_value_currency", "currency", "event_previous_timestamp", "user", "items", "attributes",
    }
)  # fmt: skip

# Attributes the traffic-source classifier reads besides the page and referrer URLs (section 3.4).
TRAFFIC_ATTRIBUTES = frozenset(
    {
        "_traffic_source_source", "_traffic_source_medium", "_traffic_source_campaign",
        "_traffic_source_campaign_id", "_traffic_source_term", "_traffic_source_content",
        "_traffic_source_clid", "_traffic_source_clid_platform", "_traffic_source_channel_group",
        "_traffic_source_category", "_utm_id", "_utm_source", "_utm_medium", "_utm_content", "_utm_term",
        "_utm_campaign", "_utm_source_platform", "_gclid",
    }
)  # fmt: skip

# Reserved attribute names consumed into columns (section 2.5).
_ATTRIBUTES_KNOWN = TRAFFIC_ATTRIBUTES | frozenset(
    {
        "_session_id", "_session_start_timestamp", "_session_start_time_msec", "_session_duration",
        "_session_number", "_page_url", "_page_title", "_page_referrer", "_page_referrer_title",
        "_latest_referrer", "_latest_referrer_host", "_entrances", "_previous_timestamp",
        "_engagement_time_msec", "_screen_name", "_screen_id", "_screen_unique_id", "_previous_screen_name",
        "_previous_screen_id", "_previous_screen_unique_id", "_link_classes", "_link_domain", "_link_id",
        "_link_url", "_outbound", "_search_key", "_search_term", "_is_first_time", "_previous_app_version",
        "_previous_os_version", "_exception_message", "_exception_stack", "_app_install_channel",
        "_app_install_source", "_install_channel", "_error_code", "_error_message", "_value", "_currency",
    }
)  # fmt: skip

_ITEM_KNOWN = {
    "id": "item_id", "item_id": "item_id", "name": "name", "item_name": "name", "brand": "brand",
    "currency": "currency", "price": "price", "quantity": "quantity", "creative_name": "creative_name",
    "creative_slot": "creative_slot", "location_id": "location_id", "category": "category",
    "category2": "category2", "category3": "category3", "category4": "category4", "category5": "category5",
}  # fmt: skip

_OS_PLATFORMS = frozenset({"android", "ios", "wechatmp"})

# Time shift (section 3.3 step 2): a gap between upload and ingest larger than this is a wrong device clock.
TIME_SHIFT_THRESHOLD_MSEC = 10 * 60 * 1000
# Events the freshness limit never drops: they carry first-touch and profile state.
FRESHNESS_EXEMPT = frozenset({"_first_open", "_first_visit", "_profile_set"})


@dataclass(frozen=True)
class TransformSettings:
    """What the transform needs beyond the data; the same for every worker of one run."""

    project_id: str
    app_ids: frozenset[str]
    process_time: datetime
    job_id: str = "local"
    time_shift: bool = False
    freshness_hours: float | None = 72.0
    truncate_strings: bool = True
    ip_privacy: IpPrivacy = "none"  # none, truncate or hash: applied to source_ip before it is written
    ip_hash_salt: str = ""

    @cached_property
    def freshness_msec(self) -> int | None:
        return None if self.freshness_hours is None else int(self.freshness_hours * 3_600_000)

    @cached_property
    def process_time_msec(self) -> int:
        return int(self.process_time.timestamp() * 1000)

    @cached_property
    def job_info(self) -> dict[str, str]:
        """The ``process_info`` of rows not tied to one request (items and users)."""
        return {"process_job_id": self.job_id, "process_time": iso_msec(self.process_time_msec) or ""}


class RecordContext:
    """What the ETL knows of the raw record an event came in, shared by all its events.

    A plain slotted class: one is made per request, so its construction is on the hot path.
    """

    __slots__ = (
        "app_id",
        "bundle_sequence_id",
        "ingest_time_msec",
        "ip",
        "process_info",
        "rid",
        "ua",
        "upload_time_msec",
    )  # fmt: skip

    def __init__(self, record: Mapping[str, Any], source_file: str, settings: TransformSettings) -> None:
        get = record.get
        uri = get("uri")
        uri = uri if uri.__class__ is str else text(uri)
        upload = integer(get("client_timestamp")) or integer(get("upload_timestamp"))
        if upload is None and uri:
            upload = integer(_uri_param(uri, "upload_timestamp"))
        ingest = integer(get("ingest_time"))
        rid, ip, ua = text(get("rid")), text(get("ip")), text(get("ua"))
        source_ip = ip if settings.ip_privacy == "none" else protect_ip(ip, settings.ip_privacy, settings.ip_hash_salt)
        self.app_id = text(get("appId"))
        self.rid, self.ip, self.ua = rid, ip, ua
        self.ingest_time_msec, self.upload_time_msec = ingest, upload
        self.bundle_sequence_id = integer(_uri_param(uri, "event_bundle_sequence_id")) if uri else None
        info = {
            "rid": rid,
            "ingest_time": iso_msec(ingest),
            "input_file_name": source_file,
            "source_ip": source_ip,
            "upload_time": iso_msec(upload),
            **settings.job_info,
        }
        self.process_info: dict[str, str] = {key: value for key, value in info.items() if value is not None}


def _uri_param(uri: str, name: str) -> str | None:
    """One query parameter of the request URI, URL-decoded (cheaper than parsing the whole query)."""
    start = uri.find(f"{name}=")
    while start > 0 and uri[start - 1] not in "?&":
        start = uri.find(f"{name}=", start + 1)
    if start < 0:
        return None
    start += len(name) + 1
    end = uri.find("&", start)
    return unquote(uri[start:] if end < 0 else uri[start:end])


@lru_cache(maxsize=16384)
def parse_page_url(url: str) -> tuple[str | None, str | None, dict[str, str] | None]:
    """(URL-decoded path, host name, query parameters) of a page URL; cached, as pages repeat."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return None, None, None
    query = dict(parse_qsl(parts.query, keep_blank_values=True)) if parts.query else None
    return unquote(parts.path), hostname, query


@lru_cache(maxsize=16384)
def url_host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _missing(name: str) -> RejectedInput:
    return RejectedInput(RejectReason.MISSING_REQUIRED_FIELD, f"event has no {name}")


def _user_value(user: Mapping[str, Any], name: str) -> Any:
    entry = user.get(name)
    return entry.get("value") if isinstance(entry, dict) else entry


@dataclass(frozen=True)
class TimeCheck:
    """The event time after the freshness and time-shift rules, and what ``process_info`` records of it."""

    event_time_msec: int
    shift_msec: int
    process_info: dict[str, str]


def check_time(
    timestamp: int, event_name: str, context: RecordContext, settings: TransformSettings
) -> TimeCheck | None:
    """Apply the original's freshness filter and time-shift rule (section 3.3) to one event time.

    An event is in the future when its time is after the processing time. The shift (ingest minus
    upload time, when they differ by more than 10 minutes) applies with ``time_shift`` on, or to a
    future event; an event still in the future after it takes the ingest time. Raises ``stale_event``
    when the event reached the server later than the freshness limit (first-open, first-visit and
    profile events excepted) and ``future_event`` for a future event with no upload time to correct it.
    Returns None when the time stands as sent.
    """
    ingest, upload = context.ingest_time_msec, context.upload_time_msec
    freshness = settings.freshness_msec
    now = settings.process_time_msec
    if (
        not settings.time_shift
        and timestamp <= now
        and (freshness is None or ingest is None or ingest - timestamp <= freshness)
    ):
        return None  # the common case, decided at once
    if (
        freshness is not None
        and ingest is not None
        and ingest - timestamp > freshness
        and event_name not in FRESHNESS_EXEMPT
    ):
        raise RejectedInput(
            RejectReason.STALE_EVENT,
            f"event time {timestamp} is {(ingest - timestamp) / 3_600_000:.1f} h before its arrival {ingest}; "
            f"the limit is etl.freshness_hours={settings.freshness_hours:g}",
        )
    is_future = timestamp > now
    if not (settings.time_shift or is_future):
        return None
    if ingest is None or upload is None:
        if is_future:
            raise RejectedInput(
                RejectReason.FUTURE_EVENT,
                f"event time {timestamp} is after the processing time {now} and the request has no "
                "ingest and upload time to correct the device clock",
            )
        return None
    shift = ingest - upload if abs(ingest - upload) > TIME_SHIFT_THRESHOLD_MSEC else 0
    adjusted = timestamp + shift
    reason = (
        f"ingestTimestamp is {ingest - upload} millis ahead of uploadTimestamp, isFutureEvent: {str(is_future).lower()}"
    )
    if adjusted > now:
        adjusted = ingest
        reason += "; still in the future, set to ingestTimestamp"
    if adjusted == timestamp:
        return None
    info = {
        "event_timestamp_adjusted": "true",
        "event_timestamp_adjusted_from": str(timestamp),
        "event_timestamp_adjusted_to": str(adjusted),
        "event_timestamp_adjusted_reason": reason,
    }
    return TimeCheck(adjusted, adjusted - timestamp, info)


# Columns of ``event_v2`` the transform fills, in the order of the tuple :func:`transform_event` returns,
# followed by the transient columns enrichment reads (dropped before writing).
EVENT_COLUMNS: tuple[str, ...] = (
    "event_timestamp", "event_id", "event_time_msec", "event_name", "event_value", "event_value_currency",
    "event_bundle_sequence_id", "ingest_time_msec", "device_mobile_brand_name", "device_mobile_model_name",
    "device_manufacturer", "device_carrier", "device_network_type", "device_operating_system",
    "device_operating_system_version", "device_vendor_id", "device_advertising_id", "device_system_language",
    "device_time_zone_offset_seconds", "device_ua", "device_screen_width", "device_screen_height",
    "device_viewport_width", "device_viewport_height", "geo_locale", "traffic_source_source",
    "traffic_source_medium", "traffic_source_campaign", "traffic_source_content", "traffic_source_term",
    "traffic_source_campaign_id", "traffic_source_clid_platform", "traffic_source_clid",
    "traffic_source_channel_group", "traffic_source_category", "user_first_touch_time_msec", "app_package_id",
    "app_version", "app_title", "app_install_source", "platform", "project_id", "app_id",
    "screen_view_screen_name", "screen_view_screen_id", "screen_view_screen_unique_id",
    "screen_view_previous_screen_name", "screen_view_previous_screen_id", "screen_view_previous_screen_unique_id",
    "screen_view_previous_time_msec", "screen_view_engagement_time_msec", "screen_view_entrances",
    "page_view_page_referrer", "page_view_page_referrer_title", "page_view_previous_time_msec",
    "page_view_engagement_time_msec", "page_view_page_title", "page_view_page_url", "page_view_page_url_path",
    "page_view_page_url_query_parameters", "page_view_hostname", "page_view_latest_referrer",
    "page_view_latest_referrer_host", "page_view_entrances", "app_start_is_first_time",
    "upgrade_previous_app_version", "upgrade_previous_os_version", "search_key", "search_term",
    "outbound_link_classes", "outbound_link_domain", "outbound_link_id", "outbound_link_url", "outbound_link",
    "user_engagement_time_msec", "user_id", "user_pseudo_id", "session_id", "session_start_time_msec",
    "session_duration", "session_number", "scroll_engagement_time_msec", "sdk_error_code", "sdk_error_message",
    "sdk_version", "sdk_name", "app_exception_message", "app_exception_stack", "custom_parameters_json_str",
    "custom_parameters", "process_info",
    # transient: the request's user agent and IP, the traffic attributes and the user object as JSON, and
    # where the event came from (line of the raw file, position in the request), set by the caller
    "_ua", "_ip", "_traffic_attributes", "_user", "_record_index", "_event_index",
)  # fmt: skip


# Where each SDK key lands: top-level keys and attribute names -> a slot of the row list. A slot is a
# column of EVENT_COLUMNS, or a scratch slot after them for values that need a rule (aliases with a
# precedence, attributes that belong to a column only for some event names). Walking the event's own keys
# once and dispatching through these maps is what keeps the per-event cost low; every key not listed is
# a custom parameter.
_COLUMN = {name: index for index, name in enumerate(EVENT_COLUMNS)}
_SCRATCH_NAMES = (
    "event_type", "event_name", "unique_id", "user_pseudo_id", "device_unique_id", "advertising_id",
    "event_value", "event_value_in_usd", "event_value_currency", "currency", "platform", "zone_offset",
    "host_name", "timestamp", "user", "items", "ignored", "_value", "_currency", "_page_url", "_latest_referrer_host",
    "_previous_timestamp", "_engagement_time_msec", "_entrances", "_is_first_time", "_app_install_channel",
    "_app_install_source", "_install_channel", "_session_start_timestamp", "_session_start_time_msec",
    "_utm_source", "_utm_medium", "_utm_campaign", "_utm_content", "_utm_term", "_utm_id", "_utm_source_platform",
)  # fmt: skip
_SCRATCH = {name: len(EVENT_COLUMNS) + offset for offset, name in enumerate(_SCRATCH_NAMES)}
_EVENT_WIDTH = len(EVENT_COLUMNS)
_ROW_WIDTH = _EVENT_WIDTH + len(_SCRATCH_NAMES)
_EMPTY_ROW: list[Any] = [None] * _ROW_WIDTH

_TOP_SLOTS: dict[str, int] = {
    **{key: _SCRATCH[key] for key in (
        "event_type", "event_name", "unique_id", "user_pseudo_id", "device_unique_id", "advertising_id",
        "event_value", "event_value_in_usd", "event_value_currency", "currency", "platform", "zone_offset",
        "host_name", "timestamp", "user", "items")},
    "event_id": _COLUMN["event_id"], "app_id": _COLUMN["app_id"], "device_id": _COLUMN["device_vendor_id"],
    "os_version": _COLUMN["device_operating_system_version"], "make": _COLUMN["device_manufacturer"],
    "brand": _COLUMN["device_mobile_brand_name"], "model": _COLUMN["device_mobile_model_name"],
    "carrier": _COLUMN["device_carrier"], "network_type": _COLUMN["device_network_type"],
    "screen_height": _COLUMN["device_screen_height"], "screen_width": _COLUMN["device_screen_width"],
    "viewport_height": _COLUMN["device_viewport_height"], "viewport_width": _COLUMN["device_viewport_width"],
    "locale": _COLUMN["geo_locale"], "system_language": _COLUMN["device_system_language"],
    "sdk_version": _COLUMN["sdk_version"], "sdk_name": _COLUMN["sdk_name"], "app_version": _COLUMN["app_version"],
    "app_package_name": _COLUMN["app_package_id"], "app_title": _COLUMN["app_title"],
    "event_previous_timestamp": _SCRATCH["ignored"], "attributes": _SCRATCH["ignored"],
}  # fmt: skip
_ATTRIBUTE_SLOTS: dict[str, int] = {
    **{key: _SCRATCH[key] for key in _SCRATCH_NAMES if key.startswith("_")},
    "_session_id": _COLUMN["session_id"], "_session_duration": _COLUMN["session_duration"],
    "_session_number": _COLUMN["session_number"], "_page_title": _COLUMN["page_view_page_title"],
    "_page_referrer": _COLUMN["page_view_page_referrer"],
    "_page_referrer_title": _COLUMN["page_view_page_referrer_title"],
    "_latest_referrer": _COLUMN["page_view_latest_referrer"], "_screen_name": _COLUMN["screen_view_screen_name"],
    "_screen_id": _COLUMN["screen_view_screen_id"], "_screen_unique_id": _COLUMN["screen_view_screen_unique_id"],
    "_previous_screen_name": _COLUMN["screen_view_previous_screen_name"],
    "_previous_screen_id": _COLUMN["screen_view_previous_screen_id"],
    "_previous_screen_unique_id": _COLUMN["screen_view_previous_screen_unique_id"],
    "_link_classes": _COLUMN["outbound_link_classes"], "_link_domain": _COLUMN["outbound_link_domain"],
    "_link_id": _COLUMN["outbound_link_id"], "_link_url": _COLUMN["outbound_link_url"],
    "_outbound": _COLUMN["outbound_link"], "_search_key": _COLUMN["search_key"],
    "_search_term": _COLUMN["search_term"], "_previous_app_version": _COLUMN["upgrade_previous_app_version"],
    "_previous_os_version": _COLUMN["upgrade_previous_os_version"],
    "_exception_message": _COLUMN["app_exception_message"], "_exception_stack": _COLUMN["app_exception_stack"],
    "_error_code": _COLUMN["sdk_error_code"], "_error_message": _COLUMN["sdk_error_message"],
    "_traffic_source_clid": _COLUMN["traffic_source_clid"], "_gclid": _SCRATCH["ignored"],
    **{f"_traffic_source_{part}": _COLUMN[f"traffic_source_{part}"] for part in (
        "source", "medium", "campaign", "content", "term", "campaign_id", "clid_platform", "channel_group",
        "category")},
}  # fmt: skip
# (column, scratch slots in order of precedence) filled from the first scratch slot that holds a value
_PRECEDENCE = tuple(
    (_COLUMN[column], tuple(_SCRATCH[key] for key in keys))
    for column, keys in (
        ("app_install_source", ("_app_install_channel", "_app_install_source", "_install_channel")),
        ("session_start_time_msec", ("_session_start_timestamp", "_session_start_time_msec")),
        ("device_advertising_id", ("device_unique_id", "advertising_id")),
        ("event_value_currency", ("event_value_currency", "currency", "_currency")),
        ("traffic_source_source", ("_utm_source",)), ("traffic_source_medium", ("_utm_medium",)),
        ("traffic_source_campaign", ("_utm_campaign",)), ("traffic_source_content", ("_utm_content",)),
        ("traffic_source_term", ("_utm_term",)), ("traffic_source_campaign_id", ("_utm_id",)),
        ("traffic_source_clid_platform", ("_utm_source_platform",)),
    )
)  # fmt: skip
# Attributes that belong to a column only for one event name: event name -> ((scratch slot, column), ...)
_BY_EVENT_NAME = {
    "_screen_view": (("_previous_timestamp", "screen_view_previous_time_msec"),
                     ("_engagement_time_msec", "screen_view_engagement_time_msec"),
                     ("_entrances", "screen_view_entrances")),
    "_page_view": (("_previous_timestamp", "page_view_previous_time_msec"),
                   ("_engagement_time_msec", "page_view_engagement_time_msec"), ("_entrances", "page_view_entrances")),
    "_app_start": (("_is_first_time", "app_start_is_first_time"),),
    "_user_engagement": (("_engagement_time_msec", "user_engagement_time_msec"),),
    "_scroll": (("_engagement_time_msec", "scroll_engagement_time_msec"),),
}  # fmt: skip
_EVENT_NAME_SLOTS = {
    name: tuple((_SCRATCH[slot], _COLUMN[column]) for slot, column in pairs) for name, pairs in _BY_EVENT_NAME.items()
}


def _first_present(row: list[Any], slots: tuple[int, ...]) -> Any:
    for slot in slots:
        value = row[slot]
        if value is not None and value != "":
            return value
    return None


_NAME_SLOTS = (_SCRATCH["event_type"], _SCRATCH["event_name"])
_PSEUDO_ID_SLOTS = (_SCRATCH["unique_id"], _SCRATCH["user_pseudo_id"])


# Slot numbers the transform uses, as module constants: a global name is cheaper than a dict lookup.
_COL_IP = _COLUMN["_ip"]
_COL_TRAFFIC_ATTRIBUTES = _COLUMN["_traffic_attributes"]
_COL_UA = _COLUMN["_ua"]
_COL_USER = _COLUMN["_user"]
_COL_APP_ID = _COLUMN["app_id"]
_COL_CUSTOM_PARAMETERS = _COLUMN["custom_parameters"]
_COL_CUSTOM_PARAMETERS_JSON_STR = _COLUMN["custom_parameters_json_str"]
_COL_DEVICE_OPERATING_SYSTEM = _COLUMN["device_operating_system"]
_COL_DEVICE_TIME_ZONE_OFFSET_SECONDS = _COLUMN["device_time_zone_offset_seconds"]
_COL_EVENT_BUNDLE_SEQUENCE_ID = _COLUMN["event_bundle_sequence_id"]
_COL_EVENT_ID = _COLUMN["event_id"]
_COL_EVENT_NAME = _COLUMN["event_name"]
_COL_EVENT_TIME_MSEC = _COLUMN["event_time_msec"]
_COL_EVENT_TIMESTAMP = _COLUMN["event_timestamp"]
_COL_EVENT_VALUE = _COLUMN["event_value"]
_COL_EVENT_VALUE_CURRENCY = _COLUMN["event_value_currency"]
_COL_INGEST_TIME_MSEC = _COLUMN["ingest_time_msec"]
_COL_PAGE_VIEW_HOSTNAME = _COLUMN["page_view_hostname"]
_COL_PAGE_VIEW_LATEST_REFERRER = _COLUMN["page_view_latest_referrer"]
_COL_PAGE_VIEW_LATEST_REFERRER_HOST = _COLUMN["page_view_latest_referrer_host"]
_COL_PAGE_VIEW_PAGE_URL = _COLUMN["page_view_page_url"]
_COL_PAGE_VIEW_PAGE_URL_PATH = _COLUMN["page_view_page_url_path"]
_COL_PAGE_VIEW_PAGE_URL_QUERY_PARAMETERS = _COLUMN["page_view_page_url_query_parameters"]
_COL_PLATFORM = _COLUMN["platform"]
_COL_PROCESS_INFO = _COLUMN["process_info"]
_COL_PROJECT_ID = _COLUMN["project_id"]
_COL_SESSION_START_TIME_MSEC = _COLUMN["session_start_time_msec"]
_COL_USER_FIRST_TOUCH_TIME_MSEC = _COLUMN["user_first_touch_time_msec"]
_COL_USER_ID = _COLUMN["user_id"]
_COL_USER_PSEUDO_ID = _COLUMN["user_pseudo_id"]
_SCR_LATEST_REFERRER_HOST = _SCRATCH["_latest_referrer_host"]
_SCR_PAGE_URL = _SCRATCH["_page_url"]
_SCR_VALUE = _SCRATCH["_value"]
_SCR_EVENT_VALUE = _SCRATCH["event_value"]
_SCR_EVENT_VALUE_IN_USD = _SCRATCH["event_value_in_usd"]
_SCR_HOST_NAME = _SCRATCH["host_name"]
_SCR_PLATFORM = _SCRATCH["platform"]
_SCR_TIMESTAMP = _SCRATCH["timestamp"]
_SCR_USER = _SCRATCH["user"]
_SCR_ZONE_OFFSET = _SCRATCH["zone_offset"]


def transform_event(event: Any, context: RecordContext, settings: TransformSettings) -> list[Any]:
    """The ``event_v2`` values of one SDK event (the first ``len(EVENT_COLUMNS)`` items, in that order);
    raises :class:`RejectedInput` for an event that cannot become a row."""
    if event.__class__ is not dict:
        raise RejectedInput(RejectReason.CORRUPT_JSON, f"event is a {type(event).__name__}, not an object")
    row = _EMPTY_ROW.copy()
    custom: dict[str, Any] = {}
    # Each key goes to its slot; keys without one are custom parameters, in the order sent. The two loops
    # are written out (not a helper) because this is the hottest code of the ETL.
    slots = _TOP_SLOTS
    for key, value in event.items():
        slot = slots.get(key)
        if slot is None:
            custom[key] = value
        else:
            row[slot] = value
    attributes = event.get("attributes")
    traffic: str | None = None
    if attributes.__class__ is dict and attributes:
        slots = _ATTRIBUTE_SLOTS
        for key, value in attributes.items():
            slot = slots.get(key)
            if slot is None:
                custom[key] = value
            else:
                row[slot] = value
        traffic_keys = attributes.keys() & TRAFFIC_ATTRIBUTES
        if traffic_keys:
            traffic = orjson.dumps({key: attributes[key] for key in sorted(traffic_keys)}).decode()

    event_id = row[_COL_EVENT_ID]
    if event_id.__class__ is not str or not event_id:
        if event_id is None or event_id == "":
            raise _missing("event_id")
        row[_COL_EVENT_ID] = event_id = text(event_id)
    app_id = row[_COL_APP_ID]
    if app_id.__class__ is not str or not app_id:
        if app_id is None or app_id == "":
            raise _missing("app_id")
        row[_COL_APP_ID] = app_id = text(app_id)
    raw_time = row[_SCR_TIMESTAMP]
    if raw_time is None or raw_time == "":
        raise _missing("timestamp")
    timestamp = raw_time if raw_time.__class__ is int else integer(raw_time)
    if timestamp is None or not 0 <= timestamp <= MAX_TIME_MSEC:
        raise RejectedInput(RejectReason.INVALID_VALUE, f"timestamp {raw_time!r} is not a time in epoch ms")
    event_name = _first_present(row, _NAME_SLOTS)
    if event_name is None:
        raise _missing("event_type")
    if event_name.__class__ is not str:
        event_name = text(event_name) or ""
    user_pseudo_id = _first_present(row, _PSEUDO_ID_SLOTS)
    if user_pseudo_id is None:
        raise _missing("unique_id")
    if app_id not in settings.app_ids:
        raise RejectedInput(RejectReason.UNKNOWN_APP, f"app_id {app_id!r} is not configured")
    checked = check_time(timestamp, event_name, context, settings)
    shift = checked.shift_msec if checked else 0

    row[_COL_EVENT_NAME] = event_name
    row[_COL_USER_PSEUDO_ID] = user_pseudo_id if user_pseudo_id.__class__ is str else text(user_pseudo_id)
    row[_COL_EVENT_TIMESTAMP] = row[_COL_EVENT_TIME_MSEC] = checked.event_time_msec if checked else timestamp
    for column, alternatives in _PRECEDENCE:
        if row[column] is None:
            for slot in alternatives:
                value = row[slot]
                if value is not None and value != "":
                    row[column] = value
                    break
    value = row[_SCR_EVENT_VALUE]
    if value is None:
        value = row[_SCR_EVENT_VALUE_IN_USD]
        if value is None:
            value = row[_SCR_VALUE]
    row[_COL_EVENT_VALUE] = value
    if value is not None and row[_COL_EVENT_VALUE_CURRENCY] is None:
        row[_COL_EVENT_VALUE_CURRENCY] = "USD"
    for slot, column in _EVENT_NAME_SLOTS.get(event_name, ()):
        row[column] = row[slot]
    platform = row[_SCR_PLATFORM]
    platform = (platform if platform.__class__ is str else text(platform)) or "Web"
    row[_COL_PLATFORM] = platform
    if platform.lower() in _OS_PLATFORMS:
        row[_COL_DEVICE_OPERATING_SYSTEM] = platform
    zone_offset = row[_SCR_ZONE_OFFSET]
    if zone_offset is not None:
        zone_offset = integer(zone_offset)
        row[_COL_DEVICE_TIME_ZONE_OFFSET_SECONDS] = zone_offset // 1000 if zone_offset is not None else None
    page_url = row[_SCR_PAGE_URL]
    hostname = None
    if page_url:
        row[_COL_PAGE_VIEW_PAGE_URL] = page_url
        if page_url.__class__ is str:
            row[_COL_PAGE_VIEW_PAGE_URL_PATH], hostname, row[_COL_PAGE_VIEW_PAGE_URL_QUERY_PARAMETERS] = parse_page_url(
                page_url
            )
    row[_COL_PAGE_VIEW_HOSTNAME] = row[_SCR_HOST_NAME] or hostname
    latest_host = row[_SCR_LATEST_REFERRER_HOST]
    latest_referrer = row[_COL_PAGE_VIEW_LATEST_REFERRER]
    if not latest_host and latest_referrer.__class__ is str and latest_referrer:
        latest_host = url_host(latest_referrer)
    row[_COL_PAGE_VIEW_LATEST_REFERRER_HOST] = latest_host
    user = row[_SCR_USER]
    if user.__class__ is dict and user:
        row[_COL_USER_ID] = _user_value(user, "_user_id")
        row[_COL_USER_FIRST_TOUCH_TIME_MSEC] = _user_value(user, "_user_first_touch_timestamp")
        row[_COL_USER] = orjson.dumps(user).decode()
    if shift:
        for column in (_COL_SESSION_START_TIME_MSEC, _COL_USER_FIRST_TOUCH_TIME_MSEC):
            row[column] = _shifted(row[column], shift)
    process_info = context.process_info
    if checked:
        process_info = {**process_info, **checked.process_info}
    row[_COL_PROJECT_ID] = settings.project_id
    row[_COL_EVENT_BUNDLE_SEQUENCE_ID] = context.bundle_sequence_id
    row[_COL_INGEST_TIME_MSEC] = context.ingest_time_msec
    row[_COL_CUSTOM_PARAMETERS_JSON_STR] = orjson.dumps(custom).decode() if custom else None
    row[_COL_CUSTOM_PARAMETERS] = custom or None
    row[_COL_PROCESS_INFO] = process_info
    row[_COL_UA] = context.ua
    row[_COL_IP] = context.ip
    row[_COL_TRAFFIC_ATTRIBUTES] = traffic
    del row[_EVENT_WIDTH:]  # the scratch slots
    return row


def _shifted(value: Any, shift: int) -> int | None:
    number = integer(value)
    return None if number is None else number + shift


def custom_parameter(value: Any) -> tuple[str | None, str]:
    """``{value, type}`` of a custom parameter: the value as text and the original's type label."""
    return text(value), value_type(value)


def user_properties(user: Mapping[str, Any]) -> dict[str, dict[str, Any]] | None:
    """``user_properties`` of ``user_v2`` from an event's ``user`` object: name -> {value, type, set_time_msec}."""
    properties: dict[str, dict[str, Any]] = {}
    for name, entry in sorted(user.items()):
        if isinstance(entry, dict) and "value" in entry:
            value, set_time = entry.get("value"), integer(entry.get("set_timestamp"))
        else:
            value, set_time = entry, None
        properties[name] = {"value": text(value), "type": value_type(value), "set_time_msec": set_time}
    return properties or None


def user_properties_json(user: Mapping[str, Any]) -> str | None:
    """The original's ``user_properties_json_str``: name -> {value (as sent), set_time_msec}."""
    properties: dict[str, dict[str, Any]] = {}
    for name, entry in user.items():
        if isinstance(entry, dict) and "value" in entry:
            properties[name] = {"value": entry.get("value"), "set_time_msec": integer(entry.get("set_timestamp"))}
        else:
            properties[name] = {"value": entry, "set_time_msec": None}
    return orjson.dumps(properties).decode() if properties else None


# --- items --------------------------------------------------------------------------------------

ITEM_COLUMNS: tuple[str, ...] = (
    "event_timestamp", "event_id", "event_name", "platform", "user_pseudo_id", "user_id", "item_id", "name",
    "brand", "currency", "price", "quantity", "creative_name", "creative_slot", "location_id", "category",
    "category2", "category3", "category4", "category5", "custom_parameters_json_str", "custom_parameters",
    "app_id", "process_info",
)  # fmt: skip
_ITEM_DETAIL = ITEM_COLUMNS[7:20]


def transform_items(event: Mapping[str, Any], row: list[Any], info: dict[str, str]) -> list[tuple[Any, ...]]:
    """``item_v2`` values (see :data:`ITEM_COLUMNS`) of an event; items without an id are dropped, as in
    the original."""
    items = event.get("items")
    if items.__class__ is not list or not items:
        return []
    head = (row[_TIMESTAMP], row[_EVENT_ID], row[_EVENT_NAME], row[_PLATFORM], row[_USER_PSEUDO_ID], row[_USER_ID])
    rows = []
    for item in items:
        if item.__class__ is not dict:
            continue
        mapped: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for key, value in item.items():
            column = _ITEM_KNOWN.get(key)
            if column is None:
                custom[key] = value
            elif mapped.get(column) is None:
                mapped[column] = value
        item_id = text(mapped.get("item_id"))
        if not item_id:
            continue
        rows.append(
            (
                *head,
                item_id,
                *(mapped.get(column) for column in _ITEM_DETAIL),
                orjson.dumps(custom).decode() if custom else None,
                custom or None,
                row[_APP_ID],
                info,
            )
        )
    return rows


_TIMESTAMP, _EVENT_ID, _EVENT_NAME, _PLATFORM, _USER_PSEUDO_ID, _USER_ID, _APP_ID = (
    EVENT_COLUMNS.index(name)
    for name in ("event_time_msec", "event_id", "event_name", "platform", "user_pseudo_id", "user_id", "app_id")
)
