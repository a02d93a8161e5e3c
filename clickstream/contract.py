"""The data-model contract: raw records, the processed tables and where each lives.

One definition of the processed tables ``event_v2``, ``item_v2`` and ``user_v2`` (the original's data
model v2, reference section 3.5) and of the ``rejected`` table. The ETL writes Parquet with these
schemas, the loader creates warehouse tables from them, and a test checks the dbt sources against them.

Type mapping (Redshift -> Arrow/Parquet): ``varchar(n)`` -> string, ``bigint`` -> int64, ``int`` -> int32,
``double precision`` -> float64, ``bool`` -> bool, ``date`` -> date32, ``timestamp`` -> timestamp(ms, UTC).
Redshift ``super`` columns are Parquet maps, as in the original's Glue tables:
``device_ua``, ``page_view_page_url_query_parameters`` and ``process_info`` are ``map<string, string>``;
``custom_parameters`` is ``map<string, struct<value: string, type: string>>``; ``user_properties`` is
``map<string, struct<value: string, type: string, set_time_msec: int64>>``. Each map column also has its
JSON text twin where the original had one (``custom_parameters_json_str``, ``user_properties_json_str``).

Deviation from the original (docs/decisions.md): every processed table keeps ``app_id``, because one
warehouse holds several apps (the original used one Redshift schema per app).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa

# --- raw records (ingestion -> etl) -------------------------------------------------------------

RAW_RECORD_FIELDS: tuple[str, ...] = (
    "date",
    "data",
    "ip",
    "ua",
    "uri",
    "rid",
    "method",
    "appId",
    "platform",
    "compression",
    "client_timestamp",
    "ingest_time",
    "server_ingest_time",
)
"""Fields of one raw record: one JSON object per HTTP request, as the original's Vector writes them."""

_INTEGER = re.compile(r"^-?[0-9]{1,18}$")


def _query_int(value: str | None) -> int | None:
    """An integer query parameter (fits int64), or None for anything else."""
    if value is not None and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)  # the usual case (a timestamp), without the regular expression
    return int(value) if value is not None and _INTEGER.match(value.strip()) else None


_second_text: tuple[int, str] = (-1, "")
_millisecond_text: tuple[int, str] = (-1, "")


def _iso_milliseconds(now_ms: int) -> str:
    """``2024-11-26T05:00:00.123Z``; the text is reused, as the collector asks many times a millisecond."""
    global _second_text, _millisecond_text
    cached_ms, text = _millisecond_text
    if now_ms == cached_ms:
        return text
    second, milliseconds = divmod(now_ms, 1000)
    cached_second, second_text = _second_text
    if second != cached_second:
        second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second_text = (second, second_text)
    text = f"{second_text}.{milliseconds:03d}Z"
    _millisecond_text = (now_ms, text)
    return text


def raw_record(
    *,
    data: str,
    uri: str,
    query: Mapping[str, str],
    method: str,
    ip: str,
    user_agent: str,
    request_id: str,
    now_ms: int,
) -> dict[str, Any]:
    """The raw record of one request, field for field as the original's Vector writes it (section 1.2).

    ``query`` holds the request's query parameters; ``uri`` the whole request URI, which keeps every
    parameter (the ETL reads ``event_bundle_sequence_id`` from it).
    """
    return {
        "date": _iso_milliseconds(now_ms),
        "data": data,
        "ip": ip,
        "ua": user_agent,
        "uri": uri,
        "rid": request_id,
        "method": method,
        "appId": query.get("appId"),
        "platform": query.get("platform"),
        "compression": query.get("compression"),
        "client_timestamp": _query_int(query.get("upload_timestamp")),
        "ingest_time": now_ms,
        "server_ingest_time": now_ms,
    }


RAW_DIR = "raw"
WAL_DIR = "wal"
PROCESSED_DIR = "processed"
REJECTED_DIR = "rejected"
ETL_STATE_DIR = "etl-state"
RAW_FILE_SUFFIX = ".jsonl.gz"


def raw_partition(moment: datetime) -> PurePosixPath:
    """Folder (relative to home) of raw files written at ``moment`` (UTC): ``raw/year=/month=/day=/hour=``."""
    return PurePosixPath(RAW_DIR, f"year={moment:%Y}", f"month={moment:%m}", f"day={moment:%d}", f"hour={moment:%H}")


_RAW_PATH = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})/([^/]+)\.jsonl\.gz$")


def input_id(raw_relative_path: str) -> str:
    """A stable, unique id of a raw file, from which every output file of that input is named."""
    match = _RAW_PATH.search(raw_relative_path)
    if not match:
        raise ValueError(f"not a raw file path: {raw_relative_path}")
    year, month, day, hour, stem = match.groups()
    return f"{year}{month}{day}T{hour}-{stem}"


def processed_partition(table: str, app_id: str, day: date) -> PurePosixPath:
    """Folder (relative to home) of one table's files for an app and UTC day."""
    return PurePosixPath(
        PROCESSED_DIR,
        table,
        f"partition_app={app_id}",
        f"partition_year={day:%Y}",
        f"partition_month={day:%m}",
        f"partition_day={day:%d}",
    )


def processed_file(table: str, app_id: str, day: date, source_id: str) -> PurePosixPath:
    """Path of the Parquet file holding ``table`` rows from input ``source_id`` for one app and day."""
    return processed_partition(table, app_id, day) / f"{source_id}.parquet"


def rejected_file(reason: str, source_id: str) -> PurePosixPath:
    """Path of the Parquet file of records from ``source_id`` rejected for ``reason``."""
    return PurePosixPath(REJECTED_DIR, reason, f"{source_id}.parquet")


class RejectReason(StrEnum):
    """Why a record or event did not become an ``event_v2`` row (the ``reason`` of ``rejected``)."""

    DECODE_ERROR = "decode_error"  # data empty, not text, not base64 or not gzip
    TOO_LARGE = "too_large"  # the record or its data decoded is over the size or event caps (clickstream.payload)
    CORRUPT_JSON = "corrupt_json"  # a raw line, the data or an event is not the JSON expected
    MISSING_REQUIRED_FIELD = "missing_required_field"  # no event_id, app_id, timestamp, name or user
    INVALID_VALUE = "invalid_value"  # a required field holds an unusable value (e.g. timestamp "inf")
    UNKNOWN_APP = "unknown_app"  # app_id not among the configured apps
    STALE_EVENT = "stale_event"  # older than the freshness limit when it reached the server
    FUTURE_EVENT = "future_event"  # later than its arrival at the server, with no upload time to correct it
    BOT = "bot"  # the user agent is a bot's (unless bots are kept and flagged by setting)
    PLUGIN_ERROR = "plugin_error"  # an enrichment or transformer plugin failed on the event's batch


# --- processed tables ---------------------------------------------------------------------------

STRING_MAP = pa.map_(pa.string(), pa.string())
CUSTOM_PARAMETER = pa.struct([("value", pa.string()), ("type", pa.string())])
CUSTOM_PARAMETERS = pa.map_(pa.string(), CUSTOM_PARAMETER)
USER_PROPERTY = pa.struct([("value", pa.string()), ("type", pa.string()), ("set_time_msec", pa.int64())])
USER_PROPERTIES = pa.map_(pa.string(), USER_PROPERTY)
TIMESTAMP = pa.timestamp("ms", tz="UTC")


@dataclass(frozen=True)
class Column:
    """One column of a processed table, with the original's Redshift type and metadata."""

    name: str
    arrow_type: pa.DataType
    redshift_type: str
    description: str
    nullable: bool = True
    category: str | None = None
    scan_values: bool = False

    @cached_property
    def max_bytes(self) -> int | None:
        """Byte limit of a ``varchar(n)`` column (the original truncates strings to it); read per row batch."""
        match = re.fullmatch(r"varchar\((\d+)\)", self.redshift_type)
        return int(match.group(1)) if match else None

    def arrow_field(self) -> pa.Field:
        metadata = {"description": self.description, "redshift_type": self.redshift_type}
        if self.category:
            metadata["category"] = self.category
            metadata["scan_values"] = str(self.scan_values).lower()
        return pa.field(self.name, self.arrow_type, nullable=self.nullable, metadata=metadata)


@dataclass(frozen=True)
class Table:
    """A processed table: its columns, key and Redshift physical design."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    sort_key: tuple[str, ...] = field(default=("event_timestamp",))

    @cached_property
    def schema(self) -> pa.Schema:
        """Built once per table: the ETL asks for it for every batch and every file it writes."""
        return pa.schema([column.arrow_field() for column in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")


def _c(
    name: str,
    redshift_type: str,
    description: str,
    *,
    required: bool = False,
    category: str | None = None,
    scan: bool = False,
) -> Column:
    arrow = _ARROW_BY_REDSHIFT.get(redshift_type)
    if arrow is None:
        arrow = pa.string() if redshift_type.startswith("varchar") else _SUPER_TYPES[name]
    return Column(name, arrow, redshift_type, description, not required, category, scan)


_ARROW_BY_REDSHIFT: dict[str, pa.DataType] = {
    "timestamp": TIMESTAMP,
    "bigint": pa.int64(),
    "int": pa.int32(),
    "double precision": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}
_SUPER_TYPES: dict[str, pa.DataType] = {
    "device_ua": STRING_MAP,
    "page_view_page_url_query_parameters": STRING_MAP,
    "process_info": STRING_MAP,
    "custom_parameters": CUSTOM_PARAMETERS,
    "user_properties": USER_PROPERTIES,
}

S255, S2048, S65535, S32 = "varchar(255)", "varchar(2048)", "varchar(65535)", "varchar(32)"
# Categories are the original's (its ConditionCategoryFrontend values): metadata ids and Studio requests use them.
DEV, GEO, TS, APP = "device", "geo", "traffic_source", "app_info"
SCREEN, PAGE, OUT = "screen_view", "page_view", "outbound"

_PROCESS_INFO = _c(
    "process_info", "super", "Processing details: rid, ingest_time, input file, source IP, job id, time."
)

EVENT_V2 = Table(
    name="event_v2",
    description=(
        "One row per event sent by an SDK (not deduplicated), "
        "with device, geo, traffic, page, screen and session fields."
    ),
    key=("event_id",),
    columns=(
        _c("event_timestamp", "timestamp", "When the event happened (UTC), after the time-shift rule.", required=True),
        _c("event_id", S255, "Unique id of the event (UUID from the SDK).", required=True),
        _c("event_time_msec", "bigint", "Event time in epoch milliseconds.", required=True),
        _c("event_name", S255, "Event name, e.g. _page_view or a custom name.", required=True),
        _c("event_value", "double precision", "Value of the event (attribute _value or event_value)."),
        _c("event_value_currency", S32, "Currency of event_value; USD when a value is set without one."),
        _c("event_bundle_sequence_id", "bigint", "Request sequence number from the uri (event_bundle_sequence_id)."),
        _c("ingest_time_msec", "bigint", "When the server received the request, epoch milliseconds."),
        _c("device_mobile_brand_name", S255, "Mobile brand name.", category=DEV, scan=True),
        _c("device_mobile_model_name", S255, "Mobile model name.", category=DEV, scan=True),
        _c("device_manufacturer", S255, "Device manufacturer.", category=DEV, scan=True),
        _c("device_carrier", S255, "Network carrier.", category=DEV, scan=True),
        _c("device_network_type", S255, "Network type.", category=DEV, scan=True),
        _c(
            "device_operating_system",
            S255,
            "Operating system (Android, iOS, WeChatMP platforms).",
            category=DEV,
            scan=True,
        ),
        _c("device_operating_system_version", S255, "Operating system version.", category=DEV, scan=True),
        _c("device_vendor_id", S255, "Device id from the SDK (device_id).", category=DEV),
        _c("device_advertising_id", S255, "Device advertising id (device_unique_id).", category=DEV),
        _c("device_system_language", S255, "Operating system language.", category=DEV, scan=True),
        _c(
            "device_time_zone_offset_seconds",
            "int",
            "Device timezone offset from UTC, in seconds.",
            category=DEV,
            scan=True,
        ),
        _c("device_ua_browser", S255, "User-agent browser family.", category=DEV, scan=True),
        _c("device_ua_browser_version", S255, "User-agent browser version.", category=DEV, scan=True),
        _c("device_ua_os", S255, "User-agent operating system.", category=DEV, scan=True),
        _c("device_ua_os_version", S255, "User-agent operating system version.", category=DEV, scan=True),
        _c("device_ua_device", S255, "User-agent device family.", category=DEV, scan=True),
        _c(
            "device_ua_device_category",
            S255,
            "Device category from the user agent: Bot, Mobile, Tablet, PC or Other.",
            category=DEV,
            scan=True,
        ),
        _c("device_ua", "super", "User-agent parser output, with key string holding the raw user agent."),
        _c("device_screen_width", "int", "Screen width in pixels.", category=DEV),
        _c("device_screen_height", "int", "Screen height in pixels.", category=DEV),
        _c("device_viewport_width", "int", "Viewport width in pixels (web).", category=DEV),
        _c("device_viewport_height", "int", "Viewport height in pixels (web).", category=DEV),
        _c("geo_continent", S255, "Continent from the client IP.", category=GEO, scan=True),
        _c("geo_sub_continent", S255, "Sub continent.", category=GEO, scan=True),
        _c("geo_country", S255, "Country from the client IP.", category=GEO, scan=True),
        _c("geo_region", S255, "Region.", category=GEO, scan=True),
        _c("geo_metro", S255, "Metro area."),
        _c("geo_city", S255, "City from the client IP.", category=GEO, scan=True),
        _c("geo_locale", S255, "Locale reported by the SDK.", category=GEO, scan=True),
        _c("traffic_source_source", S255, "Traffic source (e.g. Google, Direct).", category=TS, scan=True),
        _c("traffic_source_medium", S255, "Traffic source medium.", category=TS, scan=True),
        _c("traffic_source_campaign", S255, "Traffic source campaign name.", category=TS, scan=True),
        _c("traffic_source_content", S2048, "Traffic source campaign content.", category=TS),
        _c("traffic_source_term", S2048, "Traffic source campaign term.", category=TS, scan=True),
        _c("traffic_source_campaign_id", S255, "Traffic source campaign id.", category=TS),
        _c("traffic_source_clid_platform", S255, "Click-id platform (e.g. gclid).", category=TS, scan=True),
        _c("traffic_source_clid", S2048, "Click id, as JSON {type, value}.", category=TS),
        _c(
            "traffic_source_channel_group",
            S255,
            "Channel group (Direct, Organic Search, Paid Search...).",
            category=TS,
            scan=True,
        ),
        _c(
            "traffic_source_category",
            S255,
            "Traffic source category (Search, Social, Shopping, Video...).",
            category=TS,
            scan=True,
        ),
        _c("user_first_touch_time_msec", "bigint", "User's first touch time from the SDK, epoch milliseconds."),
        _c("app_package_id", S255, "Package or bundle id.", category=APP, scan=True),
        _c("app_version", S255, "App version.", category=APP, scan=True),
        _c("app_title", S255, "App title.", category=APP, scan=True),
        _c("app_install_source", S255, "App install source (_app_install_channel).", category=APP, scan=True),
        _c("platform", S255, "Platform: Web, Android, iOS, WeChatMP...", category="event_outer", scan=True),
        _c("project_id", S255, "Project id of the pipeline.", required=True, category="event_outer", scan=True),
        _c("app_id", S255, "App id of the event.", required=True, category="event_outer", scan=True),
        _c("screen_view_screen_name", S255, "Screen name.", category=SCREEN, scan=True),
        _c("screen_view_screen_id", S255, "Screen id.", category=SCREEN, scan=True),
        _c("screen_view_screen_unique_id", S255, "Screen unique id.", category=SCREEN),
        _c("screen_view_previous_screen_name", S255, "Previous screen name.", category=SCREEN, scan=True),
        _c("screen_view_previous_screen_id", S255, "Previous screen id.", category=SCREEN, scan=True),
        _c("screen_view_previous_screen_unique_id", S255, "Previous screen unique id.", category=SCREEN),
        _c("screen_view_previous_time_msec", "bigint", "Time of the previous screen view, epoch milliseconds."),
        _c("screen_view_engagement_time_msec", "bigint", "Engagement time on the previous screen, milliseconds."),
        _c("screen_view_entrances", "bool", "Whether this screen opened the session.", category=SCREEN, scan=True),
        _c("page_view_page_referrer", S65535, "Page referrer.", category=PAGE, scan=True),
        _c("page_view_page_referrer_title", S2048, "Page referrer title.", category=PAGE, scan=True),
        _c("page_view_previous_time_msec", "bigint", "Time of the previous page view, epoch milliseconds."),
        _c("page_view_engagement_time_msec", "bigint", "Engagement time on the previous page, milliseconds."),
        _c("page_view_page_title", S2048, "Page title.", category=PAGE, scan=True),
        _c("page_view_page_url", S65535, "Page URL.", category=PAGE, scan=True),
        _c("page_view_page_url_path", S65535, "Path of the page URL.", category=PAGE, scan=True),
        _c("page_view_page_url_query_parameters", "super", "Query parameters of the page URL."),
        _c("page_view_hostname", S2048, "Host name of the page.", category=PAGE, scan=True),
        _c("page_view_latest_referrer", S65535, "Latest external referrer.", category=PAGE, scan=True),
        _c("page_view_latest_referrer_host", S2048, "Host of the latest referrer.", category=PAGE, scan=True),
        _c("page_view_entrances", "bool", "Whether this page opened the session.", category=PAGE, scan=True),
        _c("app_start_is_first_time", "bool", "Whether this app start is the first one.", category=APP, scan=True),
        _c(
            "upgrade_previous_app_version",
            S255,
            "App version before an upgrade.",
            category="upgrade",
            scan=True,
        ),
        _c("upgrade_previous_os_version", S255, "OS version before an upgrade.", category="upgrade", scan=True),
        _c("search_key", S2048, "Search keyword parameter name.", category="search"),
        _c("search_term", S2048, "Search term.", category="search"),
        _c("outbound_link_classes", S2048, "Classes of the clicked outbound link.", category=OUT, scan=True),
        _c("outbound_link_domain", S2048, "Domain of the clicked outbound link.", category=OUT, scan=True),
        _c("outbound_link_id", S2048, "Id of the clicked outbound link.", category=OUT, scan=True),
        _c("outbound_link_url", S65535, "URL of the clicked outbound link.", category=OUT, scan=True),
        _c("outbound_link", "bool", "Whether the click was on an outbound link.", category=OUT, scan=True),
        _c("user_engagement_time_msec", "bigint", "Engagement time of a _user_engagement event, milliseconds."),
        _c("user_id", S255, "Signed-in user id (user._user_id).", category=None),
        _c("user_pseudo_id", S255, "Anonymous device-scoped user id (unique_id).", required=True),
        _c("session_id", S255, "Session id from the SDK.", category="session"),
        _c("session_start_time_msec", "bigint", "Session start, epoch milliseconds."),
        _c("session_duration", "bigint", "Session duration so far, milliseconds.", category="session"),
        _c("session_number", "bigint", "Ordinal of the session for the user.", category="session"),
        _c("scroll_engagement_time_msec", "bigint", "Engagement time of a _scroll event, milliseconds."),
        _c("sdk_error_code", S255, "SDK data error code.", category="sdk", scan=True),
        _c("sdk_error_message", S2048, "SDK data error message.", category="sdk"),
        _c("sdk_version", S255, "SDK version.", category="sdk", scan=True),
        _c("sdk_name", S255, "SDK name.", category="sdk", scan=True),
        _c("app_exception_message", S2048, "Exception message.", category=APP),
        _c("app_exception_stack", S65535, "Exception stack.", category=APP),
        _c("custom_parameters_json_str", S65535, "Custom parameters as the original JSON text."),
        _c("custom_parameters", "super", "Custom parameters: name -> {value, type}."),
        _PROCESS_INFO,
    ),
)

ITEM_V2 = Table(
    name="item_v2",
    description="One row per item of an event (items without an id are dropped; deduplicated within a batch).",
    key=("event_id", "user_pseudo_id", "item_id"),
    columns=(
        _c("event_timestamp", "timestamp", "When the event carrying the item happened (UTC).", required=True),
        _c("event_id", S255, "Id of the event carrying the item.", required=True),
        _c("event_name", S255, "Name of the event carrying the item.", required=True),
        _c("platform", S255, "Platform of the event."),
        _c("user_pseudo_id", S255, "Anonymous device-scoped user id.", required=True),
        _c("user_id", S255, "Signed-in user id."),
        _c("item_id", S255, "Item id.", required=True),
        _c("name", S255, "Item name."),
        _c("brand", S255, "Item brand."),
        _c("currency", S255, "Currency of the price."),
        _c("price", "double precision", "Item price."),
        _c("quantity", "double precision", "Item quantity."),
        _c("creative_name", S255, "Creative name."),
        _c("creative_slot", S255, "Creative slot."),
        _c("location_id", S255, "Location id."),
        _c("category", S255, "Item category."),
        _c("category2", S255, "Item category level 2."),
        _c("category3", S255, "Item category level 3."),
        _c("category4", S255, "Item category level 4."),
        _c("category5", S255, "Item category level 5."),
        _c("custom_parameters_json_str", S65535, "Custom item attributes as JSON text."),
        _c("custom_parameters", "super", "Custom item attributes: name -> {value, type}."),
        _c("app_id", S255, "App id of the event.", required=True),
        _PROCESS_INFO,
    ),
)

USER_V2 = Table(
    name="user_v2",
    description="One row per app and user seen in an ETL batch: latest user id and properties, first-touch fields.",
    key=("app_id", "user_pseudo_id"),
    sort_key=("user_pseudo_id", "event_timestamp"),
    columns=(
        _c("event_timestamp", "timestamp", "Time of the user's latest event in the batch (UTC).", required=True),
        _c("user_pseudo_id", S255, "Anonymous device-scoped user id.", required=True),
        _c(
            "user_id",
            S255,
            "The user's latest signed-in user id over every input so far (the ETL's user state).",
            category="user_outer",
        ),
        _c(
            "user_properties",
            "super",
            "User properties of the latest `_profile_set`: name -> {value, type, set_time_msec}.",
        ),
        _c("user_properties_json_str", S65535, "User properties as JSON text."),
        _c("first_touch_time_msec", "bigint", "First touch time, epoch milliseconds."),
        _c("first_visit_date", "date", "Date of the first touch (UTC).", category="user_outer", scan=True),
        _c("first_referrer", S65535, "Referrer of the first visit.", category="user_outer", scan=True),
        _c("first_traffic_source", S255, "First visit traffic source.", category="user_outer", scan=True),
        _c("first_traffic_medium", S255, "First visit traffic medium.", category="user_outer", scan=True),
        _c("first_traffic_campaign", S255, "First visit traffic campaign.", category="user_outer", scan=True),
        _c("first_traffic_content", S2048, "First visit traffic content.", category="user_outer"),
        _c("first_traffic_term", S2048, "First visit traffic term.", category="user_outer"),
        _c("first_traffic_campaign_id", S255, "First visit traffic campaign id.", category="user_outer", scan=True),
        _c("first_traffic_clid_platform", S255, "First visit click-id platform.", category="user_outer", scan=True),
        _c("first_traffic_clid", S2048, "First visit click id.", category="user_outer", scan=True),
        _c("first_traffic_channel_group", S255, "First visit channel group.", category="user_outer", scan=True),
        _c("first_traffic_category", S255, "First visit traffic category.", category="user_outer", scan=True),
        _c("first_app_install_source", S255, "First app install source.", category="user_outer", scan=True),
        _c("app_id", S255, "App id.", required=True),
        _PROCESS_INFO,
    ),
)

REJECTED = Table(
    name="rejected",
    description="Records the ETL could not turn into rows, with a reason code and the payload, so nothing is lost.",
    key=("source_id", "record_index", "event_index"),
    sort_key=("rejected_at",),
    columns=(
        Column("reason", pa.string(), S255, "Reason code: one of RejectReason (decode_error, corrupt_json...).", False),
        Column("detail", pa.string(), S2048, "Human-readable detail of the reason."),
        Column("source_id", pa.string(), S255, "Input id of the raw file.", False),
        Column("source_file", pa.string(), S2048, "Raw file path relative to home.", False),
        Column("record_index", pa.int64(), "bigint", "Line number (0-based) of the raw record in the file.", False),
        Column(
            "event_index", pa.int64(), "bigint", "Index of the event in the record's array, or -1 for the whole record."
        ),
        Column("rid", pa.string(), S255, "Request id of the raw record, when known."),
        Column("app_id", pa.string(), S255, "App id of the request, when known."),
        Column("ingest_time_msec", pa.int64(), "bigint", "When the server received the request, epoch milliseconds."),
        Column("payload", pa.string(), S65535, "The rejected record or event, as received."),
        Column("rejected_at", TIMESTAMP, "timestamp", "When the ETL rejected it (UTC).", False),
    ),
)

PROCESSED_TABLES: dict[str, Table] = {table.name: table for table in (EVENT_V2, ITEM_V2, USER_V2)}
ALL_TABLES: dict[str, Table] = {**PROCESSED_TABLES, REJECTED.name: REJECTED}


def rows_to_arrow(table: Table, rows: list[dict[str, Any]]) -> pa.Table:
    """Build an Arrow table of ``table``'s schema from row dicts (missing keys become nulls)."""
    names = table.column_names
    columns = {name: [row.get(name) for row in rows] for name in names}
    return pa.Table.from_pydict(columns, schema=table.schema)
