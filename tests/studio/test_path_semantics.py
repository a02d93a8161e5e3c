"""What the path analysis counts, on events small enough to follow by hand; every case holds for both plans.

The start node's conditions decide which of its events count (one failing them is in no path), the users
method counts distinct users per link while the events method counts links, and the original's preset
events (``_user_engagement``, ``_scroll``, ``_app_end``, ...) are left out of event paths unless chosen.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from tests.studio.test_path_plans import both_plans, events_table

# (user, session, second after 1 Jan 2024 10:00, event name, page title)
Event = tuple[str, str, int, str, str | None]


def events(rows: list[Event]) -> duckdb.DuckDBPyConnection:
    """An events table of ``rows``; event ids follow the row order."""
    start = datetime(2024, 1, 1, 10, tzinfo=UTC)
    return events_table([(user, session, f"e{index:03d}", start + timedelta(seconds=second), name, title)
                         for index, (user, session, second, name, title) in enumerate(rows)])  # fmt: skip


def agreed(connection: duckdb.DuckDBPyConnection, body: dict[str, Any]) -> list[Any]:
    fast, windows = both_plans(connection, body)
    assert fast == windows
    return fast


# --- the start node's conditions ---------------------------------------------------------------------------

BROWSING: list[Event] = [
    ("u1", "s1", 0, "_page_view", "Home"),
    ("u1", "s1", 1, "view_item", None),
    ("u1", "s1", 2, "_page_view", "Cart"),
    ("u1", "s1", 3, "purchase", None),
    ("u1", "s1", 4, "_page_view", "Home"),
    ("u1", "s1", 5, "view_item", None),
]
CART_PAGE = {"conditions": [{"category": "other", "property": "page_view_page_title", "operator": "=",
                             "value": ["Cart"]}]}  # fmt: skip


def test_without_conditions_a_path_starts_at_the_first_start_node_event() -> None:
    body = {"eventAndConditions": [{"eventName": "_page_view"}], "pathAnalysis": {"levels": 3}}
    assert agreed(events(BROWSING), body) == [(1, "_page_view", "view_item", 1), (2, "view_item", "_page_view", 1)]


def test_the_start_nodes_conditions_choose_the_start_and_drop_its_other_events() -> None:
    # the Home page views fail the condition: the path starts at the Cart page view, and the later Home
    # page view is not a step of it either
    body = {"eventAndConditions": [{"eventName": "_page_view", "sqlCondition": CART_PAGE}],
            "pathAnalysis": {"levels": 3}}  # fmt: skip
    assert agreed(events(BROWSING), body) == [(1, "_page_view", "purchase", 1), (2, "purchase", "view_item", 1)]


def test_a_session_whose_start_node_events_all_fail_the_conditions_has_no_path() -> None:
    rows = [row for row in BROWSING if row[4] != "Cart"]
    body = {"eventAndConditions": [{"eventName": "_page_view", "sqlCondition": CART_PAGE}],
            "pathAnalysis": {"levels": 3}}  # fmt: skip
    assert agreed(events(rows), body) == []


# --- users or events ---------------------------------------------------------------------------------------

REPEAT_BUYERS: list[Event] = [
    ("u1", "s1", 0, "view_item", None), ("u1", "s1", 1, "purchase", None),
    ("u1", "s2", 900, "view_item", None), ("u1", "s2", 901, "purchase", None),
    ("u2", "s3", 0, "view_item", None), ("u2", "s3", 1, "purchase", None), ("u2", "s3", 2, "add_to_cart", None),
]  # fmt: skip


def test_the_users_method_counts_each_user_once_per_link() -> None:
    body = {"computeMethod": "USER_ID_CNT", "eventAndConditions": [{"eventName": "view_item"}],
            "pathAnalysis": {"levels": 3}}  # fmt: skip
    assert agreed(events(REPEAT_BUYERS), body) == [(1, "view_item", "purchase", 2), (2, "purchase", "add_to_cart", 1)]


def test_users_is_the_default_method() -> None:
    body = {"eventAndConditions": [{"eventName": "view_item"}], "pathAnalysis": {"levels": 2}}
    assert agreed(events(REPEAT_BUYERS), body) == [(1, "view_item", "purchase", 2)]


def test_the_events_method_counts_every_paths_link() -> None:
    body = {"computeMethod": "EVENT_CNT", "eventAndConditions": [{"eventName": "view_item"}],
            "pathAnalysis": {"levels": 3}}  # fmt: skip
    assert agreed(events(REPEAT_BUYERS), body) == [(1, "view_item", "purchase", 3), (2, "purchase", "add_to_cart", 1)]


def test_a_users_paths_split_by_a_pause_count_the_user_once() -> None:
    body = {"eventAndConditions": [{"eventName": "view_item"}],
            "pathAnalysis": {"levels": 2, "sessionType": "CUSTOMIZE", "lagSeconds": 60}}  # fmt: skip
    assert agreed(events(REPEAT_BUYERS), body) == [(1, "view_item", "purchase", 2)]


# --- preset events -----------------------------------------------------------------------------------------

NOISY: list[Event] = [
    ("u1", "s1", 0, "_session_start", None),
    ("u1", "s1", 1, "_user_engagement", None),
    ("u1", "s1", 2, "view_item", None),
    ("u1", "s1", 3, "_scroll", None),
    ("u1", "s1", 4, "add_to_cart", None),
    ("u1", "s1", 5, "_app_end", None),
]


def test_preset_events_not_chosen_are_left_out_of_event_paths() -> None:
    body = {"eventAndConditions": [{"eventName": "_session_start"}], "pathAnalysis": {"levels": 4}}
    assert agreed(events(NOISY), body) == [(1, "_session_start", "view_item", 1), (2, "view_item", "add_to_cart", 1)]


def test_a_preset_event_listed_as_a_node_stays() -> None:
    body = {"eventAndConditions": [{"eventName": "_session_start"}],
            "pathAnalysis": {"levels": 3, "nodes": ["view_item", "_scroll"]}}  # fmt: skip
    assert agreed(events(NOISY), body) == [(1, "_session_start", "view_item", 1), (2, "view_item", "_scroll", 1)]


def test_left_out_preset_events_do_not_become_other() -> None:
    body = {"eventAndConditions": [{"eventName": "_session_start"}],
            "pathAnalysis": {"levels": 4, "nodes": ["add_to_cart"], "includingOtherEvents": True}}  # fmt: skip
    assert agreed(events(NOISY), body) == [(1, "_session_start", "other", 1), (2, "other", "add_to_cart", 1)]


def test_without_a_start_node_paths_begin_at_the_first_chosen_or_custom_event() -> None:
    assert agreed(events(NOISY), {"pathAnalysis": {"levels": 3}}) == [(1, "view_item", "add_to_cart", 1)]


def test_page_paths_keep_every_page_view() -> None:
    body = {"pathAnalysis": {"levels": 3, "nodeType": "page_view_page_title"}}
    assert agreed(events(BROWSING), body) == [(1, "Home", "Cart", 1), (2, "Cart", "Home", 1)]
