"""User attributes and operators through the API (tests/studio/dataset.py): an answer or a 400, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.studio import FIXED_JANUARY, REQUEST_ID, explore

VIEW, CART, BUY = "view_item", "add_to_cart", "purchase"
TIER = {"category": "user", "property": "tier"}  # gold: u1, u3; silver: u2; u4 has none


def pick(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(row[key] for key in keys) for row in rows]


def test_users_grouped_by_a_user_property(client: TestClient) -> None:
    body = {"groupColumn": "MONTH", "eventAndConditions": [{"eventName": VIEW, "computeMethod": "USER_ID_CNT"}],
            "groupCondition": {"conditions": [TIER]}}  # fmt: skip
    assert pick(explore(client, "event", body)["rows"], "group_value", "value") == [
        ("(not set)", 1), ("gold", 2), ("silver", 1),
    ]  # fmt: skip


def test_users_grouped_by_a_user_column(client: TestClient) -> None:
    body = {"groupColumn": "MONTH", "eventAndConditions": [{"eventName": VIEW, "computeMethod": "USER_ID_CNT"}],
            "groupCondition": {"conditions": [{"category": "user", "property": "first_traffic_source"}]}}  # fmt: skip
    assert pick(explore(client, "event", body)["rows"], "group_value", "value") == [("direct", 1), ("google", 3)]


def test_a_funnel_grouped_by_a_user_property(client: TestClient) -> None:
    # within 10 minutes: u1 (gold) and u4 (no tier) view, add to cart and buy; u2 (silver), u3 (gold) only view
    body = {"conversionIntervalInSeconds": 600, "eventAndConditions": [{"eventName": n} for n in (VIEW, CART, BUY)],
            "groupCondition": {"conditions": [TIER]}}  # fmt: skip
    rows = explore(client, "funnel", body)["rows"]
    assert sorted(pick(rows, "group_value", "step", "count")) == [
        ("(not set)", 1, 1), ("(not set)", 2, 1), ("(not set)", 3, 1), ("gold", 1, 2), ("gold", 2, 1),
        ("gold", 3, 1), ("silver", 1, 1), ("silver", 2, 0), ("silver", 3, 0),
    ]  # fmt: skip


def test_not_equal_on_a_user_property_keeps_the_users_without_it(client: TestClient) -> None:
    condition = {**TIER, "operator": "<>", "value": ["gold"]}
    body = {"groupColumn": "MONTH", "eventAndConditions": [{"eventName": VIEW, "computeMethod": "USER_ID_CNT"}],
            "globalEventCondition": {"conditions": [condition]}}  # fmt: skip
    assert pick(explore(client, "event", body)["rows"], "value") == [(2,)]  # u2 (silver) and u4 (none)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"category": "event_outer", "property": "platform", "operator": ">", "value": ["Web"]},
         "operator > compares numbers, but property 'platform' (event_outer) is of type string"),
        ({"property": "event_value", "operator": "contains", "value": ["3"]},
         "operator contains searches text, but property 'event_value' (event) is of type double"),
        ({"property": "platform", "operator": "true"}, "operator true tests a boolean, but property 'platform'"),
        ({"property": "event_timestamp", "operator": "=", "value": ["2024-01-01"]},
         "property 'event_timestamp' (event) is of type timestamp: only is_null and is_not_null apply"),
        ({**TIER, "operator": "between", "value": ["a", "b"]}, "operator between compares numbers"),
        ({"category": "user", "property": "no_such_attribute", "operator": "=", "value": ["x"]},
         "has no user attribute 'no_such_attribute'"),
    ],
    ids=["gt-on-text", "contains-on-number", "true-on-text", "equals-on-timestamp", "between-on-user-text",
         "unknown-user-attribute"],
)  # fmt: skip
def test_an_operator_that_does_not_fit_the_property_is_a_400(
    client: TestClient, condition: dict[str, Any], message: str
) -> None:
    body = {**FIXED_JANUARY, "eventAndConditions": [{"eventName": VIEW, "sqlCondition": {"conditions": [condition]}}]}
    response = client.post("/api/reporting/event", json=body, headers=REQUEST_ID)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def test_a_text_property_compares_as_a_number_when_the_condition_says_so(client: TestClient) -> None:
    # product values are not numbers: TRY_CAST makes them null, so no event passes "> 0"
    condition = {"property": "product", "operator": ">", "value": [0], "dataType": "double"}
    body = {"groupColumn": "MONTH", "eventAndConditions": [{"eventName": VIEW, "sqlCondition": {
        "conditions": [condition]}}]}  # fmt: skip
    assert explore(client, "event", body)["rows"] == []


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("path", {"pathAnalysis": {"nodeType": "page_view_page_title"}}),
        ("retention", {"pairEventAndConditions": [{"startEvent": {"eventName": VIEW},
                                                   "backEvent": {"eventName": VIEW}}]}),
        ("attribution", {"targetEventAndCondition": {"eventName": BUY}, "eventAndConditions": [{"eventName": VIEW}]}),
    ],
)  # fmt: skip
def test_every_analysis_filters_on_a_user_attribute(client: TestClient, kind: str, body: dict[str, Any]) -> None:
    only_silver = {"conditions": [{**TIER, "operator": "=", "value": ["silver"]}]}
    result = explore(client, kind, {**body, "globalEventCondition": only_silver})
    # u2 (silver) never bought and saw one page: no path link, one view cohort, no conversion
    counts = {"path": [], "retention": [1], "attribution": [0]}[kind]
    if kind == "retention":
        assert [row["users"] for row in result["rows"] if row["period"] == 0] == counts
    elif kind == "attribution":
        assert [row["triggers_with_conversion"] for row in result["rows"]] == counts
    else:
        assert result["rows"] == counts


@pytest.mark.parametrize("years", [
    datetime.now(UTC).year + 1,  # before the year 1
    datetime.now(UTC).year,  # 1 January of the year 1 in Tokyo, which is in the year 0 in UTC
    3650,  # the most lastN allows
])  # fmt: skip
def test_a_relative_range_reaching_before_the_year_1_is_a_400(client: TestClient, years: int) -> None:
    body = {"appId": "shop", "timeScopeType": "RELATIVE", "lastN": years, "timeUnit": "YY",
            "timezone": "Asia/Tokyo", "groupColumn": "DAY", "eventAndConditions": [{"eventName": VIEW}]}  # fmt: skip
    answer = client.post("/api/reporting/event", json=body, headers=REQUEST_ID)
    assert answer.status_code == 400, answer.text
    assert "reaches before the year 1" in answer.text
