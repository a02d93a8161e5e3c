"""The path analysis's two plans give one answer.

DuckDB runs a plan that finds each level with a hash join and a MIN (no sort of the events); Redshift and
Athena get a plan of window passes. Both run here on DuckDB over events with the awkward cases: events of
one session sharing a millisecond, a start node that is the session's first event or repeats, runs of one
node to merge, paths without the start node, and pauses that split a user's events into paths; counted
in users and in events, with and without conditions on the start node.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from clickstream.studio import model, paths
from clickstream.studio.catalog import Catalog
from clickstream.studio.sqlbuild import render

NAMES = ["_session_start", "_page_view", "view_item", "add_to_cart", "purchase"]
TITLES = ["Home", "Cart", "Item", None]
JANUARY = {"appId": "shop", "timeScopeType": "FIXED", "timeStart": "2024-01-01", "timeEnd": "2024-01-31"}


def random_events(seed: int = 7) -> list[tuple[Any, ...]]:
    """Sessions of 1-12 events, a third of them in the same millisecond as the event before."""
    chance = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    for user in range(40):
        moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=chance.randrange(600))
        for session in range(chance.randrange(1, 4)):
            moment += timedelta(minutes=chance.choice([5, 45, 240]))
            for _ in range(chance.randrange(1, 13)):
                if chance.random() > 0.33:
                    moment += timedelta(seconds=chance.randrange(1, 400))
                name = chance.choice(NAMES)
                title = chance.choice(TITLES) if name == "_page_view" else None
                rows.append((f"u{user}", f"u{user}-s{session}", f"e{len(rows):05d}-{chance.randrange(10**6)}",
                             moment, name, title))  # fmt: skip
    return rows


def events_table(rows: list[tuple[Any, ...]]) -> duckdb.DuckDBPyConnection:
    """App shop's events table of ``rows``: (user, session, event id, time, name, page title)."""
    connection = duckdb.connect(":memory:")
    connection.execute("set TimeZone = 'UTC'")
    connection.execute(
        "create table events (app_id varchar, user_pseudo_id varchar, session_key varchar, event_id varchar, "
        "event_timestamp timestamptz, event_name varchar, page_view_page_title varchar)"
    )
    connection.executemany("insert into events values ('shop', ?, ?, ?, ?, ?, ?)", rows)
    # users count (and lagSeconds paths run) by the merged user; no device here has signed in
    connection.execute("create table users (app_id varchar, user_pseudo_id varchar, user_id varchar)")
    return connection


@pytest.fixture(scope="module")
def events() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = events_table(random_events())
    yield connection
    connection.close()


def both_plans(connection: duckdb.DuckDBPyConnection, body: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    request = model.PathRequest.model_validate({**JANUARY, **body})
    analysis = paths.path_analysis(Catalog(events={"shop": set(NAMES)}), request)
    assert analysis.portable is not None
    fast = connection.execute(render(analysis.tree, "duckdb")).fetchall()
    windows = connection.execute(render(analysis.portable, "duckdb")).fetchall()
    return fast, windows


SETTINGS: list[dict[str, Any]] = [
    {"levels": 3, "mergeConsecutiveEvents": True},
    {"levels": 5, "mergeConsecutiveEvents": False},
    {"levels": 10},
    {"levels": 4, "sessionType": "CUSTOMIZE", "lagSeconds": 1800, "mergeConsecutiveEvents": True},
    {"levels": 4, "sessionType": "CUSTOMIZE", "lagSeconds": 60},
    {"levels": 4, "nodes": ["view_item", "purchase"], "includingOtherEvents": True, "mergeConsecutiveEvents": True},
    {"levels": 4, "nodes": ["view_item", "purchase"], "includingOtherEvents": False},
    {"levels": 3, "nodeType": "page_view_page_title", "mergeConsecutiveEvents": True},
    {"levels": 3, "nodeType": "page_view_page_title", "nodes": ["Home"], "includingOtherEvents": True},
]


CASES = [
    (settings, start)
    for settings in SETTINGS
    for start in ([None, "Home"] if settings.get("nodeType") else [None, "_session_start", "view_item"])
]


@pytest.mark.parametrize(("settings", "start"), CASES, ids=lambda case: str(case))
def test_the_join_plan_and_the_window_plan_agree(
    events: duckdb.DuckDBPyConnection, settings: dict[str, Any], start: str | None
) -> None:
    body: dict[str, Any] = {"pathAnalysis": settings}
    if start is not None:
        body["eventAndConditions"] = [{"eventName": start}]
    fast, windows = both_plans(events, body)
    assert fast, "the dataset should give every setting some links"
    assert fast == windows


HOME_PAGE = {"conditions": [{"category": "other", "property": "page_view_page_title", "operator": "in",
                             "value": ["Home", "Cart"]}]}  # fmt: skip
REQUESTS = [
    {"computeMethod": "EVENT_CNT", "pathAnalysis": {"levels": 4, "mergeConsecutiveEvents": True}},
    {"computeMethod": "EVENT_CNT", "eventAndConditions": [{"eventName": "view_item"}], "pathAnalysis": {"levels": 5}},
    {"computeMethod": "EVENT_CNT", "eventAndConditions": [{"eventName": "_page_view", "sqlCondition": HOME_PAGE}],
     "pathAnalysis": {"levels": 4, "sessionType": "CUSTOMIZE", "lagSeconds": 1800}},
    {"eventAndConditions": [{"eventName": "_page_view", "sqlCondition": HOME_PAGE}],
     "pathAnalysis": {"levels": 4, "mergeConsecutiveEvents": True, "nodes": ["_page_view", "purchase"]}},
    {"eventAndConditions": [{"eventName": "Home", "sqlCondition": HOME_PAGE}],
     "pathAnalysis": {"levels": 3, "nodeType": "page_view_page_title"}},
]  # fmt: skip


@pytest.mark.parametrize("body", REQUESTS, ids=lambda body: str(body))
def test_the_plans_agree_on_counts_of_events_and_start_conditions(
    events: duckdb.DuckDBPyConnection, body: dict[str, Any]
) -> None:
    fast, windows = both_plans(events, body)
    assert fast, "the dataset should give every request some links"
    assert fast == windows


def hand_made(rows: list[tuple[str, str, int, str]]) -> duckdb.DuckDBPyConnection:
    """Events (session, event_id, second of 1 Jan 2024, name) of user u1."""
    start = datetime(2024, 1, 1, 10, tzinfo=UTC)
    return events_table([("u1", session, event, start + timedelta(seconds=second), name, None)
                         for session, event, second, name in rows])  # fmt: skip


def test_a_path_starting_at_the_sessions_first_event_counts_from_it() -> None:
    connection = hand_made([("s1", "a", 0, "view_item"), ("s1", "b", 5, "add_to_cart"), ("s1", "c", 9, "purchase")])
    body = {"eventAndConditions": [{"eventName": "view_item"}], "pathAnalysis": {"levels": 3}}
    fast, windows = both_plans(connection, body)
    assert fast == windows == [(1, "view_item", "add_to_cart", 1), (2, "add_to_cart", "purchase", 1)]


def test_events_in_the_same_millisecond_follow_event_id_order() -> None:
    connection = hand_made([("s1", "b", 0, "purchase"), ("s1", "a", 0, "view_item"), ("s1", "c", 0, "add_to_cart")])
    fast, windows = both_plans(connection, {"pathAnalysis": {"levels": 3}})
    assert fast == windows == [(1, "view_item", "purchase", 1), (2, "purchase", "add_to_cart", 1)]


def test_a_repeated_start_node_counts_from_its_first_occurrence_and_merges() -> None:
    connection = hand_made([
        ("s1", "a", 0, "_page_view"), ("s1", "b", 1, "view_item"), ("s1", "c", 2, "view_item"),
        ("s1", "d", 3, "view_item"), ("s1", "e", 4, "purchase"), ("s1", "f", 5, "view_item"),
    ])  # fmt: skip
    body = {"eventAndConditions": [{"eventName": "view_item"}],
            "pathAnalysis": {"levels": 3, "mergeConsecutiveEvents": True}}  # fmt: skip
    fast, windows = both_plans(connection, body)
    assert fast == windows == [(1, "view_item", "purchase", 1), (2, "purchase", "view_item", 1)]


def test_a_session_without_the_start_node_adds_nothing() -> None:
    connection = hand_made([("s1", "a", 0, "_page_view"), ("s1", "b", 1, "purchase")])
    body = {"eventAndConditions": [{"eventName": "view_item"}], "pathAnalysis": {"levels": 3}}
    assert both_plans(connection, body) == ([], [])
