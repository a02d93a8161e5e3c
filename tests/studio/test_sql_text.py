"""The exact SQL each analysis emits per dialect, kept in tests/studio/sql/, and that every dialect reads it back.

The files are the reviewed text: a change to the SQL shows up as a diff of them. After an intended change,
``STUDIO_SQL_UPDATE=1 pytest tests/studio/test_sql_text.py`` rewrites them, and the diff is reviewed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from clickstream.studio.analyses import (
    Analysis,
    attribution_analysis,
    event_analysis,
    funnel_analysis,
    retention_analysis,
)
from clickstream.studio.catalog import Catalog
from clickstream.studio.model import AttributionRequest, EventRequest, FunnelRequest, PathRequest, RetentionRequest
from clickstream.studio.paths import path_analysis
from clickstream.studio.sqlbuild import DIALECTS, render

FOLDER = Path(__file__).parent / "sql"
APP = "shop"
CATALOG = Catalog.from_document({
    "events": [{"appId": APP, "name": name} for name in ("view_item", "add_to_cart", "purchase", "_page_view")],
    "eventParameters": [{"appId": APP, "name": "product", "category": "event", "valueType": "string"}],
    "userAttributes": [{"appId": APP, "name": "tier", "category": "user", "valueType": "string"}],
})  # fmt: skip
COMMON = {"appId": APP, "timezone": "Asia/Tokyo", "timeScopeType": "FIXED", "timeStart": "2024-01-01",
          "timeEnd": "2024-01-31"}  # fmt: skip


def _event() -> Analysis:
    metric = {"eventName": "purchase", "computeMethod": "AGGREGATION_PROPERTY", "eventExtParameter": {
        "targetProperty": {"property": "event_value"}, "aggregationMethod": "median"},
        "sqlCondition": {"conditions": [{"property": "product", "operator": "<>", "value": ["p1"]}]}}  # fmt: skip
    request = EventRequest.model_validate({**COMMON, "groupColumn": "WEEK", "eventAndConditions": [metric],
                                           "groupCondition": {"conditions": [{"category": "user",
                                                                              "property": "tier"}]}})  # fmt: skip
    return event_analysis(CATALOG, request)


def _funnel() -> Analysis:
    steps = [{"eventName": "view_item"}, {"eventName": "add_to_cart"}]
    request = FunnelRequest.model_validate(
        {**COMMON, "computeMethod": "EVENT_CNT", "conversionIntervalType": "CURRENT_DAY", "eventAndConditions": steps}
    )
    return funnel_analysis(CATALOG, request)


def _retention() -> Analysis:
    joined = {"retentionJoinColumn": {"category": "event", "property": "product"}}
    pair = {"startEvent": {"eventName": "add_to_cart", **joined}, "backEvent": {"eventName": "view_item", **joined}}
    request = RetentionRequest.model_validate({**COMMON, "groupColumn": "MONTH", "pairEventAndConditions": [pair]})
    return retention_analysis(CATALOG, request)


def _attribution() -> Analysis:
    request = AttributionRequest.model_validate({
        **COMMON, "modelType": "TIME_DECAY", "timeWindowType": "CUSTOMIZE", "timeWindowInSeconds": 3600,
        "timeDecayHalfLifeInSeconds": 600, "targetEventAndCondition": {"eventName": "purchase"},
        "eventAndConditions": [{"eventName": "_page_view"}, {"eventName": "view_item"}],
    })  # fmt: skip
    return attribution_analysis(CATALOG, request)


def _path() -> Analysis:
    request = PathRequest.model_validate({**COMMON, "pathAnalysis": {"nodeType": "page_view_page_title"}})
    return path_analysis(CATALOG, request)


EXACT = {"event": _event, "funnel": _funnel, "retention": _retention, "attribution": _attribution}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("kind", sorted(EXACT))
def test_the_sql_is_the_reviewed_text(kind: str, dialect: Any) -> None:
    analysis = EXACT[kind]()
    sql = render(analysis.tree_for(dialect), dialect) + "\n"
    path = FOLDER / f"{kind}.{dialect}.sql"
    if os.environ.get("STUDIO_SQL_UPDATE") == "1":
        path.write_text(sql, encoding="utf-8")
    assert sql == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("kind", sorted([*EXACT, "path"]))
def test_every_dialect_reads_the_sql_back(kind: str, dialect: Any) -> None:
    builder = {**EXACT, "path": _path}[kind]
    analysis = builder()
    sql = render(analysis.tree_for(dialect), dialect)
    sqlglot.parse_one(sql, read=dialect)  # raises on SQL the dialect cannot read


def test_each_dialect_reads_times_in_the_app_zone() -> None:
    duckdb, redshift, athena = (render(_event().tree, dialect) for dialect in DIALECTS)
    # buckets: the wall-clock time in Tokyo
    assert "DATE_TRUNC('WEEK', event_timestamp AT TIME ZONE 'Asia/Tokyo')" in duckdb
    assert "DATE_TRUNC('WEEK', CONVERT_TIMEZONE('UTC', 'Asia/Tokyo', event_timestamp))" in redshift
    assert "DATE_TRUNC('WEEK', AT_TIMEZONE(event_timestamp, 'Asia/Tokyo'))" in athena
    # the range: 1 January 00:00 in Tokyo is 31 December 15:00 UTC; DuckDB's column is a TIMESTAMPTZ
    assert "event_timestamp >= CAST('2023-12-31 15:00:00.000+00' AS TIMESTAMPTZ)" in duckdb
    assert "event_timestamp >= CAST('2023-12-31 15:00:00.000' AS TIMESTAMP)" in redshift
    assert "event_timestamp >= CAST('2023-12-31 15:00:00.000' AS TIMESTAMP)" in athena
    assert "event_timestamp < CAST('2024-01-31 15:00:00.000' AS TIMESTAMP)" in athena


def test_the_median_is_exact_except_on_athena() -> None:
    duckdb, redshift, athena = (render(_event().tree, dialect) for dialect in DIALECTS)
    assert 'MEDIAN(CAST("event_value" AS DOUBLE))' in duckdb
    assert 'MEDIAN(CAST("event_value" AS DOUBLE PRECISION))' in redshift
    assert 'APPROX_PERCENTILE(CAST("event_value" AS DOUBLE), 0.5)' in athena and "MEDIAN" not in athena


def _grouped_by(prop: dict[str, str], catalog: Catalog = CATALOG) -> dict[str, str]:
    request = EventRequest.model_validate({**COMMON, "groupColumn": "DAY", "eventAndConditions": [
        {"eventName": "purchase"}], "groupCondition": {"conditions": [prop]}})  # fmt: skip
    tree = event_analysis(catalog, request).tree
    return {dialect: render(tree, dialect) for dialect in DIALECTS}


def test_on_redshift_a_custom_parameter_is_read_by_its_exact_case_as_text() -> None:
    # SUPER navigation (custom_parameters."productId".value) lower-cases the name unless a session setting is on
    catalog = Catalog.from_document({"events": [{"appId": APP, "name": "purchase"}], "eventParameters": [
        {"appId": APP, "name": "productId", "category": "event", "valueType": "string"}]})  # fmt: skip
    redshift = _grouped_by({"property": "productId"}, catalog)["redshift"]
    assert "JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(custom_parameters), 'productId', 'value', TRUE)" in redshift
    assert '."productId"' not in redshift


def test_on_redshift_text_is_never_cut_to_the_256_bytes_of_a_bare_varchar() -> None:
    sql = _grouped_by({"category": "page_view", "property": "page_view_page_url"})
    assert 'CAST("page_view_page_url" AS VARCHAR(65535))' in sql["redshift"]
    assert 'CAST("page_view_page_url" AS VARCHAR)' in sql["athena"]


def test_a_boolean_is_grouped_as_true_or_false_text_without_a_cast() -> None:
    for dialect, sql in _grouped_by({"property": "session_is_engaged"}).items():
        assert "WHEN \"session_is_engaged\" THEN 'true' WHEN NOT \"session_is_engaged\" THEN 'false'" in sql, dialect
        assert 'CAST("session_is_engaged"' not in sql, dialect


def test_only_text_is_tried_as_a_number_and_a_number_column_is_cast() -> None:
    catalog = Catalog.from_document({"events": [{"appId": APP, "name": "purchase"}], "eventParameters": [
        {"appId": APP, "name": "price", "category": "event", "valueType": "double"},
        {"appId": APP, "name": "size", "category": "event", "valueType": "string"}]})  # fmt: skip
    for name, expected in (("price", "TRY_CAST(JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(custom_parameters), 'price', "
                                     "'value', TRUE) AS DOUBLE PRECISION))"),
                           ("size", "TRY_CAST(JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(custom_parameters), 'size', "
                                    "'value', TRUE) AS DOUBLE PRECISION))"),
                           ("event_value", 'SUM(CAST("event_value" AS DOUBLE PRECISION))')):  # fmt: skip
        metric = {"eventName": "purchase", "computeMethod": "AGGREGATION_PROPERTY", "eventExtParameter": {
            "targetProperty": {"property": name}, "aggregationMethod": "sum"}}  # fmt: skip
        request = EventRequest.model_validate({**COMMON, "groupColumn": "DAY", "eventAndConditions": [metric]})
        sql = render(event_analysis(catalog, request).tree, "redshift")
        assert expected in sql, sql
        assert "TRY_CAST(TRY_CAST" not in sql


def test_a_user_attribute_is_a_left_join_of_the_users_table() -> None:
    redshift = render(_event().tree, "redshift")
    assert "FROM analytics.fct_events AS e LEFT JOIN (SELECT user_pseudo_id" in redshift
    assert "FROM analytics.dim_users WHERE app_id = 'shop') AS ua ON ua.user_pseudo_id = e.user_pseudo_id" in redshift
