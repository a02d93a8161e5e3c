"""A small modeled warehouse whose every analysis result can be worked out by hand.

Rows go into ``analytics.fct_events`` with the contract's event_v2 columns plus the session columns
fct_events adds; the serving snapshot is then published from it exactly as a cycle publishes it.

App ``shop`` (UTC), January 2024 (1 Jan is a Monday):

| user | platform | session | time | event | details |
|---|---|---|---|---|---|
| u1 | Web | s1 | 01-01 10:00 | _page_view | Home |
| u1 | Web | s1 | 01-01 10:01 | view_item | product p1 |
| u1 | Web | s1 | 01-01 10:02 | add_to_cart | product p1 |
| u1 | Web | s1 | 01-01 10:03 | _page_view | Cart |
| u1 | Web | s1 | 01-01 10:05 | purchase | value 30 |
| u2 | Android | s2 | 01-01 11:00 | _page_view | Home |
| u2 | Android | s2 | 01-01 11:01 | view_item | product p2 |
| u2 | Android | s2 | 01-01 11:30 | add_to_cart | product p2 |
| u3 | iOS | s3 | 01-02 09:00 | _page_view | Home |
| u3 | iOS | s3 | 01-02 09:00:30 | _page_view | Home |
| u3 | iOS | s3 | 01-02 09:01 | view_item | product p1 |
| u1 | Web | s5 | 01-03 08:00 | _page_view | Home |
| u1 | Web | s5 | 01-03 08:01 | view_item | product p1 |
| u2 | Android | s7 | 01-04 18:00 | view_item | product p9 |
| u4 | Web | s6 | 01-08 10:00 | _page_view | Home |
| u4 | Web | s6 | 01-08 10:01 | view_item | product p3 |
| u4 | Web | s6 | 01-08 10:02 | add_to_cart | product p3 |
| u4 | Web | s6 | 01-08 10:03 | purchase | value 50 |
| u3 | iOS | s4 | 01-09 12:00 | _page_view | Home |
| u3 | iOS | s4 | 01-09 12:01 | purchase | value 20 |
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import duckdb

from clickstream.config import Config
from clickstream.contract import PROCESSED_TABLES, rows_to_arrow
from clickstream.serving import publish_snapshot

APP = "shop"
EVENTS: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    ("u1", "Web", "s1", "2024-01-01 10:00:00", "_page_view", {"title": "Home"}),
    ("u1", "Web", "s1", "2024-01-01 10:01:00", "view_item", {"product": "p1"}),
    ("u1", "Web", "s1", "2024-01-01 10:02:00", "add_to_cart", {"product": "p1"}),
    ("u1", "Web", "s1", "2024-01-01 10:03:00", "_page_view", {"title": "Cart"}),
    ("u1", "Web", "s1", "2024-01-01 10:05:00", "purchase", {"value": 30.0}),
    ("u2", "Android", "s2", "2024-01-01 11:00:00", "_page_view", {"title": "Home"}),
    ("u2", "Android", "s2", "2024-01-01 11:01:00", "view_item", {"product": "p2"}),
    ("u2", "Android", "s2", "2024-01-01 11:30:00", "add_to_cart", {"product": "p2"}),
    ("u3", "iOS", "s3", "2024-01-02 09:00:00", "_page_view", {"title": "Home"}),
    ("u3", "iOS", "s3", "2024-01-02 09:00:30", "_page_view", {"title": "Home"}),
    ("u3", "iOS", "s3", "2024-01-02 09:01:00", "view_item", {"product": "p1"}),
    ("u1", "Web", "s5", "2024-01-03 08:00:00", "_page_view", {"title": "Home"}),
    ("u1", "Web", "s5", "2024-01-03 08:01:00", "view_item", {"product": "p1"}),
    ("u2", "Android", "s7", "2024-01-04 18:00:00", "view_item", {"product": "p9"}),
    ("u4", "Web", "s6", "2024-01-08 10:00:00", "_page_view", {"title": "Home"}),
    ("u4", "Web", "s6", "2024-01-08 10:01:00", "view_item", {"product": "p3"}),
    ("u4", "Web", "s6", "2024-01-08 10:02:00", "add_to_cart", {"product": "p3"}),
    ("u4", "Web", "s6", "2024-01-08 10:03:00", "purchase", {"value": 50.0}),
    ("u3", "iOS", "s4", "2024-01-09 12:00:00", "_page_view", {"title": "Home"}),
    ("u3", "iOS", "s4", "2024-01-09 12:01:00", "purchase", {"value": 20.0}),
]


# dim_users: u1 and u3 are gold-tier customers (a user property); u2 came directly, the others by search; no
# device has signed in (user_id null), so each device is its own user
USERS: list[tuple[str, str | None, str, dict[str, str]]] = [
    ("u1", None, "google", {"tier": "gold"}),
    ("u2", None, "direct", {"tier": "silver"}),
    ("u3", None, "google", {"tier": "gold"}),
    ("u4", None, "google", {}),
]


def event_rows(events: list[tuple[str, str, str, str, str, dict[str, Any]]] = EVENTS) -> list[dict[str, Any]]:
    """The events as fct_events rows; ``details`` may carry ``user_id`` (the signed-in id the event was sent with)."""
    rows = []
    for index, (user, platform, session, moment, name, details) in enumerate(events):
        when = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        custom = {"product": {"value": details["product"], "type": "string"}} if "product" in details else {}
        rows.append({
            "event_timestamp": when, "event_id": f"e{index:02d}", "event_time_msec": int(when.timestamp() * 1000),
            "event_name": name, "event_value": details.get("value"), "platform": platform, "project_id": "demo",
            "app_id": APP, "user_pseudo_id": user, "session_id": session, "user_id": details.get("user_id"),
            "page_view_page_title": details.get("title"), "custom_parameters": list(custom.items()),
        })  # fmt: skip
    return rows


def build_warehouse(
    config: Config,
    events: list[tuple[str, str, str, str, str, dict[str, Any]]] = EVENTS,
    users: list[tuple[str, str | None, str, dict[str, str]]] = USERS,
) -> None:
    """``analytics.fct_events`` holding ``events`` (as the model would), ``analytics.dim_users`` holding
    ``users`` (device, signed-in user id, first traffic source, user properties), the catalog file and a
    published snapshot."""
    batch = rows_to_arrow(PROCESSED_TABLES["event_v2"], event_rows(events))
    config.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(config.warehouse_path)) as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.register("batch", batch)
        connection.execute("create schema analytics")
        connection.execute(
            "create table analytics.fct_events as select *, cast(event_timestamp as date) as event_date, "
            "session_id as session_key, user_pseudo_id as user_key, 'google' as session_source, "
            "cast(null as varchar) as session_medium, cast(null as varchar) as session_campaign, "
            "'Organic Search' as session_channel_group, 'search' as session_source_category, "
            "true as session_is_engaged, 1 as session_views, 0 as session_engagement_time_msec from batch"
        )
        connection.execute(
            "create table analytics.dim_users (app_id varchar, user_pseudo_id varchar, user_id varchar, "
            "first_traffic_source varchar, user_properties map(varchar, struct(value varchar, type varchar)))"
        )
        for device, user_id, source, properties in users:
            names, values = list(properties), [{"value": value, "type": "string"} for value in properties.values()]
            connection.execute(
                "insert into analytics.dim_users values (?, ?, ?, ?, "
                "map(cast(? as varchar[]), cast(? as struct(value varchar, type varchar)[])))",
                [APP, device, user_id, source, names, values],
            )
    write_catalog(config)
    publish_snapshot(config)


def write_catalog(config: Config) -> None:
    """The catalog a metadata scan of EVENTS would write (events and the custom parameter ``product``)."""
    counts = Counter(event[4] for event in EVENTS)
    titles = Counter(event[5]["title"] for event in EVENTS if "title" in event[5])
    document = {
        "projectId": "demo",
        "events": [{"id": f"demo#{APP}#{name}", "projectId": "demo", "appId": APP, "name": name,
                    "summary": {"hasData": True, "latestCount": count, "platform": ["Android", "Web", "iOS"]}}
                   for name, count in sorted(counts.items())],
        "eventParameters": [
            {"id": f"demo#{APP}#event#product#string", "projectId": "demo", "appId": APP, "name": "product",
             "category": "event", "valueType": "string", "description": "",  "metadataSource": "Custom",
             "summary": {"hasData": True, "associatedEvents": ["add_to_cart", "view_item"],
                         "valueEnum": [{"value": "p1", "count": 4}, {"value": "p2", "count": 2},
                                       {"value": "p3", "count": 2}]}},
            {"id": f"demo#{APP}#event_outer#platform#string", "projectId": "demo", "appId": APP,
             "name": "platform", "category": "event_outer", "valueType": "string", "description": "Platform",
             "metadataSource": "Preset", "summary": {"hasData": True, "valueEnum": [
                 {"value": "Web", "count": 11}, {"value": "iOS", "count": 5}, {"value": "Android", "count": 3}]}},
            {"id": f"demo#{APP}#page_view#page_view_page_title#string", "projectId": "demo", "appId": APP,
             "name": "page_view_page_title", "category": "page_view", "valueType": "string",
             "description": "Page title", "metadataSource": "Preset", "summary": {"hasData": True,
             "associatedEvents": ["_page_view"], "valueEnum": [{"value": t, "count": c} for t, c in titles.items()]}},
        ],
        "userAttributes": [
            {"id": f"demo#{APP}#user#tier#string", "projectId": "demo", "appId": APP, "name": "tier",
             "category": "user", "valueType": "string", "description": "", "metadataSource": "Custom",
             "summary": {"hasData": True,
                         "valueEnum": [{"value": "gold", "count": 2}, {"value": "silver", "count": 1}]}},
            {"id": f"demo#{APP}#user#_user_id#string", "projectId": "demo", "appId": APP, "name": "_user_id",
             "category": "user", "valueType": "string", "description": "", "metadataSource": "Preset",
             "summary": {"hasData": True, "valueEnum": []}},
        ],
    }  # fmt: skip
    path = config.home / "metadata" / "catalog.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
