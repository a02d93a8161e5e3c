"""Where each SDK key lands in an ``event_v2`` row: the column order, the key sets and the slot tables.

:func:`clickstream.etl.transform.transform_event` walks an event's own keys once and puts each value in its slot of
a preallocated list through these tables; a slot is a column of :data:`EVENT_COLUMNS`, or a scratch slot
after them for values that need a rule (aliases with a precedence, attributes that belong to a column
only for some event names). The slot numbers are module constants because a global name is cheaper than
a dictionary lookup in the hottest code of the ETL.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

# Top-level keys the SDKs send that map to columns (aliases included); every other key becomes a
# custom parameter.
TOP_LEVEL_KNOWN = frozenset(
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
ATTRIBUTES_KNOWN = TRAFFIC_ATTRIBUTES | frozenset(
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
COLUMN = {name: index for index, name in enumerate(EVENT_COLUMNS)}
SCRATCH_NAMES = (
    "event_type", "event_name", "unique_id", "user_pseudo_id", "device_unique_id", "advertising_id",
    "event_value", "event_value_in_usd", "event_value_currency", "currency", "platform", "zone_offset",
    "host_name", "timestamp", "user", "items", "ignored", "_value", "_currency", "_page_url", "_latest_referrer_host",
    "_previous_timestamp", "_engagement_time_msec", "_entrances", "_is_first_time", "_app_install_channel",
    "_app_install_source", "_install_channel", "_session_start_timestamp", "_session_start_time_msec",
    "_utm_source", "_utm_medium", "_utm_campaign", "_utm_content", "_utm_term", "_utm_id", "_utm_source_platform",
)  # fmt: skip
SCRATCH = {name: len(EVENT_COLUMNS) + offset for offset, name in enumerate(SCRATCH_NAMES)}
EVENT_WIDTH = len(EVENT_COLUMNS)
ROW_WIDTH = EVENT_WIDTH + len(SCRATCH_NAMES)
EMPTY_ROW: list[Any] = [None] * ROW_WIDTH

TOP_SLOTS: dict[str, int] = {
    **{key: SCRATCH[key] for key in (
        "event_type", "event_name", "unique_id", "user_pseudo_id", "device_unique_id", "advertising_id",
        "event_value", "event_value_in_usd", "event_value_currency", "currency", "platform", "zone_offset",
        "host_name", "timestamp", "user", "items")},
    "event_id": COLUMN["event_id"], "app_id": COLUMN["app_id"], "device_id": COLUMN["device_vendor_id"],
    "os_version": COLUMN["device_operating_system_version"], "make": COLUMN["device_manufacturer"],
    "brand": COLUMN["device_mobile_brand_name"], "model": COLUMN["device_mobile_model_name"],
    "carrier": COLUMN["device_carrier"], "network_type": COLUMN["device_network_type"],
    "screen_height": COLUMN["device_screen_height"], "screen_width": COLUMN["device_screen_width"],
    "viewport_height": COLUMN["device_viewport_height"], "viewport_width": COLUMN["device_viewport_width"],
    "locale": COLUMN["geo_locale"], "system_language": COLUMN["device_system_language"],
    "sdk_version": COLUMN["sdk_version"], "sdk_name": COLUMN["sdk_name"], "app_version": COLUMN["app_version"],
    "app_package_name": COLUMN["app_package_id"], "app_title": COLUMN["app_title"],
    "event_previous_timestamp": SCRATCH["ignored"], "attributes": SCRATCH["ignored"],
}  # fmt: skip
ATTRIBUTE_SLOTS: dict[str, int] = {
    **{key: SCRATCH[key] for key in SCRATCH_NAMES if key.startswith("_")},
    "_session_id": COLUMN["session_id"], "_session_duration": COLUMN["session_duration"],
    "_session_number": COLUMN["session_number"], "_page_title": COLUMN["page_view_page_title"],
    "_page_referrer": COLUMN["page_view_page_referrer"],
    "_page_referrer_title": COLUMN["page_view_page_referrer_title"],
    "_latest_referrer": COLUMN["page_view_latest_referrer"], "_screen_name": COLUMN["screen_view_screen_name"],
    "_screen_id": COLUMN["screen_view_screen_id"], "_screen_unique_id": COLUMN["screen_view_screen_unique_id"],
    "_previous_screen_name": COLUMN["screen_view_previous_screen_name"],
    "_previous_screen_id": COLUMN["screen_view_previous_screen_id"],
    "_previous_screen_unique_id": COLUMN["screen_view_previous_screen_unique_id"],
    "_link_classes": COLUMN["outbound_link_classes"], "_link_domain": COLUMN["outbound_link_domain"],
    "_link_id": COLUMN["outbound_link_id"], "_link_url": COLUMN["outbound_link_url"],
    "_outbound": COLUMN["outbound_link"], "_search_key": COLUMN["search_key"],
    "_search_term": COLUMN["search_term"], "_previous_app_version": COLUMN["upgrade_previous_app_version"],
    "_previous_os_version": COLUMN["upgrade_previous_os_version"],
    "_exception_message": COLUMN["app_exception_message"], "_exception_stack": COLUMN["app_exception_stack"],
    "_error_code": COLUMN["sdk_error_code"], "_error_message": COLUMN["sdk_error_message"],
    "_traffic_source_clid": COLUMN["traffic_source_clid"], "_gclid": SCRATCH["ignored"],
    **{f"_traffic_source_{part}": COLUMN[f"traffic_source_{part}"] for part in (
        "source", "medium", "campaign", "content", "term", "campaign_id", "clid_platform", "channel_group",
        "category")},
}  # fmt: skip
# (column, scratch slots in order of precedence) filled from the first scratch slot that holds a value
PRECEDENCE = tuple(
    (COLUMN[column], tuple(SCRATCH[key] for key in keys))
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
# The same, less session_start_time_msec (handled on its own: almost every event sends its alias), and one
# getter of all their alias slots, so an event that sends none of them is recognised in one C-level call.
RARE_PRECEDENCE = tuple(entry for entry in PRECEDENCE if entry[0] != COLUMN["session_start_time_msec"])
_RARE_SLOTS = tuple(slot for _, alternatives in RARE_PRECEDENCE for slot in alternatives)
RARE_ALIASES = itemgetter(*_RARE_SLOTS)
NO_RARE_ALIASES = (None,) * len(_RARE_SLOTS)
# Attributes that belong to a column only for one event name: event name -> ((scratch slot, column), ...)
BY_EVENT_NAME = {
    "_screen_view": (("_previous_timestamp", "screen_view_previous_time_msec"),
                     ("_engagement_time_msec", "screen_view_engagement_time_msec"),
                     ("_entrances", "screen_view_entrances")),
    "_page_view": (("_previous_timestamp", "page_view_previous_time_msec"),
                   ("_engagement_time_msec", "page_view_engagement_time_msec"), ("_entrances", "page_view_entrances")),
    "_app_start": (("_is_first_time", "app_start_is_first_time"),),
    "_user_engagement": (("_engagement_time_msec", "user_engagement_time_msec"),),
    "_scroll": (("_engagement_time_msec", "scroll_engagement_time_msec"),),
}  # fmt: skip
EVENT_NAME_SLOTS = {
    name: tuple((SCRATCH[slot], COLUMN[column]) for slot, column in pairs) for name, pairs in BY_EVENT_NAME.items()
}


def first_present(row: list[Any], slots: tuple[int, ...]) -> Any:
    for slot in slots:
        value = row[slot]
        if value is not None and value != "":
            return value
    return None


NAME_SLOTS = (SCRATCH["event_type"], SCRATCH["event_name"])
PSEUDO_ID_SLOTS = (SCRATCH["unique_id"], SCRATCH["user_pseudo_id"])


# Slot numbers the transform uses.
COL_IP = COLUMN["_ip"]
COL_TRAFFIC_ATTRIBUTES = COLUMN["_traffic_attributes"]
COL_UA = COLUMN["_ua"]
COL_USER = COLUMN["_user"]
COL_APP_ID = COLUMN["app_id"]
COL_CUSTOM_PARAMETERS = COLUMN["custom_parameters"]
COL_CUSTOM_PARAMETERS_JSON_STR = COLUMN["custom_parameters_json_str"]
COL_DEVICE_OPERATING_SYSTEM = COLUMN["device_operating_system"]
COL_DEVICE_TIME_ZONE_OFFSET_SECONDS = COLUMN["device_time_zone_offset_seconds"]
COL_EVENT_BUNDLE_SEQUENCE_ID = COLUMN["event_bundle_sequence_id"]
COL_EVENT_ID = COLUMN["event_id"]
COL_EVENT_NAME = COLUMN["event_name"]
COL_EVENT_TIME_MSEC = COLUMN["event_time_msec"]
COL_EVENT_TIMESTAMP = COLUMN["event_timestamp"]
COL_EVENT_VALUE = COLUMN["event_value"]
COL_EVENT_VALUE_CURRENCY = COLUMN["event_value_currency"]
COL_INGEST_TIME_MSEC = COLUMN["ingest_time_msec"]
COL_PAGE_VIEW_HOSTNAME = COLUMN["page_view_hostname"]
COL_PAGE_VIEW_LATEST_REFERRER = COLUMN["page_view_latest_referrer"]
COL_PAGE_VIEW_LATEST_REFERRER_HOST = COLUMN["page_view_latest_referrer_host"]
COL_PAGE_VIEW_PAGE_URL = COLUMN["page_view_page_url"]
COL_PAGE_VIEW_PAGE_URL_PATH = COLUMN["page_view_page_url_path"]
COL_PAGE_VIEW_PAGE_URL_QUERY_PARAMETERS = COLUMN["page_view_page_url_query_parameters"]
COL_PLATFORM = COLUMN["platform"]
COL_PROCESS_INFO = COLUMN["process_info"]
COL_PROJECT_ID = COLUMN["project_id"]
COL_SESSION_START_TIME_MSEC = COLUMN["session_start_time_msec"]
COL_USER_FIRST_TOUCH_TIME_MSEC = COLUMN["user_first_touch_time_msec"]
COL_USER_ID = COLUMN["user_id"]
COL_USER_PSEUDO_ID = COLUMN["user_pseudo_id"]
SCR_LATEST_REFERRER_HOST = SCRATCH["_latest_referrer_host"]
SCR_PAGE_URL = SCRATCH["_page_url"]
SCR_VALUE = SCRATCH["_value"]
SCR_EVENT_VALUE = SCRATCH["event_value"]
SCR_EVENT_VALUE_IN_USD = SCRATCH["event_value_in_usd"]
SCR_HOST_NAME = SCRATCH["host_name"]
SCR_PLATFORM = SCRATCH["platform"]
SCR_TIMESTAMP = SCRATCH["timestamp"]
SCR_USER = SCRATCH["user"]
SCR_ZONE_OFFSET = SCRATCH["zone_offset"]
SCR_SESSION_START_TIMESTAMP = SCRATCH["_session_start_timestamp"]
SCR_SESSION_START_TIME_MSEC = SCRATCH["_session_start_time_msec"]
