"""Event JSON -> ``event_v2`` / ``item_v2`` rows (reference sections 2 and 3.3).

Pure functions of one event and its raw record, so local and Spark runners share them. Enrichment
(user agent, geo IP, traffic-source classification) is applied afterwards by plugins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

from clickstream.contract import RejectReason
from etl.decode import RejectedInput

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

# Reserved attribute names consumed into columns (section 2.5).
_ATTRIBUTES_KNOWN = frozenset(
    {
        "_session_id", "_session_start_timestamp", "_session_start_time_msec", "_session_duration",
        "_session_number", "_page_url", "_page_title", "_page_referrer", "_page_referrer_title",
        "_latest_referrer", "_latest_referrer_host", "_entrances", "_previous_timestamp",
        "_engagement_time_msec", "_screen_name", "_screen_id", "_screen_unique_id", "_previous_screen_name",
        "_previous_screen_id", "_previous_screen_unique_id", "_link_classes", "_link_domain", "_link_id",
        "_link_url", "_outbound", "_search_key", "_search_term", "_is_first_time", "_previous_app_version",
        "_previous_os_version", "_exception_message", "_exception_stack", "_app_install_channel",
        "_app_install_source", "_install_channel", "_error_code", "_error_message", "_value", "_currency",
        "_traffic_source_source", "_traffic_source_medium", "_traffic_source_campaign",
        "_traffic_source_campaign_id", "_traffic_source_term", "_traffic_source_content",
        "_traffic_source_clid", "_traffic_source_clid_platform", "_traffic_source_channel_group",
        "_traffic_source_category", "_utm_id", "_utm_source", "_utm_medium", "_utm_content", "_utm_term",
        "_utm_campaign", "_utm_source_platform", "_gclid",
    }
)  # fmt: skip

_ITEM_KNOWN = {
    "id": "item_id", "item_id": "item_id", "name": "name", "item_name": "name", "brand": "brand",
    "currency": "currency", "price": "price", "quantity": "quantity", "creative_name": "creative_name",
    "creative_slot": "creative_slot", "location_id": "location_id", "category": "category",
    "category2": "category2", "category3": "category3", "category4": "category4", "category5": "category5",
}  # fmt: skip

_OS_PLATFORMS = frozenset({"android", "ios", "wechatmp"})


@dataclass(frozen=True)
class RecordContext:
    """What the ETL knows of the raw record an event came in, shared by all its events."""

    project_id: str
    source_file: str
    rid: str | None
    ip: str | None
    ua: str | None
    uri: str | None
    ingest_time_msec: int | None
    upload_time_msec: int | None
    bundle_sequence_id: int | None
    app_id: str | None
    process_time: str

    @classmethod
    def from_record(
        cls, record: Mapping[str, Any], project_id: str, source_file: str, process_time: str
    ) -> RecordContext:
        uri = _text(record.get("uri"))
        uri_params = _uri_params(uri) if uri else {}
        upload = _integer(record.get("client_timestamp")) or _integer(record.get("upload_timestamp"))
        if upload is None:
            upload = _integer(uri_params.get("upload_timestamp"))
        return cls(
            project_id=project_id,
            source_file=source_file,
            rid=_text(record.get("rid")),
            ip=_text(record.get("ip")),
            ua=_text(record.get("ua")),
            uri=uri,
            ingest_time_msec=_integer(record.get("ingest_time")),
            upload_time_msec=upload,
            bundle_sequence_id=_integer(uri_params.get("event_bundle_sequence_id")),
            app_id=_text(record.get("appId")),
            process_time=process_time,
        )


# --- scalar helpers -----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Event times the ETL accepts: from 1970 to the end of year 9999, in epoch milliseconds.
_MAX_TIME_MSEC = 253_402_300_799_999


def _integer(value: Any) -> int | None:
    """An int64 from an int, float or numeric string; None for anything else (NaN, inf, too large)."""
    if value is None or isinstance(value, bool):
        return None
    number: int | float
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value) if value.strip().lstrip("-").isdecimal() else float(value)
        except ValueError:
            return None
    else:
        return None
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        number = int(number)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def msec_to_datetime(msec: int | None) -> datetime | None:
    """UTC time of epoch milliseconds, or None when missing or outside years 1970-9999."""
    if msec is None or not 0 <= msec <= _MAX_TIME_MSEC:
        return None
    return datetime.fromtimestamp(msec / 1000, UTC)


def _int32(value: Any) -> int | None:
    number = _integer(value)
    return number if number is not None and -(2**31) <= number < 2**31 else None


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _boolean(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return None


def value_type(value: Any) -> str:
    """The original's type label of a custom parameter value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict | list):
        return "object"
    return "string"


def _uri_params(uri: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(uri).query, keep_blank_values=True))


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _custom_parameters(values: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    return {key: {"value": _text(value), "type": value_type(value)} for key, value in sorted(values.items())}


# --- events -------------------------------------------------------------------------------------


def _require(event: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = event.get(name)
        if value not in (None, ""):
            return value
    raise RejectedInput(RejectReason.MISSING_REQUIRED_FIELD, f"event has no {names[0]}")


def transform_event(event: Any, context: RecordContext) -> dict[str, Any]:
    """One ``event_v2`` row from one SDK event; raises :class:`RejectedInput` for unusable events."""
    if not isinstance(event, dict):
        raise RejectedInput(RejectReason.CORRUPT_JSON, f"event is a {type(event).__name__}, not an object")
    event_id = _text(_require(event, "event_id"))
    app_id = _text(_require(event, "app_id"))
    timestamp = _integer(_require(event, "timestamp"))
    if timestamp is None or not 0 <= timestamp <= _MAX_TIME_MSEC:
        raise RejectedInput(RejectReason.INVALID_VALUE, f"timestamp {event['timestamp']!r} is not a time in epoch ms")
    event_name = _text(_require(event, "event_type", "event_name"))
    user_pseudo_id = _text(_require(event, "unique_id", "user_pseudo_id"))
    attributes: dict[str, Any] = event["attributes"] if isinstance(event.get("attributes"), dict) else {}
    user: dict[str, Any] = event["user"] if isinstance(event.get("user"), dict) else {}
    a = attributes.get
    platform = _text(event.get("platform")) or "Web"

    def on(name: str, key: str) -> Any:
        return a(key) if event_name == name else None

    value = _number(event.get("event_value", event.get("event_value_in_usd", a("_value"))))
    currency = _text(event.get("event_value_currency", event.get("currency", a("_currency"))))
    page_url = _text(a("_page_url"))
    url_parts = urlsplit(page_url) if page_url else None
    latest_referrer = _text(a("_latest_referrer"))
    zone_offset = _integer(event.get("zone_offset"))
    custom = {key: val for key, val in event.items() if key not in _TOP_LEVEL_KNOWN}
    custom.update({key: val for key, val in attributes.items() if key not in _ATTRIBUTES_KNOWN})
    return {
        "event_timestamp": datetime.fromtimestamp(timestamp / 1000, UTC),
        "event_id": event_id,
        "event_time_msec": timestamp,
        "event_name": event_name,
        "event_value": value,
        "event_value_currency": currency or ("USD" if value is not None else None),
        "event_bundle_sequence_id": context.bundle_sequence_id,
        "ingest_time_msec": context.ingest_time_msec,
        "device_mobile_brand_name": _text(event.get("brand")),
        "device_mobile_model_name": _text(event.get("model")),
        "device_manufacturer": _text(event.get("make")),
        "device_carrier": _text(event.get("carrier")),
        "device_network_type": _text(event.get("network_type")),
        "device_operating_system": platform if platform.lower() in _OS_PLATFORMS else None,
        "device_operating_system_version": _text(event.get("os_version")),
        "device_vendor_id": _text(event.get("device_id")),
        "device_advertising_id": _text(event.get("device_unique_id", event.get("advertising_id"))),
        "device_system_language": _text(event.get("system_language")),
        "device_time_zone_offset_seconds": _int32(zone_offset // 1000) if zone_offset is not None else None,
        "device_ua": {"string": context.ua} if context.ua else None,
        "device_screen_width": _int32(event.get("screen_width")),
        "device_screen_height": _int32(event.get("screen_height")),
        "device_viewport_width": _int32(event.get("viewport_width")),
        "device_viewport_height": _int32(event.get("viewport_height")),
        "geo_locale": _text(event.get("locale")),
        "traffic_source_source": _text(a("_traffic_source_source", a("_utm_source"))),
        "traffic_source_medium": _text(a("_traffic_source_medium", a("_utm_medium"))),
        "traffic_source_campaign": _text(a("_traffic_source_campaign", a("_utm_campaign"))),
        "traffic_source_content": _text(a("_traffic_source_content", a("_utm_content"))),
        "traffic_source_term": _text(a("_traffic_source_term", a("_utm_term"))),
        "traffic_source_campaign_id": _text(a("_traffic_source_campaign_id", a("_utm_id"))),
        "traffic_source_clid_platform": _text(a("_traffic_source_clid_platform", a("_utm_source_platform"))),
        "traffic_source_clid": _text(a("_traffic_source_clid")),
        "traffic_source_channel_group": _text(a("_traffic_source_channel_group")),
        "traffic_source_category": _text(a("_traffic_source_category")),
        "user_first_touch_time_msec": _integer(_user_value(user, "_user_first_touch_timestamp")),
        "app_package_id": _text(event.get("app_package_name")),
        "app_version": _text(event.get("app_version")),
        "app_title": _text(event.get("app_title")),
        "app_install_source": _text(a("_app_install_channel", a("_app_install_source", a("_install_channel")))),
        "platform": platform,
        "project_id": context.project_id,
        "app_id": app_id,
        "screen_view_screen_name": _text(a("_screen_name")),
        "screen_view_screen_id": _text(a("_screen_id")),
        "screen_view_screen_unique_id": _text(a("_screen_unique_id")),
        "screen_view_previous_screen_name": _text(a("_previous_screen_name")),
        "screen_view_previous_screen_id": _text(a("_previous_screen_id")),
        "screen_view_previous_screen_unique_id": _text(a("_previous_screen_unique_id")),
        "screen_view_previous_time_msec": _integer(on("_screen_view", "_previous_timestamp")),
        "screen_view_engagement_time_msec": _integer(on("_screen_view", "_engagement_time_msec")),
        "screen_view_entrances": _boolean(on("_screen_view", "_entrances")),
        "page_view_page_referrer": _text(a("_page_referrer")),
        "page_view_page_referrer_title": _text(a("_page_referrer_title")),
        "page_view_previous_time_msec": _integer(on("_page_view", "_previous_timestamp")),
        "page_view_engagement_time_msec": _integer(on("_page_view", "_engagement_time_msec")),
        "page_view_page_title": _text(a("_page_title")),
        "page_view_page_url": page_url,
        "page_view_page_url_path": unquote(url_parts.path) if url_parts else None,
        "page_view_page_url_query_parameters": dict(parse_qsl(url_parts.query, keep_blank_values=True))
        if url_parts and url_parts.query
        else None,
        "page_view_hostname": _text(event.get("host_name")) or (url_parts.hostname if url_parts else None),
        "page_view_latest_referrer": latest_referrer,
        "page_view_latest_referrer_host": _text(a("_latest_referrer_host")) or _host(latest_referrer),
        "page_view_entrances": _boolean(on("_page_view", "_entrances")),
        "app_start_is_first_time": _boolean(on("_app_start", "_is_first_time")),
        "upgrade_previous_app_version": _text(a("_previous_app_version")),
        "upgrade_previous_os_version": _text(a("_previous_os_version")),
        "search_key": _text(a("_search_key")),
        "search_term": _text(a("_search_term")),
        "outbound_link_classes": _text(a("_link_classes")),
        "outbound_link_domain": _text(a("_link_domain")),
        "outbound_link_id": _text(a("_link_id")),
        "outbound_link_url": _text(a("_link_url")),
        "outbound_link": _boolean(a("_outbound")),
        "user_engagement_time_msec": _integer(on("_user_engagement", "_engagement_time_msec")),
        "user_id": _text(_user_value(user, "_user_id")),
        "user_pseudo_id": user_pseudo_id,
        "session_id": _text(a("_session_id")),
        "session_start_time_msec": _integer(a("_session_start_timestamp", a("_session_start_time_msec"))),
        "session_duration": _integer(a("_session_duration")),
        "session_number": _integer(a("_session_number")),
        "scroll_engagement_time_msec": _integer(on("_scroll", "_engagement_time_msec")),
        "sdk_error_code": _text(a("_error_code")),
        "sdk_error_message": _text(a("_error_message")),
        "sdk_version": _text(event.get("sdk_version")),
        "sdk_name": _text(event.get("sdk_name")),
        "app_exception_message": _text(a("_exception_message")),
        "app_exception_stack": _text(a("_exception_stack")),
        "custom_parameters_json_str": orjson.dumps(custom).decode() if custom else None,
        "custom_parameters": _custom_parameters(custom) if custom else None,
        "process_info": _process_info(context),
    }


def _user_value(user: Mapping[str, Any], name: str) -> Any:
    entry = user.get(name)
    return entry.get("value") if isinstance(entry, dict) else entry


def _process_info(context: RecordContext) -> dict[str, str]:
    info = {
        "rid": context.rid,
        "ingest_time": ingest.isoformat() if (ingest := msec_to_datetime(context.ingest_time_msec)) else None,
        "input_file_name": context.source_file,
        "source_ip": context.ip,
        "upload_time": str(context.upload_time_msec) if context.upload_time_msec is not None else None,
        "process_time": context.process_time,
    }
    return {key: value for key, value in info.items() if value is not None}


def user_properties(event: Mapping[str, Any]) -> dict[str, dict[str, Any]] | None:
    """``user_properties`` of ``user_v2`` from an event's ``user`` object: name -> {value, type, set_time_msec}."""
    user = event.get("user")
    if not isinstance(user, dict) or not user:
        return None
    properties: dict[str, dict[str, Any]] = {}
    for name, entry in sorted(user.items()):
        if isinstance(entry, dict) and "value" in entry:
            value, set_time = entry.get("value"), _integer(entry.get("set_timestamp"))
        else:
            value, set_time = entry, None
        properties[name] = {"value": _text(value), "type": value_type(value), "set_time_msec": set_time}
    return properties


# --- items --------------------------------------------------------------------------------------


def transform_items(event: Mapping[str, Any], row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``item_v2`` rows of an event; items without an id are dropped, as in the original."""
    items = event.get("items")
    if not isinstance(items, list):
        return []
    rows = []
    for item in items:
        if not isinstance(item, dict):
            continue
        mapped: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for key, value in item.items():
            column = _ITEM_KNOWN.get(key)
            if column is None:
                custom[key] = value
            elif mapped.get(column) is None:
                mapped[column] = value
        item_id = _text(mapped.get("item_id"))
        if not item_id:
            continue
        rows.append(
            {
                "event_timestamp": row["event_timestamp"],
                "event_id": row["event_id"],
                "event_name": row["event_name"],
                "platform": row["platform"],
                "user_pseudo_id": row["user_pseudo_id"],
                "user_id": row["user_id"],
                "item_id": item_id,
                **{column: _text(mapped.get(column)) for column in _ITEM_TEXT_COLUMNS},
                "price": _number(mapped.get("price")),
                "quantity": _number(mapped.get("quantity")),
                "custom_parameters_json_str": orjson.dumps(custom).decode() if custom else None,
                "custom_parameters": _custom_parameters(custom) if custom else None,
                "app_id": row["app_id"],
                "process_info": row["process_info"],
            }
        )
    return rows


_ITEM_TEXT_COLUMNS = (
    "name", "brand", "currency", "creative_name", "creative_slot", "location_id",
    "category", "category2", "category3", "category4", "category5",
)  # fmt: skip
