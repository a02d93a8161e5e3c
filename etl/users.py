"""``user_v2`` rows of one batch: one per app and ``user_pseudo_id`` seen (reference section 3.3 step 4).

The dbt models merge batches; here each user gets the latest ``user_id`` and properties of the batch
and first-touch fields from the batch's earliest qualifying event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from etl.transform import msec_to_datetime, user_properties

FIRST_TOUCH_EVENTS = frozenset({"_first_open", "_first_visit", "_session_start", "_screen_view"})
_FIRST_TRAFFIC = (
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "campaign_id",
    "clid_platform",
    "clid",
    "channel_group",
    "category",
)


def build_users(events: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """User rows from ``(sdk_event, event_v2_row)`` pairs of one batch."""
    by_user: dict[tuple[str, str], list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = {}
    for event, row in events:
        by_user.setdefault((row["app_id"], row["user_pseudo_id"]), []).append((event, row))
    return [_user_row(app_id, user_pseudo_id, pairs) for (app_id, user_pseudo_id), pairs in by_user.items()]


def _user_row(
    app_id: str, user_pseudo_id: str, pairs: list[tuple[Mapping[str, Any], Mapping[str, Any]]]
) -> dict[str, Any]:
    pairs.sort(key=lambda pair: (pair[1]["event_time_msec"], pair[1]["event_id"]))
    latest_row = pairs[-1][1]
    user_ids = [row["user_id"] for _, row in pairs if row["user_id"]]
    with_user = [event for event, _ in pairs if isinstance(event.get("user"), dict) and event.get("user")]
    profile_sets = [event for event in with_user if event.get("event_type", event.get("event_name")) == "_profile_set"]
    sources = profile_sets or with_user
    properties = user_properties(sources[-1]) if sources else None
    first_touch_rows = [row for _, row in pairs if row["event_name"] in FIRST_TOUCH_EVENTS]
    first = first_touch_rows[0] if first_touch_rows else None
    sdk_first_touch = [row["user_first_touch_time_msec"] for _, row in pairs if row["user_first_touch_time_msec"]]
    first_touch_msec = min(sdk_first_touch) if sdk_first_touch else (first["event_time_msec"] if first else None)
    row: dict[str, Any] = {
        "event_timestamp": latest_row["event_timestamp"],
        "user_pseudo_id": user_pseudo_id,
        "user_id": user_ids[-1] if user_ids else None,
        "user_properties": properties,
        "user_properties_json_str": orjson.dumps(properties).decode() if properties else None,
        "first_touch_time_msec": first_touch_msec,
        "first_visit_date": first_touch.date() if (first_touch := msec_to_datetime(first_touch_msec)) else None,
        "first_referrer": (first["page_view_page_referrer"] or first["page_view_latest_referrer"]) if first else None,
        "first_app_install_source": first["app_install_source"] if first else None,
        "app_id": app_id,
        "process_info": {
            **latest_row["process_info"],
            "first_event_name": pairs[0][1]["event_name"],
            "latest_event_name": latest_row["event_name"],
        },
    }
    for part in _FIRST_TRAFFIC:
        row[f"first_traffic_{part}"] = first[f"traffic_source_{part}"] if first else None
    return row
