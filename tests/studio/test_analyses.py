"""The five analyses through the API, on tests/studio/dataset.py, against results worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot
from fastapi.testclient import TestClient

from tests.support.studio import FIXED_JANUARY, REQUEST_ID, explore

VIEW, CART, BUY, PAGE = "view_item", "add_to_cart", "purchase", "_page_view"


def steps(*names: str) -> list[dict[str, Any]]:
    return [{"eventName": name} for name in names]


def pick(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(row[key] for key in keys) for row in rows]


# --- event ---------------------------------------------------------------------------------------------------


def test_event_counts_per_day(client: TestClient) -> None:
    result = explore(client, "event", {"computeMethod": "EVENT_CNT", "eventAndConditions": steps(VIEW)})
    assert pick(result["rows"], "bucket", "value") == [
        ("2024-01-01", 2), ("2024-01-02", 1), ("2024-01-03", 1), ("2024-01-04", 1), ("2024-01-08", 1),
    ]  # fmt: skip


def test_users_per_week_grouped_by_platform(client: TestClient) -> None:
    body = {"groupColumn": "WEEK", "eventAndConditions": [{"eventName": VIEW, "computeMethod": "USER_ID_CNT"}],
            "groupCondition": {"conditions": [{"category": "event_outer", "property": "platform"}]}}  # fmt: skip
    result = explore(client, "event", body)
    assert pick(result["rows"], "bucket", "group_value", "value") == [
        ("2024-01-01", "Android", 1), ("2024-01-01", "Web", 1), ("2024-01-01", "iOS", 1), ("2024-01-08", "Web", 1),
    ]  # fmt: skip


@pytest.mark.parametrize(("method", "expected"), [("sum", 100.0), ("avg", 33.333333), ("median", 30.0),
                                                  ("min", 20.0), ("max", 50.0)])  # fmt: skip
def test_a_property_is_aggregated_per_month(client: TestClient, method: str, expected: float) -> None:
    metric = {
        "eventName": BUY,
        "computeMethod": "AGGREGATION_PROPERTY",
        "eventExtParameter": {
            "targetProperty": {"property": "event_value", "operator": "is_not_null"},
            "aggregationMethod": method,
        },
    }
    result = explore(client, "event", {"groupColumn": "MONTH", "eventAndConditions": [metric]})
    assert pick(result["rows"], "bucket", "value") == [("2024-01-01", expected)]


def test_a_custom_parameter_filters_the_events(client: TestClient) -> None:
    metric = {
        "eventName": VIEW,
        "sqlCondition": {
            "conditions": [
                {"category": "event", "property": "product", "operator": "=", "value": ["p1"], "dataType": "string"}
            ]
        },
    }
    result = explore(client, "event", {"groupColumn": "MONTH", "computeMethod": "EVENT_CNT",
                                       "eventAndConditions": [metric]})  # fmt: skip
    assert pick(result["rows"], "value") == [(3,)]


@pytest.mark.parametrize(
    ("condition", "users"),
    [
        ({"category": "user", "property": "tier", "operator": "=", "value": ["gold"]}, 2),  # a user property
        ({"category": "user", "property": "first_traffic_source", "operator": "=", "value": ["direct"]}, 1),
    ],
    ids=["user-property", "user-column"],
)
def test_a_condition_on_the_user_keeps_that_users_events(
    client: TestClient, condition: dict[str, Any], users: int
) -> None:
    metric = {"eventName": VIEW, "computeMethod": "USER_ID_CNT", "sqlCondition": {"conditions": [condition]}}
    result = explore(client, "event", {"groupColumn": "MONTH", "eventAndConditions": [metric]})
    assert pick(result["rows"], "value") == [(users,)]


def test_count_property_counts_distinct_values(client: TestClient) -> None:
    metric = {"eventName": VIEW, "computeMethod": "COUNT_PROPERTY",
              "eventExtParameter": {"targetProperty": {"property": "product", "operator": "is_not_null"}}}  # fmt: skip
    result = explore(client, "event", {"groupColumn": "MONTH", "eventAndConditions": [metric]})
    assert pick(result["rows"], "value") == [(4,)]  # p1, p2, p3, p9


def test_the_global_condition_applies_to_every_metric(client: TestClient) -> None:
    only_web = {"conditions": [{"property": "platform", "category": "event_outer", "operator": "=",
                                "value": ["Web"]}]}  # fmt: skip
    result = explore(
        client,
        "event",
        {
            "groupColumn": "MONTH",
            "computeMethod": "EVENT_CNT",
            "globalEventCondition": only_web,
            "eventAndConditions": steps(VIEW, BUY),
        },
    )
    assert pick(result["rows"], "event_name", "value") == [(VIEW, 3), (BUY, 2)]


# --- funnel --------------------------------------------------------------------------------------------------


def test_funnel_users_within_ten_minutes(client: TestClient) -> None:
    result = explore(
        client, "funnel", {"conversionIntervalInSeconds": 600, "eventAndConditions": steps(VIEW, CART, BUY)}
    )
    assert pick(result["rows"], "event_name", "count", "conversion_rate", "step_rate") == [
        (VIEW, 4, 1.0, 1.0), (CART, 2, 0.5, 0.5), (BUY, 2, 0.5, 1.0),
    ]  # fmt: skip


def test_funnel_within_the_same_day_lets_the_late_cart_count(client: TestClient) -> None:
    body = {"conversionIntervalType": "CURRENT_DAY", "eventAndConditions": steps(VIEW, CART, BUY)}
    assert pick(explore(client, "funnel", body)["rows"], "count") == [(4,), (3,), (2,)]


def test_funnel_counting_events_counts_each_start(client: TestClient) -> None:
    body = {"computeMethod": "EVENT_CNT", "conversionIntervalInSeconds": 600, "eventAndConditions": steps(VIEW, CART)}
    assert pick(explore(client, "funnel", body)["rows"], "count") == [(6,), (2,)]


def test_funnel_grouped_by_the_first_steps_platform(client: TestClient) -> None:
    body = {"conversionIntervalInSeconds": 600, "eventAndConditions": steps(VIEW, CART, BUY),
            "groupCondition": {"applyTo": "FIRST", "conditions": [{"property": "platform"}]}}  # fmt: skip
    rows = explore(client, "funnel", body)["rows"]
    assert sorted(pick(rows, "group_value", "step", "count")) == [
        ("Android", 1, 1), ("Android", 2, 0), ("Android", 3, 0), ("Web", 1, 2), ("Web", 2, 2), ("Web", 3, 2),
        ("iOS", 1, 1), ("iOS", 2, 0), ("iOS", 3, 0),
    ]  # fmt: skip


def test_funnel_steps_keep_their_order(client: TestClient) -> None:
    # every purchase comes after a view, never before one: purchase -> view_item converts nobody within 10 min
    body = {"conversionIntervalInSeconds": 600, "eventAndConditions": steps(BUY, VIEW)}
    assert pick(explore(client, "funnel", body)["rows"], "count") == [(3,), (0,)]


def test_a_funnel_has_at_most_ten_steps(client: TestClient) -> None:
    body = {**FIXED_JANUARY, "eventAndConditions": steps(*[VIEW] * 11)}
    response = client.post("/api/reporting/funnel", json=body, headers=REQUEST_ID)
    assert response.status_code == 400
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "eventAndConditions"]]


# --- path ----------------------------------------------------------------------------------------------------


def test_page_paths_in_sessions(client: TestClient) -> None:
    body = {"pathAnalysis": {"nodeType": "page_view_page_title"}}
    rows = explore(client, "path", body)["rows"]
    assert pick(rows, "source_step", "source", "target", "count") == [(1, "Home", "Cart", 1), (1, "Home", "Home", 1)]


def test_merging_consecutive_pages_drops_the_reload(client: TestClient) -> None:
    body = {"pathAnalysis": {"nodeType": "page_view_page_title", "mergeConsecutiveEvents": True}}
    assert pick(explore(client, "path", body)["rows"], "source", "target", "count") == [("Home", "Cart", 1)]


def test_event_paths_from_a_start_node_with_unlisted_events_as_other(client: TestClient) -> None:
    body = {
        "computeMethod": "EVENT_CNT",
        "eventAndConditions": steps(PAGE),
        "pathAnalysis": {
            "sessionType": "CUSTOMIZE",
            "lagSeconds": 3600,
            "nodes": [VIEW, BUY],
            "includingOtherEvents": True,
        },
    }
    assert pick(explore(client, "path", body)["rows"], "source_step", "source", "target", "count") == [
        (1, PAGE, VIEW, 4), (1, PAGE, PAGE, 1), (1, PAGE, BUY, 1),
        (2, VIEW, "other", 3), (2, PAGE, VIEW, 1),
        (3, "other", PAGE, 1), (3, "other", BUY, 1),
        (4, PAGE, BUY, 1),  # u1's 1 Jan path goes on to its fifth node (5 levels unless set, as the original)
    ]  # fmt: skip


def test_event_paths_without_other_events_skip_them(client: TestClient) -> None:
    body = {"computeMethod": "EVENT_CNT", "eventAndConditions": steps(PAGE),
            "pathAnalysis": {"nodes": [VIEW, BUY], "includingOtherEvents": False}}  # fmt: skip
    assert pick(explore(client, "path", body)["rows"], "source_step", "source", "target", "count") == [
        (1, PAGE, VIEW, 4), (1, PAGE, PAGE, 1), (1, PAGE, BUY, 1),
        (2, PAGE, VIEW, 1), (2, VIEW, PAGE, 1), (2, VIEW, BUY, 1),
        (3, PAGE, BUY, 1),
    ]  # fmt: skip


# --- retention -----------------------------------------------------------------------------------------------


def pair(start: str, back: str, join: str | None = None) -> dict[str, Any]:
    joined = {"retentionJoinColumn": {"category": "event", "property": join}} if join else {}
    return {"startEvent": {"eventName": start, **joined}, "backEvent": {"eventName": back, **joined}}


def returns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with users (the periods that passed without a return are rows of 0, tested on their own)."""
    return [row for row in rows if row["users"]]


def test_weekly_retention_from_first_visit_to_purchase(client: TestClient) -> None:
    # week of 1 Jan: u1, u2, u3 first visit; u1 buys that week (period 0, as the original), u3 the next;
    # week of 8 Jan: u4 visits and buys the same week
    body = {"groupColumn": "WEEK", "pairEventAndConditions": [pair(PAGE, BUY)]}
    assert pick(returns(explore(client, "retention", body)["rows"]), "cohort", "period", "users", "rate") == [
        ("2024-01-01", 0, 1, 0.3333), ("2024-01-01", 1, 1, 0.3333), ("2024-01-08", 0, 1, 1.0),
    ]  # fmt: skip


def test_periods_that_passed_without_returns_are_zero_and_future_ones_absent(client: TestClient) -> None:
    # up to 31 January: the 1 Jan cohort has seen weeks +1..+4, the 8 Jan cohort weeks +1..+3
    body = {"groupColumn": "WEEK", "pairEventAndConditions": [pair(PAGE, BUY)]}
    assert pick(explore(client, "retention", body)["rows"], "cohort", "period", "users") == [
        ("2024-01-01", 0, 1), ("2024-01-01", 1, 1), ("2024-01-01", 2, 0), ("2024-01-01", 3, 0), ("2024-01-01", 4, 0),
        ("2024-01-08", 0, 1), ("2024-01-08", 1, 0), ("2024-01-08", 2, 0), ("2024-01-08", 3, 0),
    ]  # fmt: skip


def test_daily_retention_counts_returns_by_days_since_the_first_visit(client: TestClient) -> None:
    body = {"groupColumn": "DAY", "pairEventAndConditions": [pair(PAGE, PAGE)]}
    assert pick(returns(explore(client, "retention", body)["rows"]), "cohort", "period", "users") == [
        ("2024-01-01", 0, 2), ("2024-01-01", 2, 1), ("2024-01-02", 0, 1), ("2024-01-02", 7, 1), ("2024-01-08", 0, 1),
    ]  # fmt: skip


def test_retention_with_an_associated_parameter_needs_the_same_value(client: TestClient) -> None:
    loose = returns(explore(client, "retention", {"pairEventAndConditions": [pair(CART, VIEW)]})["rows"])
    joined = returns(
        explore(client, "retention", {"pairEventAndConditions": [pair(CART, VIEW, join="product")]})["rows"]
    )
    assert pick(loose, "cohort", "period", "users") == [
        ("2024-01-01", 0, 2), ("2024-01-01", 2, 1), ("2024-01-01", 3, 1), ("2024-01-08", 0, 1),
    ]  # fmt: skip
    assert pick(joined, "cohort", "period", "users") == [
        ("2024-01-01", 0, 2),
        ("2024-01-01", 2, 1),
        ("2024-01-08", 0, 1),
    ]


# --- attribution ---------------------------------------------------------------------------------------------


def attribution(client: TestClient, model: str, **extra: Any) -> list[tuple[Any, ...]]:
    body = {"modelType": model, "targetEventAndCondition": {"eventName": BUY},
            "eventAndConditions": steps(PAGE, VIEW, CART), **extra}  # fmt: skip
    return pick(explore(client, "attribution", body)["rows"], "event_name", "contribution")


def test_last_touch_credits_the_last_touch_in_the_session(client: TestClient) -> None:
    body = {"modelType": "LAST_TOUCH", "targetEventAndCondition": {"eventName": BUY},
            "eventAndConditions": steps(PAGE, VIEW, CART)}  # fmt: skip
    rows = explore(client, "attribution", body)["rows"]
    columns = ("event_name", "total_triggers", "triggers_with_conversion", "contribution", "contribution_rate")
    assert pick(rows, *columns) == [
        (PAGE, 8, 4, 2.0, 0.6667), (VIEW, 6, 2, 0.0, 0.0), (CART, 3, 2, 1.0, 0.3333),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("FIRST_TOUCH", [3.0, 0.0, 0.0]),
        ("LINEAR", [1.8333, 0.5833, 0.5833]),
        ("POSITION", [2.2, 0.3, 0.5]),
    ],
)
def test_each_model_shares_the_three_purchases(client: TestClient, model: str, expected: list[float]) -> None:
    assert attribution(client, model) == list(zip([PAGE, VIEW, CART], expected, strict=True))


def test_time_decay_halves_a_touchs_weight_per_half_life_before_the_goal(client: TestClient) -> None:
    # half-life 60 s, touches 1 min apart: s1 (goal 10:05) weighs its touches at 300, 240, 180, 120 s
    # 1/32, 2/32, 4/32, 8/32, so page 9/15, view 2/15, cart 4/15; s6 (goal 10:03) at 180, 120, 60 s
    # 1/8, 2/8, 4/8, so page 1/7, view 2/7, cart 4/7; s4's one page touch gets all of its goal
    rows = attribution(client, "TIME_DECAY", timeDecayHalfLifeInSeconds=60)
    expected = [9 / 15 + 1 / 7 + 1, 2 / 15 + 2 / 7, 4 / 15 + 4 / 7]
    assert rows == list(zip([PAGE, VIEW, CART], [round(value, 4) for value in expected], strict=True))


def test_time_decay_with_the_default_week_long_half_life_is_close_to_linear(client: TestClient) -> None:
    # minutes against a 7-day half-life: every weight is within 0.1 % of the others
    decayed = dict(attribution(client, "TIME_DECAY"))
    linear = dict(attribution(client, "LINEAR"))
    assert decayed.keys() == linear.keys()
    assert all(abs(decayed[name] - linear[name]) < 0.001 for name in linear)
    assert decayed != linear  # but not equal: the later touches weigh a little more


def test_position_weights_can_be_changed(client: TestClient) -> None:
    # s1 has four touches: 0.5 first, 0 for the middle two, 0.5 last; s6 three; s4 one (all of it)
    assert attribution(client, "POSITION", modelWeights=[0.5, 0.0, 0.5]) == [(PAGE, 2.5), (VIEW, 0.0), (CART, 0.5)]


def test_sum_value_credits_the_purchase_values(client: TestClient) -> None:
    value = {"targetProperty": {"property": "event_value", "operator": "is_not_null"}}
    goal = {"eventName": BUY, "computeMethod": "SUM_VALUE", "eventExtParameter": value}
    assert attribution(client, "LAST_TOUCH", targetEventAndCondition=goal) == [(PAGE, 50.0), (VIEW, 0.0), (CART, 50.0)]


def test_sum_value_in_the_originals_shape_credits_the_purchase_values(client: TestClient) -> None:
    # the original's console: computeMethod at the top, the summed property as the goal's groupColumn
    goal = {"eventName": BUY, "groupColumn": {"category": "event", "property": "event_value", "dataType": "double"}}
    rows = attribution(client, "LAST_TOUCH", computeMethod="SUM_VALUE", targetEventAndCondition=goal)
    assert rows == [(PAGE, 50.0), (VIEW, 0.0), (CART, 50.0)]


def test_a_window_in_seconds_only_sees_recent_touches(client: TestClient) -> None:
    rows = attribution(client, "LAST_TOUCH", timeWindowType="CUSTOMIZE", timeWindowInSeconds=60)
    assert rows == [(PAGE, 1.0), (VIEW, 0.0), (CART, 1.0)]


# --- safety --------------------------------------------------------------------------------------------------


def test_a_value_is_a_quoted_literal_never_sql(client: TestClient) -> None:
    sneaky = "p1' or 1=1 --"
    metric = {
        "eventName": VIEW,
        "sqlCondition": {"conditions": [{"property": "product", "operator": "=", "value": [sneaky]}]},
    }
    result = explore(client, "event", {"groupColumn": "MONTH", "computeMethod": "EVENT_CNT",
                                       "eventAndConditions": [metric]})  # fmt: skip
    assert result["rows"] == []
    assert "'p1'' or 1=1 --'" in result["sql"]


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("event", {"eventAndConditions": steps("no_such_event")}, "has no event named 'no_such_event'"),
        ("event", {"eventAndConditions": [{"eventName": VIEW, "sqlCondition": {"conditions": [
            {"property": "x; drop table events", "operator": "is_null"}]}}]}, "has no property 'x; drop table events'"),
        ("event", {"eventAndConditions": [{"eventName": VIEW, "sqlCondition": {"conditions": [
            {"property": "event_value", "operator": ">", "value": ["ten"], "dataType": "double"}]}}]},
         "'ten' is not a number"),
    ],
    ids=["unknown-event", "unknown-property", "not-a-number"],
)  # fmt: skip
def test_names_outside_the_catalog_and_bad_values_are_400(
    client: TestClient, kind: str, body: dict[str, Any], message: str
) -> None:
    response = client.post(f"/api/reporting/{kind}", json={**FIXED_JANUARY, **body}, headers=REQUEST_ID)
    assert response.status_code == 400
    assert message in response.json()["error"]


ALL_KINDS: dict[str, dict[str, Any]] = {
    "event": {"eventAndConditions": [{"eventName": VIEW, "computeMethod": "AGGREGATION_PROPERTY", "eventExtParameter": {
        "targetProperty": {"property": "event_value", "operator": "is_not_null"}, "aggregationMethod": "median"}}],
        "groupCondition": {"conditions": [{"property": "product"}]}},
    "funnel": {"eventAndConditions": steps(VIEW, CART, BUY), "conversionIntervalType": "CURRENT_DAY",
               "globalEventCondition": {"conditions": [{"category": "user", "property": "tier", "operator": "=",
                                                        "value": ["gold"]}]}},
    "path": {"pathAnalysis": {"sessionType": "CUSTOMIZE", "lagSeconds": 600, "mergeConsecutiveEvents": True}},
    "retention": {"groupColumn": "MONTH", "pairEventAndConditions": [pair(CART, VIEW, join="product")]},
    "attribution": {"modelType": "POSITION", "timeWindowType": "CUSTOMIZE", "targetEventAndCondition": {
        "eventName": BUY}, "eventAndConditions": steps(PAGE, VIEW)},
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_every_analysis_compiles_for_redshift_and_athena(client: TestClient, kind: str) -> None:
    response = client.post(f"/api/reporting/{kind}/sql", json={**FIXED_JANUARY, **ALL_KINDS[kind]}, headers=REQUEST_ID)
    assert response.status_code == 200, response.text
    compiled = response.json()
    for dialect in ("redshift", "athena"):
        sqlglot.parse_one(compiled[dialect], read=dialect)  # raises on SQL the dialect cannot read
        assert "analytics.fct_events" in compiled[dialect]
    if kind == "funnel":  # a condition on a user property
        assert "JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(user_properties), 'tier', 'value', TRUE)" in compiled["redshift"]
        assert "analytics.dim_users" in compiled["redshift"]
        assert "ELEMENT_AT(user_properties, 'tier').value" in compiled["athena"]
    if kind in ("event", "retention"):  # they read the custom parameter `product`
        product = "JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(custom_parameters), 'product', 'value', TRUE)"
        assert product in compiled["redshift"]
        assert "ELEMENT_AT(custom_parameters, 'product').value" in compiled["athena"]
