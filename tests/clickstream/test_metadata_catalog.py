"""The catalog document built from the meta_* rows: the same for `metadata export` and the Studio."""

from __future__ import annotations

from datetime import date
from typing import Any

from clickstream.metadata import assemble_catalog, contract_columns
from tests.studio.remote_stubs import meta_tables


def scanned(project_id: str) -> dict[str, list[dict[str, object]]]:
    return {table: [dict(zip(columns, row, strict=True)) for row in rows]
            for table, (columns, rows) in meta_tables(project_id).items()}  # fmt: skip


def test_the_document_names_the_configured_project_not_the_last_rows() -> None:
    document = assemble_catalog("configured", contract_columns(), scanned("scanned"))
    assert document["projectId"] == "configured"
    assert {attribute["projectId"] for attribute in document["userAttributes"]} == {"configured"}


def test_each_event_and_parameter_keeps_the_project_of_its_row() -> None:
    document = assemble_catalog("configured", contract_columns(), scanned("scanned"))
    assert {event["id"].split("#")[0] for event in document["events"]} == {"scanned"}
    assert {parameter["projectId"] for parameter in document["eventParameters"]} == {"scanned"}


def rows_of(columns: tuple[str, ...], *rows: tuple[object, ...]) -> list[dict[str, object]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


EVENT = ("project_id", "app_id", "event_name", "event_date", "count", "platform", "sdk_version", "sdk_name")
PARAMETER = ("project_id", "app_id", "category", "property_name", "value_type", "property_value", "event_date",
             "count", "event_name_set", "platform")  # fmt: skip
ATTRIBUTE = ("app_id", "category", "property_name", "value_type", "property_value", "event_date", "count")
DAY = date(2024, 5, 30)
# app shop: _page_view on Web, purchase on iOS; geo_country scanned (a preset column, empty sets as the
# original writes them), coupon a custom parameter seen with purchase on iOS; user attribute plan
SHOP = {
    "meta_event": rows_of(
        EVENT,
        ("p", "shop", "_page_view", DAY, 3, "Web", "1.0", "web"),
        ("p", "shop", "purchase", DAY, 1, "iOS", "1.0", "ios"),
    ),
    "meta_event_parameter": rows_of(
        PARAMETER,
        ("p", "shop", "geo", "geo_country", "string", "France", DAY, 4, "", ""),
        ("p", "shop", "event", "coupon", "string", "SPRING", DAY, 1, "purchase", "iOS"),
    ),
    "meta_user_attribute": rows_of(ATTRIBUTE, ("shop", "user", "plan", "string", "pro", DAY, 2)),
}  # fmt: skip


def by_name(entries: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [entry] = [entry for entry in entries if entry["name"] == name]
    return entry


def test_a_preset_parameter_is_associated_with_every_event_and_platform_of_its_app() -> None:
    country = by_name(assemble_catalog("p", contract_columns(), SHOP)["eventParameters"], "geo_country")
    assert country["id"] == "p#shop#geo#geo_country#string"
    assert country["summary"]["associatedEvents"] == ["_page_view", "purchase"]
    assert country["summary"]["platform"] == ["Web", "iOS"]
    assert country["summary"]["valueEnum"] == [{"value": "France", "count": 4}]


def test_a_custom_parameter_keeps_the_events_and_platforms_it_was_seen_with() -> None:
    coupon = by_name(assemble_catalog("p", contract_columns(), SHOP)["eventParameters"], "coupon")
    assert (coupon["metadataSource"], coupon["summary"]["associatedEvents"], coupon["summary"]["platform"]) == (
        "Custom", ["purchase"], ["iOS"],
    )  # fmt: skip


def test_preset_columns_not_marked_for_scanning_are_listed_without_values() -> None:
    parameters = assemble_catalog("p", contract_columns(), SHOP)["eventParameters"]
    duration = by_name(parameters, "session_duration")
    assert (duration["id"], duration["category"], duration["valueType"]) == (
        "p#shop#session#session_duration#number", "session", "number",
    )  # fmt: skip
    assert duration["summary"] == {
        "hasData": True, "platform": ["Web", "iOS"], "associatedEvents": ["_page_view", "purchase"], "valueEnum": [],
    }  # fmt: skip
    assert by_name(parameters, "device_vendor_id")["category"] == "device"


def test_user_columns_not_marked_for_scanning_are_listed_without_values() -> None:
    attributes = assemble_catalog("p", contract_columns(), SHOP)["userAttributes"]
    user_id = by_name(attributes, "user_id")
    assert (user_id["id"], user_id["summary"]["valueEnum"]) == ("p#shop#user_outer#user_id#string", [])
    assert by_name(attributes, "plan")["summary"]["valueEnum"] == [{"value": "pro", "count": 2}]
