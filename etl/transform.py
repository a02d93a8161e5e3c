"""One SDK event and its raw record -> the values of an ``event_v2`` row and its ``item_v2`` rows.

Reference sections 2 and 3.3. Pure functions of their inputs, shared by the local and Spark runners.
For speed an event becomes a list in :data:`clickstream.etl.event_slots.EVENT_COLUMNS` order holding values as the SDK
sent them; :mod:`clickstream.etl.arrow_rows` turns many such lists into Arrow columns, coercing types column by column.
Enrichment (user agent, geo IP, traffic-source classification) runs afterwards on Arrow batches, reading
the transient columns (names starting with ``_``) that the transform adds for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

from clickstream.contract import EVENT_V2, ITEM_V2, USER_V2, RejectReason
from clickstream.etl.decode import RejectedInput
from clickstream.etl.enrich.privacy import protect_ip
from clickstream.etl.event_slots import (
    ATTRIBUTE_SLOTS,
    COL_APP_ID,
    COL_CUSTOM_PARAMETERS,
    COL_CUSTOM_PARAMETERS_JSON_STR,
    COL_DEVICE_OPERATING_SYSTEM,
    COL_DEVICE_TIME_ZONE_OFFSET_SECONDS,
    COL_EVENT_BUNDLE_SEQUENCE_ID,
    COL_EVENT_ID,
    COL_EVENT_NAME,
    COL_EVENT_TIME_MSEC,
    COL_EVENT_TIMESTAMP,
    COL_EVENT_VALUE,
    COL_EVENT_VALUE_CURRENCY,
    COL_INGEST_TIME_MSEC,
    COL_IP,
    COL_PAGE_VIEW_HOSTNAME,
    COL_PAGE_VIEW_LATEST_REFERRER,
    COL_PAGE_VIEW_LATEST_REFERRER_HOST,
    COL_PAGE_VIEW_PAGE_URL,
    COL_PAGE_VIEW_PAGE_URL_PATH,
    COL_PAGE_VIEW_PAGE_URL_QUERY_PARAMETERS,
    COL_PLATFORM,
    COL_PROCESS_INFO,
    COL_PROJECT_ID,
    COL_SESSION_START_TIME_MSEC,
    COL_TRAFFIC_ATTRIBUTES,
    COL_UA,
    COL_USER,
    COL_USER_FIRST_TOUCH_TIME_MSEC,
    COL_USER_ID,
    COL_USER_PSEUDO_ID,
    COLUMN,
    EMPTY_ROW,
    EVENT_COLUMNS,
    EVENT_NAME_SLOTS,
    EVENT_WIDTH,
    NAME_SLOTS,
    NO_RARE_ALIASES,
    PSEUDO_ID_SLOTS,
    RARE_ALIASES,
    RARE_PRECEDENCE,
    SCR_EVENT_VALUE,
    SCR_EVENT_VALUE_IN_USD,
    SCR_HOST_NAME,
    SCR_LATEST_REFERRER_HOST,
    SCR_PAGE_URL,
    SCR_PLATFORM,
    SCR_SESSION_START_TIME_MSEC,
    SCR_SESSION_START_TIMESTAMP,
    SCR_TIMESTAMP,
    SCR_USER,
    SCR_VALUE,
    SCR_ZONE_OFFSET,
    SCRATCH,
    TOP_SLOTS,
    TRAFFIC_ATTRIBUTES,
    first_present,
)
from clickstream.etl.settings import TransformSettings
from clickstream.etl.time_rules import check_time
from clickstream.etl.values import (
    MAX_TIME_MSEC,
    VALUE_MAX_BYTES,
    cut_value,
    fit_json,
    integer,
    iso_msec,
    text,
    value_type,
    writable,
)

_ITEM_KNOWN = {
    "id": "item_id", "item_id": "item_id", "name": "name", "item_name": "name", "brand": "brand",
    "currency": "currency", "price": "price", "quantity": "quantity", "creative_name": "creative_name",
    "creative_slot": "creative_slot", "location_id": "location_id", "category": "category",
    "category2": "category2", "category3": "category3", "category4": "category4", "category5": "category5",
}  # fmt: skip

_OS_PLATFORMS = frozenset({"android", "ios", "wechatmp"})
# Control characters a name or an id must not hold: C0 but tab and newline, and DEL (issue 20). They break
# the tools that read names and ids back (terminals, CSV exports, SQL consoles) and no SDK sends them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_COL_SESSION_ID = COLUMN["session_id"]
_SCR_ITEMS = SCRATCH["items"]
# Sizes of the JSON twins of the custom parameter and user property maps: the cut values must fit them whole.
_EVENT_TWIN_BYTES = EVENT_V2.column("custom_parameters_json_str").max_bytes or 0
_ITEM_TWIN_BYTES = ITEM_V2.column("custom_parameters_json_str").max_bytes or 0
_USER_TWIN_BYTES = USER_V2.column("user_properties_json_str").max_bytes or 0


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
        "time_as_sent",
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
        self.time_as_sent = _time_as_sent(ingest, settings)
        # Keys in this order, each only when it has a value (written out: this runs once per request).
        info: dict[str, str] = {}
        if rid is not None:
            info["rid"] = rid
        if ingest is not None and (ingest_time := iso_msec(ingest)) is not None:
            info["ingest_time"] = ingest_time
        info["input_file_name"] = source_file
        if source_ip is not None:
            info["source_ip"] = source_ip
        if upload is not None and (upload_time := iso_msec(upload)) is not None:
            info["upload_time"] = upload_time
        info.update(settings.job_info)
        self.process_info = info


def _time_as_sent(ingest: int | None, settings: TransformSettings) -> tuple[int, int]:
    """The event times (inclusive bounds) that :func:`check_time` leaves as sent without looking further: with
    ``time_shift`` off, not after the processing time and within the freshness limit of the request's arrival."""
    if settings.time_shift:
        return 1, 0  # none: every event takes the full check
    freshness = settings.freshness_msec
    earliest = ingest - freshness if freshness is not None and ingest is not None else -MAX_TIME_MSEC
    return earliest, settings.process_time_msec


def _uri_param(uri: str, name: str) -> str | None:
    """One query parameter of the request URI, URL-decoded (cheaper than parsing the whole query)."""
    key = _URI_KEYS.get(name) or f"{name}="
    start = uri.find(key)
    while start > 0 and uri[start - 1] not in "?&":
        start = uri.find(key, start + 1)
    if start < 0:
        return None
    start += len(key)
    end = uri.find("&", start)
    value = uri[start:] if end < 0 else uri[start:end]
    return unquote(value) if "%" in value else value  # unquote returns text without "%" as it is


_URI_KEYS = {name: f"{name}=" for name in ("upload_timestamp", "event_bundle_sequence_id")}


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


def transform_event(event: Any, context: RecordContext, settings: TransformSettings) -> list[Any]:
    """The ``event_v2`` values of one SDK event (the first ``len(EVENT_COLUMNS)`` items, in that order);
    raises :class:`RejectedInput` for an event that cannot become a row."""
    if event.__class__ is not dict:
        raise RejectedInput(RejectReason.CORRUPT_JSON, f"event is a {type(event).__name__}, not an object")
    row = EMPTY_ROW.copy()
    custom: dict[str, Any] = {}
    # Each key goes to its slot; keys without one are custom parameters, in the order sent. The two loops
    # are written out (not a helper) because this is the hottest code of the ETL.
    slots = TOP_SLOTS
    for key, value in event.items():
        slot = slots.get(key)
        if slot is None:
            custom[key] = value
        else:
            row[slot] = value
    attributes = event.get("attributes")
    traffic: str | None = None
    if attributes.__class__ is dict and attributes:
        slots = ATTRIBUTE_SLOTS
        for key, value in attributes.items():
            slot = slots.get(key)
            if slot is None:
                custom[key] = value
            else:
                row[slot] = value
        if not TRAFFIC_ATTRIBUTES.isdisjoint(attributes):  # no set built when there are none (most events)
            traffic = _traffic_json(attributes)

    event_id = row[COL_EVENT_ID]
    if event_id.__class__ is not str or not event_id:
        if event_id is None or event_id == "":
            raise _missing("event_id")
        row[COL_EVENT_ID] = event_id = text(event_id)
    app_id = row[COL_APP_ID]
    if app_id.__class__ is not str or not app_id:
        if app_id is None or app_id == "":
            raise _missing("app_id")
        row[COL_APP_ID] = app_id = text(app_id)
    raw_time = row[SCR_TIMESTAMP]
    if raw_time is None or raw_time == "":
        raise _missing("timestamp")
    timestamp = raw_time if raw_time.__class__ is int else integer(raw_time)
    if timestamp is None or not 0 <= timestamp <= MAX_TIME_MSEC:
        raise RejectedInput(RejectReason.INVALID_VALUE, f"timestamp {raw_time!r} is not a time in epoch ms")
    event_name = first_present(row, NAME_SLOTS)
    if event_name is None:
        raise _missing("event_type")
    if event_name.__class__ is not str:  # the call only for the rare name or id that is not text
        event_name = _id_text(event_name)
    user_pseudo_id = first_present(row, PSEUDO_ID_SLOTS)
    if user_pseudo_id is None:
        raise _missing("unique_id")
    if user_pseudo_id.__class__ is not str:
        user_pseudo_id = _id_text(user_pseudo_id)
    # Names and ids must hold no control character: one C-level test over all of them joined, and the
    # regular expression only when that test fails (it also fails on printable-looking non-ASCII spaces).
    probe = [event_name, event_id, user_pseudo_id, app_id]
    # An id sent as an object or a number becomes its text, which can hold DEL (JSON leaves it unescaped).
    session_id = row[_COL_SESSION_ID]
    if session_id is not None:
        probe.append(session_id if session_id.__class__ is str else _id_text(session_id))
    if custom:
        probe += custom
    user = row[SCR_USER]
    user_id = None
    if user.__class__ is dict and user:
        probe += user
        entry = user.get("_user_id")
        user_id = entry.get("value") if entry.__class__ is dict else entry
        if user_id is not None:
            probe.append(user_id if user_id.__class__ is str else _id_text(user_id))
    items = row[_SCR_ITEMS]
    if items.__class__ is list and items:
        _probe_items(items, probe, settings)
    joined = "".join(probe)
    if not joined.isprintable() and _CONTROL.search(joined):
        raise RejectedInput(RejectReason.INVALID_VALUE, _control_detail(probe))
    if app_id not in settings.app_ids:
        raise RejectedInput(RejectReason.UNKNOWN_APP, f"app_id {app_id!r} is not configured")
    if context.time_as_sent[0] <= timestamp <= context.time_as_sent[1]:
        checked = None  # check_time would return None at once: the common case, decided without the call
    else:
        checked = check_time(timestamp, event_name, context.ingest_time_msec, context.upload_time_msec, settings)
    shift = checked.shift_msec if checked else 0

    row[COL_EVENT_NAME] = event_name
    row[COL_USER_PSEUDO_ID] = user_pseudo_id
    row[COL_EVENT_TIMESTAMP] = row[COL_EVENT_TIME_MSEC] = checked.event_time_msec if checked else timestamp
    if row[COL_SESSION_START_TIME_MSEC] is None:  # the one alias sent with almost every event
        value = row[SCR_SESSION_START_TIMESTAMP]
        if value is None or value == "":
            value = row[SCR_SESSION_START_TIME_MSEC]
        if value is not None and value != "":
            row[COL_SESSION_START_TIME_MSEC] = value
    if RARE_ALIASES(row) != NO_RARE_ALIASES:  # one C-level test for the aliases most events do not send
        for column, alternatives in RARE_PRECEDENCE:
            if row[column] is None:
                for slot in alternatives:
                    value = row[slot]
                    if value is not None and value != "":
                        row[column] = value
                        break
    value = row[SCR_EVENT_VALUE]
    if value is None:
        value = row[SCR_EVENT_VALUE_IN_USD]
        if value is None:
            value = row[SCR_VALUE]
    row[COL_EVENT_VALUE] = value
    if value is not None and row[COL_EVENT_VALUE_CURRENCY] is None:
        row[COL_EVENT_VALUE_CURRENCY] = "USD"
    for slot, column in EVENT_NAME_SLOTS.get(event_name, ()):
        row[column] = row[slot]
    platform = row[SCR_PLATFORM]
    platform = (platform if platform.__class__ is str else text(platform)) or "Web"
    row[COL_PLATFORM] = platform
    if platform.lower() in _OS_PLATFORMS:
        row[COL_DEVICE_OPERATING_SYSTEM] = platform
    zone_offset = row[SCR_ZONE_OFFSET]
    if zone_offset is not None:
        zone_offset = integer(zone_offset)
        row[COL_DEVICE_TIME_ZONE_OFFSET_SECONDS] = zone_offset // 1000 if zone_offset is not None else None
    page_url = row[SCR_PAGE_URL]
    hostname = None
    if page_url:
        row[COL_PAGE_VIEW_PAGE_URL] = page_url
        if page_url.__class__ is str:
            row[COL_PAGE_VIEW_PAGE_URL_PATH], hostname, row[COL_PAGE_VIEW_PAGE_URL_QUERY_PARAMETERS] = parse_page_url(
                page_url
            )
    row[COL_PAGE_VIEW_HOSTNAME] = row[SCR_HOST_NAME] or hostname
    latest_host = row[SCR_LATEST_REFERRER_HOST]
    latest_referrer = row[COL_PAGE_VIEW_LATEST_REFERRER]
    if not latest_host and latest_referrer.__class__ is str and latest_referrer:
        latest_host = url_host(latest_referrer)
    row[COL_PAGE_VIEW_LATEST_REFERRER_HOST] = latest_host
    if user.__class__ is dict and user:
        row[COL_USER_ID] = user_id
        entry = user.get("_user_first_touch_timestamp")
        row[COL_USER_FIRST_TOUCH_TIME_MSEC] = entry.get("value") if entry.__class__ is dict else entry
        row[COL_USER] = _user_json(user, settings)
    if shift:
        for column in (COL_SESSION_START_TIME_MSEC, COL_USER_FIRST_TOUCH_TIME_MSEC):
            row[column] = _shifted(row[column], shift)
    process_info = context.process_info
    if checked:
        process_info = {**process_info, **checked.process_info}
    row[COL_PROJECT_ID] = settings.project_id
    row[COL_EVENT_BUNDLE_SEQUENCE_ID] = context.bundle_sequence_id
    row[COL_INGEST_TIME_MSEC] = context.ingest_time_msec
    if custom:
        row[COL_CUSTOM_PARAMETERS], row[COL_CUSTOM_PARAMETERS_JSON_STR] = _custom_with_twin(
            custom, settings.truncate_strings, _EVENT_TWIN_BYTES
        )
    row[COL_PROCESS_INFO] = process_info
    row[COL_UA] = context.ua
    row[COL_IP] = context.ip
    row[COL_TRAFFIC_ATTRIBUTES] = traffic
    del row[EVENT_WIDTH:]  # the scratch slots
    return row


def _traffic_json(attributes: Mapping[str, Any]) -> str:
    """The traffic attributes as JSON text for the classifier, which reads only scalars: an object or array
    nested too deep to write is left out rather than written."""
    traffic = {key: attributes[key] for key in sorted(attributes.keys() & TRAFFIC_ATTRIBUTES)}
    try:
        return orjson.dumps(traffic).decode()
    except TypeError:
        return orjson.dumps({key: writable(value) for key, value in traffic.items()}).decode()


def _custom_with_twin(custom: dict[str, Any], truncate: bool, twin_bytes: int) -> tuple[dict[str, Any], str]:
    """Custom parameters and their JSON twin, the values cut alike (:func:`clickstream.etl.values.fit_json`)."""
    try:
        twin = orjson.dumps(custom)
    except TypeError:  # a value nested deeper than orjson writes: kept as its JSON text
        custom = {name: writable(value) for name, value in custom.items()}
        twin = orjson.dumps(custom)
    # The JSON text holds every value whole, so when it is within one value's limit no value can pass it.
    if truncate and len(twin) > VALUE_MAX_BYTES:
        try:
            custom, twin = fit_json(custom, VALUE_MAX_BYTES, twin_bytes)
        except ValueError as exc:
            raise RejectedInput(RejectReason.INVALID_VALUE, f"custom parameter names: {exc}") from None
    return custom, twin.decode()


def _user_json(user: dict[str, Any], settings: TransformSettings) -> str:
    """The user object as JSON text (read back by :mod:`clickstream.etl.users`), its attribute values cut so that the
    ``user_properties`` map and its twin hold the same values, and the twin fits its column."""
    try:
        encoded = orjson.dumps(user)
    except TypeError:  # a value nested deeper than orjson writes: kept as its JSON text
        user = {name: _writable_entry(entry) for name, entry in user.items()}
        encoded = orjson.dumps(user)
    if settings.truncate_strings and len(encoded) > VALUE_MAX_BYTES:
        try:
            user, _ = fit_json(user, VALUE_MAX_BYTES, _USER_TWIN_BYTES, _user_twin_bytes, _cut_entry)
        except ValueError as exc:
            raise RejectedInput(RejectReason.INVALID_VALUE, f"user attribute names: {exc}") from None
        encoded = orjson.dumps(user)
    return encoded.decode()


def _writable_entry(entry: Any) -> Any:
    if isinstance(entry, dict) and "value" in entry:  # what user_properties reads, and nothing else
        return {"value": writable(entry.get("value")), "set_timestamp": writable(entry.get("set_timestamp"))}
    return writable(entry)


def _cut_entry(entry: Any, max_bytes: int) -> Any:
    if isinstance(entry, dict) and "value" in entry:
        value = entry["value"]
        cut = cut_value(value, max_bytes)
        return entry if cut is value else {**entry, "value": cut}
    return cut_value(entry, max_bytes)


def _user_twin_bytes(user: dict[str, Any]) -> bytes:
    return (user_properties_json(user) or "").encode()


def _id_text(value: Any) -> str:
    """A name or id as the text it is written as (one sent as an object or a number is checked as that text)."""
    return value if value.__class__ is str else text(value) or ""


def _probe_items(items: list[Any], probe: list[str], settings: TransformSettings) -> None:
    """Add the items' attribute names and ids to the control-character probe; reject an item whose custom
    attribute names alone could not fit the twin column (:func:`transform_items` can no longer reject)."""
    for item in items:
        if item.__class__ is not dict:
            continue
        probe += item
        for key in ("id", "item_id"):
            value = item.get(key)
            if value is not None:
                probe.append(_id_text(value))
        # A bound first (4 bytes a character, 6 of quotes, colon, comma and an empty value a name), exact
        # only when the bound does not settle it.
        if settings.truncate_strings and 4 * sum(map(len, item)) + 6 * len(item) + 2 > _ITEM_TWIN_BYTES:
            names = dict.fromkeys((key for key in item if key not in _ITEM_KNOWN), "")
            if len(orjson.dumps(names)) > _ITEM_TWIN_BYTES:
                raise RejectedInput(RejectReason.INVALID_VALUE, "item attribute names do not fit their column")


def _control_detail(probe: list[str]) -> str:
    labels = ("event name", "event_id", "user_pseudo_id", "app_id")
    for label, value in zip(labels, probe, strict=False):
        found = _CONTROL.search(value)
        if found:
            return f"the {label} holds the control character {found.group()!r}"
    found = _CONTROL.search("".join(probe[len(labels) :]))
    character = found.group() if found else ""
    return (
        f"a session id, user id, or a parameter, attribute or item name or id holds the control character {character!r}"
    )


def _shifted(value: Any, shift: int) -> int | None:
    number = integer(value)
    return None if number is None else number + shift


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


def transform_items(
    event: Mapping[str, Any], row: list[Any], info: dict[str, str], truncate: bool = True
) -> list[tuple[Any, ...]]:
    """``item_v2`` values (see :data:`ITEM_COLUMNS`) of an event; items without an id are dropped, as in
    the original. ``truncate`` is the settings' ``truncate_strings``: cut custom attribute values."""
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
        twin = None
        if custom:
            custom, twin = _custom_with_twin(custom, truncate, _ITEM_TWIN_BYTES)
        rows.append(
            (
                *head,
                item_id,
                *(mapped.get(column) for column in _ITEM_DETAIL),
                twin,
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
