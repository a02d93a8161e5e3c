"""The original console's request bodies, sent unchanged through the Studio's HTTP API.

Each body has the shape the original's console posts to ``/api/reporting/<analysis>`` (its
``action``, ``chartType``, ``viewName``, ``projectId``, ``pipelineId``, ``dashboardCreateParameters``,
a top-level ``computeMethod``, per-step ``sqlCondition`` with ``conditionOperator``, ``dataType`` on
every condition, ``maxStep`` for paths, ``modelWeights`` and ``timeWindowInSeconds: 0`` for
attribution, ...). The answers run on tests/studio/dataset.py and are compared with numbers worked out
by hand from the original's definitions (its SQL builder, ``sql-builder.ts`` and
``sql-builder-attribution.ts``); the arithmetic is in each test. Where the Studio differs on purpose
(decision 46, docs/differences.md), the comment gives both numbers.

The events (all UTC, the app's zone here):

    u1 s1 01-01 10:00 page Home, 10:01 view p1, 10:02 cart p1, 10:03 page Cart, 10:05 purchase 30
    u2 s2 01-01 11:00 page Home, 11:01 view p2, 11:30 cart p2
    u3 s3 01-02 09:00 page Home, 09:00:30 page Home, 09:01 view p1
    u1 s5 01-03 08:00 page Home, 08:01 view p1
    u2 s7 01-04 18:00 view p9
    u4 s6 01-08 10:00 page Home, 10:01 view p3, 10:02 cart p3, 10:03 purchase 50
    u3 s4 01-09 12:00 page Home, 12:01 purchase 20

u1 and u3 are gold-tier users, u2 silver, u4 has no tier; u2 came directly, the others by google.
"""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi.testclient import TestClient

from clickstream.studio import sqlbuild
from clickstream.studio.catalog import Catalog
from clickstream.studio.model import Condition
from tests.support.studio import REQUEST_ID

VIEW, CART, BUY, PAGE = "view_item", "add_to_cart", "purchase", "_page_view"

# what the original's console puts in every body; the Studio reads only appId, the range and the zone
CONSOLE = {
    "action": "PREVIEW",
    "locale": "en-US",
    "projectId": "demo",
    "pipelineId": "pipeline-1",
    "appId": "shop",
    "sheetName": "event_sheet_abc123",
    "viewName": "event_view_abc123",
    "dashboardCreateParameters": {
        "region": "us-east-1",
        "allowedDomain": "https://console.example.com",
        "quickSight": {"dataSourceArn": "arn:aws:quicksight:us-east-1:111122223333:datasource/clickstream"},
    },
    "timezone": "UTC",
    "timeScopeType": "FIXED",
    "timeStart": "2024-01-01",
    "timeEnd": "2024-01-31",
}


def no_conditions() -> dict[str, Any]:
    return {"conditionOperator": "and", "conditions": []}


def event(name: str, **extra: Any) -> dict[str, Any]:
    """An item of ``eventAndConditions`` as the console writes it (an empty condition list included)."""
    return {"eventName": name, "sqlCondition": no_conditions(), **extra}


def condition(category: str, prop: str, operator: str, value: list[Any], data_type: str = "string") -> dict[str, Any]:
    return {"category": category, "property": prop, "operator": operator, "value": value, "dataType": data_type}


def post(client: TestClient, kind: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/reporting/{kind}", json={**CONSOLE, **body}, headers=REQUEST_ID)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def pick(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(row[key] for key in keys) for row in rows]


# --- event ---------------------------------------------------------------------------------------------------


def event_body(*metrics: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"chartType": "line", "computeMethod": "USER_ID_CNT", "specifyJoinColumn": False,
            "groupColumn": "DAY", "eventAndConditions": list(metrics), **extra}  # fmt: skip


def test_a_metric_without_its_own_method_counts_events(client: TestClient) -> None:
    # the original: computeMethod ?? EVENT_CNT per metric, the request's USER_ID_CNT unread; page views
    # per day: 1 Jan e00 e03 e05 = 3 (2 users), 2 Jan e08 e09 = 2 (1 user), 3 Jan 1, 8 Jan 1, 9 Jan 1
    rows = post(client, "event", event_body(event(PAGE)))
    assert pick(rows, "bucket", "value") == [
        ("2024-01-01", 3), ("2024-01-02", 2), ("2024-01-03", 1), ("2024-01-08", 1), ("2024-01-09", 1),
    ]  # fmt: skip


def test_each_metric_is_counted_by_its_own_method(client: TestClient) -> None:
    # metric 1 counts users (1 Jan u1 u2 = 2, 2 Jan u3 = 1, ...), metric 2 events (as above)
    rows = post(client, "event", event_body(event(PAGE, computeMethod="USER_ID_CNT"),
                                            event(PAGE, computeMethod="EVENT_CNT")))  # fmt: skip
    assert pick(rows, "metric", "bucket", "value") == [
        (1, "2024-01-01", 2), (1, "2024-01-02", 1), (1, "2024-01-03", 1), (1, "2024-01-08", 1), (1, "2024-01-09", 1),
        (2, "2024-01-01", 3), (2, "2024-01-02", 2), (2, "2024-01-03", 1), (2, "2024-01-08", 1), (2, "2024-01-09", 1),
    ]  # fmt: skip


def test_a_property_is_summed_per_week(client: TestClient) -> None:
    # the original's property form groups by groupColumn: week of 1 Jan: 30; week of 8 Jan: 50 + 20 = 70
    target = {"targetProperty": {"category": "event_outer", "property": "event_value", "dataType": "double"},
              "aggregationMethod": "sum"}  # fmt: skip
    metric = event(BUY, computeMethod="AGGREGATION_PROPERTY", eventExtParameter=target)
    rows = post(client, "event", event_body(metric, groupColumn="WEEK"))
    assert pick(rows, "bucket", "value") == [("2024-01-01", 30.0), ("2024-01-08", 70.0)]


def test_count_property_counts_distinct_values_per_week(client: TestClient) -> None:
    # views' products: week of 1 Jan p1 p2 p1 p1 p9 -> 3 values; week of 8 Jan p3 -> 1
    target = {"targetProperty": {"category": "event", "property": "product", "dataType": "string"}}
    metric = event(VIEW, computeMethod="COUNT_PROPERTY", eventExtParameter=target)
    rows = post(client, "event", event_body(metric, groupColumn="WEEK"))
    assert pick(rows, "bucket", "value") == [("2024-01-01", 3), ("2024-01-08", 1)]


def test_not_in_keeps_events_without_the_value(client: TestClient) -> None:
    # the original: (e_product is null or e_product not in ('p1')); views: p2 p9 p3 = 3 of 6;
    # page views have no product, so all 8 stay
    not_p1 = {"conditionOperator": "and", "conditions": [condition("event", "product", "not_in", ["p1"])]}
    rows = post(client, "event", event_body(event(VIEW, computeMethod="EVENT_CNT", sqlCondition=not_p1),
                                            event(PAGE, computeMethod="EVENT_CNT", sqlCondition=not_p1),
                                            groupColumn="MONTH"))  # fmt: skip
    assert pick(rows, "event_name", "value") == [(VIEW, 3), (PAGE, 8)]


def test_a_number_condition_compares_the_value(client: TestClient) -> None:
    # purchases with event_value > 25: 30 (u1) and 50 (u4), not 20 (u3)
    over = {"conditionOperator": "and", "conditions": [condition("event_outer", "event_value", ">", [25], "double")]}
    rows = post(client, "event", event_body(event(BUY, sqlCondition=over), groupColumn="MONTH"))
    assert pick(rows, "value") == [(2,)]


def test_contains_searches_the_text(client: TestClient) -> None:
    # page titles containing "ar": only "Cart" (e03)
    cart = {"conditionOperator": "and",
            "conditions": [condition("event_outer", "page_view_page_title", "contains", ["ar"])]}  # fmt: skip
    rows = post(client, "event", event_body(event(PAGE, sqlCondition=cart), groupColumn="MONTH"))
    assert pick(rows, "value") == [(1,)]


def test_a_global_condition_on_a_user_column_applies_to_every_metric(client: TestClient) -> None:
    # user_outer first_traffic_source <> 'google' (or null): only u2's events; views e06 e13 by 1 user
    globally = {"conditionOperator": "and",
                "conditions": [condition("user_outer", "first_traffic_source", "<>", ["google"])]}  # fmt: skip
    rows = post(client, "event", event_body(event(VIEW, computeMethod="USER_ID_CNT"), event(VIEW),
                                            groupColumn="MONTH", globalEventCondition=globally))  # fmt: skip
    assert pick(rows, "metric", "value") == [(1, 1), (2, 2)]


def test_a_group_condition_splits_by_the_events_platform(client: TestClient) -> None:
    # page views: Web e00 e03 e11 e14 = 4, Android e05 = 1, iOS e08 e09 e18 = 3
    group = {"applyTo": "FIRST", "conditions": [{"category": "event_outer", "property": "platform",
                                                 "dataType": "string"}]}  # fmt: skip
    rows = post(client, "event", event_body(event(PAGE), groupColumn="MONTH", groupCondition=group))
    assert pick(rows, "group_value", "value") == [("Android", 1), ("Web", 4), ("iOS", 3)]


# --- funnel --------------------------------------------------------------------------------------------------


def funnel_body(*names: str, **extra: Any) -> dict[str, Any]:
    return {"chartType": "funnel", "computeMethod": "USER_ID_CNT", "specifyJoinColumn": True,
            "joinColumn": "user_pseudo_id", "groupColumn": "DAY", "eventAndConditions": [event(n) for n in names],
            **extra}  # fmt: skip


def test_a_same_day_funnel_with_zero_seconds_is_read(client: TestClient) -> None:
    # the console sends conversionIntervalInSeconds 0 with CURRENT_DAY. Views by u1 u2 u3 u4 (4 users);
    # a later cart the same day: u1 (10:02), u2 (11:30), u4 (10:02) -> 3; u3 never carts
    rows = post(client, "funnel", funnel_body(VIEW, CART, conversionIntervalType="CURRENT_DAY",
                                              conversionIntervalInSeconds=0))  # fmt: skip
    assert pick(rows, "step", "count", "conversion_rate") == [(1, 4, 1.0), (2, 3, 0.75)]


def test_a_funnel_without_a_window_type_is_same_day(client: TestClient) -> None:
    # the original's builder takes any type but CUSTOMIZE as the same day: as above
    rows = post(client, "funnel", funnel_body(VIEW, CART))
    assert pick(rows, "count") == [(4,), (3,)]


def test_a_custom_window_runs_from_the_first_step(client: TestClient) -> None:
    # 200 s from the view: u1 carts at +60 s but buys at +240 s (only 180 s after the cart): out at step 3;
    # u4 carts at +60 s and buys at +120 s; u2's cart is 29 min later, u3 never carts
    rows = post(client, "funnel", funnel_body(VIEW, CART, BUY, conversionIntervalType="CUSTOMIZE",
                                              conversionIntervalInSeconds=200))  # fmt: skip
    assert pick(rows, "count") == [(4,), (2,), (1,)]


def test_a_custom_funnel_window_of_zero_seconds_is_refused(client: TestClient) -> None:
    body = {**CONSOLE, **funnel_body(VIEW, CART, conversionIntervalType="CUSTOMIZE", conversionIntervalInSeconds=0)}
    response = client.post("/api/reporting/funnel", json=body, headers=REQUEST_ID)
    assert response.status_code == 400
    assert "conversionIntervalInSeconds" in response.text


def test_a_funnel_counting_events_counts_the_events_reached(client: TestClient) -> None:
    # views e01 e06 e10 e12 e13 e15 = 6; carts reached the same day: e02 (after e01), e07 (after e06), e16
    # (after e15) = 3. The original's any-chain count gives 3 too here: no view has two carts after it
    # (where one does, the original counts both and can pass 100 %; the Studio does not, decision 46)
    rows = post(
        client,
        "funnel",
        funnel_body(
            VIEW, CART, computeMethod="EVENT_CNT", conversionIntervalType="CURRENT_DAY", conversionIntervalInSeconds=0
        ),
    )
    assert pick(rows, "count") == [(6,), (3,)]


# --- path ----------------------------------------------------------------------------------------------------


def path_body(nodes: list[str], **settings: Any) -> dict[str, Any]:
    """As the console: every chosen node in eventAndConditions and in pathAnalysis.nodes, maxStep 10."""
    analysis = {"sessionType": "SESSION", "nodeType": "event", "nodes": nodes, "includingOtherEvents": False,
                "mergeConsecutiveEvents": False, **settings}  # fmt: skip
    return {"chartType": "sankey", "computeMethod": "USER_ID_CNT", "specifyJoinColumn": False, "groupColumn": "DAY",
            "maxStep": 10, "eventAndConditions": [event(n) for n in nodes], "pathAnalysis": analysis}  # fmt: skip


def links(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return pick(rows, "source_step", "source", "target", "count")


def test_an_event_path_from_one_event_shows_every_event_by_name(client: TestClient) -> None:
    # one event: the original's "start from" form, every event but the unchosen presets by name, per
    # session from its first page view: s1 page view cart page purchase; s2 page view cart; s3 page page
    # view; s5 page view; s6 page view cart purchase; s4 page purchase (s7 has no page view).
    # Users per link: page->view u1 u2 u4 = 3 (the original's Sankey sums users per day: 4, u1 on 1 and
    # 3 Jan; decision 46), page->page u3, page->purchase u3; view->cart u1 u2 u4 = 3, page->view u3;
    # cart->page u1, cart->purchase u4; page->purchase u1. Path ends (the original's "lost_N") are not links
    rows = post(client, "path", path_body([PAGE]))
    assert links(rows) == [
        (1, PAGE, VIEW, 3), (1, PAGE, PAGE, 1), (1, PAGE, BUY, 1),
        (2, VIEW, CART, 3), (2, PAGE, VIEW, 1),
        (3, CART, PAGE, 1), (3, CART, BUY, 1),
        (4, PAGE, BUY, 1),
    ]  # fmt: skip


def test_an_event_path_from_several_events_shows_the_others_as_other(client: TestClient) -> None:
    # page, view and purchase chosen, the rest "other"; from the first page view per session:
    # s1 page view other page purchase; s2 page view other; s3 page page view; s5 page view;
    # s6 page view other purchase; s4 page purchase. Paths per link (EVENT_CNT counts source events)
    body = path_body([PAGE, VIEW, BUY], includingOtherEvents=True)
    rows = post(client, "path", {**body, "computeMethod": "EVENT_CNT"})
    assert links(rows) == [
        (1, PAGE, VIEW, 4), (1, PAGE, PAGE, 1), (1, PAGE, BUY, 1),
        (2, VIEW, "other", 3), (2, PAGE, VIEW, 1),
        (3, "other", PAGE, 1), (3, "other", BUY, 1),
        (4, PAGE, BUY, 1),
    ]  # fmt: skip


def test_max_step_caps_the_nodes_of_a_path(client: TestClient) -> None:
    # maxStep 3: links from step 1 and 2 only (the original: a.step_2 <= maxStep)
    body = path_body([PAGE, VIEW, BUY], includingOtherEvents=True)
    rows = post(client, "path", {**body, "computeMethod": "EVENT_CNT", "maxStep": 3})
    assert links(rows) == [
        (1, PAGE, VIEW, 4), (1, PAGE, PAGE, 1), (1, PAGE, BUY, 1), (2, VIEW, "other", 3), (2, PAGE, VIEW, 1),
    ]  # fmt: skip


def test_a_page_path_starts_at_the_first_listed_page(client: TestClient) -> None:
    # titles Home and Cart, others left out; per session from its first Home: s1 Home Cart (u1),
    # s3 Home Home (u3); the one-page sessions make no link
    body = path_body(["Home", "Cart"], nodeType="page_view_page_title", platform="Web")
    assert links(post(client, "path", body)) == [(1, "Home", "Cart", 1), (1, "Home", "Home", 1)]


def test_a_pause_of_lag_seconds_ends_a_path(client: TestClient) -> None:
    # paths per user until a pause of 1740 s or more (the original keeps a gap under lagSeconds), from
    # each path's first view (presets such as page views left out): u1 view cart purchase | view;
    # u2 view | cart (exactly 1740 s later) | view; u3 view | purchase; u4 view cart purchase.
    # The original's builder puts the event before a pause into the next path (decision 46)
    body = path_body([VIEW], sessionType="CUSTOMIZE", lagSeconds=1740)
    rows = post(client, "path", {**body, "computeMethod": "EVENT_CNT"})
    assert links(rows) == [(1, VIEW, CART, 2), (2, CART, BUY, 2)]


# --- retention -----------------------------------------------------------------------------------------------


def retention_body(start: dict[str, Any], back: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"chartType": "line", "computeMethod": "USER_ID_CNT", "specifyJoinColumn": False, "groupColumn": "DAY",
            "timeEnd": "2024-01-10", "pairEventAndConditions": [{"startEvent": start, "backEvent": back}],
            **extra}  # fmt: skip


def first_cohort(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows of the first day's cohort: the original's only cohort (its first_date)."""
    return pick([row for row in rows if row["cohort"] == "2024-01-01"], "period", "users", "cohort_users", "rate")


def test_retention_period_0_is_the_share_who_returned_the_same_day(client: TestClient) -> None:
    # cohort of 1 Jan (page view that day): u1 u2; purchases: u1 on 1 Jan -> day 0 = 1/2; u3 (9 Jan)
    # and u4 (8 Jan) are not in it, so days 1..9 are 0 (every day of the range, as the original's
    # date list 1..10 Jan, when the body sets no periods)
    rows = post(client, "retention", retention_body(event(PAGE), event(BUY)))
    assert first_cohort(rows) == [(0, 1, 2, 0.5)] + [(day, 0, 2, 0.0) for day in range(1, 10)]


def test_retention_on_an_associated_parameter_matches_the_values(client: TestClient) -> None:
    # carts on 1 Jan: u1 p1, u2 p2; views of the same product: day 0 u1 (p1, 10:01) and u2 (p2, 11:01),
    # as the original does not order a day's events = 2/2; day 2 u1 (p1) = 1/2; u2's p9 on 4 Jan is not p2
    joined = {"retentionJoinColumn": {"category": "event", "property": "product", "dataType": "string"}}
    rows = post(client, "retention", retention_body(event(CART, **joined), event(VIEW, **joined)))
    assert [row for row in first_cohort(rows) if row[1]] == [(0, 2, 2, 1.0), (2, 1, 2, 0.5)]


def test_retention_is_split_by_the_group_condition(client: TestClient) -> None:
    # cohort of 1 Jan by the page view's platform: Web u1, Android u2; views on the same platform:
    # Web day 0 (1 Jan) and day 2 (3 Jan) by u1, Android day 0 (1 Jan) and day 3 (4 Jan) by u2
    group = {"conditions": [{"category": "event_outer", "property": "platform", "dataType": "string"}]}
    rows = post(client, "retention", retention_body(event(PAGE), event(VIEW), groupCondition=group))
    first = [row for row in rows if row["cohort"] == "2024-01-01" and row["users"]]
    assert pick(first, "group_value", "period", "users", "cohort_users") == [
        ("Android", 0, 1, 1), ("Android", 3, 1, 1), ("Web", 0, 1, 1), ("Web", 2, 1, 1),
    ]  # fmt: skip


# --- attribution ---------------------------------------------------------------------------------------------


def attribution_body(model: str, window: str, **extra: Any) -> dict[str, Any]:
    return {"chartType": "table", "computeMethod": "EVENT_CNT", "specifyJoinColumn": False,
            "conversionIntervalType": "CUSTOMIZE", "conversionIntervalInSeconds": 86400, "groupColumn": "DAY",
            "targetEventAndCondition": event(BUY), "eventAndConditions": [event(PAGE), event(VIEW), event(CART)],
            "modelType": model, "modelWeights": [0.4, 0.2, 0.4], "timeWindowType": window,
            "timeWindowInSeconds": 0, **extra}  # fmt: skip


def credits(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return pick(rows, "event_name", "total_triggers", "triggers_with_conversion", "contribution", "contribution_rate")


def test_a_session_window_with_zero_seconds_credits_the_last_touch(client: TestClient) -> None:
    # goals e04 (u1 s1), e17 (u4 s6), e19 (u3 s4); last touch in the goal's session: e03 page, e16 cart,
    # e18 page -> page 2, cart 1 of 3. Triggers: page 8, view 6, cart 3 in the range; with a goal in
    # their session: page e00 e03 e14 e18 = 4, view e01 e15 = 2, cart e02 e16 = 2
    rows = post(client, "attribution", attribution_body("LAST_TOUCH", "SESSION"))
    assert credits(rows) == [(PAGE, 8, 4, 2.0, 0.6667), (VIEW, 6, 2, 0.0, 0.0), (CART, 3, 2, 1.0, 0.3333)]


def test_a_day_window_with_zero_seconds_shares_each_goal_linearly(client: TestClient) -> None:
    # same day as the goal: e04 has 4 touches (page 2/4, view 1/4, cart 1/4), e17 3 (1/3 each), e19 only
    # e18 (page 1): page 0.5 + 1/3 + 1, view and cart 1/4 + 1/3
    rows = post(client, "attribution", attribution_body("LINEAR", "CURRENT_DAY"))
    assert pick(rows, "event_name", "contribution") == [(PAGE, 1.8333), (VIEW, 0.5833), (CART, 0.5833)]


def test_a_custom_attribution_window_of_zero_seconds_is_refused(client: TestClient) -> None:
    body = {**CONSOLE, **attribution_body("LAST_TOUCH", "CUSTOMIZE")}
    response = client.post("/api/reporting/attribution", json=body, headers=REQUEST_ID)
    assert response.status_code == 400
    assert "timeWindowInSeconds" in response.text


def test_a_window_of_years_is_read(client: TestClient) -> None:
    # 3 years (the original takes up to 10): every touch since the user's previous goal counts; the last
    # ones are still e03 page (u1), e16 cart (u4), e18 page (u3): page 2, cart 1
    body = attribution_body("LAST_TOUCH", "CUSTOMIZE", timeWindowInSeconds=3 * 365 * 86400)
    assert pick(post(client, "attribution", body), "event_name", "contribution") == [
        (PAGE, 2.0), (VIEW, 0.0), (CART, 1.0),
    ]  # fmt: skip


# --- conditions on a boolean parameter -------------------------------------------------------------------------


def test_false_on_a_boolean_parameter_holds_where_it_is_missing() -> None:
    # the original: (e_is_member is null or e_is_member = FALSE); a custom parameter holds the text
    # "true" or "false". Events: true, false, missing -> true 1, false 2 (false and missing)
    catalog = Catalog.from_document({
        "events": [{"appId": "shop", "name": VIEW}],
        "eventParameters": [{"appId": "shop", "name": "is_member", "category": "event", "valueType": "boolean"}],
    })  # fmt: skip
    parameters = "map(varchar, struct(value varchar, type varchar))"
    with duckdb.connect(":memory:") as connection:
        connection.execute(f"create table events as select * from (values (map {{'is_member': {{'value': 'true', "
                           f"'type': 'boolean'}}}}), (map {{'is_member': {{'value': 'false', 'type': 'boolean'}}}}), "
                           f"(cast(map {{}} as {parameters}))) as t(custom_parameters)")  # fmt: skip
        counts = {}
        for operator in ("true", "false"):
            test = sqlbuild.condition(catalog, "shop", Condition.model_validate(
                {"category": "event", "property": "is_member", "operator": operator, "value": [],
                 "dataType": "boolean"}))  # fmt: skip
            where = sqlbuild.render(test, "duckdb")
            counts[operator] = connection.execute(f"select count(*) from events where {where}").fetchone()
    assert counts == {"true": (1,), "false": (2,)}


def test_false_on_a_boolean_column_holds_where_it_is_missing() -> None:
    # the original's _buildSqlFromBooleanCondition for a column: `= TRUE`, and `(col is null or col = FALSE)`.
    # Events whose session_is_engaged is true, false, missing -> true 1, false 2 (false and missing)
    catalog = Catalog.from_document({"events": [{"appId": "shop", "name": VIEW}]})
    with duckdb.connect(":memory:") as connection:
        connection.execute(
            "create table events as select * from (values (true), (false), (null)) as t(session_is_engaged)"
        )
        counts = {}
        for operator in ("true", "false"):
            test = sqlbuild.condition(catalog, "shop", Condition.model_validate(
                {"category": "session", "property": "session_is_engaged", "operator": operator, "value": [],
                 "dataType": "boolean"}))  # fmt: skip
            where = sqlbuild.render(test, "duckdb")
            counts[operator] = connection.execute(f"select count(*) from events where {where}").fetchone()
    assert counts == {"true": (1,), "false": (2,)}
