"""What the analyses mean on small event sets built per test, run on DuckDB against counts worked out by hand.

Each test writes only the events its case needs into an in-memory DuckDB (the columns the Studio reads,
``event_timestamp`` a TIMESTAMPTZ as in the snapshot), builds the analysis from a request, renders it and
runs it. The session's TimeZone is deliberately neither UTC nor the app's zone: the SQL must say which
zone it means (issue 8: buckets and ranges in the app's zone, whatever the connection's setting).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from clickstream.studio.analyses import (
    Analysis,
    attribution_analysis,
    event_analysis,
    funnel_analysis,
    retention_analysis,
)
from clickstream.studio.catalog import Catalog
from clickstream.studio.model import AttributionRequest, EventRequest, ExploreRequest, FunnelRequest, RetentionRequest
from clickstream.studio.sqlbuild import render, time_range

APP = "shop"
VIEW, CART, BUY, PAGE = "view_item", "add_to_cart", "purchase", "_page_view"
CATALOG = Catalog.from_document({
    "events": [{"appId": APP, "name": name} for name in (VIEW, CART, BUY, PAGE)],
    "eventParameters": [{"appId": APP, "name": "product", "category": "event", "valueType": "string"}],
    "userAttributes": [{"appId": APP, "name": "tier", "category": "user", "valueType": "string"}],
})  # fmt: skip
MAP = "map(varchar, struct(value varchar, type varchar))"
# (event_id, user, session, UTC time, event name, product or None)
Event = tuple[str, str, str, str, str, str | None]


@pytest.fixture
def warehouse() -> Iterator[Callable[[list[Event]], duckdb.DuckDBPyConnection]]:
    connections: list[duckdb.DuckDBPyConnection] = []

    def build(events: list[Event]) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect(":memory:")
        connections.append(connection)
        connection.execute("set TimeZone = 'America/New_York'")  # neither UTC nor any app zone used below
        connection.execute(
            f"create table events (app_id varchar, event_id varchar, event_name varchar, event_timestamp timestamptz, "
            f"user_pseudo_id varchar, session_id varchar, user_id varchar, platform varchar, event_value double, "
            f"custom_parameters {MAP})"
        )
        connection.execute(
            f"create table users (app_id varchar, user_pseudo_id varchar, user_id varchar, user_properties {MAP})"
        )
        for event_id, user, session, moment, name, product in events:
            parameters = {"product": {"value": product, "type": "string"}} if product else {}
            connection.execute(
                f"insert into events values ($app, $id, $name, cast($ts as timestamptz), $user, $session, null, "
                f"'Web', null, cast($parameters as {MAP}))",
                {"app": APP, "id": event_id, "name": name, "ts": moment + "+00", "user": user, "session": session,
                 "parameters": parameters},
            )  # fmt: skip
        return connection

    yield build
    for connection in connections:
        connection.close()


def run(connection: duckdb.DuckDBPyConnection, analysis: Analysis) -> list[dict[str, Any]]:
    """The analysis' rows; when it has a second plan for Redshift and Athena, that one (run on DuckDB too) agrees."""
    answers = []
    for tree in [analysis.tree] + ([analysis.portable] if analysis.portable is not None else []):
        cursor = connection.execute(render(tree, "duckdb"))
        columns = [column[0] for column in cursor.description]
        answers.append(analysis.shape([dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]))
    assert all(answer == answers[0] for answer in answers), answers
    return answers[0]


def body(**fields: Any) -> dict[str, Any]:
    return {"appId": APP, "timeScopeType": "FIXED", "timeStart": "2024-01-01", "timeEnd": "2024-01-31", **fields}


def steps(*names: str) -> list[dict[str, str]]:
    return [{"eventName": name} for name in names]


def counts(rows: list[dict[str, Any]]) -> list[int]:
    return [row["count"] for row in rows]


# --- funnel --------------------------------------------------------------------------------------------------


def test_funnel_events_count_the_distinct_events_matched_at_each_step(warehouse: Any) -> None:
    # two views then one cart: both views reach the same cart, which is one event at step 2
    connection = warehouse([
        ("e1", "a", "s1", "2024-01-02 10:00:00", VIEW, None),
        ("e2", "a", "s1", "2024-01-02 10:01:00", VIEW, None),
        ("e3", "a", "s1", "2024-01-02 10:02:00", CART, None),
    ])  # fmt: skip
    request = FunnelRequest.model_validate(body(computeMethod="EVENT_CNT", eventAndConditions=steps(VIEW, CART)))
    assert counts(run(connection, funnel_analysis(CATALOG, request))) == [2, 1]


def test_funnel_joined_on_the_session_counts_users_not_sessions(warehouse: Any) -> None:
    # a views in s1 and adds to cart in s2 (no conversion within a session); b converts in s3;
    # c converts in both s4 and s5 and is one user
    connection = warehouse([
        ("e1", "a", "s1", "2024-01-02 10:00:00", VIEW, None),
        ("e2", "a", "s2", "2024-01-02 10:01:00", CART, None),
        ("e3", "b", "s3", "2024-01-02 11:00:00", VIEW, None),
        ("e4", "b", "s3", "2024-01-02 11:01:00", CART, None),
        ("e5", "c", "s4", "2024-01-02 12:00:00", VIEW, None),
        ("e6", "c", "s4", "2024-01-02 12:01:00", CART, None),
        ("e7", "c", "s5", "2024-01-03 12:00:00", VIEW, None),
        ("e8", "c", "s5", "2024-01-03 12:01:00", CART, None),
    ])  # fmt: skip
    by_session = body(specifyJoinColumn=True, joinColumn="session_id", eventAndConditions=steps(VIEW, CART))
    rows = run(connection, funnel_analysis(CATALOG, FunnelRequest.model_validate(by_session)))
    assert counts(rows) == [3, 2]
    by_user = body(eventAndConditions=steps(VIEW, CART))
    assert counts(run(connection, funnel_analysis(CATALOG, FunnelRequest.model_validate(by_user)))) == [3, 3]


def test_funnel_within_the_same_day_means_the_app_zones_day(warehouse: Any) -> None:
    # 14:30 and 15:30 UTC are the same UTC day but 23:30 and 00:30 of two days in Tokyo
    connection = warehouse([
        ("e1", "a", "s1", "2024-01-02 14:30:00", VIEW, None),
        ("e2", "a", "s1", "2024-01-02 15:30:00", CART, None),
    ])  # fmt: skip
    same_day = {"conversionIntervalType": "CURRENT_DAY", "eventAndConditions": steps(VIEW, CART)}
    utc = run(connection, funnel_analysis(CATALOG, FunnelRequest.model_validate(body(**same_day))))
    tokyo = run(
        connection, funnel_analysis(CATALOG, FunnelRequest.model_validate(body(**same_day, timezone="Asia/Tokyo")))
    )
    assert (counts(utc), counts(tokyo)) == ([1, 1], [1, 0])


# --- time ----------------------------------------------------------------------------------------------------


def test_buckets_and_a_fixed_range_are_days_in_the_app_zone(warehouse: Any) -> None:
    # Tokyo is UTC+9: 2024-01-01 16:00 UTC is 2 January there, 2024-01-02 15:30 UTC is 3 January
    connection = warehouse([
        ("e1", "a", "s1", "2024-01-01 14:00:00", VIEW, None),  # 1 Jan 23:00 in Tokyo: before the range
        ("e2", "a", "s1", "2024-01-01 16:00:00", VIEW, None),
        ("e3", "b", "s2", "2024-01-02 14:59:00", VIEW, None),
        ("e4", "b", "s2", "2024-01-02 15:30:00", VIEW, None),  # 3 Jan 00:30 in Tokyo: after the range
    ])  # fmt: skip
    request = EventRequest.model_validate({
        "appId": APP, "timezone": "Asia/Tokyo", "timeScopeType": "FIXED", "timeStart": "2024-01-02",
        "timeEnd": "2024-01-02", "computeMethod": "EVENT_CNT", "eventAndConditions": steps(VIEW),
    })  # fmt: skip
    rows = run(connection, event_analysis(CATALOG, request))
    assert [(row["bucket"], row["value"]) for row in rows] == [("2024-01-02", 2)]


def test_a_start_with_an_offset_is_that_moment_not_shifted_again(warehouse: Any) -> None:
    # 2024-01-02T00:00+09:00 is 2024-01-01 15:00 UTC, whatever the app's zone (here UTC) or the session's
    connection = warehouse([
        ("e1", "a", "s1", "2024-01-01 14:59:00", VIEW, None),
        ("e2", "a", "s1", "2024-01-01 15:00:00", VIEW, None),
    ])  # fmt: skip
    request = EventRequest.model_validate({
        "appId": APP, "timeScopeType": "FIXED", "timeStart": "2024-01-02T00:00:00+09:00",
        "timeEnd": "2024-01-31", "computeMethod": "EVENT_CNT", "eventAndConditions": steps(VIEW),
    })  # fmt: skip
    assert [row["value"] for row in run(connection, event_analysis(CATALOG, request))] == [1]


def test_weeks_start_on_monday(warehouse: Any) -> None:
    # 2024-01-07 is a Sunday (week of Monday 1 January), 2024-01-08 a Monday
    connection = warehouse([
        ("e1", "a", "s1", "2024-01-07 12:00:00", VIEW, None),
        ("e2", "a", "s1", "2024-01-08 12:00:00", VIEW, None),
    ])  # fmt: skip
    request = EventRequest.model_validate(body(groupColumn="WEEK", computeMethod="EVENT_CNT",
                                               eventAndConditions=steps(VIEW)))  # fmt: skip
    rows = run(connection, event_analysis(CATALOG, request))
    assert [(row["bucket"], row["value"]) for row in rows] == [("2024-01-01", 1), ("2024-01-08", 1)]


@pytest.mark.parametrize(
    ("unit", "last_n", "first_day"),
    [
        ("DD", 1, date(2024, 3, 14)),  # today in Tokyo (it is already the 14th there)
        ("DD", 3, date(2024, 3, 12)),
        ("WK", 1, date(2024, 3, 11)),  # this week's Monday
        ("WK", 2, date(2024, 3, 4)),
        ("MM", 1, date(2024, 3, 1)),  # this calendar month
        ("MM", 3, date(2024, 1, 1)),
        ("MM", 4, date(2023, 12, 1)),
        ("YY", 1, date(2024, 1, 1)),
        ("YY", 2, date(2023, 1, 1)),
    ],
)
def test_relative_ranges_are_calendar_units_up_to_today_in_the_app_zone(
    unit: str, last_n: int, first_day: date
) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    now = datetime(2024, 3, 13, 16, 0, tzinfo=UTC)  # Thursday 14 March, 01:00 in Tokyo
    request = ExploreRequest.model_validate({"appId": APP, "timezone": "Asia/Tokyo", "timeScopeType": "RELATIVE",
                                             "lastN": last_n, "timeUnit": unit})  # fmt: skip
    start, end = time_range(request, now)
    assert start == datetime.combine(first_day, datetime.min.time(), tzinfo=tokyo)
    assert end == datetime(2024, 3, 15, tzinfo=tokyo)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        ExploreRequest.model_validate({"appId": APP, "timezone": "Mars/Olympus", "timeScopeType": "RELATIVE",
                                       "lastN": 1, "timeUnit": "DD"})  # fmt: skip


# --- conditions ----------------------------------------------------------------------------------------------


PRODUCTS: list[Event] = [
    ("e1", "a", "s1", "2024-01-02 10:00:00", VIEW, "p1"),
    ("e2", "b", "s2", "2024-01-02 10:00:00", VIEW, "p2"),
    ("e3", "c", "s3", "2024-01-02 10:00:00", VIEW, None),
]


@pytest.mark.parametrize(
    ("operator", "value", "events"),
    [("<>", ["p1"], 2), ("not_in", ["p1", "p9"], 2), ("not_contains", ["1"], 2), ("=", ["p1"], 1), ("in", ["p2"], 1)],
)
def test_negative_conditions_keep_the_events_without_the_value(
    warehouse: Any, operator: str, value: list[str], events: int
) -> None:
    connection = warehouse(PRODUCTS)
    condition = {"property": "product", "operator": operator, "value": value}
    metric = {"eventName": VIEW, "sqlCondition": {"conditions": [condition]}}
    request = EventRequest.model_validate(body(groupColumn="MONTH", computeMethod="EVENT_CNT",
                                               eventAndConditions=[metric]))  # fmt: skip
    assert [row["value"] for row in run(connection, event_analysis(CATALOG, request))] == [events]


# --- retention -----------------------------------------------------------------------------------------------


def test_retention_on_an_associated_parameter_needs_both_values(warehouse: Any) -> None:
    # a: cart and view without a product (no match); b: cart p1, view p1 a day later (a return)
    connection = warehouse([
        ("e1", "a", "s1", "2024-01-02 10:00:00", CART, None),
        ("e2", "a", "s2", "2024-01-03 10:00:00", VIEW, None),
        ("e3", "b", "s3", "2024-01-02 10:00:00", CART, "p1"),
        ("e4", "b", "s4", "2024-01-03 10:00:00", VIEW, "p1"),
    ])  # fmt: skip
    joined = {"retentionJoinColumn": {"category": "event", "property": "product"}}
    pair = {"startEvent": {"eventName": CART, **joined}, "backEvent": {"eventName": VIEW, **joined}}
    request = RetentionRequest.model_validate(body(pairEventAndConditions=[pair], periods=1))
    rows = run(connection, retention_analysis(CATALOG, request))
    # period 0: no view on 2 Jan, so 0 of the cohort's 2 users came back that day; period 1: b
    assert [(row["cohort"], row["period"], row["users"]) for row in rows] == [("2024-01-02", 0, 0),
                                                                              ("2024-01-02", 1, 1)]  # fmt: skip


# --- attribution ---------------------------------------------------------------------------------------------


def credit(rows: list[dict[str, Any]]) -> list[tuple[str, int, int, float]]:
    return [(row["event_name"], row["total_triggers"], row["triggers_with_conversion"], row["contribution"])
            for row in rows]  # fmt: skip


def test_a_touch_counts_only_for_the_next_goal(warehouse: Any) -> None:
    # view, purchase, cart, purchase in one session: the view belongs to the first purchase, the cart to the
    # second; with a linear model each gets one whole purchase (not the view a share of the second too)
    connection = warehouse([
        ("e1", "a", "s1", "2024-01-02 10:00:00", VIEW, None),
        ("e2", "a", "s1", "2024-01-02 10:01:00", BUY, None),
        ("e3", "a", "s1", "2024-01-02 10:02:00", CART, None),
        ("e4", "a", "s1", "2024-01-02 10:03:00", BUY, None),
    ])  # fmt: skip
    request = AttributionRequest.model_validate(body(modelType="LINEAR", targetEventAndCondition={"eventName": BUY},
                                                     eventAndConditions=steps(VIEW, CART)))  # fmt: skip
    assert credit(run(connection, attribution_analysis(CATALOG, request))) == [(VIEW, 1, 1, 1.0), (CART, 1, 1, 1.0)]


def test_a_touch_before_the_range_counts_for_a_goal_in_it(warehouse: Any) -> None:
    # the range starts on 2 January; the view 30 s before midnight is inside the purchase's 60 s window,
    # the cart the day before is in range of nothing (its next goal is outside the window); a purchase
    # before the range is not a goal of this report
    connection = warehouse([
        ("e1", "a", "s1", "2023-12-31 10:00:00", CART, None),
        ("e2", "a", "s1", "2023-12-31 10:01:00", BUY, None),
        ("e3", "b", "s2", "2024-01-01 23:59:30", VIEW, None),
        ("e4", "b", "s2", "2024-01-02 00:00:10", BUY, None),
    ])  # fmt: skip
    request = AttributionRequest.model_validate({
        "appId": APP, "timeScopeType": "FIXED", "timeStart": "2024-01-02", "timeEnd": "2024-01-31",
        "modelType": "LAST_TOUCH", "timeWindowType": "CUSTOMIZE", "timeWindowInSeconds": 60,
        "targetEventAndCondition": {"eventName": BUY}, "eventAndConditions": steps(VIEW, CART),
    })  # fmt: skip
    assert credit(run(connection, attribution_analysis(CATALOG, request))) == [(VIEW, 1, 1, 1.0)]
